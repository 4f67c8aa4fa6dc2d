"""Parse cache: `.tf` files parsed once, stored by content in the user's cache directory."""

from __future__ import annotations

import os
import sys
from typing import Any

from ecslint import __version__, compact, store
from ecslint.compact import compact_body, compact_expression
from ecslint.sources.hcl import lazy, syntax
from ecslint.sources.hcl.syntax import Body, HclSyntaxError
from ecslint.store import _digest, cache_dir, disabled_by_env, dist_versions  # noqa: F401

FORMAT = 1  # bump when the stored layout changes


def parse_function(no_cache: bool = False) -> Parser:
    """The parse function of a run: `parser(path, text) -> Body`, cached unless disabled."""
    store = None if no_cache or disabled_by_env() else Store(cache_dir())
    return Parser(store)


# ----------------------------------------------------------------------- storage

def _code_stamp() -> str:
    """The code that shapes a stored body: an edited checkout must not reuse old entries."""
    parts = []
    for path in (syntax.__file__, lazy.__file__, compact.__file__, __file__):
        try:
            st = os.stat(path)
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


# ----------------------------------------------------------------------- parsing

def _parse_payload(path: str, text: str) -> tuple:
    """Parse one file into what the cache stores: ("body", Body) or ("error", ...); or
    ("plain", Body) for an expression nested too deeply for marshal, never stored."""
    try:
        body = syntax.parse_hcl(text, path)
    except HclSyntaxError as exc:
        return ("error", exc.message, exc.line, exc.column)
    try:
        return ("body", compact_body(body))
    except (RecursionError, ValueError):
        return ("plain", body)


class _ExprError:
    def __init__(self, message: str) -> None:
        self.message = message


class Parser:
    """The parse function of a run (`parser(path, text) -> Body`), backed by a Store.

    A warm run loads stored bodies and never imports the HCL parser. A `.tf` file is cut
    into top-level blocks (sources.hcl.lazy) that are parsed when first read; stored
    bodies hold expressions as `ecslint.compact.Node`s. `.tf.json` files are parsed
    directly (fast). Many misses are parsed in parallel by the reader's root workers
    (TerraformReader._read_parallel), not here.
    """

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self._exprs: dict[str, Any] = {}
        self._lazy: dict[str, lazy.LazyFile] = {}  # key -> split file (see sources.hcl.lazy)
        self.whole: set[str] = set()  # paths parsed whole (named files: every error shows)
        self.late: list[tuple] = []  # syntax errors of blocks parsed on first read
        self.hits = self.misses = 0

    def _key(self, kind: str, name: str, text: str) -> str:
        if self.store is not None:
            return self.store.key(kind, name, text)
        return _digest(f"{kind}\0{name}\0{text}".encode("utf-8", "surrogatepass"),
                       digest_size=20).hexdigest()

    def _file_key(self, path: str, text: str) -> str:
        # A named file is parsed whole and kept apart from the cut form of the same text.
        return self._key("whole" if path in self.whole else "file", path, text)

    def __call__(self, path: str, text: str) -> Body:
        if path.endswith(".json"):
            return syntax.parse_tf_json(text, path)
        whole = path in self.whole
        key = self._file_key(path, text)
        payload = None
        if self.store is not None:
            payload = self.store.get(key)
            if payload is not None:
                self.hits += 1
        if payload is None:
            self.misses += 1
            spans = None if whole else lazy.split(text)
            if spans is not None:
                payload = ("split", spans, None)  # stored by flush(), with its parsed blocks
            else:
                payload = _parse_payload(path, text)
                if self.store is not None and payload[0] != "plain":
                    self.store.put(key, payload)
        if payload[0] == "split":
            held = self._lazy.get(key)
            if held is None:
                held = self._lazy[key] = lazy.LazyFile(path, text, payload[1],
                                                       dict(payload[2] or {}), self._report)
                held.dirty = payload[2] is None  # a new cut: stored even if nothing is read
            held.uses += 1
            return held.body()
        if payload[0] == "error":
            raise HclSyntaxError(payload[1], payload[2], payload[3])
        return payload[1]

    def _report(self, path: str, message: str, line: int | None, column: int | None) -> None:
        self.late.append((path, message, line, column))

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
            raise ValueError(result.message)
        return result

    def _expression(self, text: str) -> Any:
        key = self._key("expr", "", text)
        payload = self.store.get(key) if self.store is not None else None
        if payload is None:
            from ecslint.sources.hcl.evaluate import parse_expression

            try:
                payload = ("expr", compact_expression(parse_expression(text)))
            except Exception as exc:  # lark's many error kinds: kept, raised every time
                payload = ("error", f"{exc}")
            if self.store is not None:
                self.store.put(key, payload)
        return _ExprError(payload[1]) if payload[0] == "error" else payload[1]
