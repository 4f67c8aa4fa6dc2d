"""Parse cache (placeholder until the cache lands): returns the plain parse function."""

from __future__ import annotations

from ecslint.sources.terraform import parse_file


def parse_function(no_cache: bool = False):
    return parse_file
