"""Root cache: what `check` found in one Terraform root module, kept until any file-system
observation made while reading that root changes.

The result cache (memo.py) replays a whole run, so one edited file re-runs everything. This
cache is per root: an entry holds the root's result (its findings, problems, files read)
and every observation its evaluation made (ecslint.cache.fsio: file digests, listings,
existence probes, files read by file()/templatefile(), installed-module manifests). Each
root is read with a reader and a recording FileSystem of its own, so that an entry is
complete by itself. A lookup repeats the observations (those the run's pre-scan has
already made are not repeated) and replays the root when all of them hold.

An entry is keyed by the root's directory and by everything else that shapes its result:
the working directory (findings hold display paths), the rule options, the run's limits
and ECSLINT_* variables, the files named on the command line that the root reads (those
are parsed whole), the code (a stamp of every package file) and the library versions.
It lives in the parse cache's directory (store.py) and is off with `--no-cache`.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Collection

from ecslint import __version__
from ecslint.cache.fsio import Ops, unchanged
from ecslint.cache.store import Store, cache_dir, dist_versions

FORMAT = 1


class RootCache:
    """Per-root results of `check` for one run's settings."""

    def __init__(self, context: str, root: str | None = None) -> None:
        from ecslint.cache.memo import code_stamp

        salt = (f"roots-{FORMAT} ecslint-{__version__} py{sys.version_info[0]}."
                f"{sys.version_info[1]} {dist_versions(('python-hcl2', 'lark'))}\n"
                f"{code_stamp()}")
        self.store = Store(root or cache_dir(), salt)
        env = sorted((k, v) for k, v in os.environ.items() if k.startswith("ECSLINT_"))
        self.context = repr((os.getcwd(), env, context))

    def key(self, root: str, named: Collection[str]) -> str:
        return self.store.key("root", root, repr((self.context, sorted(named))))

    def get(self, key: str, now: dict, kind: type) -> tuple[Ops, Any] | None:
        """The stored (observations, result) of `key` when the result is a `kind` and every
        observation still holds; `now` keeps the observations made so far this run, so
        that none is repeated. Anything else is a miss (and rewritten)."""
        entry = self.store.get(key)
        try:
            ops, result = entry  # type: ignore[misc]
            if isinstance(ops, dict) and isinstance(result, kind) and unchanged(ops, now):
                return ops, result
        except Exception:  # noqa: BLE001 - a foreign or damaged entry: a miss, rewritten
            pass
        return None

    def put(self, key: str, ops: Ops, result: Any) -> None:
        self.store.put(key, (ops, result))
