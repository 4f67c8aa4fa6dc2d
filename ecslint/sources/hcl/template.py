"""HCL string templates: `${...}` interpolation and `%{ if }`/`%{ for }` directives.

Used for quoted strings, heredocs and templatefile(). Rendering keeps a source map so a JSON
document produced by a template can be located back in the template file.

As in HCL, the literal text of a heredoc or template file is cut into one piece per line
(each ending with its newline), so a `~` strip marker trims the neighbouring piece only: the
rest of the line after `~}`, the start of the line before `${~` (or, when the sequence opens
its line, the line before). `<<-` indentation trimming counts the spaces of the pieces that
start a line, after stripping (a line starting with a sequence has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ecslint.limits import Budget
from ecslint.model import Location, Unknown
from ecslint.sources.hcl import types
from ecslint.sources.values import (UNKNOWN_MARK, EvalError, JsonStr, PartialText, SourceMap,
                                    Span, SrcStr, origin_of, refs_of)

Locate = Callable[[int], Location]


@dataclass
class Lit:
    """Literal template text, with where each line of it starts."""

    text: str
    spans: list[tuple[int, Location]]  # (offset in text, source location) per line start


@dataclass
class Interp:
    """A `${...}` interpolation."""

    expr: Any  # lark Tree
    where: Location
    strip_left: bool = False
    strip_right: bool = False


@dataclass
class Directive:
    """A `%{...}` directive, before nesting."""

    kind: str  # if | else | endif | for | endfor
    where: Location
    expr: Any = None
    names: tuple[str, ...] = ()
    strip_left: bool = False
    strip_right: bool = False


@dataclass
class If:
    """An `%{ if }` section."""

    cond: Any
    where: Location
    then: list = field(default_factory=list)
    orelse: list = field(default_factory=list)


@dataclass
class For:
    """A `%{ for }` section."""

    names: tuple[str, ...]
    coll: Any
    where: Location
    body: list = field(default_factory=list)


class TemplateError(ValueError):
    pass


# ------------------------------------------------------------------------------ scanning

def _lines(text: str, offset: int, locate: Locate) -> list[Lit]:
    """A literal run as HCL's scanner cuts it in templates: one piece per line."""
    out, start = [], 0
    for m in re.finditer("\n", text):
        out.append(Lit(text[start:m.end()], [(0, locate(offset + start))]))
        start = m.end()
    if start < len(text):
        out.append(Lit(text[start:], [(0, locate(offset + start))]))
    return out


def _scan_expr_end(text: str, i: int) -> int:
    """Index of the `}` closing an interpolation/directive opened just before i."""
    depth, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch in "{[(":
            depth += 1
        elif ch in "}])":
            if depth == 0 and ch == "}":
                return i
            depth -= 1
        i += 1
    raise TemplateError("unterminated template sequence")


_DIRECTIVE = re.compile(
    r"^\s*(?:(if)\s+(?P<cond>.+)|(else)|(endif)|(endfor)|"
    r"(for)\s+(?P<names>[A-Za-z_][\w-]*(?:\s*,\s*[A-Za-z_][\w-]*)?)\s+in\s+(?P<coll>.+))\s*$",
    re.S,
)


def scan(text: str, locate: Locate, parse_expr: Callable[[str, Location], Any]) -> list:
    """Split raw template text (heredoc body, template file) into segments."""
    out: list = []
    i = start = 0
    n = len(text)
    while i < n:
        two = text[i:i + 2]
        if two in ("$$", "%%") and text[i + 2:i + 3] == "{":
            out.extend(_lines(text[start:i] + two[0] + "{", start, locate))
            i += 3
            start = i
            continue
        if two in ("${", "%{"):
            if i > start:
                out.extend(_lines(text[start:i], start, locate))
            j = i + 2
            strip_left = text.startswith("~", j)
            if strip_left:
                j += 1
            end = _scan_expr_end(text, j)
            inner = text[j:end]
            strip_right = inner.rstrip().endswith("~")
            if strip_right:
                inner = inner.rstrip()[:-1]
            where = locate(i)
            if two == "${":
                out.append(Interp(parse_expr(inner, locate(j)), where, strip_left, strip_right))
            else:
                at = locate(j)
                out.append(_directive(inner, where, strip_left, strip_right,
                                      lambda s, at=at: parse_expr(s, at)))
            i = start = end + 1
            continue
        i += 1
    if start < n:
        out.extend(_lines(text[start:], start, locate))
    return out


def _directive(inner: str, where: Location, sl: bool, sr: bool,
               parse: Callable[[str], Any]) -> Directive:
    m = _DIRECTIVE.match(inner)
    if not m:
        raise TemplateError(f"invalid template directive %{{{inner}}}")
    if m.group(1):
        return Directive("if", where, parse(m.group("cond")), (), sl, sr)
    if m.group(6):
        names = tuple(x.strip() for x in m.group("names").split(","))
        return Directive("for", where, parse(m.group("coll")), names, sl, sr)
    kind = next(g for g in (m.group(3), m.group(4), m.group(5)) if g)
    return Directive(kind, where, None, (), sl, sr)


# ------------------------------------------------------------------------------ structure

def _strip(segments: list) -> list:
    """Apply `~` strip markers to the neighbouring literals."""
    segs = [Lit(s.text, list(s.spans)) if isinstance(s, Lit) else s for s in segments]
    for k, seg in enumerate(segs):
        if isinstance(seg, (Interp, Directive)):
            if seg.strip_left and k > 0 and isinstance(segs[k - 1], Lit):
                segs[k - 1].text = segs[k - 1].text.rstrip()
            if seg.strip_right and k + 1 < len(segs) and isinstance(segs[k + 1], Lit):
                _lstrip(segs[k + 1])
    return segs


def _lstrip(lit: Lit) -> None:
    """Strip leading whitespace, keeping the spans' offsets and locations right."""
    _cut(lit, len(lit.text) - len(lit.text.lstrip()))


def _cut(lit: Lit, cut: int) -> None:
    """Drop the first `cut` characters, keeping the spans' offsets and locations right."""
    if not cut:
        return
    base_off, base = max((s for s in lit.spans if s[0] <= cut), key=lambda s: s[0])
    first = Location(base.file, base.line, (base.column or 1) + cut - base_off)
    lit.text = lit.text[cut:]
    lit.spans = [(0, first)] + [(off - cut, loc) for off, loc in lit.spans if off > cut]


def _flush(segs: list) -> None:
    """`<<-` heredocs: remove the smallest indentation of the lines from each line, counted
    on the literal pieces that start a line (HCL's flushHeredocTemplateParts): a piece of
    whitespace ending with its newline is a blank line and does not count, a line starting
    with a sequence counts as no indentation."""
    least, newline, adjust = None, True, []
    for seg in segs:
        if newline:
            newline = False
            spaces = 0
            if isinstance(seg, Lit):
                rest = seg.text.lstrip()
                if not rest and seg.text.endswith("\n"):
                    spaces = None  # blank
                else:
                    spaces = len(seg.text) - len(rest)
                    adjust.append(seg)
            if spaces is not None:
                least = spaces if least is None else min(least, spaces)
        if isinstance(seg, Lit) and seg.text.endswith("\n"):
            newline = True
    for lit in adjust:
        _cut(lit, least or 0)


def build(segments: list, flush: bool = False) -> list:
    """Nest flat segments into If/For nodes, after applying the strip markers (and, for
    a `<<-` heredoc, its indentation trimming)."""
    root: list = []
    stack: list[tuple[Any, list]] = [(None, root)]
    segments = _strip(segments)
    if flush:
        _flush(segments)
    for seg in segments:
        node, cur = stack[-1]
        if isinstance(seg, Directive):
            if seg.kind == "if":
                new = If(seg.expr, seg.where)
                cur.append(new)
                stack.append((new, new.then))
            elif seg.kind == "for":
                new_for = For(seg.names, seg.expr, seg.where)
                cur.append(new_for)
                stack.append((new_for, new_for.body))
            elif seg.kind == "else":
                if not isinstance(node, If):
                    raise TemplateError("%{else} without %{if}")
                stack[-1] = (node, node.orelse)
            elif seg.kind == "endif":
                if not isinstance(node, If):
                    raise TemplateError("%{endif} without %{if}")
                stack.pop()
            elif seg.kind == "endfor":
                if not isinstance(node, For):
                    raise TemplateError("%{endfor} without %{for}")
                stack.pop()
        else:
            cur.append(seg)
    if len(stack) != 1:
        raise TemplateError("unclosed %{if} or %{for}")
    return root


# ------------------------------------------------------------------------------ rendering

def to_text(value: Any) -> str | None:
    """Terraform's string conversion for interpolation; None when not convertible."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        try:
            return types.num_text(value)
        except EvalError:
            return None
    if isinstance(value, str):
        return value
    return None


class _Refused(Exception):
    """The budget refused a loop or the text's size: the whole result is unknown."""


class _Out:
    def __init__(self, budget: Budget | None = None, where: Location | None = None) -> None:
        self.parts: list[str] = []
        self.spans: list[Span] = []
        self.size = 0
        self.unknown: list[Any] = []
        self.budget, self.where = budget, where

    def add(self, text: str, loc: Location | None, exact: bool, value: Any = None) -> None:
        """Append text that came from `loc`; an interpolated `value` keeps its origin (and a
        jsonencode() result its decoded value) in the span."""
        if loc is not None:
            decoded = value.decoded if isinstance(value, JsonStr) else None
            self.spans.append(Span(self.size, loc.file, loc.line or 1, loc.column or 1, exact,
                                   origin_of(value), decoded, self.size + len(text)))
        self.parts.append(text)
        self.size += len(text)
        if self.budget is not None and \
                not self.budget.string(self.size, loc or self.where, "template"):
            raise _Refused


def render(nodes: list, evaluate: Callable[[Any, dict], Any], env: dict,
           budget: Budget | None = None, where: Location | None = None) -> Any:
    """Render template nodes. A lone interpolation yields its value unconverted. With a
    `budget`, a `%{ for }` over too many elements or a text past its size is unknown
    (and noted at `where`, or at the part that crossed the limit)."""
    if len(nodes) == 1 and isinstance(nodes[0], Interp):
        return evaluate(nodes[0].expr, env)
    out = _Out(budget, where)
    try:
        _render(nodes, evaluate, env, out)
    except _Refused:
        return Unknown()
    text = "".join(out.parts)
    smap = SourceMap(out.spans, text)
    if out.unknown:
        return PartialText(text, smap, refs_of(*out.unknown))
    return SrcStr(text, smap)


def _render(nodes: list, evaluate: Callable, env: dict, out: _Out) -> None:
    for node in nodes:
        if isinstance(node, Lit):
            for k, (off, loc) in enumerate(node.spans):
                end = node.spans[k + 1][0] if k + 1 < len(node.spans) else len(node.text)
                out.add(node.text[off:end], loc, True)
        elif isinstance(node, Interp):
            value = evaluate(node.expr, env)
            text = to_text(value)
            if text is None:
                out.unknown.append(value)
                text = UNKNOWN_MARK
            out.add(text, node.where, False, value)
        elif isinstance(node, If):
            cond = evaluate(node.cond, env)
            if isinstance(cond, str) and cond in ("true", "false"):
                cond = cond == "true"
            if isinstance(cond, Unknown) or not isinstance(cond, bool):
                out.unknown.append(cond)
                out.add(UNKNOWN_MARK, node.where, False)
                continue
            _render(node.then if cond else node.orelse, evaluate, env, out)
        elif isinstance(node, For):
            coll = evaluate(node.coll, env)
            if isinstance(coll, (dict, list, tuple)):
                items = types.items(coll)  # maps by key, sets by element, lists by index
            else:
                out.unknown.append(coll)
                out.add(UNKNOWN_MARK, node.where, False)
                continue
            budget = out.budget
            if budget is not None and not (
                    budget.collection(len(items), node.where, "template %{ for }")
                    and budget.steps(len(items), node.where, "template %{ for }")):
                raise _Refused
            for key, val in items:
                inner = dict(env)
                if len(node.names) == 2:
                    inner[node.names[0]], inner[node.names[1]] = key, val
                else:
                    inner[node.names[0]] = val
                _render(node.body, evaluate, inner, out)
