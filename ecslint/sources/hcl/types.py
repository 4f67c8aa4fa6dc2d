"""Variable type constraints: fill `optional(type, default)` attributes as Terraform does."""

from __future__ import annotations

from typing import Any, Callable

from ecslint.model import Unknown
from ecslint.sources.values import PosDict, PosList

Evaluate = Callable[[Any], Any]


def _call(node: Any) -> tuple[str, list[Any]] | None:
    """(function name, argument nodes) when `node` is a call such as object({...})."""
    while getattr(node, "data", None) == "expr_term":
        kids = [c for c in node.children if hasattr(c, "data")
                and c.data != "new_line_or_comment"]
        if len(kids) != 1:
            return None
        node = kids[0]
    if getattr(node, "data", None) != "function_call":
        return None
    name = str(node.children[0].children[0])
    args = next((c for c in node.children if getattr(c, "data", None) == "arguments"), None)
    kids = [c for c in args.children if hasattr(c, "data")
            and c.data != "new_line_or_comment"] if args is not None else []
    return name, kids


def _object_fields(node: Any) -> dict[str, Any] | None:
    while getattr(node, "data", None) == "expr_term" and len(node.children) == 1:
        node = node.children[0]
    if getattr(node, "data", None) != "object":
        return None
    fields = {}
    for elem in node.children:
        if getattr(elem, "data", None) != "object_elem":
            continue
        key_node, _sep, type_node = elem.children
        key = key_node
        while hasattr(key, "children") and key.children and hasattr(key.children[0], "data"):
            key = key.children[0]
        name = str(key.children[0]) if hasattr(key, "children") else str(key)
        fields[name.strip('"')] = type_node
    return fields


def apply(type_node: Any, value: Any, evaluate: Evaluate) -> Any:
    """`value` converted by the type constraint as far as defaults go."""
    if value is None or isinstance(value, Unknown):
        return value
    call = _call(type_node)
    if call is None:
        return value
    name, args = call
    if name == "optional" and args:
        return apply(args[0], value, evaluate)
    if name in ("map", "list", "set") and args:
        if isinstance(value, dict):
            out = PosDict({k: apply(args[0], v, evaluate) for k, v in value.items()})
            out.pos = dict(getattr(value, "pos", {}))
            return out
        if isinstance(value, list):
            out_l = PosList(apply(args[0], v, evaluate) for v in value)
            out_l.pos = list(getattr(value, "pos", [None] * len(value)))
            return out_l
        return value
    if name == "object" and args and isinstance(value, dict):
        fields = _object_fields(args[0])
        if fields is None:
            return value
        out = PosDict(value)
        out.pos = dict(getattr(value, "pos", {}))
        for field, ftype in fields.items():
            if field in out:
                out[field] = apply(ftype, out[field], evaluate)
                if out[field] is None:
                    out[field] = _default(ftype, evaluate)
            else:
                out[field] = _default(ftype, evaluate)
        return out
    return value


def _default(type_node: Any, evaluate: Evaluate) -> Any:
    call = _call(type_node)
    if call and call[0] == "optional" and len(call[1]) > 1:
        return apply(call[1][0], evaluate(call[1][1]), evaluate)
    return None
