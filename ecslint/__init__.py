"""ecslint: stop ECS outages before they ship."""

__version__ = "0.1.0"
