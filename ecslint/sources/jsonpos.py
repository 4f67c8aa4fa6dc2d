"""A JSON decoder that records the line and column of every value (for task definitions)."""

from __future__ import annotations

import re
from typing import Any, Callable

from ecslint.limits import ENV, Limits, env_value
from ecslint.model import UNKNOWN, Location
from ecslint.sources.values import UNKNOWN_MARK, PosDict, PosList, SourceMap, with_origin
from ecslint.unknown import PartlyKnown

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_STRING = re.compile(r'"((?:[^"\\\x00-\x1f]|\\.)*)"', re.S)
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class JsonError(ValueError):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message, self.line, self.column = message, line, column


def _hex4(body: str, i: int) -> int:
    """The four hex digits of a \\u escape at `i`; ValueError when they are not."""
    if _HEX4.fullmatch(body, i, i + 4) is None:
        raise ValueError("invalid \\u escape")
    return int(body[i:i + 4], 16)


def _unescape(body: str) -> str:
    """A JSON string's body with its escapes decoded; ValueError for a bad \\u escape."""
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "u":
            code = _hex4(body, i + 2)
            i += 6
            if 0xD800 <= code < 0xDC00 and body[i:i + 2] == "\\u":
                low = _hex4(body, i + 2)
                if 0xDC00 <= low < 0xE000:  # else a lone surrogate, as json.loads keeps it
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
            out.append(chr(code))
        else:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
    return "".join(out)


def loads(text: str, file: str = "", locate: Callable[[int], Location | None] | None = None,
          smap: SourceMap | None = None, max_depth: int | None = None) -> Any:
    """Decode `text`; objects become PosDict, arrays PosList, each entry with a Location.

    `locate` maps a character offset to a Location (for text rendered from a template);
    by default offsets are turned into line/column of `text` in `file`. Strings equal to
    (or containing) UNKNOWN_MARK, and a bare UNKNOWN_MARK, decode as UNKNOWN. With the
    rendered text's `smap`, a value interpolated into the text keeps its origin, and a
    jsonencode() result interpolated as a whole is taken as the value it encodes (so the
    values inside keep theirs). Arrays and objects nested more than `max_depth` deep
    (default: Limits.max_nesting, or ECSLINT_MAX_NESTING), and integers too long for Python
    to convert (over 4,300 digits), are errors, as is anything that is not JSON (NaN,
    Infinity).
    """
    if smap is not None and locate is None:
        locate = smap.locate
    if max_depth is None:
        max_depth = env_value(ENV["max_nesting"][0], int, Limits._field_defaults["max_nesting"])
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def default_locate(offset: int) -> Location:
        import bisect

        i = bisect.bisect_right(line_starts, offset) - 1
        return Location(file, i + 1, offset - line_starts[i] + 1)

    where = locate or default_locate

    def fail(message: str, offset: int) -> JsonError:
        loc = default_locate(offset)
        return JsonError(message, loc.line or 1, loc.column or 1)

    def unescape(m: re.Match, at: int) -> str:
        try:
            return _unescape(m.group(1))
        except ValueError:
            raise fail("invalid \\u escape in a string", at) from None

    def value(i: int, depth: int = 0) -> tuple[Any, int]:
        i = _WS.match(text, i).end()
        if i >= len(text):
            raise fail("unexpected end of input", i)
        if smap is not None:
            spliced = smap.spliced(i)
            if spliced is not None:
                return spliced
            if text[i] == '"' or text[i] in "-0123456789":  # a scalar: with its origin
                found, end = composite(i, depth)
                return with_origin(found, smap.origin(i)), end
        return composite(i, depth)

    def composite(i: int, depth: int) -> tuple[Any, int]:
        ch = text[i]
        if ch in "{[" and depth >= max_depth:
            raise fail(f"nested too deeply (more than {max_depth} levels)", i)
        if ch == "{":
            obj = PosDict(where=where(i))
            i = _WS.match(text, i + 1).end()
            if text.startswith("}", i):
                return obj, i + 1
            while True:
                m = _STRING.match(text, i)
                if not m:
                    raise fail("expected a string key", i)
                key, key_at = unescape(m, i), i
                i = _WS.match(text, m.end()).end()
                if not text.startswith(":", i):
                    raise fail("expected ':'", i)
                obj[key], i = value(i + 1, depth + 1)
                obj.pos[key] = where(key_at)
                i = _WS.match(text, i).end()
                if text.startswith(",", i):
                    i = _WS.match(text, i + 1).end()
                    continue
                if text.startswith("}", i):
                    return obj, i + 1
                raise fail("expected ',' or '}'", i)
        if ch == "[":
            arr = PosList(where=where(i))
            i = _WS.match(text, i + 1).end()
            if text.startswith("]", i):
                return arr, i + 1
            while True:
                at = _WS.match(text, i).end()
                item, i = value(at, depth + 1)
                arr.append(item)
                arr.pos.append(where(at))
                i = _WS.match(text, i).end()
                if text.startswith(",", i):
                    i += 1
                    continue
                if text.startswith("]", i):
                    return arr, i + 1
                raise fail("expected ',' or ']'", i)
        if ch == '"':
            m = _STRING.match(text, i)
            if not m:
                raise fail("unterminated string", i)
            s = unescape(m, i)
            if UNKNOWN_MARK in s:  # a string with unknown parts keeps its known text
                return (UNKNOWN if s == UNKNOWN_MARK else PartlyKnown(s)), m.end()
            return s, m.end()
        if text.startswith(UNKNOWN_MARK, i):
            return UNKNOWN, i + len(UNKNOWN_MARK)
        for word, val in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, i):
                return val, i + len(word)
        m = _NUMBER.match(text, i)
        if m:
            num = m.group(0)
            try:
                return (float(num) if any(c in num for c in ".eE") else int(num)), m.end()
            except ValueError:  # over Python's int conversion limit (4,300 digits)
                raise fail("number too long", i) from None
        raise fail(f"unexpected character {ch!r}", i)

    result, end = value(0)
    end = _WS.match(text, end).end()
    if end != len(text):
        raise fail("extra data after the JSON value", end)
    return result
