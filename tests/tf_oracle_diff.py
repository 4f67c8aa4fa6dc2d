"""Where ecslint's HCL evaluation disagrees with real Terraform (a report, not a test).

    python tests/tf_oracle_diff.py                 # every tf_semantics case, every differential root
    python tests/tf_oracle_diff.py types json      # only these (case or root names)
    python tests/tf_oracle_diff.py --markdown      # one Markdown table

For a case of tests/fixtures/tf_semantics/ it evaluates every root output with ecslint's
evaluator and compares it with expected.json (values, unknown-ness; numbers compared as
floats, bools never equal to numbers), then the resource instances it would check, then
(for cases with AWS resources) the planned values of nested blocks and the decoded
container definitions. For a root of tests/fixtures/differential/ it compares ecslint's
model of the HCL with `tfexpected.expected_entities(plan.json)`.

Each disagreement is printed as `case | what | terraform | ecslint`. Terraform's side is
the oracle; "(known after apply)" is Terraform's unknown, UNKNOWN is ecslint's.
"""

from __future__ import annotations

import decimal
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from ecslint.model import Unknown  # noqa: E402
from ecslint.sources.build import RESOURCE_TYPES, build  # noqa: E402
from ecslint.sources.hcl.module import ModuleInstance  # noqa: E402
from ecslint.cache.fsio import FileSystem  # noqa: E402
from ecslint.sources.hcl.parser import HclParser  # noqa: E402
from ecslint.sources.terraform import _Reader  # noqa: E402
from ecslint.sources.values import EvalError, PartialJson, PartialText, plain  # noqa: E402

import tfexpected  # noqa: E402

SEM = HERE / "fixtures" / "tf_semantics"
DIFF = HERE / "fixtures" / "differential"
UNK = "(known after apply)"


def _ecs(value: Any) -> Any:
    """An ecslint value in expected.json's terms: Unknown leaves become UNK."""
    if isinstance(value, (PartialJson, PartialText, Unknown)):
        return UNK
    if isinstance(value, dict):
        return {str(k): _ecs(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_ecs(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def same(a: Any, b: Any) -> bool:
    """Terraform value `a` equals ecslint value `b` (typed: True is not 1, "1" is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, (int, float, decimal.Decimal)) and isinstance(b, (int, float)):
        return float(a) == float(b)  # Terraform's 1/3 has 150 digits: as a float, equal
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, str) and isinstance(b, str):
        return str(a) == str(b)
    return type(a) is type(b) and a == b


def _floats(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dict):
        return {k: _floats(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_floats(x) for x in v]
    return v


def show(v: Any, width: int = 70) -> str:
    text = json.dumps(_floats(v), ensure_ascii=False, default=str, separators=(",", ":"))
    return text if len(text) <= width else text[:width - 1] + "…"


def _reader(root: Path) -> tuple[_Reader, ModuleInstance]:
    reader = _Reader(HclParser(), FileSystem(), frozenset(), {})
    files = reader.read_module(str(root))
    reader._tfvars(files)
    return reader, ModuleInstance(reader.loader, files, "", files.dir)


def _problems(name: str, reader: _Reader) -> list:
    """Files ecslint cannot parse (Terraform planned them, so they are valid)."""
    rows = []
    for p in reader.result.problems:
        rows.append((name, f"parse {Path(p.file).name}:{p.line}", "valid HCL",
                     f"ECS001 {p.message}"))
    return rows


def _load(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_float=decimal.Decimal)


def sem_case(name: str) -> list[tuple[str, str, Any, Any]]:
    root = SEM / name
    exp = _load(root / "expected.json")
    reader, mod = _reader(root)
    rows: list[tuple[str, str, Any, Any]] = _problems(name, reader)
    for out, e in exp["outputs"].items():
        try:
            got = _ecs(mod.output(out))
        except EvalError as exc:
            got = f"error: {exc}"
        want = e["value"] if e["known"] else e.get("partial", UNK)
        if not same(want, got):
            rows.append((name, f"output.{out}", want, got))
    types = frozenset({"terraform_data"}) | RESOURCE_TYPES
    recs = {r.address: r for r in mod.records(types)}
    planned = set(exp["resources"])
    have = set(recs)
    errored = {e["address"]: e["summary"] for e in exp.get("errors", []) if e["address"]}
    def inst(addrs: set, block: str) -> list:
        return sorted(a[len(block):] or "(no key)" for a in addrs if a.split("[", 1)[0] == block)

    planned_anything = exp.get("terraform_version") is not None  # else validation failed
    for block in sorted({a.split("[", 1)[0] for a in planned | have}):
        if block in errored or not planned_anything:
            continue
        if inst(planned, block) != inst(have, block):
            rows.append((name, f"instances of {block}", inst(planned, block), inst(have, block)))
    for addr, summary in errored.items():
        rows.append((name, f"instances of {addr}", f"plan error: {summary}",
                     inst(have, addr) or "no instances"))
    for addr, values in exp.get("planned", {}).items():
        rec = recs.get(addr)
        if rec is None:
            continue
        rows.extend(_blocks(name, addr, values, rec.values))
    return rows


def _prune(v: Any) -> Any:
    """Drop nulls and empty collections (unset in Terraform's planned block values)."""
    if isinstance(v, dict):
        out = {k: _prune(x) for k, x in v.items()}
        return {k: x for k, x in out.items() if x not in (None, [], {})}
    if isinstance(v, list):
        return [_prune(x) for x in v]
    return v


def _shape(v: Any) -> Any:
    """The attribute names a (list of) block value(s) sets, merged over the elements."""
    if isinstance(v, list):
        out: dict = {}
        for x in v:
            sh = _shape(x)
            if isinstance(sh, dict):
                for k, s in sh.items():
                    out[k] = s if out.get(k) is None else out[k]
        return out or None
    if isinstance(v, dict):
        return {k: _shape(x) for k, x in v.items()}
    return None


def _project(v: Any, shape: Any) -> Any:
    """Terraform's planned block value cut down to what the configuration sets (computed
    attributes and provider defaults ecslint cannot see are dropped)."""
    if isinstance(v, list):
        return [_project(x, shape) for x in v]
    if isinstance(v, dict) and isinstance(shape, dict):
        return {k: _project(x, shape[k]) for k, x in v.items() if k in shape}
    return v


_ORDERED = {"ordered_placement_strategy"}  # list blocks; the other block types are sets


def _canon(v: Any, ordered: bool) -> Any:
    if isinstance(v, list):
        items = [_canon(x, False) for x in v]
        return items if ordered else sorted(
            items, key=lambda b: json.dumps(b, default=str, sort_keys=True))
    if isinstance(v, dict):
        return {k: _canon(x, False) for k, x in sorted(v.items())}
    return v


def _blocks(case: str, addr: str, planned: dict, values: dict) -> list:
    """Nested blocks and container definitions of one resource, compared on the attributes
    the configuration sets; blocks of set type compared as sets."""
    rows = []
    for key, want in planned.items():
        if key == "container_definitions":
            rows.extend(_containers(case, addr, want, values.get(key)))
            continue
        is_blocks = isinstance(want, list) and (not want or isinstance(want[0], dict))
        raw = values.get(key)
        if not is_blocks and not (want == UNK and isinstance(raw, list)):
            continue
        got = _ecs(raw) if raw is not None else []
        if want == UNK or got == UNK:
            if want != got and not (want == UNK and got == []):
                rows.append((case, f"{addr}.{key}", want, got))
            continue
        ordered = key in _ORDERED
        w = _canon(_prune(_project(want, _shape(got))), ordered)
        g = _canon(_prune(got), ordered)
        if not same(w, g):
            rows.append((case, f"{addr}.{key}", w, g))
    return rows


def _containers(case: str, addr: str, want: Any, value: Any) -> list:
    """The provider's normalised container_definitions vs ecslint's model of them."""
    fake = {"planned_values": {"root_module": {"resources": [{
        "address": addr, "type": "aws_ecs_task_definition", "mode": "managed",
        "values": {"container_definitions": want}}]}},
        "resource_changes": [{"address": addr, "type": "aws_ecs_task_definition",
                              "mode": "managed", "change": {
                                  "after": {"container_definitions": want},
                                  "after_unknown": {"container_definitions": want == UNK},
                                  "after_sensitive": {}}}]}
    if want == UNK:
        fake["resource_changes"][0]["change"]["after"] = {}
    exp = tfexpected.expected_entities(fake).get(addr, {}).get("fields", {})
    rec_model = _model_of({addr: ("aws_ecs_task_definition", {"container_definitions": value})})
    got = rec_model.get(addr, {}).get("fields", {})
    w, g = exp.get("containerDefinitions", UNK), got.get("containerDefinitions", UNK)
    return _container_rows(case, addr, w, g)


def _by_name(defs: Any) -> Any:
    """Containers keyed by name: the provider sorts them by name in the planned JSON."""
    if isinstance(defs, list) and all(isinstance(c, dict) and isinstance(c.get("name"), str)
                                      for c in defs):
        names = [c["name"] for c in defs]
        if len(set(names)) == len(names):
            return {c["name"]: c for c in defs}
    return defs


def _container_rows(case: str, addr: str, w: Any, g: Any) -> list:
    w, g = _by_name(w), _by_name(g)
    if not (isinstance(w, dict) and isinstance(g, dict)):
        return [] if same(w, g) else [(case, f"{addr} containerDefinitions", w, g)]
    rows = []
    for name in sorted(set(w) | set(g)):
        wc, gc = w.get(name), g.get(name)
        if wc is None or gc is None:
            rows.append((case, f"{addr} container[{name}]", wc or "(absent)",
                         gc or "(absent)"))
            continue
        for key in sorted(set(wc) | set(gc)):
            cw, cg = wc.get(key, "(unset)"), gc.get(key, "(unset)")
            if not same(cw, cg):
                rows.append((case, f"{addr} container[{name}].{key}", cw, cg))
    return rows


# ------------------------------------------------------------------ ecslint model -> fields

def _model_of(values_by_addr: dict) -> dict:
    from ecslint.sources.hcl.module import ResourceRecord
    from ecslint.model import Location
    recs = [ResourceRecord(a, t, v, Location("x"), "") for a, (t, v) in values_by_addr.items()]
    return fields_of(build(recs))


def _k(v: Any) -> Any:
    """Model value -> expected-field value, or None to leave it out (unknown / unset)."""
    if isinstance(v, Unknown):
        return UNK
    return plain(v)


def _put(out: dict, key: str, v: Any) -> None:
    v = _k(v)
    if v is not None:
        out[key] = v


def _strategy(blocks: Any) -> Any:
    if isinstance(blocks, Unknown):
        return UNK
    if not isinstance(blocks, list) or not blocks:
        return None
    items = []
    for b in blocks:
        item: dict = {}
        for key, attr in (("capacityProvider", "capacity_provider"), ("weight", "weight"),
                          ("base", "base")):
            _put(item, key, b.get(attr) if isinstance(b, dict) else UNK)
        items.append(item)
    return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))


def fields_of(model: Any, recs: dict | None = None) -> dict:
    """ecslint's model in tfexpected's shape (same field names, same defaults); fields the
    model does not carry (a service's desired count and strategy weights, the cluster
    capacity providers link) come from the evaluated records."""
    recs = recs or {}
    out: dict[str, dict] = {}
    for td in model.task_definitions:
        f: dict = {}
        _put(f, "family", td.family)
        _put(f, "cpu", td.cpu)
        _put(f, "memory", td.memory)
        rc = _k(td.requires_compatibilities)
        if rc is not None:
            f["requiresCompatibilities"] = sorted(rc) if isinstance(rc, list) else rc
        _put(f, "networkMode", td.network_mode)
        if isinstance(td.containers, Unknown):
            f["containerDefinitions"] = UNK
        else:
            cds = []
            for c in td.containers:
                cd: dict = {}
                for key, attr in (("name", "name"), ("image", "image"),
                                  ("essential", "essential"), ("cpu", "cpu"),
                                  ("memory", "memory"),
                                  ("memoryReservation", "memory_reservation"),
                                  ("command", "command"), ("entryPoint", "entry_point")):
                    _put(cd, key, getattr(c, attr))
                env = c.environment
                if isinstance(env, Unknown):
                    cd["environment"] = UNK
                elif isinstance(env, dict):
                    cd["environment"] = [{"name": k, "value": _k(env[k])} for k in sorted(env)]
                hc = c.health_check
                if isinstance(hc, Unknown):
                    cd["healthCheck"] = UNK
                elif hc is not None:
                    h: dict = {}
                    for key, attr in (("command", "command"), ("interval", "interval"),
                                      ("timeout", "timeout"), ("retries", "retries"),
                                      ("startPeriod", "start_period")):
                        _put(h, key, getattr(hc, attr))
                    cd["healthCheck"] = h
                cds.append(cd)
            f["containerDefinitions"] = cds
        out[td.address] = {"kind": "task_definition", "fields": f}
    for s in model.services:
        f = {}
        raw = recs[s.address].values if s.address in recs else {}
        _put(f, "serviceName", s.name)
        _put(f, "launchType", s.launch_type)
        _put(f, "schedulingStrategy", s.scheduling_strategy)
        _put(f, "healthCheckGracePeriodSeconds", s.health_check_grace_period)
        _put(f, "desiredCount", raw.get("desired_count"))  # not in the model: the record
        if s.load_balancers:
            f["loadBalancers"] = sorted(
                ({"containerName": _k(lb.container_name), "containerPort": _k(lb.container_port)}
                 for lb in s.load_balancers), key=lambda x: json.dumps(x, sort_keys=True))
        strategy = _strategy(raw.get("capacity_provider_strategy"))
        if strategy is not None:
            f["capacityProviderStrategy"] = strategy
        out[s.address] = {"kind": "service", "fields": f}
    for addr, rec in recs.items():
        if rec.type != "aws_ecs_cluster_capacity_providers":
            continue
        f = {}
        _put(f, "cluster", rec.values.get("cluster_name"))
        cps = _k(rec.values.get("capacity_providers"))
        if cps is not None:
            f["capacityProviders"] = sorted(cps) if isinstance(cps, list) else cps
        strategy = _strategy(rec.values.get("default_capacity_provider_strategy"))
        if strategy is not None:
            f["defaultCapacityProviderStrategy"] = strategy
        out[addr] = {"kind": "cluster_capacity_providers", "fields": f}
    for c in model.clusters:
        f = {}
        _put(f, "clusterName", c.name)
        _put(f, "containerInsights", c.container_insights)
        out[c.address] = {"kind": "cluster", "fields": f}
    for cp in model.capacity_providers:
        f = {}
        _put(f, "name", cp.name)
        ms = _k(cp.managed_scaling_status)
        if ms is not None:
            f["managedScaling"] = {"status": ms}
        out[cp.address] = {"kind": "capacity_provider", "fields": f}
    for tg in model.target_groups:
        f = {}
        _put(f, "name", tg.name)
        _put(f, "protocol", tg.protocol)
        hc = tg.health_check
        if isinstance(hc, Unknown):
            f["healthCheck"] = UNK
        elif hc is not None:
            h = {}
            for key, attr in (("enabled", "enabled"), ("interval", "interval"),
                              ("timeout", "timeout"), ("healthyThreshold", "healthy_threshold"),
                              ("unhealthyThreshold", "unhealthy_threshold"),
                              ("protocol", "protocol")):
                _put(h, key, getattr(hc, attr))
            f["healthCheck"] = h
        out[tg.address] = {"kind": "target_group", "fields": f}
    for st in model.scalable_targets:
        f = {}
        for key, attr in (("resourceId", "resource_id"), ("minCapacity", "min_capacity"),
                          ("maxCapacity", "max_capacity"),
                          ("scalableDimension", "scalable_dimension"),
                          ("serviceNamespace", "service_namespace")):
            _put(f, key, getattr(st, attr))
        out[st.address] = {"kind": "scalable_target", "fields": f}
    for al in model.alarms:
        f = {}
        _put(f, "namespace", al.namespace)
        _put(f, "metricName", al.metric_name)
        _put(f, "actionsEnabled", al.actions_enabled)
        out[al.address] = {"kind": "alarm", "fields": f}
    return out


def diff_root(name: str) -> list[tuple[str, str, Any, Any]]:
    root = DIFF / name
    plan = json.loads((root / "plan.json").read_text())
    want = tfexpected.expected_entities(plan)
    reader, mod = _reader(root)
    recs = {r.address: r for r in mod.records(RESOURCE_TYPES)}
    got = fields_of(build(list(recs.values())), recs)
    rows = _problems(name, reader)
    for addr in sorted(set(want) | set(got)):
        if addr not in got:
            rows.append((name, addr, "planned", "no such entity in ecslint's model"))
            continue
        if addr not in want:
            rows.append((name, addr, "not planned", f"ecslint has {got[addr]['kind']}"))
            continue
        wf, gf = want[addr]["fields"], got[addr]["fields"]
        for key in sorted(set(wf) | set(gf)):
            w, g = wf.get(key, UNK), gf.get(key, "(unset)")
            if key == "containerDefinitions":
                rows.extend(_container_rows(name, addr, w, g))
                continue
            if key not in wf and g == UNK:
                continue  # unknown to both
            if not same(w, g):
                rows.append((name, f"{addr}.{key}", w, g))
    return rows


def main(argv: list[str]) -> int:
    md = "--markdown" in argv
    names = [a for a in argv if not a.startswith("--")]
    cases = sorted(p.name for p in SEM.iterdir() if (p / "expected.json").is_file())
    roots = sorted(p.name for p in DIFF.iterdir() if (p / "plan.json").is_file()) \
        if DIFF.is_dir() else []
    rows = []
    for c in cases:
        if not names or c in names:
            rows.extend(sem_case(c))
    for r in roots:
        if not names or r in names:
            rows.extend(diff_root(r))
    if md:
        print("| case | what | Terraform | ecslint |\n|---|---|---|---|")
    for case, what, want, got in rows:
        if md:
            cell = lambda v: "`" + show(v).replace("|", "\\|") + "`"  # noqa: E731
            print(f"| {case} | {what} | {cell(want)} | {cell(got)} |")
        else:
            print(f"{case} | {what} | {show(want)} | {show(got)}")
    print(f"{len(rows)} disagreements", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
