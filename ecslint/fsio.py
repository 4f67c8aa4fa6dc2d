"""File-system reads that decide a check's result, recorded for the result cache.

Every read of a check run (files, directory listings, existence probes) goes through these
functions. While `recording()` is on, each call notes a fingerprint of what it saw: a
content digest, a listing digest, a boolean. `unchanged(ops)` repeats the calls and says
whether every one of them would see the same thing today; a run is a deterministic
function of these observations (plus its code, options and working directory), so an
unchanged record means an unchanged result. Kept free of heavy imports: the result cache
is checked before anything else is loaded.
"""

from __future__ import annotations

import os
from typing import Iterator

try:  # the C module behind hashlib.blake2b, without loading OpenSSL (~5 ms at start-up)
    from _blake2 import blake2b as _blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b as _blake2b

_ops: dict[tuple[str, str], object] | None = None  # (op, path) -> fingerprint


def start() -> None:
    global _ops
    _ops = {}


def stop() -> dict[tuple[str, str], object]:
    """The observations since `start()`; recording ends."""
    global _ops
    ops, _ops = _ops or {}, None
    return ops


def recording() -> bool:
    return _ops is not None


def merge(ops: dict[tuple[str, str], object]) -> None:
    """Observations made elsewhere (a worker process) count as this run's."""
    if _ops is not None:
        _ops.update(ops)


def _digest(data: bytes) -> bytes:
    return _blake2b(data, digest_size=16).digest()


def _error(exc: OSError) -> tuple[str, int]:
    return ("error", exc.errno or 0)


# ------------------------------------------------------------------ the calls

def read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        if _ops is not None:
            _ops[("read", path)] = _error(exc)
        raise
    if _ops is not None:
        _ops[("read", path)] = _digest(data)
    return data


# Name filters of `listdir(only=...)`: a listing is observed through its filter, so that
# files of no interest (a cache directory appearing next to a module) do not count.
def is_tf_name(name: str) -> bool:
    return name.endswith((".tf", ".tf.json"))


FILTERS = {
    "tf": is_tf_name,
    "tfvars": lambda n: not n.startswith(".") and n.endswith((".auto.tfvars",
                                                               ".auto.tfvars.json")),
}


def listdir(path: str, only: str | None = None) -> list[str]:
    """os.listdir, optionally only the names FILTERS[only] keeps."""
    op = "listdir" if only is None else f"listdir:{only}"
    try:
        names = _list(path, only)
    except OSError as exc:
        if _ops is not None:
            _ops[(op, path)] = _error(exc)
        raise
    if _ops is not None:
        _ops[(op, path)] = _names_digest(names)
    return names


def _list(path: str, only: str | None) -> list[str]:
    names = os.listdir(path)
    return names if only is None else [n for n in names if FILTERS[only](n)]


def _names_digest(names: list[str]) -> bytes:
    return _digest("\0".join(sorted(names)).encode("utf-8", "surrogateescape"))


# Existence probes: each is os.path's, noted under its name.
_PROBES = {"isfile": os.path.isfile, "isdir": os.path.isdir, "exists": os.path.exists,
           "islink": os.path.islink}


def _probe(op: str, path: str) -> bool:
    result = _PROBES[op](path)
    if _ops is not None:
        _ops[(op, path)] = result
    return result


def isfile(path: str) -> bool:
    return _probe("isfile", path)


def isdir(path: str) -> bool:
    return _probe("isdir", path)


def exists(path: str) -> bool:
    return _probe("exists", path)


def islink(path: str) -> bool:
    return _probe("islink", path)


def walk_inputs(top: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk over the directories a check descends into (no hidden ones), yielding sorted
    subdirectories and the `.tf`, `.tf.json` and `.json` files. Each directory visited is
    noted through that filter, so other files (reports, caches) do not count."""
    for root, dirs, files in os.walk(top):
        dirs[:], files = _walk_filter(dirs, files)
        if _ops is not None:
            _ops[("walk", root)] = _walk_digest(dirs, files)
        yield root, dirs, files


def _walk_filter(dirs: list[str], files: list[str]) -> tuple[list[str], list[str]]:
    return (sorted(d for d in dirs if not d.startswith(".")),
            sorted(f for f in files if f.endswith(".json") or is_tf_name(f)))


def _walk_digest(dirs: list[str], files: list[str]) -> bytes:
    return _digest(("\0".join(dirs) + "\0\0" + "\0".join(files))
                   .encode("utf-8", "surrogateescape"))


# ------------------------------------------------------------------ checking a record

def _see(op: str, path: str) -> object:
    if op == "read":
        try:
            with open(path, "rb") as fh:
                return _digest(fh.read())
        except OSError as exc:
            return _error(exc)
    if op == "listdir" or op.startswith("listdir:"):
        only = op.partition(":")[2] or None
        if only is not None and only not in FILTERS:
            return object()
        try:
            return _names_digest(_list(path, only))
        except OSError as exc:
            return _error(exc)
    if op == "walk":
        first = next(os.walk(path), None)
        return None if first is None else _walk_digest(*_walk_filter(first[1], first[2]))
    if op in _PROBES:
        return _PROBES[op](path)
    return object()  # an unknown kind of observation never matches


def unchanged(ops: dict[tuple[str, str], object], now: dict | None = None) -> bool:
    """Would every recorded call see the same thing now? `now` keeps observations made
    for an earlier record, so that checking several records repeats none."""
    now = {} if now is None else now
    for k, seen in ops.items():
        if k not in now:
            now[k] = _see(*k)
        if now[k] != seen:
            return False
    return True
