"""Terraform files as blocks and attributes that keep their positions: a parsed HCL tree
turned into a Body, and `.tf.json` text parsed into the same shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecslint.model import Location


class HclSyntaxError(Exception):
    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


@dataclass
class Attribute:
    """An attribute: its name, expression and place."""

    name: str
    expr: Any  # a tree.Node, or JsonExpr for .tf.json
    where: Location


@dataclass
class Body:
    """A block's (or a file's) attributes and nested blocks."""

    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]


@dataclass
class Block:
    """A block: its type, labels, body and extent."""

    type: str
    labels: list[str]
    body: Body
    where: Location
    end_line: int

    @property
    def broken(self) -> bool:
        """A block whose body did not parse (only a block parsed on its own can be)."""
        return False


@dataclass
class JsonExpr:
    """An expression in a `.tf.json` file: a JSON value whose strings are templates."""

    value: Any
    where: Location


def body_of(tree: Any, file: str, offset: int = 0) -> Body:
    """The Body of a parsed file (the grammar's `start` node), or (with `offset`, the
    lines before it) of a piece cut out of one."""
    return _body(tree.children[0], file, offset)


def end_line(node: Any) -> int:
    """Line of the last character of a parsed node."""
    while getattr(node, "children", None):
        node = node.children[-1]
    end = getattr(node, "end_line", None)
    if end is None:
        end = (getattr(node, "line", None) or 0) + str(node).count("\n")
    return end


def _name(node: Any) -> str:
    """Block type, label or attribute name from identifier / keyword / string nodes."""
    if hasattr(node, "data"):
        if node.data == "string":
            return "".join(str(p.children[0]) for p in node.children[1:-1]
                           if hasattr(p, "children") and p.children
                           and not hasattr(p.children[0], "data"))
        return str(node.children[0])
    return str(node)


def _body(node: Any, file: str, offset: int = 0) -> Body:
    body = Body()
    last_line = 0
    for child in node.children:
        kind = getattr(child, "data", None)
        if kind in ("attribute", "block"):
            if child.meta.line == last_line:
                # The grammar we use lets this through; Terraform does not.
                raise HclSyntaxError("invalid HCL: missing newline after argument",
                                     child.meta.line + offset, child.meta.column)
            last_line = child.meta.line
        if kind == "attribute":
            name_node, _eq, expr = child.children
            body.attributes[_name(name_node)] = Attribute(
                _name(name_node), expr,
                Location(file, child.meta.line + offset, child.meta.column))
        elif kind == "block":
            parts = [c for c in child.children if getattr(c, "data", None) in
                     ("identifier", "keyword", "literal_value", "string")]
            inner = next(c for c in child.children if getattr(c, "data", None) == "body")
            body.blocks.append(Block(_name(parts[0]), [_name(p) for p in parts[1:]],
                                     _body(inner, file, offset),
                                     Location(file, child.meta.line + offset, child.meta.column),
                                     end_line(child) + offset))
    return body


# ----------------------------------------------------------------------------- .tf.json

_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1,
           "provider": 1, "locals": 0, "terraform": 0}
# Nested blocks of the resources we read, so their JSON objects become blocks.
_NESTED_BLOCKS = {"health_check", "load_balancer", "setting", "managed_scaling",
                  "auto_scaling_group_provider", "capacity_provider_strategy",
                  "default_capacity_provider_strategy", "suspended_state", "dimensions_block",
                  "target_tracking_scaling_policy_configuration", "deployment_circuit_breaker"}


def parse_tf_json(text: str, file: str) -> Body:
    from ecslint.sources import jsonpos

    try:
        doc = jsonpos.loads(text, file)
    except jsonpos.JsonError as exc:
        raise HclSyntaxError(f"invalid JSON: {exc.message}", exc.line, exc.column) from None
    if not isinstance(doc, dict):
        raise HclSyntaxError("a .tf.json file must hold a JSON object", 1, 1)
    body = Body()
    for type_, content in doc.items():
        _json_blocks(body, type_, content, _LABELS.get(type_, 0), [], doc.pos[type_], file)
    return body


def _json_blocks(body: Body, type_: str, content: Any, depth: int, labels: list[str],
                 where: Location, file: str) -> None:
    if isinstance(content, list):
        for item in content:
            _json_blocks(body, type_, item, depth, labels, where, file)
        return
    if depth and isinstance(content, dict):
        for label, inner in content.items():
            _json_blocks(body, type_, inner, depth - 1, labels + [label], content.pos[label], file)
        return
    body.blocks.append(Block(type_, labels, _json_body(content, where, file, type_ == "locals"),
                             where, where.line or 0))


def _json_body(obj: Any, where: Location, file: str, flat: bool) -> Body:
    body = Body()
    if not isinstance(obj, dict):
        return body
    for key, val in obj.items():
        loc = obj.pos.get(key, where)
        if not flat and key in _NESTED_BLOCKS and isinstance(val, (dict, list)):
            for item in (val if isinstance(val, list) else [val]):
                body.blocks.append(Block(key, [], _json_body(item, loc, file, False), loc,
                                         loc.line or 0))
        else:
            body.attributes[key] = Attribute(key, JsonExpr(val, loc), loc)
    return body

