"""Parse cache: `.tf` files parsed once, stored by content in the user's cache directory."""

from __future__ import annotations

import os
import sys
from typing import Any

from ecslint import __version__
from ecslint.cache import store
from ecslint.cache.store import cache_dir, disabled_by_env, dist_versions
from ecslint.sources.hcl import lazy, parser, syntax, tree
from ecslint.sources.hcl.parser import HclParser
from ecslint.sources.hcl.syntax import Body, HclSyntaxError
from ecslint.sources.hcl.tree import compact_body, compact_expression

FORMAT = 1  # bump when the stored layout changes


def make_parser(no_cache: bool = False) -> CachedParser:
    """The parser of a run: cached unless disabled (then it still parses blocks lazily)."""
    return CachedParser(None if no_cache or disabled_by_env() else Store(cache_dir()))


# ----------------------------------------------------------------------- storage

def _code_stamp() -> str:
    """The code that shapes a stored body: an edited checkout must not reuse old entries."""
    parts = []
    for module in (syntax, parser, lazy, tree, sys.modules[__name__]):
        try:
            st = os.stat(module.__file__ or "")
            parts.append(f"{st.st_size}:{st.st_mtime_ns}")
        except (OSError, TypeError):
            parts.append("?")
    return ",".join(parts)


class Store(store.Store):
    """The parse cache: entries are salted with the versions of ecslint, python-hcl2, lark
    and Python, and the code that shapes a stored body."""

    def __init__(self, root: str) -> None:
        super().__init__(root, f"ecslint-{__version__} {dist_versions()} py{sys.version_info[0]}."
                               f"{sys.version_info[1]} format-{FORMAT} {_code_stamp()}")


class _ExprError:
    def __init__(self, message: str) -> None:
        self.message = message


# ----------------------------------------------------------------------- the parser

class CachedParser(HclParser):
    """An HclParser backed by a Store (or by nothing, with `store` None).

    A warm run loads stored bodies and never imports the grammar. A `.tf` file is cut into
    top-level blocks (sources.hcl.lazy) that are parsed when first read, unless it is
    parsed `whole`; stored bodies hold expressions as stored tree.Nodes. `.tf.json` files
    are parsed directly (fast).
    """

    def __init__(self, store: Store | None) -> None:
        super().__init__()
        self.store = store
        self._exprs: dict[str, Any] = {}
        self._lazy: dict[str, lazy.LazyFile] = {}  # key -> split file

    def _key(self, kind: str, name: str, text: str) -> str:
        if self.store is not None:
            return self.store.key(kind, name, text)
        return store.digest(f"{kind}\0{name}\0{text}")

    def parse_file(self, path: str, text: str, whole: bool = False) -> Body:
        if path.endswith(".json"):
            return syntax.parse_tf_json(text, path)
        # A file parsed whole is kept apart from the cut form of the same text.
        key = self._key("whole" if whole else "file", path, text)
        payload = self.store.get(key) if self.store is not None else None
        if payload is not None:
            self.stats.hits += 1
        else:
            self.stats.misses += 1
            spans = None if whole else lazy.split(text)
            if spans is not None:
                payload = ("split", spans, None)  # stored by flush(), with its parsed blocks
            else:
                payload = self._parse_payload(path, text)
                if self.store is not None and payload[0] != "plain":
                    self.store.put(key, payload)
        if payload[0] == "split":
            held = self._lazy.get(key)
            if held is None:
                held = self._lazy[key] = lazy.LazyFile(path, text, payload[1],
                                                       dict(payload[2] or {}), self)
                held.dirty = payload[2] is None  # a new cut: stored even if nothing is read
            held.uses += 1
            return held.body()
        if payload[0] == "error":
            raise HclSyntaxError(payload[1], payload[2], payload[3])
        return payload[1]

    def _parse_payload(self, path: str, text: str) -> tuple:
        """Parse one file into what the cache stores: ("body", Body) or ("error", ...); or
        ("plain", Body) for an expression nested too deeply for marshal, never stored."""
        try:
            body = self.parse_hcl(text, path)
        except HclSyntaxError as exc:
            return ("error", exc.message, exc.line, exc.column)
        try:
            return ("body", compact_body(body))
        except (RecursionError, ValueError):
            return ("plain", body)

    def flush(self) -> None:
        """Store the split files whose blocks were parsed since they were loaded. Files read
        once (a root's own) are let go, so memory stays bounded; files read again (shared
        modules) stay, so their blocks are parsed once per process."""
        for key, held in self._lazy.items():
            if held.dirty and self.store is not None:
                held.dirty = False
                self.store.put(key, held.stored())
        self._lazy = {k: held for k, held in self._lazy.items() if held.uses > 1}

    def parse_expression(self, text: str) -> Any:
        """A template's `${...}` expression, cached like a file."""
        result = self._exprs.get(text)
        if result is None:
            result = self._exprs[text] = self._expression(text)
        if isinstance(result, _ExprError):
            raise HclSyntaxError(result.message)
        return result

    def _expression(self, text: str) -> Any:
        key = self._key("expr", "", text)
        payload = self.store.get(key) if self.store is not None else None
        if payload is None:
            try:
                payload = ("expr", compact_expression(super().parse_expression(text)))
            except HclSyntaxError as exc:
                payload = ("error", exc.message)
            if self.store is not None:
                self.store.put(key, payload)
        return _ExprError(payload[1]) if payload[0] == "error" else payload[1]
