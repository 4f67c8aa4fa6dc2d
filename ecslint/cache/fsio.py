"""File-system reads that decide a check's result, recorded for the result cache.

Every read of a check run (files, directory listings, existence probes) goes through one
`FileSystem`. A recording one notes a fingerprint of what each call saw: a content digest,
a listing digest, a boolean. `unchanged(ops)` repeats the calls and says whether every one
of them would see the same thing today; a run is a deterministic function of these
observations (plus its code, options and working directory), so an unchanged record means
an unchanged result. Kept free of heavy imports: the result cache is checked before
anything else is loaded.
"""

from __future__ import annotations

import os
import stat
from typing import Callable, Iterator

from ecslint.inputs import is_auto_tfvars, is_input, is_terraform
from ecslint.limits import Limits, size_text

try:  # the C module behind hashlib.blake2b, without loading OpenSSL (~5 ms at start-up)
    from _blake2 import blake2b as _blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b as _blake2b

Ops = dict[tuple[str, str], object]  # (op, path) -> fingerprint

# Name filters of `listdir(only=...)`: a listing is observed through its filter, so that
# files of no interest (a cache directory appearing next to a module) do not count.
FILTERS: dict[str, Callable[[str], bool]] = {
    "tf": is_terraform,
    "tfvars": is_auto_tfvars,
}
# Existence probes: each is os.path's, noted under its name.
_PROBES: dict[str, Callable[[str], bool]] = {
    "isfile": os.path.isfile, "isdir": os.path.isdir, "exists": os.path.exists,
    "islink": os.path.islink}


def _digest(data: bytes) -> bytes:
    return _blake2b(data, digest_size=16).digest()


def _error(exc: OSError) -> tuple:
    if isinstance(exc, ReadRefused):
        return ("refused", exc.strerror)
    return ("error", exc.errno or 0)


class ReadRefused(OSError):
    """A read ecslint declines without reading: not a regular file (a FIFO would block
    forever, a device never end), or larger than the size cap. `strerror` says which."""


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | \
    getattr(os, "O_BINARY", 0)


def _refuse(path: str, st: os.stat_result, cap: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a file")
        raise ReadRefused(0, f"not a regular file ({kind})", path)
    if st.st_size > cap:
        raise ReadRefused(0, f"the file is {size_text(st.st_size)}, more than the limit of "
                             f"{size_text(cap)} (ECSLINT_MAX_FILE_SIZE)", path)


def read_file(path: str, cap: int) -> bytes:
    """The bytes of a regular file of at most `cap` bytes; ReadRefused for anything else.
    The type and size are checked before opening (a FIFO is never opened), and again on the
    open descriptor (the path may have changed in between); at most `cap` + 1 bytes are
    read, so a file that grows (or a /proc file that says size 0) cannot exhaust memory."""
    _refuse(path, os.stat(path), cap)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        _refuse(path, st, cap)
        chunks = [os.read(fd, st.st_size + 1)]
        total = len(chunks[0])
        while chunks[-1] and total <= cap:  # until the end of the file, or past the cap
            chunks.append(os.read(fd, min(cap + 1 - total, 1 << 16)))
            total += len(chunks[-1])
    finally:
        os.close(fd)
    if total > cap:
        raise ReadRefused(0, f"the file is more than the limit of {size_text(cap)} "
                             "(ECSLINT_MAX_FILE_SIZE)", path)
    return chunks[0] if len(chunks) <= 2 else b"".join(chunks)  # [data, b""]: no copy


def _list(path: str, only: str | None) -> list[str]:
    names = os.listdir(path)
    return names if only is None else [n for n in names if FILTERS[only](n)]


def _names_digest(names: list[str]) -> bytes:
    return _digest("\0".join(sorted(names)).encode("utf-8", "surrogateescape"))


def _walk_filter(dirs: list[str], files: list[str]) -> tuple[list[str], list[str]]:
    """The subdirectories a check descends into (no hidden ones) and its input files."""
    return (sorted(d for d in dirs if not d.startswith(".")),
            sorted(f for f in files if is_input(f)))


def _walk_digest(dirs: list[str], files: list[str]) -> bytes:
    return _digest(("\0".join(dirs) + "\0\0" + "\0".join(files))
                   .encode("utf-8", "surrogateescape"))


class FileSystem:
    """The file system as one check sees it; `recording` notes every observation."""

    def __init__(self, recording: bool = False, limits: Limits | None = None) -> None:
        self.ops: Ops | None = {} if recording else None
        self.limits = limits or Limits.from_env()
        # path -> (errno, reason) of its last failed read (the loader reports the function
        # reads that failed); not the exception, whose traceback would keep frames alive
        self.failed: dict[str, tuple[int | None, str]] = {}

    @property
    def recording(self) -> bool:
        return self.ops is not None

    def observations(self) -> Ops:
        return dict(self.ops or {})

    def merge(self, ops: Ops) -> None:
        """Observations made elsewhere (a worker process) count as this run's."""
        if self.ops is not None:
            self.ops.update(ops)

    def volatile(self, what: str) -> None:
        """Note that this run met something that may not happen again (a time limit, a
        lost worker process): a record that holds it is never replayed."""
        self._note("volatile", what, None)

    def _note(self, op: str, path: str, seen: object) -> None:
        if self.ops is not None:
            self.ops[(op, path)] = seen

    # ------------------------------------------------------------------ the calls

    def read_bytes(self, path: str) -> bytes:
        """A regular file's bytes. Raises OSError; ReadRefused for a file that is not a
        regular one or is over the size cap (Limits.max_file_size)."""
        try:
            data = read_file(path, self.limits.max_file_size)
        except OSError as exc:
            self._note("read", path, _error(exc))
            self.failed[path] = (exc.errno, exc.strerror or str(exc))
            raise
        self._note("read", path, _digest(data))
        return data

    def read_text(self, path: str) -> str:
        """A file as UTF-8 (BOM allowed). Raises OSError / UnicodeDecodeError."""
        return self.read_bytes(path).decode("utf-8-sig")

    def listdir(self, path: str, only: str | None = None) -> list[str]:
        """os.listdir, optionally only the names FILTERS[only] keeps."""
        op = "listdir" if only is None else f"listdir:{only}"
        try:
            names = _list(path, only)
        except OSError as exc:
            self._note(op, path, _error(exc))
            raise
        self._note(op, path, _names_digest(names))
        return names

    def _probe(self, op: str, path: str) -> bool:
        result = _PROBES[op](path)
        self._note(op, path, result)
        return result

    def isfile(self, path: str) -> bool:
        return self._probe("isfile", path)

    def isdir(self, path: str) -> bool:
        return self._probe("isdir", path)

    def exists(self, path: str) -> bool:
        return self._probe("exists", path)

    def islink(self, path: str) -> bool:
        return self._probe("islink", path)

    def walk_inputs(self, top: str, unreadable: Callable[[OSError], None] | None = None
                    ) -> Iterator[tuple[str, list[str], list[str]]]:
        """os.walk over the directories a check descends into (no hidden ones), yielding
        sorted subdirectories and the input files (ecslint.inputs). Each directory visited
        is noted through that filter, so other files (reports, caches) do not count. A
        directory that cannot be listed is noted and handed to `unreadable`, never passed
        over in silence."""
        def failed(exc: OSError) -> None:
            self._note("walk", exc.filename, _error(exc))
            if unreadable is not None:
                unreadable(exc)

        for root, dirs, files in os.walk(top, onerror=failed):
            dirs[:], files = _walk_filter(dirs, files)
            self._note("walk", root, _walk_digest(dirs, files))
            yield root, dirs, files


# ------------------------------------------------------------------ checking a record

def _walk_one(path: str) -> tuple[list[str], list[str]]:
    """One directory as os.walk lists it: (subdirectories, other names)."""
    dirs, files = [], []
    with os.scandir(path) as entries:
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(entry.name)
    return dirs, files


def _see(op: str, path: str, limits: Limits) -> object:
    if op == "read":
        try:
            return _digest(read_file(path, limits.max_file_size))
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
        try:
            return _walk_digest(*_walk_filter(*_walk_one(path)))
        except OSError as exc:
            return _error(exc)
    if op in _PROBES:
        return _PROBES[op](path)
    return object()  # "volatile", or an unknown kind of observation: never matches


def unchanged(ops: Ops, now: dict | None = None) -> bool:
    """Would every recorded call see the same thing now? `now` keeps observations made
    for an earlier record, so that checking several records repeats none."""
    now = {} if now is None else now
    limits = Limits.from_env()
    for k, seen in ops.items():
        if k not in now:
            now[k] = _see(*k, limits)
        if now[k] != seen:
            return False
    return True
