"""Unknown values, and the one policy every source and rule follows for them.

- A model field holds None when the input leaves it unset (the API default applies), a
  typed value when it is known (int or float, bool, str, list, dict), and an `Unknown` when
  it is set but cannot be known statically: a variable without a value, a computed
  attribute such as an ARN, a call ecslint does not evaluate, or a value of the wrong type.
- Sources normalise every value once, when they build the model, with the converters
  below (`number`, `boolean`, `text`, `texts`); rules read typed fields and never convert.
- A rule never guesses: when a value it needs is unknown it stays silent. Booleans are
  three-valued (True, False, UNKNOWN), combined with `any3` / `all3` / `not3`.

Kept free of imports: the model and every source use it.
"""

from __future__ import annotations

from typing import Any, Iterable


class Unknown:
    """A value that cannot be resolved statically; rules stay silent on it.

    `refs` keeps the resource addresses the unresolved expression referred to, so that
    relations (service -> task definition, alarm -> policy) survive unknown ARNs.
    """

    __slots__ = ("refs",)

    def __init__(self, refs: frozenset[str] = frozenset()) -> None:
        self.refs = refs

    def __repr__(self) -> str:
        return f"Unknown({sorted(self.refs)})" if self.refs else "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("truth value of an unknown value; test with is_unknown() first")


UNKNOWN = Unknown()

# Stands for an unknown part inside a partly known string: private-use characters, valid in
# JSON strings, so a rendered template can still be decoded.
UNKNOWN_MARK = "\ue000ecslint-unknown\ue000"


class PartlyKnown(Unknown):
    """A string with unknown parts (a template such as `${var.registry}/app:1`): unknown as
    a value, but its `text` (unknown parts as UNKNOWN_MARK) can still be matched."""

    __slots__ = ("text",)

    def __init__(self, text: str, refs: frozenset[str] = frozenset()) -> None:
        super().__init__(refs)
        self.text = text


def known_text(value: Any) -> str | None:
    """A string's text, with UNKNOWN_MARK for unknown parts; None when nothing is known."""
    if isinstance(value, str):
        return value
    if isinstance(value, PartlyKnown) and value.text.replace(UNKNOWN_MARK, ""):
        return value.text
    return None


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def is_number(value: Any) -> bool:
    """True for a known number (a bool is not one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ------------------------------------------------------------------ converters (sources)

def number(value: Any) -> Any:
    """A number as int (when integral) or float; None when unset; numeric strings (from
    templates) converted; anything else UNKNOWN."""
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return UNKNOWN
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else value
    if isinstance(value, str):
        for convert in (int, float):
            try:
                return number(convert(value.strip()))
            except (ValueError, OverflowError):
                pass
    return UNKNOWN


def boolean(value: Any, default: Any = None) -> Any:
    """A bool; `default` when unset; "true"/"false" strings converted; else UNKNOWN."""
    if value is None:
        return default
    if isinstance(value, (bool, Unknown)):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return UNKNOWN


def text(value: Any, default: Any = None) -> Any:
    """A string; `default` when unset; numbers and bools converted as Terraform converts
    them to strings; anything else (a list, a map) UNKNOWN."""
    if value is None:
        return default
    if isinstance(value, (str, Unknown)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return str(number(value))
    return UNKNOWN


def texts(value: Any) -> Any:
    """A list of strings (elements may be UNKNOWN); None when unset; else UNKNOWN."""
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, (list, tuple)):
        return [text(v, UNKNOWN) for v in value]
    return UNKNOWN


# ------------------------------------------------------------------ three-valued logic (rules)

def any3(verdicts: Iterable[Any]) -> Any:
    """True if any is True, else UNKNOWN if any is unknown, else False."""
    verdicts = list(verdicts)
    if any(v is True for v in verdicts):
        return True
    return UNKNOWN if any(isinstance(v, Unknown) for v in verdicts) else False


def all3(verdicts: Iterable[Any]) -> Any:
    """False if any is False, else UNKNOWN if any is unknown, else True."""
    verdicts = list(verdicts)
    if any(v is False for v in verdicts):
        return False
    return UNKNOWN if any(isinstance(v, Unknown) for v in verdicts) else True


def not3(verdict: Any) -> Any:
    return verdict if isinstance(verdict, Unknown) else not verdict


def contains3(items: Any, value: Any) -> Any:
    """Whether a list holds `value`: UNKNOWN when the list, or an element that could be it,
    is unknown."""
    if isinstance(items, Unknown):
        return UNKNOWN
    return any3(UNKNOWN if isinstance(x, Unknown) else x == value for x in items or ())
