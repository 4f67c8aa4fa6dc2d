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


def listdir(path: str) -> list[str]:
    try:
        names = os.listdir(path)
    except OSError as exc:
        if _ops is not None:
            _ops[("listdir", path)] = _error(exc)
        raise
    if _ops is not None:
        _ops[("listdir", path)] = _digest("\0".join(sorted(names)).encode("utf-8",
                                                                          "surrogateescape"))
    return names


def isfile(path: str) -> bool:
    result = os.path.isfile(path)
    if _ops is not None:
        _ops[("isfile", path)] = result
    return result


def isdir(path: str) -> bool:
    result = os.path.isdir(path)
    if _ops is not None:
        _ops[("isdir", path)] = result
    return result


def exists(path: str) -> bool:
    result = os.path.exists(path)
    if _ops is not None:
        _ops[("exists", path)] = result
    return result


def islink(path: str) -> bool:
    result = os.path.islink(path)
    if _ops is not None:
        _ops[("islink", path)] = result
    return result


def walk(top: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk; the caller may prune `dirs` in place. Each directory visited is noted."""
    for root, dirs, files in os.walk(top):
        if _ops is not None:
            _ops[("walk", root)] = _walk_digest(dirs, files)
        yield root, dirs, files


def _walk_digest(dirs: list[str], files: list[str]) -> bytes:
    return _digest(("\0".join(sorted(dirs)) + "\0\0" + "\0".join(sorted(files)))
                   .encode("utf-8", "surrogateescape"))


# ------------------------------------------------------------------ checking a record

def _see(op: str, path: str) -> object:
    if op == "read":
        try:
            with open(path, "rb") as fh:
                return _digest(fh.read())
        except OSError as exc:
            return _error(exc)
    if op == "listdir":
        try:
            return _digest("\0".join(sorted(os.listdir(path))).encode("utf-8",
                                                                       "surrogateescape"))
        except OSError as exc:
            return _error(exc)
    if op == "walk":
        first = next(os.walk(path), None)
        return None if first is None else _walk_digest(first[1], first[2])
    if op == "isfile":
        return os.path.isfile(path)
    if op == "isdir":
        return os.path.isdir(path)
    if op == "exists":
        return os.path.exists(path)
    if op == "islink":
        return os.path.islink(path)
    return object()  # an unknown kind of observation never matches


def unchanged(ops: dict[tuple[str, str], object]) -> bool:
    """Would every recorded call see the same thing now?"""
    for (op, path), seen in ops.items():
        if _see(op, path) != seen:
            return False
    return True
