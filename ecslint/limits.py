"""What bounds a check, and what is said when a bound is crossed or something breaks.

Hostile or broken input must never hang a run, exhaust its memory, or hide the results of
the other inputs. Three layers keep that promise:

- `Limits`: the numbers (file size, nesting, collection and string sizes, time and memory
  per root module), each overridable by an environment variable (README, "Limits").
- `Budget`: one per root module. The evaluator asks it before building a large collection
  or string (`collection`, `string`); past a limit the value becomes unknown and the budget
  keeps an ECS001 note at the expression, so the silence it causes is reported.
- `Watchdog`: the backstop for anything the budget calls do not cover. While a root is
  evaluated a periodic timer checks its elapsed time and memory growth, and raises
  `BudgetExceeded` past a limit; the loader turns that into an ECS001 for the root.

`problem_message` phrases any exception that escaped one input (a budget crossed, a
recursion too deep, a bug of ours) for the ECS001 that contains it.

Kept free of ecslint imports at module level: the file-system layer reads `Limits` before
anything else is loaded.
"""

from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple

if TYPE_CHECKING:
    from ecslint.model import InputProblem, Location

MiB = 1 << 20
REPORT_URL = "https://github.com/ecslint/ecslint/issues"
# How often the watchdog looks at the clock and the memory of a root being evaluated.
TICK = 0.25
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": MiB, "mb": MiB,
          "mib": MiB, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}


def parse_size(text: str) -> int:
    """`10485760`, `10MiB`, `512 KiB`, `1g` -> bytes; ValueError otherwise."""
    value = text.strip().lower()
    digits = value.rstrip("kmgib ")
    return int(float(digits) * _UNITS[value[len(digits):].strip()])


def size_text(n: float) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{int(n)} bytes"


class Limits(NamedTuple):
    """The bounds of one run. Each field names its environment variable in `ENV`. (A
    NamedTuple, not a dataclass: this module is imported by every warm run.)"""

    max_file_size: int = 10 * MiB  # any file read: inputs, file(), templatefile(), tfvars
    max_nesting: int = 256  # JSON arrays/objects inside each other (HCL: hclparse.MAX_DEPTH)
    max_collection: int = 10_000  # count, for_each, range(), for expressions, list growth
    max_string: int = 4 * MiB  # a string built by evaluation (join, format, templates)
    max_steps: int = 2_000_000  # elements and iterations one root's evaluation produces
    root_seconds: float = 60.0  # evaluating one root module, parse included
    root_memory: int = 1024 * MiB  # growth of peak memory while evaluating one root

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """The defaults, with ECSLINT_* overrides; a value that does not read is ignored."""
        return cls(**{name: env_value(var, parse, cls._field_defaults[name], environ)
                      for name, (var, parse) in ENV.items()})


def env_value(name: str, parse: Any, default: Any, environ: dict[str, str] | None = None
              ) -> Any:
    """An environment variable read with `parse`; `default` when unset or unreadable."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return default
    try:
        return parse(raw)
    except (ValueError, KeyError, OverflowError):
        return default


ENV: dict[str, tuple[str, Any]] = {
    "max_file_size": ("ECSLINT_MAX_FILE_SIZE", parse_size),
    "max_nesting": ("ECSLINT_MAX_NESTING", int),
    "max_collection": ("ECSLINT_MAX_COLLECTION", int),
    "max_string": ("ECSLINT_MAX_STRING", parse_size),
    "max_steps": ("ECSLINT_MAX_STEPS", int),
    "root_seconds": ("ECSLINT_ROOT_TIMEOUT", float),
    "root_memory": ("ECSLINT_ROOT_MEMORY", parse_size),
}


class BudgetExceeded(BaseException):
    """Raised by the watchdog inside the evaluation of a root. A BaseException, so that no
    `except Exception` on the way can swallow it and carry on past the limit."""


class Budget:
    """The budget of one root module: the evaluator asks before it builds something large,
    and a refusal leaves a note (an ECS001 problem at the expression) for the report."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.notes: list[InputProblem] = []
        self.spent = 0  # steps so far (see `steps`)

    def collection(self, n: Any, where: Location | None, what: str) -> bool:
        """May a collection of `n` elements be built (count, for_each, range(), a for
        expression, concat)? False, with a note, when `n` is not a finite number or
        exceeds the limit: the caller then makes the value unknown."""
        limit = self.limits.max_collection
        if isinstance(n, (int, float)) and n <= limit:  # NaN compares false: refused
            return True
        if isinstance(n, float) and n != n:
            self.note(where, f"{what}: not a number")
        else:
            if isinstance(n, int) and n >= 10**15:  # 1e400 is exact in Terraform
                shown = f"about 10^{math.log10(n):.0f}"
            else:
                shown = f"{n:,}" if isinstance(n, int) else str(n)
            self.note(where, f"{what}: {shown} elements, more than the limit of {limit:,} "
                             "(ECSLINT_MAX_COLLECTION)")
        return False

    def string(self, n: int, where: Location | None, what: str) -> bool:
        """May a string of `n` characters be built? As `collection`, for text."""
        limit = self.limits.max_string
        if n <= limit:
            return True
        self.note(where, f"{what}: {n:,} characters, more than the limit of "
                         f"{size_text(limit)} (ECSLINT_MAX_STRING)")
        return False

    def steps(self, n: int, where: Location | None, what: str) -> bool:
        """Count `n` steps of evaluation (the elements a for expression or a function
        builds, the iterations of a template loop) against the root's total, which bounds
        what nested loops multiply: False, with a note, once it is spent, and the caller
        makes the value unknown."""
        self.spent += n
        if self.spent <= self.limits.max_steps:
            return True
        self.note(where, f"{what}: evaluating this module took more than "
                         f"{self.limits.max_steps:,} steps (ECSLINT_MAX_STEPS)")
        return False

    def note(self, where: Location | None, message: str) -> None:
        from ecslint.model import InputProblem

        if where is None:
            return  # nowhere to report it: the value is unknown all the same
        problem = InputProblem(where.file, f"{message}; treated as unknown, so what depends "
                                           "on it is not checked", where.line, where.column)
        if problem not in self.notes:
            self.notes.append(problem)


# ------------------------------------------------------------------ the watchdog

def _peak_memory() -> int | None:
    """Peak resident memory of this process in bytes, where the platform tells."""
    try:
        import resource
        import sys
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class Watchdog:
    """Bounds the time and memory of a piece of work (a root module) with a periodic
    SIGALRM timer, which costs nothing between ticks. It works on the main thread of a
    process with setitimer (every POSIX system); elsewhere it does nothing."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    @staticmethod
    def usable() -> bool:
        import signal
        import threading

        return hasattr(signal, "setitimer") and \
            threading.current_thread() is threading.main_thread()

    @contextmanager
    def guard(self, what: str) -> Iterator[None]:
        """Raise BudgetExceeded inside the block once it has run longer than
        `root_seconds`, or grown the peak memory by more than `root_memory`."""
        if not self.usable():
            yield
            return
        import signal

        seconds, memory = self.limits.root_seconds, self.limits.root_memory
        deadline = time.monotonic() + seconds
        base = _peak_memory()

        def tick(_signum: int, _frame: Any) -> None:
            if time.monotonic() > deadline:
                raise BudgetExceeded(f"evaluating {what} took longer than {seconds:g} s "
                                     "(ECSLINT_ROOT_TIMEOUT)")
            peak = _peak_memory() if base is not None else None
            if peak is not None and peak - base > memory:
                raise BudgetExceeded(f"evaluating {what} needed more than "
                                     f"{size_text(memory)} of memory (ECSLINT_ROOT_MEMORY)")

        previous = signal.signal(signal.SIGALRM, tick)
        start = time.monotonic()
        delay, interval = signal.setitimer(signal.ITIMER_REAL, TICK, TICK)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            # As it was: the handler (SIG_DFL when it was not set from Python), its timer.
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
            if delay:
                left = max(delay - (time.monotonic() - start), 1e-6)
                signal.setitimer(signal.ITIMER_REAL, left, interval)


# ------------------------------------------------------------------ messages

def internal_error(exc: BaseException) -> str:
    """The message of an exception that is a bug of ours."""
    from ecslint import __version__

    detail = " ".join(str(exc).split())[:200]
    return (f"internal error: {type(exc).__name__}{': ' + detail if detail else ''} "
            f"(a bug in ecslint {__version__}; please report it at {REPORT_URL} with this "
            "input or a reduced copy; ECSLINT_DEBUG=1 shows the traceback)")


def problem_message(exc: BaseException, what: str = "this input") -> str:
    """Why `what` could not be checked, for an exception that escaped it."""
    if isinstance(exc, BudgetExceeded):
        return f"{exc}: it was not checked"
    if isinstance(exc, RecursionError):
        return f"{what} is nested too deeply to be checked (Python's recursion limit)"
    if isinstance(exc, MemoryError):
        return f"checking {what} ran out of memory: it was not checked"
    return f"{what} could not be checked: {internal_error(exc)}"


def debug() -> bool:
    return os.environ.get("ECSLINT_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def show_traceback(exc: BaseException) -> None:
    """With ECSLINT_DEBUG=1, the traceback of a contained exception, on stderr."""
    if debug():
        import sys
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
