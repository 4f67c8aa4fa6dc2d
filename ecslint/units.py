"""ECS size strings: task cpu ("1 vCPU", "1024") and memory ("2 GB", "2048") as numbers."""

from __future__ import annotations

import re
from typing import Any

from ecslint.unknown import UNKNOWN, number

_SIZE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(vcpu|gb)?")


def task_size(value: Any, unit: str) -> Any:
    """Task cpu (unit "vcpu") in CPU units, or memory (unit "gb") in MiB."""
    if not isinstance(value, str):
        return number(value)
    match = _SIZE.fullmatch(value.strip().lower())
    if match is None or match[2] not in (None, unit):
        return UNKNOWN
    size = float(match[1]) * (1024 if match[2] else 1)
    return int(size) if size.is_integer() else size
