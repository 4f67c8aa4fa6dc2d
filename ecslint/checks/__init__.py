"""The rule catalog: every rule in code order, checked for unique codes at import."""

from __future__ import annotations

from ecslint.checks import health, live, memory, observability, scaling
from ecslint.checks.base import Rule
from ecslint.model import Severity

# Reported by the engine itself, not by a check over the model.
ECS001 = Rule("ECS001", "parse-error", Severity.ERROR,
              "An input file cannot be read or parsed.")
ECS002 = Rule("ECS002", "unused-suppression", Severity.WARNING,
              "An inline `ecslint: ignore[...]` comment suppresses nothing.")
ECS003 = Rule("ECS003", "module-not-loaded", Severity.INFO,
              "A module call whose source cannot be read (not installed, or a missing local "
              "path): nothing inside it was checked.")

ALL_RULES: tuple[Rule, ...] = (
    ECS001,
    ECS002,
    ECS003,
    memory.ECS101,
    memory.ECS102,
    memory.ECS103,
    memory.ECS104,
    memory.ECS105,
    health.ECS201,
    health.ECS202,
    health.ECS203,
    health.ECS204,
    scaling.ECS301,
    scaling.ECS302,
    scaling.ECS303,
    observability.ECS401,
    observability.ECS402,
    observability.ECS403,
    observability.ECS404,
    live.ECS901,
    live.ECS902,
    live.ECS903,
    live.ECS904,
    live.ECS905,
    live.ECS906,
    live.ECS907,
)


def _by_code(rules: tuple[Rule, ...]) -> dict[str, Rule]:
    codes = [rule.code for rule in rules]
    if len(set(codes)) != len(codes) or codes != sorted(codes):
        raise RuntimeError(f"rule codes must be unique and in order: {codes}")
    return {rule.code: rule for rule in rules}


RULES_BY_CODE: dict[str, Rule] = _by_code(ALL_RULES)
