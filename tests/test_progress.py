"""Progress on stderr: for a person at a terminal, never in a pipe, a CI log or a replay."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from ecslint.progress import Progress, wanted
from helpers import write

ERASE = "\r\033[K"


class Terminal(io.StringIO):
    def __init__(self, tty: bool = True) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_shown_after_the_delay_throttled_and_erased():
    out, clock = Terminal(), Clock()
    progress = Progress("ecslint check", "roots", out, delay=2.0, interval=0.1, clock=clock)
    progress.update(1, 10, "a")
    assert out.getvalue() == ""  # a quick run never flashes a line
    clock.now += 2.5
    progress.update(2, 10, "b")
    clock.now += 0.05
    progress.update(3, 10, "c")  # within the interval: not redrawn
    clock.now += 0.2
    progress.update(4, 10)
    assert out.getvalue() == f"{ERASE}ecslint check: 2/10 roots, b{ERASE}ecslint check: 4/10 roots"
    progress.close()
    assert out.getvalue().endswith(ERASE)
    progress.update(5, 10)  # after close: nothing
    assert out.getvalue().endswith(ERASE) and "5/10" not in out.getvalue()


def test_nothing_shown_nothing_erased():
    out = Terminal()
    progress = Progress("x", "roots", out, delay=2.0, clock=Clock())
    progress.update(1, 2)
    progress.close()
    assert out.getvalue() == ""


def test_a_long_note_is_cut_to_the_terminal(monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback: os.terminal_size((40, 24)))
    out = Terminal()
    Progress("ecslint check", "roots", out).update(1, 2, "x" * 100)
    assert len(out.getvalue()) == len(ERASE) + 39


@pytest.mark.parametrize("tty, env, flag, shown", [
    (True, {}, None, True),
    (False, {}, None, False),                    # a pipe
    (True, {"CI": "true"}, None, False),         # a CI log, even on a pseudo-terminal
    (True, {"TERM": "dumb"}, None, False),
    (False, {}, True, True),                     # asked for
    (True, {}, False, False),
    (False, {"ECSLINT_PROGRESS": "1"}, None, True),
    (True, {"ECSLINT_PROGRESS": "0"}, None, False),
    (True, {"CI": "1", "ECSLINT_PROGRESS": "1"}, None, True),
])
def test_when_it_is_shown(monkeypatch, tty, env, flag, shown):
    for name in ("CI", "TERM", "ECSLINT_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "stderr", Terminal(tty))
    progress = Progress.on_stderr("x", "roots", flag, delay=2.0)
    assert (progress.stream is not None) is shown
    if shown and wanted(flag):
        assert progress.delay == 0.0  # asked: from the start


def cli(cwd, *args, **env) -> subprocess.CompletedProcess:
    """Bytes decoded as they are (text mode would turn the "\r" into newlines)."""
    done = subprocess.run([sys.executable, "-m", "ecslint", *args], cwd=cwd,
                          capture_output=True, timeout=120,
                          env={**os.environ, "ECSLINT_CACHE_DIR": str(cwd / "cache"), **env})
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(),
                                       done.stderr.decode())


@pytest.fixture()
def roots(tmp_path):
    for name in ("a", "b", "c"):
        write(tmp_path / "infra" / name, {"main.tf": 'resource "aws_ecs_cluster" "c" {\n'
                                                     '  name = "x"\n}\n'})
    return tmp_path


def test_a_check_on_a_pipe_shows_none_unless_asked(roots):
    plain = cli(roots, "check", "infra", "--no-cache")
    assert plain.stderr == ""
    asked = cli(roots, "check", "infra", "--no-cache", "--progress")
    assert asked.stdout == plain.stdout  # the report is untouched
    assert asked.stderr.startswith(f"{ERASE}ecslint check: 1/3 Terraform roots, infra/a")
    assert asked.stderr.endswith(ERASE)


def test_progress_never_ends_up_in_a_replayed_output(roots):
    first = cli(roots, "check", "infra", "--progress")
    assert "Terraform roots" in first.stderr
    replay = cli(roots, "check", "infra", "--progress")
    assert (replay.stdout, replay.stderr) == (first.stdout, "")
    # The same with the environment variable (part of the cache key).
    first = cli(roots, "check", "infra", ECSLINT_PROGRESS="1")
    replay = cli(roots, "check", "infra", ECSLINT_PROGRESS="1")
    assert "Terraform roots" in first.stderr and replay.stderr == ""
