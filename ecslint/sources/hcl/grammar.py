"""python-hcl2's grammar (`hcl2.lark`) in a lark LALR parser that builds our tree.Node
objects while it parses (an inline transformer): no lark Tree objects, no separate
position pass. The reference the parser is tested against."""

from __future__ import annotations

from typing import Any

from ecslint.sources.hcl.syntax import HclSyntaxError
from ecslint.sources.hcl.tree import Node


class _ToNodes:
    """lark's inline transformer protocol (`__default__` gets every rule): build a Node per
    rule; a node's position is that of its first child."""

    def __default__(self, data: Any, children: list, meta: Any) -> Any:
        node = Node.__new__(Node)
        node.data, node.children = data, children
        if children:
            first = children[0]
            node.line, node.column = first.line, first.column
        else:
            node.line = node.column = None
        return node


class LarkGrammar:
    """Parses HCL text into the grammar's `start` node (Node / lark Token leaves)."""

    def __init__(self) -> None:
        from lark import Lark

        import hcl2.parser
        from hcl2.postlexer import PostLexer

        # cache=True: lark keeps the built tables in the temporary directory, keyed by the
        # grammar's hash, its version and the user (~10x faster than building them).
        self._lark = Lark.open("hcl2.lark", rel_to=hcl2.parser.__file__, parser="lalr",
                               propagate_positions=False, postlex=PostLexer(),
                               transformer=_ToNodes(), cache=True)

    def parse_tree(self, text: str) -> Any:
        from lark.exceptions import UnexpectedInput

        if not text.endswith("\n"):
            text += "\n"  # the grammar wants a trailing newline after the last block
        try:
            return self._lark.parse(text)
        except UnexpectedInput as exc:
            line = getattr(exc, "line", None)
            col = getattr(exc, "column", None)
            token = getattr(exc, "token", None)
            what = f"unexpected {str(token)!r}" if token not in (None, "") else "unexpected input"
            if token is not None and getattr(token, "type", "") == "$END":
                what = "unexpected end of file (unclosed block or string?)"
            raise HclSyntaxError(f"invalid HCL: {what}", line if line and line > 0 else None,
                                 col if col and col > 0 else None) from None
        except Exception as exc:  # lark raises a few other kinds on pathological input
            raise HclSyntaxError(f"invalid HCL: {exc.__class__.__name__}: {exc}") from None
