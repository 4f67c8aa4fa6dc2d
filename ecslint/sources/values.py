"""Evaluated values that remember where they came from, and partially known values."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Iterable

from ecslint.model import Location, Unknown
from ecslint.unknown import UNKNOWN_MARK, PartlyKnown

__all__ = ["UNKNOWN_MARK"]  # (rendered in place of an unknown interpolation in a template)


class EvalError(Exception):
    """A definite evaluation error (missing key, bad argument): try() falls through on it."""


class PosDict(dict):
    """A dict whose `pos` maps each key to the Location of its entry."""

    __slots__ = ("pos", "where")

    def __init__(self, *args: Any, where: Location | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.pos: dict[Any, Location] = {}
        self.where = where


class PosList(list):
    """A list whose `pos[i]` is the Location of element i."""

    __slots__ = ("pos", "where")

    def __init__(self, *args: Any, where: Location | None = None) -> None:
        super().__init__(*args)
        self.pos: list[Location | None] = []
        self.where = where


@dataclass(frozen=True)
class Span:
    """Output text from `start` on came from `file` at line/col (a literal run if exact)."""

    start: int
    file: str
    line: int
    col: int
    exact: bool


class SourceMap:
    """Maps offsets in a rendered string back to source file positions."""

    def __init__(self, spans: Iterable[Span], text: str) -> None:
        self.spans = sorted(spans, key=lambda s: s.start)
        self._starts = [s.start for s in self.spans]
        self.text = text

    def locate(self, offset: int) -> Location | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        if i < 0:
            return None
        span = self.spans[i]
        if not span.exact:
            return Location(span.file, span.line, span.col)
        chunk = self.text[span.start:offset]
        nl = chunk.count("\n")
        if nl:
            return Location(span.file, span.line + nl, offset - chunk.rfind("\n") - span.start)
        return Location(span.file, span.line, span.col + len(chunk))

    @classmethod
    def whole_file(cls, file: str, text: str) -> SourceMap:
        return cls([Span(0, file, 1, 1, True)], text)


class SrcStr(str):
    """A string that knows where each of its characters came from."""

    smap: SourceMap | None

    def __new__(cls, text: str, smap: SourceMap | None = None) -> SrcStr:
        obj = super().__new__(cls, text)
        obj.smap = smap
        return obj


class JsonStr(str):
    """Result of jsonencode(): the text, plus the positioned value it encodes."""

    decoded: Any

    def __new__(cls, text: str, decoded: Any = None) -> JsonStr:
        obj = super().__new__(cls, text)
        obj.decoded = decoded
        return obj


class PartialJson(Unknown):
    """jsonencode() of a value with unknown parts: unknown as text, usable as a structure."""

    __slots__ = ("decoded",)

    def __init__(self, decoded: Any, refs: frozenset[str] = frozenset()) -> None:
        super().__init__(refs)
        self.decoded = decoded


class PartialText(PartlyKnown):
    """A rendered template with unknown parts replaced by UNKNOWN_MARK, and where each
    character of it came from."""

    __slots__ = ("smap",)

    def __init__(self, text: str, smap: SourceMap | None, refs: frozenset[str] = frozenset()):
        super().__init__(text, refs)
        self.smap = smap


def refs_of(*values: Any) -> frozenset[str]:
    """Resource addresses referred to by unknowns anywhere inside the values."""
    out: set[str] = set()
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, Unknown):
            out |= v.refs
            if isinstance(v, PartialJson):
                stack.append(v.decoded)
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
    return frozenset(out)


def has_unknown(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Unknown):
            return True
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
    return False


def plain(value: Any) -> Any:
    """Strip position wrappers (for JSON encoding and comparisons)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value
