"""Result cache: a `check` run whose inputs, options and code are unchanged replays its
output without loading the parser, the evaluator or the rules.

An entry is keyed by the command line, the working directory, the environment variables
that change output, whether stdout/stderr are terminals, the Python version, the versions
of the libraries that shape results, and a stamp of every file of the installed package.
It holds what the run printed and wrote, and every file-system observation the run made
(ecslint.cache.fsio: file digests, directory listings, existence probes, including those
of configuration and baseline files). A lookup repeats
those observations and replays only when all of them are unchanged; any difference means
a normal run, which rewrites the entry. Entries live in the parse cache's directory and
follow its rules: atomic writes, unreadable entries are misses, `--no-cache` and
ECSLINT_NO_CACHE turn it off.
"""

from __future__ import annotations

import io
import os
import sys
from typing import Callable, NamedTuple

from ecslint import __version__
from ecslint.cache.fsio import FileSystem, unchanged
from ecslint.cache.store import Store, cache_dir, dist_versions

FORMAT = 2
VARIANTS = 4  # runs kept per command line and directory
# Libraries whose version can change a result or a message.
_DISTS = ("python-hcl2", "lark", "jsonschema", "click")
# Environment variables that change what a run prints (colour; CI annotations).
_ENV_PREFIXES = ("ECSLINT_", "GITHUB_")
_ENV_NAMES = ("NO_COLOR", "FORCE_COLOR", "TERM")


class Outputs(NamedTuple):
    stdout: str
    stderr: str
    files: dict  # path -> text written (--output)
    code: int


def _code_stamp() -> str:
    """Size and mtime of every file of the package and its rule data (an edited checkout
    must never replay an older result)."""
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # ecslint/
    parts = []
    for top in (pkg, os.path.join(os.path.dirname(pkg), "rules")):
        for base, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".tmp")):
                    continue
                try:
                    st = os.stat(os.path.join(base, name))
                except OSError:
                    continue
                parts.append(f"{base[len(top):]}/{name}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)


class Memo:
    def __init__(self, argv: list[str], root: str | None = None) -> None:
        salt = (f"memo-{FORMAT} ecslint-{__version__} py{sys.version_info[0]}."
                f"{sys.version_info[1]} {dist_versions(_DISTS)}\n{_code_stamp()}")
        self.store = Store(root or cache_dir(), salt)
        env = sorted((k, v) for k, v in os.environ.items()
                     if k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES)
        ttys = (_isatty(sys.stdout), _isatty(sys.stderr))
        self.key = self.store.key("run", os.getcwd(), repr((argv, env, ttys)))

    def replay(self) -> Outputs | None:
        """The stored outputs of a variant whose observations all still hold."""
        seen: dict = {}  # each observation is made at most once per lookup
        for ops, outputs in self._variants():
            try:
                if unchanged(ops, seen):
                    return outputs
            except Exception:  # noqa: BLE001 - a foreign or damaged record: not this one
                continue
        return None

    def save(self, ops: dict, outputs: Outputs) -> None:
        """Keep this run first, with the latest other variants: a file switched back and
        forth (a branch checkout, a stash) replays both ways."""
        variants: list = [(ops, tuple(outputs))]
        variants += [(o, tuple(out)) for o, out in self._variants() if o != ops][:VARIANTS - 1]
        self.store.put(self.key, variants)

    def _variants(self) -> list:
        """The stored (observations, outputs) of this key, each of this code's shape: a
        damaged or foreign one is left out (and so dropped by the next save)."""
        entry = self.store.get(self.key)
        if not isinstance(entry, list):
            return []
        out = []
        for v in entry:
            try:
                ops, outputs = v
                if isinstance(ops, dict):
                    out.append((ops, _outputs(outputs)))
            except (TypeError, ValueError):
                continue
        return out

    def record(self, run: Callable[[FileSystem], tuple[int, dict[str, str]]]) -> Outputs:
        """Run `run` with its output captured and its file-system observations recorded by
        the FileSystem it is given; store and return what it printed. `run` returns the
        exit code and the files it wrote (path -> text). On a crash the captured output is
        shown and nothing is stored."""
        out, err = _Capture(_isatty(sys.stdout)), _Capture(_isatty(sys.stderr))
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        fs = FileSystem(recording=True)
        try:
            code, written = run(fs)
        except BaseException:
            sys.stdout, sys.stderr = saved
            sys.stdout.write(out.getvalue())
            sys.stderr.write(err.getvalue())
            raise
        sys.stdout, sys.stderr = saved
        outputs = Outputs(out.getvalue(), err.getvalue(), dict(written), code)
        try:
            self.save(fs.observations(), outputs)
        except Exception as exc:  # noqa: BLE001 - the cache is a shortcut, never a failure
            from ecslint.limits import show_traceback

            show_traceback(exc)
        return outputs


def _outputs(stored: object) -> Outputs:
    """Stored outputs of this code's shape; ValueError for anything else."""
    out = Outputs(*stored)  # type: ignore[misc]
    if not (isinstance(out.stdout, str) and isinstance(out.stderr, str)
            and isinstance(out.files, dict) and type(out.code) is int
            and all(isinstance(k, str) and isinstance(v, str) for k, v in out.files.items())):
        raise ValueError("not outputs")
    return out


class _Capture(io.StringIO):
    """Collects a run's output; a terminal stays a terminal for colour decisions."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
