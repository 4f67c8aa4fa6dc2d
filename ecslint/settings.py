"""Effective settings of one run (from defaults, configuration file and command line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecslint.checks.base import DEFAULT_OPTIONS, Options
from ecslint.model import Severity


@dataclass
class Settings:
    """The settings of one run."""

    select: list[str] = field(default_factory=list)  # code prefixes; empty = all
    ignore: list[str] = field(default_factory=list)
    fail_on: Severity = Severity.WARNING
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)  # glob -> prefixes
    severity: dict[str, Severity] = field(default_factory=dict)  # code -> severity
    options: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_OPTIONS))
    services: dict[str, dict[str, Any]] = field(default_factory=dict)

    def rule_options(self) -> Options:
        return Options(values={**DEFAULT_OPTIONS, **self.options}, per_service=self.services)

    def enabled(self, code: str) -> bool:
        """Longest matching prefix wins between select and ignore (ruff's rule)."""
        sel = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        ign = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        if self.select and sel < 0:
            return False
        return ign < 0 or sel > ign
