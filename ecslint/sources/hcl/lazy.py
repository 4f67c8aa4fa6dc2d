"""Top-level blocks parsed when first read.

Most of a Terraform file is never evaluated by ecslint: variable descriptions, IAM
policies, security groups. A cheap scanner cuts a file into its top-level blocks (type,
labels, position, extent) and each block is parsed the first time the evaluator reads its
body, so unread blocks cost nothing. The scanner knows strings, `${...}` / `%{...}`
templates, heredocs and comments; when anything is outside what it knows (a top-level
attribute as in `.tfvars`, unbalanced braces, an unterminated string) it gives up and the
whole file is parsed as before, so such errors are still reported with their line.

A syntax error inside a well-delimited block is reported (ECS001) when that block is
read; one inside a block ecslint never reads is not reported: `terraform validate` is the
tool for that. Named files (pre-commit) are always read whole.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ecslint.model import InputProblem, Location
from ecslint.sources.hcl.syntax import Body, HclSyntaxError
from ecslint.sources.hcl.tree import compact_body

if TYPE_CHECKING:
    from ecslint.sources.hcl.parser import HclParser

_SKIP = re.compile(r"(?:\s|#[^\n]*|//[^\n]*|/\*(?:.|\n)*?\*/)*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_LABEL = re.compile(r'[ \t]+(?:"((?:[^"\\\n$%]|\\.)*)"|([A-Za-z_][A-Za-z0-9_-]*))')
_OPEN = re.compile(r"[ \t]*\{")
_LINE_END = re.compile(r"[ \t]*(?:#[^\n]*|//[^\n]*)?(?:\n|\Z)")
_CODE = re.compile(r'["{}#/<]')
_STRING = re.compile(r'[\\"$%\n]')
# The grammar's heredoc terminals (hcl2.lark HEREDOC_TEMPLATE / _TRIM), as one pattern.
_HEREDOC = re.compile(r"<<-?(?P<id>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*"
                      r"(?P=id)\r?\n")

# (type, labels, start offset, end offset, line, column, end line)
Span = tuple[str, list[str], int, int, int, int, int]


def split(text: str) -> list[Span] | None:
    """The top-level blocks of `text`, or None if the scanner cannot vouch for the cut."""
    spans: list[Span] = []
    pos, line, counted = 0, 1, 0
    n = len(text)
    while True:
        pos = _SKIP.match(text, pos).end()
        if pos >= n:
            return spans
        start = pos
        m = _IDENT.match(text, pos)
        if m is None:
            return None
        type_, labels = m.group(), []
        pos = m.end()
        while (lm := _LABEL.match(text, pos)) is not None:
            labels.append(lm.group(1) if lm.group(1) is not None else lm.group(2))
            pos = lm.end()
        om = _OPEN.match(text, pos)
        if om is None or any("\\" in label for label in labels):
            return None  # a top-level attribute, or something unusual: parse it whole
        end = _close(text, om.end() - 1)
        if end is None:
            return None
        after = _LINE_END.match(text, end)
        if after is None:
            return None  # something after the closing brace on its line
        line += text.count("\n", counted, start)
        counted = start
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        end_line = line + text.count("\n", start, end)
        spans.append((type_, labels, start, end, line, column, end_line))
        pos = after.end()


def _close(text: str, i: int) -> int | None:
    """Offset after the brace matching the `{` at `i`, or None."""
    stack = ["c"]  # "c": an expression brace; "i": a template interpolation/directive
    j, in_string = i + 1, False
    while True:
        m = (_STRING if in_string else _CODE).search(text, j)
        if m is None:
            return None
        k = m.start()
        c = text[k]
        if in_string:
            if c == "\\":
                j = k + 2
            elif c == '"':
                in_string, j = False, k + 1
            elif c == "\n":
                return None  # a quoted string cannot span lines
            elif text.startswith(c + c + "{", k):  # $${ or %%{: literal
                j = k + 3
            elif text.startswith("{", k + 1):
                stack.append("i")
                in_string, j = False, k + 2
            else:
                j = k + 1
            continue
        if c == "{":
            stack.append("c")
            j = k + 1
        elif c == "}":
            top = stack.pop()
            j = k + 1
            if not stack:
                return j
            in_string = top == "i"
        elif c == '"':
            in_string, j = True, k + 1
        elif c == "#" or text.startswith("//", k):
            j = text.find("\n", k)
            if j < 0:
                return None
        elif text.startswith("/*", k):
            j = text.find("*/", k + 2)
            if j < 0:
                return None
            j += 2
        elif c == "<":
            hm = _HEREDOC.match(text, k)
            j = hm.end() if hm is not None else k + 1
        else:
            j = k + 1


_BROKEN = Body()  # the body of a block that did not parse (never filled)


class LazyFile:
    """A split file: its blocks' bodies, parsed on first read by `parser`, which also
    hears of their syntax errors."""

    def __init__(self, path: str, text: str, spans: list[Span], parsed: dict[int, tuple],
                 parser: HclParser) -> None:
        self.path, self.text, self.spans, self.parsed = path, text, spans, parsed
        self.parser = parser
        self.dirty = False
        self.uses = 0  # times the file was read in this process

    def body(self) -> Body:
        """The file's Body: lazy blocks in source order."""
        out = Body()
        for i, (type_, labels, _s, _e, line, column, end_line) in enumerate(self.spans):
            out.blocks.append(LazyBlock(self, i, type_, labels,
                                        Location(self.path, line, column), end_line))
        return out

    def block_body(self, i: int) -> Body:
        payload = self.parsed.get(i)
        if payload is None:
            _t, _l, start, end, line, column, _e = self.spans[i]
            snippet = " " * (column - 1) + self.text[start:end] + "\n"
            payload = self.parsed[i] = block_payload(self.parser, self.path, snippet, line - 1)
            self.dirty = True
        if payload[0] == "error":
            self.parser.report(InputProblem(self.path, payload[1], payload[2], payload[3]))
            return _BROKEN
        return payload[1]

    def stored(self) -> tuple:
        """What the parse cache keeps: the cut and the blocks parsed so far."""
        return ("split", self.spans, {i: p for i, p in self.parsed.items() if p[0] != "plain"})


class LazyBlock:
    """A top-level block whose body is parsed when first read (see `syntax.Block`)."""

    __slots__ = ("file", "index", "type", "labels", "where", "end_line", "_body")

    def __init__(self, file: LazyFile, index: int, type_: str, labels: list[str],
                 where: Location, end_line: int) -> None:
        self.file, self.index, self.type, self.labels = file, index, type_, labels
        self.where, self.end_line, self._body = where, end_line, None

    @property
    def body(self) -> Body:
        if self._body is None:
            self._body = self.file.block_body(self.index)
        return self._body

    @property
    def broken(self) -> bool:
        """Its body did not parse: it is reported (ECS001) and not evaluated, as a whole
        file that does not parse is not."""
        return self.body is _BROKEN

    def __repr__(self) -> str:
        return f"LazyBlock({self.type!r}, {self.labels!r}, {self.where!r})"


def block_payload(parser: HclParser, path: str, snippet: str, offset: int) -> tuple:
    """Parse one block cut out of `path` into what a LazyFile keeps: ("body", Body) or
    ("error", message, line, column)."""
    try:
        body = parser.parse_hcl(snippet, path, offset)
    except HclSyntaxError as exc:
        return ("error", exc.message, exc.line, exc.column)
    if len(body.blocks) != 1 or body.attributes:
        return ("error", "invalid HCL: cannot read this block", offset + 1, None)
    try:
        return ("body", compact_body(body.blocks[0].body, offset))
    except (RecursionError, ValueError):  # nested too deeply to store: kept in memory only
        return ("plain", body.blocks[0].body)
