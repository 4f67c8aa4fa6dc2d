"""examples/terraform shows every static rule firing; its output is the checked-in snapshot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ecslint.checks import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "terraform"


def run() -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecslint", "check", "examples/terraform",
                           "--no-color"], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_example_output_matches_snapshot():
    proc = run()
    assert proc.returncode == 1
    assert proc.stdout == (EXAMPLE / "expected-output.txt").read_text()


def test_example_shows_every_static_rule():
    fired = {line.split(" ")[1] for line in run().stdout.splitlines()[:-1]}
    # Not ECS001 (the example parses) nor ECS003: the example is planned by real Terraform,
    # and a module Terraform can install offline is one ecslint can read.
    static = {r.code for r in ALL_RULES if not r.live_only and r.code not in ("ECS001", "ECS003")}
    assert static <= fired, sorted(static - fired)
