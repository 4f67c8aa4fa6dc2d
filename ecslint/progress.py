"""Progress of a long run, for a person at a terminal: one line on stderr, rewritten in
place (`\\r`), throttled, erased when the run ends. Never on a pipe, in a file or in a CI
log unless asked for (`--progress`, ECSLINT_PROGRESS=1)."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Callable, TextIO

# What a long step calls as it goes: (done, total, what is being done).
OnProgress = Callable[[int, int, str], None]

_ERASE = "\r\033[K"


def wanted(flag: bool | None) -> bool | None:
    """--progress / --no-progress, else ECSLINT_PROGRESS (1 or 0), else None: decide by
    the terminal."""
    if flag is not None:
        return flag
    value = os.environ.get("ECSLINT_PROGRESS", "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return None


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """`update(done, total, note)` shows `label: done/total unit note` once `delay`
    seconds have passed since the start, at most every `interval` seconds; `close()`
    erases it. Thread-safe (the audit's regions run side by side)."""

    def __init__(self, label: str, unit: str, stream: TextIO | None, delay: float = 0.0,
                 interval: float = 0.1, clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.unit = label, unit
        self.stream = stream  # None: off
        self.delay, self.interval, self.clock = delay, interval, clock
        self.start = clock()
        self._last = float("-inf")
        self._shown = False
        self._lock = threading.Lock()

    @classmethod
    def on_stderr(cls, label: str, unit: str, flag: bool | None = None,
                  delay: float = 0.0) -> Progress:
        """On the process's stderr as it is now (before the result cache captures it, so
        a replayed output never holds progress): when asked, from the start; otherwise
        after `delay` seconds, when stderr is a terminal that is not a dumb one and no CI
        variable is set."""
        stream = sys.stderr
        asked = wanted(flag)
        if asked is not None:
            return cls(label, unit, stream if asked else None)
        on = _is_terminal(stream) and os.environ.get("TERM") != "dumb" and \
            not os.environ.get("CI")
        return cls(label, unit, stream if on else None, delay)

    def update(self, done: int, total: int, note: str = "") -> None:
        if self.stream is None:
            return
        now = self.clock()
        with self._lock:
            if now - self.start < self.delay or now - self._last < self.interval:
                return
            self._last = now
            text = f"{self.label}: {done}/{total} {self.unit}" + (f", {note}" if note else "")
            import shutil  # here, not at start-up: it costs ~3 ms of every check

            width = shutil.get_terminal_size((80, 24)).columns - 1
            self.stream.write(_ERASE + text[:max(width, 10)])
            self.stream.flush()
            self._shown = True

    def close(self) -> None:
        """Erase the line (if one was shown); later updates show nothing."""
        with self._lock:
            if self.stream is not None and self._shown:
                self.stream.write(_ERASE)
                self.stream.flush()
            self.stream = None
