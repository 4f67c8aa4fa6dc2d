"""Package data from the top-level `rules/` folder (rule docs, data tables, schemas)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any


@functools.lru_cache(maxsize=None)
def _root() -> Traversable:
    # Installed, `ecslint.rules` is a namespace package (rules/ has no __init__.py), so keep
    # the Traversable: str() of a MultiplexedPath is not a path.
    try:
        root = resources.files("ecslint.rules")
        if root.joinpath("ECS101.md").is_file():
            return root
    except (ModuleNotFoundError, TypeError):
        pass
    # Running from a source checkout without an install.
    return Path(__file__).resolve().parent.parent / "rules"


def read_text(name: str) -> str:
    return _root().joinpath(name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def load_json(name: str) -> Any:
    return json.loads(read_text(name))


def exists(name: str) -> bool:
    return _root().joinpath(name).is_file()
