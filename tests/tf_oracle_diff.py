"""Where ecslint's HCL evaluation disagrees with real Terraform: the comparison behind
tests/test_tf_semantics.py, and a report.

    python tests/tf_oracle_diff.py                 # every tf_semantics case, every differential root
    python tests/tf_oracle_diff.py types json      # only these (case or root names)
    python tests/tf_oracle_diff.py --markdown      # one Markdown table

For a case of tests/fixtures/tf_semantics/ it evaluates every root output with ecslint's
evaluator and compares it with expected.json, then the resource instances it would check,
then (for cases with AWS resources) the planned values of nested blocks and the decoded
container definitions. For a root of tests/fixtures/differential/ it compares ecslint's
model of the HCL with `tfexpected.expected_entities(plan.json)`.

Every compared item (an output, a resource's instances, a planned block, a container or
model field) is one of:

- `equal`: the same value (typed: True is not 1, "1" is not 1; numbers compared as exact
  decimals, ecslint's as it prints them, so 0.3333333333333333 is not Terraform's 1/3);
- `wrong`: a different known value (or a shape that differs);
- `ecs_unknown`: ecslint leaves unknown a part Terraform knows (conservative);
- `ecs_known`: ecslint knows a part Terraform leaves unknown (acceptable only where the
  value holds for every value of the unknowns: tests/test_tf_semantics.py lists those).

Each disagreement is printed as `case | what | terraform | ecslint | kind`. Terraform's
side is the oracle; "(known after apply)" is Terraform's unknown, and ecslint's.
"""

from __future__ import annotations

import collections
import decimal
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from ecslint.cache.fsio import FileSystem  # noqa: E402
from ecslint.model import Unknown  # noqa: E402
from ecslint.sources.build import RESOURCE_TYPES, build  # noqa: E402
from ecslint.sources.hcl import template  # noqa: E402
from ecslint.sources.hcl.module import ModuleInstance  # noqa: E402
from ecslint.sources.hcl.parser import HclParser  # noqa: E402
from ecslint.sources.terraform import _Reader  # noqa: E402
from ecslint.sources.values import EvalError, PartialJson, PartialText, plain  # noqa: E402
from ecslint.unknown import boolean, number, text  # noqa: E402

import tfexpected  # noqa: E402

SEM = HERE / "fixtures" / "tf_semantics"
DIFF = HERE / "fixtures" / "differential"
UNK = "(known after apply)"
KINDS = ("equal", "wrong", "ecs_unknown", "ecs_known")


@dataclass(frozen=True)
class Row:
    case: str
    what: str
    terraform: Any
    ecslint: Any
    kind: str  # one of KINDS but "equal"


class Tally:
    """The disagreements found, and how many items were compared of each kind."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.counts: collections.Counter = collections.Counter({k: 0 for k in KINDS})

    def add(self, case: str, what: str, want: Any, got: Any, kind: str) -> None:
        self.counts[kind] += 1
        if kind != "equal":
            self.rows.append(Row(case, what, want, got, kind))


# ------------------------------------------------------------------ values

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


def _exact(v: Any) -> decimal.Decimal | None:
    """A number as an exact decimal: Terraform's as it printed it, ecslint's as ecslint
    prints it (its string conversion)."""
    if isinstance(v, decimal.Decimal):
        return v
    if isinstance(v, int):
        return decimal.Decimal(v)
    if isinstance(v, float):
        try:
            return decimal.Decimal(template.to_text(v))
        except (decimal.InvalidOperation, TypeError):
            return None
    return None


def same(a: Any, b: Any) -> bool:
    """Terraform scalar `a` equals ecslint scalar `b` (typed)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, decimal.Decimal)) and isinstance(b, (int, float)):
        return _exact(a) == _exact(b)
    if isinstance(a, str) and isinstance(b, str):
        return str(a) == str(b)
    return type(a) is type(b) and a == b


def judge(want: Any, got: Any) -> str:
    """The kind of agreement of Terraform's `want` and ecslint's `got` (both in
    expected.json's terms: UNK for unknown parts)."""
    flags: set[str] = set()
    stack = [(want, got)]
    while stack:
        w, g = stack.pop()
        if isinstance(w, str) and w == UNK:
            flags.add("equal" if isinstance(g, str) and g == UNK else "ecs_known")
        elif isinstance(g, str) and g == UNK:
            flags.add("ecs_unknown")
        elif isinstance(w, dict) and isinstance(g, dict):
            if w.keys() != g.keys():
                return "wrong"
            stack.extend((w[k], g[k]) for k in w)
        elif isinstance(w, list) and isinstance(g, list):
            if len(w) != len(g):
                return "wrong"
            stack.extend(zip(w, g))
        elif isinstance(w, (dict, list)) or isinstance(g, (dict, list)) or not same(w, g):
            return "wrong"
    for kind in ("ecs_known", "ecs_unknown"):
        if kind in flags:
            return kind
    return "equal"


def judge_fields(want: Any, got: Any) -> str:
    """`judge` for model fields, where ecslint leaves a field out (None: unset) when the
    input does not set it and the API default applies: a field Terraform's plan fills with
    the provider's default is unknown to ecslint, not wrong. Lists of objects (a strategy,
    load balancers) are compared as sets."""
    if isinstance(want, dict) and isinstance(got, dict):
        kinds = {"ecs_unknown" if k not in got else judge_fields(w, got[k])
                 for k, w in want.items()}
        kinds |= {"wrong" for k in got if k not in want}
        return _worst(kinds)
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got) \
            and all(isinstance(x, dict) for x in want + got):
        kinds, left = set(), list(want)
        for g in got:
            best, i = min((KINDS.index(judge_fields(w, g)), i) for i, w in enumerate(left))
            kinds.add(KINDS[best])
            left.pop(i)
        return _worst(kinds)
    return judge(want, got)


def _worst(kinds: set[str]) -> str:
    for kind in ("wrong", "ecs_known", "ecs_unknown"):
        if kind in kinds:
            return kind
    return "equal"


def _floats(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dict):
        return {k: _floats(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_floats(x) for x in v]
    return v


def show(v: Any, width: int = 70) -> str:
    text_ = json.dumps(_floats(v), ensure_ascii=False, default=str, separators=(",", ":"))
    return text_ if len(text_) <= width else text_[:width - 1] + "…"


# ------------------------------------------------------------------ tf_semantics cases

def _reader(root: Path) -> tuple[_Reader, ModuleInstance]:
    reader = _Reader(HclParser(), FileSystem(), frozenset(), {})
    files = reader.read_module(str(root))
    reader._tfvars(files)
    return reader, ModuleInstance(reader.loader, files, "", files.dir)


def _problems(name: str, reader: _Reader, tally: Tally) -> None:
    """Files ecslint cannot parse (Terraform planned them, so they are valid)."""
    for p in reader.result.problems:
        tally.add(name, f"parse {Path(p.file).name}:{p.line}", "valid HCL",
                  f"ECS001 {p.message}", "wrong")


def _load(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_float=decimal.Decimal)


# Plan errors that mean "Terraform cannot know the instances" (ecslint's "(no key)").
_UNKNOWN_INSTANCES = {"Invalid count argument", "Invalid for_each argument"}


def sem_case(name: str, tally: Tally) -> None:
    root = SEM / name
    exp = _load(root / "expected.json")
    reader, mod = _reader(root)
    _problems(name, reader, tally)
    for out, e in exp["outputs"].items():
        try:
            got = _ecs(mod.output(out))
        except EvalError as exc:
            tally.add(name, f"output.{out}", e.get("value", UNK), f"error: {exc}", "wrong")
            continue
        want = e["value"] if e["known"] else e.get("partial", UNK)
        tally.add(name, f"output.{out}", want, got, judge(want, got))
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
        want, got = inst(planned, block), inst(have, block)
        if want == got:
            kind = "equal"
        elif got == ["(no key)"] and all(w.startswith("[") for w in want):
            kind = "ecs_unknown"  # ecslint cannot evaluate the count / for_each
        else:
            kind = "wrong"
        tally.add(name, f"instances of {block}", want, got, kind)
    for addr, summary in errored.items():
        got = inst(have, addr) or "no instances"
        if summary in _UNKNOWN_INSTANCES and planned_anything:
            kind = "equal" if got == ["(no key)"] else "ecs_known"
        else:  # the configuration or a value is invalid: ecslint does not validate it
            kind = "equal" if got == "no instances" else "wrong"
        tally.add(name, f"instances of {addr}", f"plan error: {summary}", got, kind)
    for addr, values in exp.get("planned", {}).items():
        rec = recs.get(addr)
        if rec is not None:
            _blocks(name, addr, values, rec.values, tally)


_ORDERED = {"ordered_placement_strategy"}  # list blocks; the other block types are sets


def _provider_converted(want: Any, got: Any) -> Any:
    """ecslint's attribute value as the provider schema converts it while planning (a
    number attribute given "8080"); ecslint's model builder converts the same way."""
    if isinstance(want, bool) and isinstance(got, str):
        b = boolean(got)
        return b if isinstance(b, bool) else got
    if isinstance(want, (int, decimal.Decimal)) and not isinstance(want, bool) \
            and isinstance(got, str):
        n = number(got)
        return n if isinstance(n, (int, float)) else got
    if isinstance(want, str) and want != UNK and isinstance(got, (int, float, bool)):
        return text(got)
    return got


def _is_blocks(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, dict) for x in v)


def _element(want: dict, got: dict) -> str:
    """One planned block against ecslint's, on the attributes ecslint sets (the provider
    fills the others with defaults and computed values)."""
    kinds = set()
    for key, g in got.items():
        if g is None or (isinstance(g, (list, dict)) and not g):
            continue  # unset: the provider's default
        if key not in want:
            return "wrong"
        w = want[key]
        if _is_blocks(w) or (isinstance(w, str) and w == UNK and isinstance(g, list)):
            kinds.add(_block_set(w, g, key in _ORDERED))
        else:
            kinds.add(judge(w, _ecs(_provider_converted(w, g))))
    for kind in ("wrong", "ecs_known", "ecs_unknown"):
        if kind in kinds:
            return kind
    return "equal"


def _block_set(want: Any, got: Any, ordered: bool) -> str:
    if isinstance(got, Unknown):
        got = UNK
    if isinstance(want, str) and want == UNK:
        if got is None or got == [] or got == UNK:
            return "equal"
        return "ecs_known"
    if isinstance(got, str) and got == UNK:
        return "ecs_unknown"
    got = got or []
    if not isinstance(got, list) or len(got) != len(want):
        return "wrong"
    if ordered:
        kinds = [_element(w, g) if isinstance(g, dict) else "wrong" for w, g in zip(want, got)]
    else:  # a set: each of ecslint's blocks matched with the best planned one left
        kinds, left = [], list(want)
        for g in got:
            if not isinstance(g, dict):
                return "wrong"
            scored = [(KINDS.index(_element(w, g)), i) for i, w in enumerate(left)]
            best, i = min(scored)
            kinds.append(KINDS[best])
            left.pop(i)
    for kind in ("wrong", "ecs_known", "ecs_unknown"):
        if kind in kinds:
            return kind
    return "equal"


def _blocks(case: str, addr: str, planned: dict, values: dict, tally: Tally) -> None:
    """Nested blocks and container definitions of one resource."""
    for key, want in planned.items():
        if key == "container_definitions":
            _containers(case, addr, want, values.get(key), tally)
            continue
        raw = values.get(key)
        if not _is_blocks(want) and not (want == UNK and isinstance(raw, (list, Unknown))):
            continue
        if not want and raw is None:
            continue
        got = plain(raw) if not isinstance(raw, Unknown) else raw
        kind = _block_set(want, got, key in _ORDERED)
        tally.add(case, f"{addr}.{key}", want, _ecs(raw) if raw is not None else [], kind)


def _containers(case: str, addr: str, want: Any, value: Any, tally: Tally) -> None:
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
    _container_rows(case, addr, w, g, tally)


def _by_name(defs: Any) -> Any:
    """Containers keyed by name: the provider sorts them by name in the planned JSON."""
    if isinstance(defs, list) and all(isinstance(c, dict) and isinstance(c.get("name"), str)
                                      for c in defs):
        names = [c["name"] for c in defs]
        if len(set(names)) == len(names):
            return {c["name"]: c for c in defs}
    return defs


def _container_rows(case: str, addr: str, w: Any, g: Any, tally: Tally) -> None:
    w, g = _by_name(w), _by_name(g)
    if not (isinstance(w, dict) and isinstance(g, dict)):
        tally.add(case, f"{addr} containerDefinitions", w, g, judge(w, g))
        return
    for name in sorted(set(w) | set(g)):
        wc, gc = w.get(name), g.get(name)
        if wc is None or gc is None:
            tally.add(case, f"{addr} container[{name}]", wc or "(absent)",
                      gc or "(absent)", "wrong")
            continue
        for key in sorted(set(wc) | set(gc)):
            cw, cg = wc.get(key, "(unset)"), gc.get(key, "(unset)")
            tally.add(case, f"{addr} container[{name}].{key}", cw, cg, judge(cw, cg))


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


def diff_root(name: str, tally: Tally) -> None:
    root = DIFF / name
    plan = json.loads((root / "plan.json").read_text())
    want = tfexpected.expected_entities(plan)
    reader, mod = _reader(root)
    recs = {r.address: r for r in mod.records(RESOURCE_TYPES)}
    got = fields_of(build(list(recs.values())), recs)
    _problems(name, reader, tally)
    for addr in sorted(set(want) | set(got)):
        if addr not in got:
            tally.add(name, addr, "planned", "no such entity in ecslint's model", "wrong")
            continue
        if addr not in want:
            tally.add(name, addr, "not planned", f"ecslint has {got[addr]['kind']}", "wrong")
            continue
        wf, gf = want[addr]["fields"], got[addr]["fields"]
        for key in sorted(set(wf) | set(gf)):
            w, g = wf.get(key, UNK), gf.get(key, "(unset)")
            if key == "containerDefinitions":
                _container_rows(name, addr, w, g, tally)
                continue
            if key not in wf and g == UNK:
                continue  # unknown to both
            tally.add(name, f"{addr}.{key}", w, g, judge_fields(w, g))


def cases() -> list[str]:
    return sorted(p.name for p in SEM.iterdir() if (p / "expected.json").is_file())


def roots() -> list[str]:
    return sorted(p.name for p in DIFF.iterdir() if (p / "plan.json").is_file()) \
        if DIFF.is_dir() else []


def compare(names: list[str] | None = None) -> Tally:
    """Every case and root (or only those named), compared."""
    tally = Tally()
    for c in cases():
        if not names or c in names:
            sem_case(c, tally)
    for r in roots():
        if not names or r in names:
            diff_root(r, tally)
    return tally


def main(argv: list[str]) -> int:
    md = "--markdown" in argv
    tally = compare([a for a in argv if not a.startswith("--")])
    if md:
        print("| case | what | Terraform | ecslint | kind |\n|---|---|---|---|---|")
    for r in tally.rows:
        if md:
            cell = lambda v: "`" + show(v).replace("|", "\\|") + "`"  # noqa: E731
            print(f"| {r.case} | {r.what} | {cell(r.terraform)} | {cell(r.ecslint)} | {r.kind} |")
        else:
            print(f"{r.case} | {r.what} | {show(r.terraform)} | {show(r.ecslint)} | {r.kind}")
    print(" ".join(f"{k}={tally.counts[k]}" for k in KINDS), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
