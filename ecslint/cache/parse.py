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
from ecslint.sources.hcl.syntax import Block, Body, HclSyntaxError
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


def _line(v: Any) -> bool:
    return v is None or type(v) is int


def _valid_error(p: tuple) -> bool:
    return len(p) == 4 and isinstance(p[1], str) and _line(p[2]) and _line(p[3])


def _valid_body(body: Any) -> bool:
    """A Body as stored: its top level checked (expressions stay blobs until read; a blob
    that does not load fails its root, which is then read without the cache)."""
    return isinstance(body, Body) and isinstance(body.attributes, dict) and \
        isinstance(body.blocks, list) and all(isinstance(b, Block) for b in body.blocks)


def _valid_block(p: Any) -> bool:
    return isinstance(p, tuple) and len(p) >= 2 and (
        (p[0] == "body" and len(p) == 2 and _valid_body(p[1]))
        or (p[0] == "error" and _valid_error(p)))


def _valid_span(span: Any) -> bool:
    return isinstance(span, tuple) and len(span) == 7 and isinstance(span[0], str) and \
        isinstance(span[1], list) and all(type(v) is int for v in span[2:])


def _valid_file(p: Any) -> bool:
    """A stored file payload of this code's shape: ("split", spans, blocks), ("body",
    Body) or ("error", message, line, column)."""
    if not isinstance(p, tuple) or not p:
        return False
    if p[0] == "split":
        return len(p) == 3 and isinstance(p[1], list) and all(map(_valid_span, p[1])) and (
            p[2] is None or isinstance(p[2], dict) and all(
                type(i) is int and 0 <= i < len(p[1]) and _valid_block(b)
                for i, b in p[2].items()))
    return _valid_block(p)


def _valid_expr(p: Any) -> bool:
    return isinstance(p, tuple) and len(p) == 2 and (
        (p[0] == "expr" and p[1] is not None) or (p[0] == "error" and isinstance(p[1], str)))


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

    def __init__(self, store: Store | None, refresh: bool = False) -> None:
        super().__init__()
        self.store = store
        self.refresh = refresh  # parse everything again, storing over what was there
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
        payload = self._get(key, _valid_file)
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

    def fresh(self) -> CachedParser | None:
        return CachedParser(self.store, refresh=True) if self.store is not None else None

    def _get(self, key: str, valid) -> Any:
        """A stored payload of the shape `valid` accepts; anything else is a miss, and the
        entry is written again after parsing."""
        if self.store is None or self.refresh:
            return None
        payload = self.store.get(key)
        return payload if payload is not None and valid(payload) else None

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
        payload = self._get(key, _valid_expr)
        if payload is None:
            try:
                payload = ("expr", compact_expression(super().parse_expression(text)))
            except HclSyntaxError as exc:
                payload = ("error", exc.message)
            if self.store is not None:
                self.store.put(key, payload)
        return _ExprError(payload[1]) if payload[0] == "error" else payload[1]
