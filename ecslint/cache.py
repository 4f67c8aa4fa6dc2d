"""Parse cache: `.tf` files parsed once, stored by content in the user's cache directory."""

from __future__ import annotations

import gc
import os
import pickle
import sys
from typing import Any, Iterable

from ecslint import __version__, compact
from ecslint.compact import compact_body, compact_expression
from ecslint.sources.hcl import syntax
from ecslint.sources.hcl.syntax import Body, HclSyntaxError

try:  # the C module behind hashlib.blake2b, without loading OpenSSL (~5 ms at start-up)
    from _blake2 import blake2b as _digest
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b as _digest

FORMAT = 1  # bump when the stored layout changes
PROTOCOL = pickle.HIGHEST_PROTOCOL
# Below this many misses a run parses in-process: a worker pool costs ~50 ms to start
# and must import the parser again.
PARALLEL_MIN_FILES = 24


def cache_dir() -> str:
    """ECSLINT_CACHE_DIR, else $XDG_CACHE_HOME/ecslint, else ~/.cache/ecslint."""
    explicit = os.environ.get("ECSLINT_CACHE_DIR")
    if explicit:
        return os.path.abspath(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ecslint")


def disabled_by_env() -> bool:
    return os.environ.get("ECSLINT_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no")


def parse_function(no_cache: bool = False) -> Parser:
    """The parse function of a run: `parser(path, text) -> Body`, cached unless disabled."""
    store = None if no_cache or disabled_by_env() else Store(cache_dir())
    return Parser(store)


# ----------------------------------------------------------------------- storage

def _versions() -> str:
    """Versions of the parser packages, read from their metadata without importing them."""
    import importlib.util

    found: dict[str, str] = {}
    spec = importlib.util.find_spec("hcl2")
    if spec is not None and spec.origin:
        site = os.path.dirname(os.path.dirname(spec.origin))
        try:
            for entry in os.listdir(site):
                for dist in ("python_hcl2-", "lark-"):
                    if entry.startswith(dist) and entry.endswith((".dist-info", ".egg-info")):
                        found[dist] = entry
        except OSError:
            pass
    if len(found) < 2:
        from importlib import metadata

        for dist in ("python-hcl2", "lark"):
            try:
                found[dist] = f"{dist}-{metadata.version(dist)}"
            except metadata.PackageNotFoundError:
                found[dist] = f"{dist}-?"
    return " ".join(sorted(found.values()))


def _code_stamp() -> str:
    """The code that shapes a stored body: an edited checkout must not reuse old entries."""
    parts = []
    for path in (syntax.__file__, compact.__file__, __file__):
        try:
            st = os.stat(path)
            parts.append(f"{st.st_size}:{st.st_mtime_ns}")
        except (OSError, TypeError):
            parts.append("?")
    return ",".join(parts)


class Store:
    """One file per entry, `<dir>/<version>/<key[:2]>/<key[2:]>`, each a pickle of
    (key, payload). Writers write a private temporary file and rename it into place, so
    readers see a whole entry or none; an unreadable or foreign entry reads as a miss."""

    def __init__(self, root: str) -> None:
        self.salt = (f"ecslint-{__version__} {_versions()} py{sys.version_info[0]}."
                     f"{sys.version_info[1]} format-{FORMAT} {_code_stamp()}")
        self.root = os.path.join(root, "v" + _digest(self.salt.encode(), digest_size=8).hexdigest())
        self.writable = True

    def key(self, kind: str, name: str, text: str) -> str:
        h = _digest(self.salt.encode(), digest_size=20)
        h.update(f"\0{kind}\0{name}\0".encode())
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def path(self, key: str) -> str:
        return os.path.join(self.root, key[:2], key[2:])

    def get(self, key: str) -> Any:
        try:
            with open(self.path(key), "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        return self.decode(key, data)

    @staticmethod
    def decode(key: str, data: bytes) -> Any:
        try:
            stored, payload = pickle.loads(data)
        except Exception:  # truncated or foreign bytes: a miss, rewritten after parsing
            return None
        return payload if stored == key else None

    @staticmethod
    def encode(key: str, payload: Any) -> bytes:
        return pickle.dumps((key, payload), PROTOCOL)

    def put(self, key: str, data: bytes) -> bool:
        """Store an entry; False if the directory cannot be written."""
        if not self.writable:
            return False
        path = self.path(key)
        tmp = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                _unlink(tmp)
                raise
        except OSError:
            self.writable = False  # read-only or full cache directory: run without writing
        return self.writable


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


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


def _parse_batch(store: Store | None,
                 batch: list[tuple[str, str, str]]) -> list[tuple[str, bytes | None]]:
    """Worker: parse files and store their entries. Returns (key, entry) for each, the
    entry None when stored: the parent reads it when needed, so that it does not hold
    every entry's bytes at once."""
    gc.enable()  # forked from a run that paused it; parse trees are short-lived here
    out = []
    for key, path, text in batch:
        payload = _parse_payload(path, text)
        if payload[0] == "plain":
            continue  # left to the parent, which parses it again in-process
        data = Store.encode(key, payload)
        stored = store is not None and store.put(key, data)
        out.append((key, None if stored else data))
    return out


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_STORED = object()  # a prefetched entry that a worker wrote to the store


class _ExprError:
    def __init__(self, message: str) -> None:
        self.message = message


class Parser:
    """The parse function of a run (`parser(path, text) -> Body`), backed by a Store.

    A warm run loads stored bodies and never imports the HCL parser; files that miss are
    parsed in worker processes when there are many (`prefetch`). Stored bodies hold
    expressions as `ecslint.compact.Node`s. `.tf.json` files are parsed directly (fast).
    """

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self._ready: dict[str, Any] = {}  # key -> payload (or its bytes), from prefetch()
        self._exprs: dict[str, Any] = {}
        self.hits = self.misses = 0

    def _key(self, kind: str, name: str, text: str) -> str:
        if self.store is not None:
            return self.store.key(kind, name, text)
        return _digest(f"{kind}\0{name}\0{text}".encode("utf-8", "surrogatepass"),
                       digest_size=20).hexdigest()

    def __call__(self, path: str, text: str) -> Body:
        if path.endswith(".json"):
            return syntax.parse_tf_json(text, path)
        key = self._key("file", path, text)
        payload = self._ready.pop(key, None)
        if payload is _STORED:  # parsed by a worker, read when first needed
            payload = self.store.get(key) if self.store is not None else None
        elif payload.__class__ is bytes:
            payload = Store.decode(key, payload)
        if payload is None and self.store is not None:
            payload = self.store.get(key)
            if payload is not None:
                self.hits += 1
        if payload is None:
            self.misses += 1
            payload = _parse_payload(path, text)
            if self.store is not None and payload[0] != "plain":
                self.store.put(key, Store.encode(key, payload))
        if payload[0] == "error":
            raise HclSyntaxError(payload[1], payload[2], payload[3])
        return payload[1]

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
                self.store.put(key, Store.encode(key, payload))
        return _ExprError(payload[1]) if payload[0] == "error" else payload[1]

    def prefetch(self, files: Iterable[tuple[str, str]]) -> None:
        """Look up many files at once; parse the misses in worker processes if many."""
        misses, seen = [], set()
        for path, text in files:
            if path.endswith(".json"):
                continue
            key = self._key("file", path, text)
            if key in self._ready or key in seen:
                continue
            seen.add(key)
            payload = self.store.get(key) if self.store is not None else None
            if payload is not None:
                self.hits += 1
                self._ready[key] = payload
            else:
                misses.append((key, path, text))
        workers = min(_workers(), len(misses) // PARALLEL_MIN_FILES)
        if workers < 2:
            return  # parsed one by one when the reader asks
        self._parse_parallel(misses, workers)

    def _parse_parallel(self, misses: list[tuple[str, str, str]], workers: int) -> None:
        import concurrent.futures
        import functools
        import multiprocessing

        syntax._parser()  # the grammar is loaded once, before the workers fork
        # Big files first, dealt round-robin into a few batches per worker.
        misses.sort(key=lambda m: -len(m[2]))
        n_batches = workers * 4
        batches = [misses[i::n_batches] for i in range(n_batches)]
        try:
            context = multiprocessing.get_context("fork")
        except ValueError:  # no fork on this platform: parse in-process
            return
        parse = functools.partial(_parse_batch, self.store)
        try:
            with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
                for results in pool.map(parse, [b for b in batches if b]):
                    for key, data in results:
                        self.misses += 1
                        self._ready[key] = _STORED if data is None else data
        except (OSError, concurrent.futures.BrokenExecutor):
            pass  # no workers (fork failed, one was killed): the rest are parsed in-process
