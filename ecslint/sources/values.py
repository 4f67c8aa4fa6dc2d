"""Evaluated values that remember where they came from, and partially known values.

Provenance: a number or string written in the configuration carries its `origin` (where it
was written, and the places it passed on the way: a module argument, a local, an output),
so that a finding can point at the `memory = 1024` the user wrote, however many variables
and modules it went through. Containers (PosDict, PosList) keep where each entry was
written in `pos`; bools cannot carry an origin and are located at their entry.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Iterable

from ecslint.model import Location, Origin, Step, Unknown
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


# ------------------------------------------------------------------ values with an origin

class OInt(int):
    """An int written in the configuration (or passed on from one), with its origin (an
    int subclass cannot have slots: the origin lives in the instance dict)."""

    origin: Origin

    def __reduce__(self) -> tuple:
        return _with_origin_int, (int(self), self.origin)


class OFloat(float):
    """A float written in the configuration (or passed on from one), with its origin."""

    __slots__ = ("origin",)

    def __reduce__(self) -> tuple:
        return _with_origin_float, (float(self), self.origin)


def _with_origin_int(v: int, origin: Origin) -> OInt:
    out = OInt(v)
    out.origin = origin
    return out


def _with_origin_float(v: float, origin: Origin) -> OFloat:
    out = OFloat(v)
    out.origin = origin
    return out


def origin_of(value: Any) -> Origin | None:
    """Where a number or string was written (and passed on the way), if it knows."""
    if isinstance(value, (OInt, OFloat, SrcStr)) or type(value).__name__ == "Num":
        return getattr(value, "origin", None)
    return None


def with_origin(value: Any, origin: Origin | None) -> Any:
    """`value` carrying `origin`: a new object for numbers and strings (never a shared one
    changed), the value itself for anything else (bools, collections, unknowns)."""
    if origin is None or isinstance(value, (bool, Unknown)) or value is None:
        return value
    if isinstance(value, int):
        return _with_origin_int(int(value), origin)
    if type(value).__name__ == "Num":  # sources.hcl.types.Num: its exact value is kept
        out = type(value)(value.exact, value.prec)
        out.origin = origin
        return out
    if isinstance(value, float):
        return _with_origin_float(float(value), origin)
    if isinstance(value, SrcStr):
        out = SrcStr(str(value), value.smap)
        out.origin = origin
        return out
    if isinstance(value, str) and not isinstance(value, JsonStr):
        out = SrcStr(value, None)
        out.origin = origin
        return out
    return value


def written(value: Any, loc: Location) -> Any:
    """A literal: `value`, written at `loc`."""
    return with_origin(value, Origin(loc))


def passed(value: Any, loc: Location | None, note: str) -> Any:
    """`value` passed on at `loc` (a module argument, a local, an output): one more step in
    its origin. A value without an origin is returned as it is."""
    origin = origin_of(value)
    if origin is None or loc is None or origin.loc == loc or \
            any(step.loc == loc for step in origin.via):
        return value
    return with_origin(value, Origin(origin.loc, origin.via + (Step(loc, note),)))


def keep_origin(new: Any, old: Any) -> Any:
    """A value converted from another (a string made a number by a declared type, by
    tonumber()): it was written where the original was."""
    if new is old:
        return new
    origin = origin_of(old)
    return new if origin is None or origin_of(new) is not None else with_origin(new, origin)


@dataclass(frozen=True)
class Span:
    """Output text from `start` on came from `file` at line/col (a literal run if exact).
    An interpolated value keeps its `origin`; a jsonencode() text its `decoded` value,
    which a JSON decoder can take as a whole (`end`: where the interpolated text ends)."""

    start: int
    file: str
    line: int
    col: int
    exact: bool
    origin: Origin | None = None
    decoded: Any = None
    end: int = -1


class SourceMap:
    """Maps offsets in a rendered string back to source file positions."""

    def __init__(self, spans: Iterable[Span], text: str) -> None:
        self.spans = sorted(spans, key=lambda s: s.start)
        self._starts = [s.start for s in self.spans]
        self.text = text

    def _span(self, offset: int) -> Span | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        return self.spans[i] if i >= 0 else None

    def origin(self, offset: int) -> Origin | None:
        """The origin of a value interpolated at `offset` (passed on at the interpolation),
        or None when the text there was not interpolated from a value that knows one."""
        span = self._span(offset)
        if span is None or span.origin is None or span.start != offset:
            return None
        o = span.origin
        here = Location(span.file, span.line, span.col)
        return Origin(o.loc, o.via + (Step(here, "interpolated here"),))

    def spliced(self, offset: int) -> tuple[Any, int] | None:
        """A jsonencode() value interpolated exactly at `offset`: (its decoded value, the
        offset after its text). A decoder that takes it keeps the value's own origins."""
        span = self._span(offset)
        if span is None or span.decoded is None or span.start != offset:
            return None
        return span.decoded, span.end

    def locate(self, offset: int) -> Location | None:
        span = self._span(offset)
        if span is None:
            return None
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
    """A string that knows where each of its characters came from (`smap`), and, as a
    value, where it was written (`origin`)."""

    smap: SourceMap | None
    origin: Origin | None

    def __new__(cls, text: str, smap: SourceMap | None = None) -> SrcStr:
        obj = super().__new__(cls, text)
        obj.smap = smap
        obj.origin = None
        return obj

    def __reduce__(self) -> tuple:
        return _srcstr, (str(self), self.smap, self.origin)


def _srcstr(text: str, smap: SourceMap | None, origin: Origin | None) -> SrcStr:
    out = SrcStr(text, smap)
    out.origin = origin
    return out


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
