"""Configuration: `[tool.ecslint]` in pyproject.toml or `.ecslint.toml` (minimal loader)."""

from __future__ import annotations

from ecslint.settings import Settings


class ConfigError(Exception):
    pass


def load_settings(path: str | None = None) -> Settings:
    return Settings(config_file=path)
