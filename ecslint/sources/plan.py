"""`terraform show -json` plan (or state) JSON -> resource records."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from ecslint.model import InputProblem, Location, Unknown
from ecslint.sources.build import RESOURCE_TYPES
from ecslint.sources.hcl.module import ResourceRecord


def is_plan(doc: Any) -> bool:
    return isinstance(doc, dict) and "format_version" in doc and (
        "planned_values" in doc or "values" in doc)


def _obj(value: Any) -> dict:
    """A JSON object where one is expected; anything else (a hand-edited or truncated
    plan) reads as empty."""
    return value if isinstance(value, dict) else {}


def _objs(value: Any, odd: list[str] | None = None, what: str = "") -> list[dict]:
    """The objects of a JSON array where one is expected; what is not one is noted in
    `odd`, when given (a part of the plan that is not checked)."""
    found = [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
    if odd is not None and value is not None and \
            (not isinstance(value, list) or len(found) < len(value)):
        odd.append(what)
    return found


def _modules(module: Any, odd: list[str]) -> Iterator[dict]:
    """A module and its child modules, depth first (a loop, not recursion: plans may nest
    modules deeply)."""
    if module is not None and not isinstance(module, dict):
        odd.append("root_module")
    todo = [_obj(module)]
    while todo:
        mod = todo.pop()
        yield mod
        todo.extend(reversed(_objs(mod.get("child_modules"), odd, "child_modules")))


def _module_path(address: str) -> tuple[str, str]:
    """("module.a[0].module.b.", "aws_x.y") for "module.a[0].module.b.aws_x.y[2]"."""
    m = re.match(r"(?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*", address)
    prefix, rest = m.group(0), address[m.end():]
    return prefix, re.sub(r"\[[^\]]*\]$", "", rest)


class _Config:
    """The `configuration` section: expressions with their references, per module path."""

    def __init__(self, doc: dict) -> None:
        self.root = _obj(_obj(doc.get("configuration")).get("root_module"))

    def module(self, prefix: str) -> dict:
        mod = self.root
        for name in re.findall(r"module\.([^.\[]+)", prefix):
            mod = _obj(_obj(_obj(mod.get("module_calls")).get(name)).get("module"))
        return mod

    def expressions(self, prefix: str, address: str) -> dict:
        for res in _objs(self.module(prefix).get("resources")):
            if res.get("address") == address:
                return _obj(res.get("expressions"))
        return {}

    def refs(self, expr: Any, prefix: str, depth: int = 0) -> frozenset[str]:
        """References of an expression, made absolute; module outputs followed."""
        if not isinstance(expr, dict):
            return frozenset()
        out: set[str] = set()
        refs = expr.get("references")
        for ref in refs if isinstance(refs, list) else []:
            if not isinstance(ref, str):
                continue
            v = re.match(r"^var\.([^.\[]+)", ref)
            if v and prefix and depth < 8:  # a module variable: follow the caller's argument
                caller, name = _split_call(prefix)
                call = _obj(_obj(self.module(caller).get("module_calls")).get(name))
                out |= self.refs(_obj(call.get("expressions")).get(v.group(1)), caller,
                                 depth + 1)
                continue
            m = re.match(r"^module\.([^.\[]+)\.([^.\[]+)", ref)
            if m and depth < 8:
                call = _obj(_obj(self.module(prefix).get("module_calls")).get(m.group(1)))
                output = _obj(_obj(_obj(call.get("module")).get("outputs")).get(m.group(2)))
                if output:
                    out |= self.refs(output.get("expression"),
                                     f"{prefix}module.{m.group(1)}.", depth + 1)
                    continue
            if not ref.startswith(("var.", "local.", "each.", "count.", "path.")):
                out.add(prefix + ref)
        return frozenset(out)


def _split_call(prefix: str) -> tuple[str, str]:
    """Caller prefix and call name of a module instance prefix ("module.a[0].module.b.")."""
    m = re.fullmatch(r"(.*?)module\.([^.\[]+)(?:\[[^\]]*\])?\.", prefix, re.S)
    return (m.group(1), m.group(2)) if m else ("", "")


def _merge_unknown(values: Any, mask: Any, exprs: Any, cfg: _Config, prefix: str) -> Any:
    """Put Unknown (with references) where `after_unknown` marks a value unknown."""
    if mask is True:
        return Unknown(cfg.refs(exprs, prefix))
    if isinstance(mask, dict):
        out = dict(values) if isinstance(values, dict) else {}
        for key, sub in mask.items():
            sub_expr = exprs.get(key) if isinstance(exprs, dict) else None
            if sub is True and isinstance(exprs, dict) and exprs and key not in exprs \
                    and out.get(key) is None:
                # Not in the configuration: an omitted optional+computed attribute or block
                # (setting, health_check, suspended_state...), i.e. unset, not unknown.
                continue
            out[key] = _merge_unknown(out.get(key), sub, sub_expr, cfg, prefix)
        if isinstance(exprs, dict):  # references of known values still tie relations
            for key, sub_expr in exprs.items():
                if key not in mask and isinstance(sub_expr, dict) and \
                        "references" in sub_expr and out.get(key) is None:
                    refs = cfg.refs(sub_expr, prefix)
                    if refs and key in ("task_definition", "cluster", "target_group_arn"):
                        out[key] = Unknown(refs)
        return out
    if isinstance(mask, list):
        vals = values if isinstance(values, list) else []
        exprs_l = exprs if isinstance(exprs, list) else []
        return [_merge_unknown(vals[i] if i < len(vals) else None, sub,
                               exprs_l[i] if i < len(exprs_l) else
                               (exprs_l[0] if exprs_l else None), cfg, prefix)
                for i, sub in enumerate(mask)]
    return values


def records(doc: dict, path: str, text: str, problems: list[InputProblem] | None = None
            ) -> list[ResourceRecord]:
    """The ECS resources of a plan or state. Parts that are not what `terraform show -json`
    writes (a hand-edited or truncated file) are skipped, never a crash, and named in one
    ECS001 added to `problems`: what they hold was not checked."""
    odd: list[str] = []
    top = _obj(doc.get("planned_values") or doc.get("values"))
    unknowns = {rc["address"]: _obj(rc.get("change")).get("after_unknown") or {}
                for rc in _objs(doc.get("resource_changes"))
                if isinstance(rc.get("address"), str)}
    cfg = _Config(doc)
    out = []
    for module in _modules(top.get("root_module"), odd):
        for res in _objs(module.get("resources"), odd, "resources"):
            address = res.get("address")
            if res.get("mode") != "managed" or res.get("type") not in RESOURCE_TYPES:
                continue
            if not isinstance(address, str) or not isinstance(res.get("values", {}), dict):
                odd.append(f"an {res['type']} entry")
                continue
            prefix, local = _module_path(address)
            exprs = cfg.expressions(prefix, local)
            values = _merge_unknown(_obj(res.get("values")), unknowns.get(address, {}), exprs,
                                    cfg, prefix)
            if not isinstance(values, dict):  # after_unknown says the whole object
                values = {}
            out.append(ResourceRecord(address, res["type"], values,
                                      _locate(text, address, path), path))
    _through_locals(out, cfg)
    if odd and problems is not None:
        parts = ", ".join(dict.fromkeys(odd))
        problems.append(InputProblem(path, f"plan JSON not as `terraform show -json` writes "
                                           f"it ({parts}): what those parts hold was not "
                                           "checked"))
    return out


# A service's references that may go through a local, and the resource type each names.
_LOCAL_LINKS = (("task_definition", "aws_ecs_task_definition"), ("cluster", "aws_ecs_cluster"))


def _through_locals(records: list[ResourceRecord], cfg: _Config) -> None:
    """A plan's configuration has no locals: a service whose task definition (or cluster)
    is named through `local.x` has no reference left to follow. When its module instance
    declares exactly one resource of that type, the local can only lead there: link it."""
    by_prefix: dict[str, list[ResourceRecord]] = {}
    for rec in records:
        by_prefix.setdefault(_instance_prefix(rec.address), []).append(rec)
    for prefix, recs in by_prefix.items():
        for svc in (r for r in recs if r.type == "aws_ecs_service"):
            exprs = cfg.expressions(_module_path(svc.address)[0], _module_path(svc.address)[1])
            for key, rtype in _LOCAL_LINKS:
                value, expr = svc.values.get(key), exprs.get(key)
                through_local = isinstance(expr, dict) and any(
                    str(ref).startswith("local.") for ref in expr.get("references") or [])
                if not (isinstance(value, Unknown) and not value.refs and through_local):
                    continue
                candidates = [r.address for r in recs if r.type == rtype]
                if len(candidates) == 1:
                    svc.values[key] = Unknown(frozenset(candidates))


def _instance_prefix(address: str) -> str:
    """The module instance an address is in: "module.a[0]." of "module.a[0].aws_x.y"."""
    m = re.match(r"^((?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*)", address)
    return m.group(1) if m else ""


def _locate(text: str, address: str, path: str) -> Location:
    for needle in (f'"address":{json.dumps(address)}', f'"address": {json.dumps(address)}'):
        i = text.find(needle)
        if i >= 0:
            line = text.count("\n", 0, i) + 1
            return Location(path, line, i - (text.rfind("\n", 0, i) + 1) + 1)
    return Location(path, 1, 1)
