"""The HCL parser as the rest of ecslint sees it: files into Bodies, template fragments
into expressions, the errors found along the way, and counters.

`HclParser` parses every file whole and keeps nothing. The parse cache
(`ecslint.cache.parse.CachedParser`) is the other implementation: it stores what it parsed
and parses the top-level blocks of a file only when they are first read (sources.hcl.lazy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecslint.model import InputProblem
from ecslint.sources.hcl.syntax import Body, HclSyntaxError, body_of, parse_tf_json


@dataclass
class ParseStats:
    """How many files the parser served from a cache and how many it parsed."""

    hits: int = 0  # files (or blocks) served from a cache
    misses: int = 0  # files parsed

    def add(self, other: ParseStats) -> None:
        self.hits += other.hits
        self.misses += other.misses


class HclParser:
    """Parses `.tf` and `.tf.json` text. Raises HclSyntaxError for text that does not
    parse; `errors()` hands over problems found later (blocks parsed on first read)."""

    def __init__(self) -> None:
        self.stats = ParseStats()
        self._late: list[InputProblem] = []
        self._grammar: Any = None

    # ------------------------------------------------------------------ the interface

    def parse_file(self, path: str, text: str, whole: bool = False) -> Body:
        """The Body of one file. `whole`: parse every block now, so that every syntax
        error is raised here (files named on the command line)."""
        if path.endswith(".json"):
            return parse_tf_json(text, path)
        self.stats.misses += 1
        return self.parse_hcl(text, path)

    def parse_expression(self, text: str) -> Any:
        """One expression, as inside `${...}` of a heredoc or template file."""
        tree = self.tree(f"x = (\n{text}\n)\n")
        attributes = [c for c in tree.children[0].children
                      if getattr(c, "data", None) == "attribute"]
        if len(attributes) != 1:
            raise HclSyntaxError("invalid expression")
        return attributes[0].children[2]

    def errors(self) -> list[InputProblem]:
        """Problems found since the last call (then forgotten)."""
        late, self._late = self._late, []
        return late

    def flush(self) -> None:
        """The end of a unit of work (a root module): nothing to keep here."""

    def fresh(self) -> HclParser | None:
        """A parser that parses again what this one would load from a store (to recover
        from a damaged entry), or None when nothing is loaded from a store."""
        return None

    def prepare(self) -> None:
        """Load the grammar now (before worker processes fork, so that they share it)."""
        self._load()

    # ------------------------------------------------------------------ helpers

    def _load(self) -> Any:
        if self._grammar is None:
            from ecslint.sources.hcl import hclparse

            self._grammar = hclparse
        return self._grammar

    def tree(self, text: str) -> Any:
        """HCL text -> the grammar's `start` node (python-hcl2's grammar, by our own parser:
        sources.hcl.hclparse). Raises HclSyntaxError."""
        return self._load().parse_tree(text)

    def parse_hcl(self, text: str, path: str, offset: int = 0) -> Body:
        """A file's Body, or (with `offset`, the lines before it) a piece cut out of one."""
        try:
            tree = self.tree(text)
        except HclSyntaxError as exc:
            line = exc.line + offset if exc.line is not None else None
            raise HclSyntaxError(exc.message, line, exc.column) from None
        return body_of(tree, path, offset)

    def report(self, problem: InputProblem) -> None:
        self._late.append(problem)
