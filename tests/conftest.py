"""Test configuration: make the checkout importable and keep tests offline."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_terminal_summary(terminalreporter) -> None:
    """The Terraform-oracle counts (tests/test_tf_semantics.py), when it ran."""
    counts = getattr(sys.modules.get("test_tf_semantics"), "COUNTS", None)
    if counts:
        terminalreporter.write_line(
            "Terraform oracle: " + ", ".join(f"{k} {n}" for k, n in counts.items()) +
            " (equal / wrong / ecslint-unknown where Terraform knows / "
            "ecslint-known where Terraform is unknown)")
