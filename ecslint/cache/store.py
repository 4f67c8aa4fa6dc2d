"""A content-addressed store of pickled entries in the user's cache directory.

Used by the parse cache (ecslint.cache.parse) and the result cache (ecslint.cache.memo).
Kept free of heavy imports: a warm run opens it before loading anything else.
"""

from __future__ import annotations

import os
import pickle
import time
from typing import Any

from ecslint.cache.fsio import read_file
from ecslint.limits import env_value, parse_size

try:  # the C module behind hashlib.blake2b, without loading OpenSSL (~5 ms at start-up)
    from _blake2 import blake2b as _digest
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b as _digest

PROTOCOL = pickle.HIGHEST_PROTOCOL


def digest(text: str) -> str:
    """A key for text (surrogates allowed: file names and texts may carry them)."""
    return _digest(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def cache_dir() -> str:
    """ECSLINT_CACHE_DIR, else $XDG_CACHE_HOME/ecslint, else ~/.cache/ecslint."""
    explicit = os.environ.get("ECSLINT_CACHE_DIR")
    if explicit:
        return os.path.abspath(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ecslint")


def disabled_by_env() -> bool:
    return os.environ.get("ECSLINT_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no")


def cpus() -> int:
    """Cores this process may run on (worker processes to start)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def dist_versions(dists: tuple[str, ...] = ("python-hcl2", "lark")) -> str:
    """Versions of installed distributions, from their metadata folder names when they sit
    next to hcl2 (fast), else from importlib.metadata; never imports them."""
    import importlib.util

    found: dict[str, str] = {}
    spec = importlib.util.find_spec("hcl2")
    if spec is not None and spec.origin:
        site = os.path.dirname(os.path.dirname(spec.origin))
        prefixes = {d.replace("-", "_") + "-": d for d in dists}
        try:
            for entry in os.listdir(site):
                for prefix, dist in prefixes.items():
                    if entry.startswith(prefix) and entry.endswith((".dist-info", ".egg-info")):
                        found[dist] = entry
        except OSError:
            pass
    if len(found) < len(dists):
        from importlib import metadata

        for dist in dists:
            try:
                found[dist] = f"{dist}-{metadata.version(dist)}"
            except metadata.PackageNotFoundError:
                found[dist] = f"{dist}-?"
    return " ".join(sorted(found.values()))


class Store:
    """One file per entry, `<dir>/<version>/<key[:2]>/<key[2:]>`, each a pickle of
    (key, payload). Writers write a private temporary file and rename it into place, so
    readers see a whole entry or none; an unreadable or foreign entry reads as a miss.

    Entries are pickles, so the directory is kept private: created 0700 (files 0600), and
    read only when no one else owns or can write it. Old entries are pruned (`prune`) at
    most once a day, by a run that writes."""

    def __init__(self, root: str, salt: str) -> None:
        self.salt = salt
        self.base = root
        self.root = os.path.join(root, "v" + _digest(self.salt.encode(), digest_size=8).hexdigest())
        self.writable = True
        self._trusted: bool | None = None
        self._pruned = False

    def key(self, kind: str, name: str, text: str) -> str:
        h = _digest(self.salt.encode(), digest_size=20)
        h.update(f"\0{kind}\0{name}\0".encode("utf-8", "surrogatepass"))  # any file name
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def path(self, key: str) -> str:
        return os.path.join(self.root, key[:2], key[2:])

    def trusted(self) -> bool:
        """Whether entries may be loaded: the directory is missing (nothing to load) or
        owned by this user and writable by no one else."""
        if self._trusted is None:
            self._trusted = _private(self.base)
            if not self._trusted:
                self.writable = False
        return self._trusted

    def get(self, key: str) -> Any:
        if not self.trusted():
            return None
        try:
            data = read_file(self.path(key), ENTRY_CAP)
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

    def put(self, key: str, payload: Any) -> bool:
        """Store an entry; False if the directory cannot be written, or the payload cannot
        be pickled (nested too deeply for pickle: it is simply not cached)."""
        if not self.writable or not self.trusted():
            return False
        try:
            data = self.encode(key, payload)
        except (RecursionError, pickle.PicklingError, TypeError, AttributeError):
            return False
        path = self.path(key)
        tmp = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileNotFoundError:
                self._make_dirs(os.path.dirname(path))
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                _unlink(tmp)
                raise
        except OSError:
            self.writable = False  # read-only or full cache directory: run without writing
        if self.writable and not self._pruned:
            self._pruned = True
            self.prune_if_due()
        return self.writable

    def _make_dirs(self, shard: str) -> None:
        """The cache directory, this version's and the entry's shard, each private."""
        if not os.path.isdir(self.base):
            os.makedirs(self.base, 0o700, exist_ok=True)
        if not os.path.isdir(self.root):
            _tighten(self.base)  # made by an older ecslint with the umask's mode
        for d in (self.root, shard):
            try:
                os.mkdir(d, 0o700)
            except FileExistsError:
                pass

    def prune_if_due(self, now: float | None = None) -> None:
        """Prune at most once a day (a stamp file in the cache directory says when)."""
        now = time.time() if now is None else now
        stamp = os.path.join(self.base, "pruned")
        try:
            if now - os.stat(stamp).st_mtime < PRUNE_EVERY:
                return
        except OSError:
            pass
        try:
            os.close(os.open(stamp, os.O_WRONLY | os.O_CREAT, 0o600))
            os.utime(stamp, (now, now))
        except OSError:
            return
        prune(self.base, now)


# Pruning: entries unused (neither read, as the access time tells, nor written) for
# MAX_AGE are removed, then the least recently used ones while the cache is over MAX_SIZE
# (down to 80% of it). ECSLINT_CACHE_MAX_AGE (days) and ECSLINT_CACHE_MAX_SIZE override.
MAX_AGE = 30 * 86400
MAX_SIZE = 1 << 30
PRUNE_EVERY = 86400
ENTRY_CAP = 256 << 20  # a cache entry larger than this is not loaded


def _private(path: str) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    mine = not hasattr(os, "geteuid") or st.st_uid == os.geteuid()
    return mine and not st.st_mode & 0o022


def _tighten(path: str) -> None:
    try:
        st = os.stat(path)
        if st.st_mode & 0o077 and (not hasattr(os, "geteuid") or st.st_uid == os.geteuid()):
            os.chmod(path, 0o700)
    except OSError:
        pass


def prune(base: str, now: float | None = None) -> None:
    """Remove old entries of every version under `base` (nothing else there is touched),
    and leftover temporary files; see MAX_AGE and MAX_SIZE."""
    now = time.time() if now is None else now
    max_age = env_value("ECSLINT_CACHE_MAX_AGE", lambda v: float(v) * 86400, MAX_AGE)
    max_size = env_value("ECSLINT_CACHE_MAX_SIZE", parse_size, MAX_SIZE)
    kept: list[tuple[float, int, str]] = []  # (last used, size, path)
    for version in _subdirs(base, lambda n: n.startswith("v")):
        for shard in _subdirs(version, lambda n: len(n) == 2):
            for entry in _scan(shard):
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                used = max(st.st_atime, st.st_mtime)
                stale = now - st.st_mtime > 3600 if entry.name.endswith(".tmp") else \
                    now - used > max_age
                if stale:
                    _unlink(entry.path)
                else:
                    kept.append((used, st.st_size, entry.path))
            _rmdir(shard)
        _rmdir(version)
    total = sum(size for _used, size, _path in kept)
    if total > max_size:
        for _used, size, path in sorted(kept):
            if total <= max_size * 0.8:
                break
            _unlink(path)
            total -= size


def _scan(path: str) -> list:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except OSError:
        return []


def _subdirs(path: str, keep) -> list[str]:
    out = []
    for entry in _scan(path):
        try:
            if keep(entry.name) and entry.is_dir(follow_symlinks=False):
                out.append(entry.path)
        except OSError:
            pass
    return out


def _rmdir(path: str) -> None:
    try:
        os.rmdir(path)  # only when empty
    except OSError:
        pass


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
