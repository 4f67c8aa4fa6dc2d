"""HCL string templates: `${...}` interpolation and `%{ if }`/`%{ for }` directives.

Used for quoted strings, heredocs and templatefile(). Rendering keeps a source map so a JSON
document produced by a template can be located back in the template file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ecslint.model import Location, Unknown
from ecslint.sources.values import UNKNOWN_MARK, PartialText, SourceMap, Span, SrcStr, refs_of

Locate = Callable[[int], Location]


@dataclass
class Lit:
    text: str
    spans: list[tuple[int, Location]]  # (offset in text, source location) per line start


@dataclass
class Interp:
    expr: Any  # lark Tree
    where: Location
    strip_left: bool = False
    strip_right: bool = False


@dataclass
class Directive:
    kind: str  # if | else | endif | for | endfor
    where: Location
    expr: Any = None
    names: tuple[str, ...] = ()
    strip_left: bool = False
    strip_right: bool = False


@dataclass
class If:
    cond: Any
    where: Location
    then: list = field(default_factory=list)
    orelse: list = field(default_factory=list)


@dataclass
class For:
    names: tuple[str, ...]
    coll: Any
    where: Location
    body: list = field(default_factory=list)


class TemplateError(ValueError):
    pass


# ------------------------------------------------------------------------------ scanning

def lit_from(text: str, offset: int, locate: Locate) -> Lit:
    """A literal run of `text` starting at `offset` of the source the locator describes."""
    spans = [(0, locate(offset))]
    for m in re.finditer("\n", text):
        spans.append((m.end(), locate(offset + m.end())))
    return Lit(text, spans)


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
            out.append(lit_from(text[start:i] + two[0] + "{", start, locate))
            i += 3
            start = i
            continue
        if two in ("${", "%{"):
            if i > start:
                out.append(lit_from(text[start:i], start, locate))
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
        out.append(lit_from(text[start:], start, locate))
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
    cut = len(lit.text) - len(lit.text.lstrip())
    if not cut:
        return
    base_off, base = max((s for s in lit.spans if s[0] <= cut), key=lambda s: s[0])
    first = Location(base.file, base.line, (base.column or 1) + cut - base_off)
    lit.text = lit.text[cut:]
    lit.spans = [(0, first)] + [(off - cut, loc) for off, loc in lit.spans if off > cut]


def build(segments: list) -> list:
    """Nest flat segments into If/For nodes."""
    root: list = []
    stack: list[tuple[Any, list]] = [(None, root)]
    for seg in _strip(segments):
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
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    return None


class _Out:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[Span] = []
        self.size = 0
        self.unknown: list[Any] = []

    def add(self, text: str, loc: Location | None, exact: bool) -> None:
        if loc is not None:
            self.spans.append(Span(self.size, loc.file, loc.line or 1, loc.column or 1, exact))
        self.parts.append(text)
        self.size += len(text)


def render(nodes: list, evaluate: Callable[[Any, dict], Any], env: dict) -> Any:
    """Render template nodes. A lone interpolation yields its value unconverted."""
    if len(nodes) == 1 and isinstance(nodes[0], Interp):
        return evaluate(nodes[0].expr, env)
    out = _Out()
    _render(nodes, evaluate, env, out)
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
            out.add(text, node.where, False)
        elif isinstance(node, If):
            cond = evaluate(node.cond, env)
            if isinstance(cond, Unknown) or not isinstance(cond, bool):
                out.unknown.append(cond)
                out.add(UNKNOWN_MARK, node.where, False)
                continue
            _render(node.then if cond else node.orelse, evaluate, env, out)
        elif isinstance(node, For):
            coll = evaluate(node.coll, env)
            if isinstance(coll, dict):
                items = list(coll.items())
            elif isinstance(coll, (list, tuple)):
                items = list(enumerate(coll))
            else:
                out.unknown.append(coll)
                out.add(UNKNOWN_MARK, node.where, False)
                continue
            for key, val in items:
                inner = dict(env)
                if len(node.names) == 2:
                    inner[node.names[0]], inner[node.names[1]] = key, val
                else:
                    inner[node.names[0]] = val
                _render(node.body, evaluate, inner, out)
