"""Inline suppressions: `# ecslint: ignore[ECS301] reason` in HCL files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ecslint.model import Finding, Location

_COMMENT = re.compile(r"(#|//)\s*ecslint:\s*ignore\[([^\]]*)\]")
_BLOCK = re.compile(r'^\s*(resource|module|data)\s+"([^"]+)"(?:\s+"([^"]+)")?')


@dataclass
class Suppression:
    """One `ecslint: ignore[...]` comment and what it covers."""

    file: str
    line: int
    column: int
    codes: tuple[str, ...]
    lines: range  # lines whose findings it covers
    address: str | None = None  # a resource/module block it covers wholly
    used: set[str] = field(default_factory=set)

    def covers(self, f: Finding) -> bool:
        """Its codes, on its lines (the finding's own place or a place that decided it,
        such as the variable default it points back to), or its whole block."""
        if not any(f.code.startswith(c) for c in self.codes):
            return False
        places = [(f.file, f.line)] + [(r.file, r.line) for r in f.related]
        if any(file == self.file and line in self.lines for file, line in places):
            return True
        return bool(self.address and f.resource and _addr_match(f.resource, self.address))


def _addr_match(resource: str, address: str) -> bool:
    pattern = r"(^|\.)" + re.escape(address) + r"(\[[^\]]*\])?(\.|$)"
    return re.search(pattern, resource) is not None


def _in_string(prefix: str) -> bool:
    return prefix.count('"') % 2 == 1


def scan(file: str, text: str, block_ends: dict[int, int]) -> list[Suppression]:
    """Suppressions in one file; `block_ends` maps a top-level block's first line to its last."""
    if "ecslint:" not in text:  # what every suppression comment holds (_COMMENT)
        return []
    out = []
    lines = text.splitlines()
    for i, line in enumerate(lines, start=1):
        m = _COMMENT.search(line)
        if not m or _in_string(line[:m.start()]):
            continue
        codes = tuple(c.strip().upper() for c in m.group(2).split(",") if c.strip())
        own_line = not line[:m.start()].strip()
        covered = range(i, i + 2) if own_line else range(i, i + 1)
        address = None
        nxt = lines[i] if own_line and i < len(lines) else ""
        bm = _BLOCK.match(nxt)
        if bm and (i + 1) in block_ends:
            covered = range(i, block_ends[i + 1] + 1)
            kind, a, b = bm.groups()
            address = f"module.{a}" if kind == "module" else \
                (f"data.{a}.{b}" if kind == "data" else f"{a}.{b}")
        out.append(Suppression(file, i, m.start() + 1, codes, covered, address))
    return out


def apply(findings: list[Finding], sups: list[Suppression]
          ) -> tuple[list[Finding], list[tuple[str, Location]]]:
    """The findings no suppression covers, and for each suppression that covered nothing
    for some of its codes, those codes (comma-separated) and its location (ECS002)."""
    kept = []
    for f in findings:
        hit = next((s for s in sups if s.covers(f)), None)
        if hit is None:
            kept.append(f)
        else:
            hit.used.update(c for c in hit.codes if f.code.startswith(c))
    unused = [(", ".join(c for c in s.codes if c not in s.used), Location(s.file, s.line, s.column))
              for s in sups if any(c not in s.used for c in s.codes)]
    return kept, unused
