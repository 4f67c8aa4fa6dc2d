"""A content-addressed store of pickled entries in the user's cache directory.

Used by the parse cache (ecslint.cache.parse) and the result cache (ecslint.cache.memo).
Kept free of heavy imports: a warm run opens it before loading anything else.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

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
    readers see a whole entry or none; an unreadable or foreign entry reads as a miss."""

    def __init__(self, root: str, salt: str) -> None:
        self.salt = salt
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

    def put(self, key: str, payload: Any) -> bool:
        """Store an entry; False if the directory cannot be written."""
        if not self.writable:
            return False
        data = self.encode(key, payload)
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
