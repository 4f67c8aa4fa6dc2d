"""The HCL syntax tree: Node and Token, and their compact stored form.

The parser builds these objects; the parse cache stores them as nested tuples in marshal
blobs and reads them back as the same objects, so a body loaded from the cache evaluates
exactly like a freshly parsed one. A node keeps the part of lark's Tree/Token interface the
evaluator reads (`data`, `children`, `meta.line`/`meta.column`; a token is a str with
`type`, `line` and `column`). A loaded expression stays a blob until the evaluator first
touches it.
"""

from __future__ import annotations

import dataclasses
import marshal
from typing import Any


class Node:
    """An expression tree node with the part of lark's Tree interface the evaluator uses:
    `data`, `children` and `meta` (`line`, `column`).

    A loaded expression stays a marshal blob of nested tuples until the evaluator first
    touches it: most stored expressions (descriptions, unrelated resources) never are.
    """

    __slots__ = ("data", "children", "line", "column", "_blob")

    def __getattr__(self, name: str) -> Any:
        # Reached only while the slots are unset, i.e. for a node still in its blob.
        try:
            blob = object.__getattribute__(self, "_blob")
        except AttributeError:
            raise AttributeError(name) from None
        built = _build(marshal.loads(blob))
        self.data, self.children, self.line, self.column = (built.data, built.children,
                                                            built.line, built.column)
        del self._blob
        return object.__getattribute__(self, name)

    @property
    def meta(self) -> Node:
        return self

    def __reduce__(self) -> tuple:
        try:
            blob = object.__getattribute__(self, "_blob")
        except AttributeError:
            blob = marshal.dumps(_raw(self))
        return _stored_node, (blob,)

    def __repr__(self) -> str:
        return f"Node({self.data!r}, {self.children!r})"


def _build(raw: tuple) -> Any:
    """Nested tuples -> Node/Token objects."""
    try:
        return _build_nested(raw)
    except RecursionError:  # a deeply nested expression: the slower loop has no limit
        return _build_flat(raw)


def _build_nested(raw: tuple) -> Any:
    kids = raw[1]
    if kids.__class__ is not tuple:
        return Token(*raw)
    node = Node.__new__(Node)
    node.data, node.children, node.line, node.column = (raw[0], [_build_nested(k) for k in kids],
                                                        raw[2], raw[3])
    return node


def _build_flat(raw: tuple) -> Any:
    top: list = []
    todo = [(raw, top)]
    while todo:
        r, siblings = todo.pop()
        kids = r[1]
        if kids.__class__ is not tuple:
            siblings.append(Token(*r))
            continue
        node = Node.__new__(Node)
        node.data, node.children, node.line, node.column = r[0], [], r[2], r[3]
        siblings.append(node)
        todo.extend((k, node.children) for k in reversed(kids))
    return top[0]


def _stored_node(blob: bytes) -> Node:
    node = Node.__new__(Node)
    node._blob = blob
    return node


class Token(str):
    """A terminal: a str with lark Token's `type`, `value`, `line` and `column`."""

    def __new__(cls, type_: str, value: str, line: int | None, column: int | None) -> Token:
        tok = str.__new__(cls, value)
        tok.type, tok.line, tok.column = type_, line, column
        return tok

    @property
    def value(self) -> str:
        return str(self)

    def __reduce__(self) -> tuple:
        return Token, _raw(self)

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {str(self)!r})"


def _raw(x: Any, offset: int = 0) -> tuple:
    """lark Tree/Token (or Node/Token) -> nested tuples: a tree is (data, kids, line,
    column) with a tuple of kids, a token (type, text, line, column). `offset` is added to
    every line (a block parsed out of its file starts at line 1)."""
    try:
        return _raw_nested(x, offset)
    except RecursionError:
        return _raw_flat(x, offset)


def _line(x: Any, offset: int) -> int | None:
    line = getattr(x, "line", None)
    return line + offset if line is not None and offset else line


def _raw_nested(x: Any, offset: int) -> tuple:
    if hasattr(x, "data"):
        meta = x.meta
        return (str(x.data), tuple(_raw_nested(k, offset) for k in x.children),
                _line(meta, offset), getattr(meta, "column", None))
    return (x.type, str(x), _line(x, offset), getattr(x, "column", None))


def _raw_flat(root: Any, offset: int) -> tuple:
    done: list = []
    todo = [(root, False)]
    while todo:
        x, children_done = todo.pop()
        if not hasattr(x, "data"):
            done.append((x.type, str(x), _line(x, offset), getattr(x, "column", None)))
        elif children_done:
            n = len(x.children)
            kids = tuple(done[len(done) - n:])
            del done[len(done) - n:]
            meta = x.meta
            done.append((str(x.data), kids, _line(meta, offset),
                         getattr(meta, "column", None)))
        else:
            todo.append((x, True))
            todo.extend((c, False) for c in reversed(x.children))
    return done[0]


def compact_expression(expr: Any, offset: int = 0) -> Any:
    """A parsed expression in its stored form (other values are kept as they are)."""
    if hasattr(expr, "data") and hasattr(expr, "children"):
        return _stored_node(marshal.dumps(_raw(expr, offset)))
    return expr


def compact_body(body: Any, offset: int = 0) -> Any:
    """A parsed `syntax.Body` with its expressions in stored form. `offset`: lines to add
    to the expressions' positions (the Locations of `body` are already right)."""
    replace = dataclasses.replace
    return replace(body, attributes={k: replace(a, expr=compact_expression(a.expr, offset))
                                     for k, a in body.attributes.items()},
                   blocks=[replace(b, body=compact_body(b.body, offset)) for b in body.blocks])
