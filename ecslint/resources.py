"""Package data from the top-level `rules/` folder (rule docs, data tables, schemas).

Installed, the folder is the package `ecslint.rules` (pyproject maps it); in a source
checkout it sits beside the package. Read with plain file access: importlib.resources
costs ~10 ms of start-up, on every run.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))


@functools.lru_cache(maxsize=None)
def _root() -> str:
    installed = os.path.join(_HERE, "rules")
    if os.path.isfile(os.path.join(installed, "ECS101.md")):
        return installed
    return os.path.join(os.path.dirname(_HERE), "rules")  # a source checkout


def path(name: str) -> str:
    return os.path.join(_root(), name)


def read_text(name: str) -> str:
    with open(path(name), encoding="utf-8") as fh:
        return fh.read()


@functools.lru_cache(maxsize=None)
def load_json(name: str) -> Any:
    return json.loads(read_text(name))


def exists(name: str) -> bool:
    return os.path.isfile(path(name))
