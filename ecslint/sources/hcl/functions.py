"""Terraform built-in functions we can evaluate statically: one table (`FUNCTIONS`). A
function that is not in it gives Unknown.

Results have Terraform's types (sources.hcl.types): keys(), split(), tolist() ... give
lists, toset() and setunion() sets, tomap() maps; numbers and strings convert as Terraform
converts them, and functions over maps read them in key order."""

from __future__ import annotations

import base64
import json
import math
import os
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

from ecslint.model import Unknown
from ecslint.sources import jsonpos
from ecslint.sources.hcl import types
from ecslint.sources.hcl.types import TfList, TfMap, TfSet, is_num
from ecslint.sources.values import (UNKNOWN_MARK, EvalError, JsonStr, PartialJson, PartialText,
                                    PosDict, PosList, SrcStr, has_unknown, keep_origin,
                                    origin_of, refs_of)


class FunctionError(EvalError):
    """Terraform would fail evaluating this call (bad argument): try() moves on."""


class _Unknowable(Exception):
    """Inside a function: the result depends on an unknown value."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _unknown(*args: Any) -> Unknown:
    return Unknown(refs_of(*args))


def _str(v: Any) -> str:
    if isinstance(v, Unknown):
        raise _Unknowable(v)
    if v is None:
        raise FunctionError("null is not a string")
    try:
        return types.convert(v, types.STRING)
    except EvalError:
        raise FunctionError("not a string") from None


def _number(v: Any) -> Any:
    if isinstance(v, Unknown):
        raise _Unknowable(v)
    if v is None:
        raise FunctionError("null is not a number")
    try:
        return types.convert(v, types.NUMBER)
    except EvalError as exc:
        raise FunctionError(str(exc)) from None


def _int(v: Any) -> int:
    n = _number(v)
    if isinstance(n, float):
        raise FunctionError("a whole number is required")
    return n


def _list(v: Any) -> list:
    if isinstance(v, (list, tuple)):
        return list(v)
    raise FunctionError("not a list")


def _bool(v: Any) -> bool:
    if isinstance(v, Unknown):
        raise _Unknowable(v)
    try:
        return types.convert(v, types.BOOL)
    except EvalError:
        raise FunctionError("not a bool") from None


def _like(src: Any, items: list, pos: list | None = None) -> PosList:
    """A list of the same type as `src` (a list stays a list, a tuple a tuple)."""
    out = (TfList if isinstance(src, (TfList, TfSet)) else PosList)(items)
    out.pos = pos if pos is not None and len(pos) == len(items) else [None] * len(items)
    return out


def _graphemes(s: str) -> list[str]:
    """User-perceived characters, as Terraform counts them (combining marks join the
    character before)."""
    out: list[str] = []
    for ch in s:
        if out and (unicodedata.combining(ch) or ch in "\u200d\ufe0f"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


# ------------------------------------------------------------------ maps and lists

def _merge(*maps: Any) -> Any:
    given = [m for m in maps if m is not None]
    for m in given:
        if not isinstance(m, dict):
            raise FunctionError("merge takes maps")
    out = TfMap() if given and all(isinstance(m, TfMap) for m in given) else PosDict()
    for m in given:
        out.update(m)
        out.pos.update(getattr(m, "pos", {}))
    # Where the merged object was written: where its first object was.
    out.where = next((m.where for m in given if getattr(m, "where", None)), None)
    return out


def _concat(*lists: Any) -> Any:
    out = TfList() if lists and all(isinstance(s, TfList) for s in lists) else PosList()
    for seq in lists:
        out.extend(_list(seq))
        pos = getattr(seq, "pos", None)
        out.pos.extend(pos if isinstance(pos, list) and len(pos) == len(seq)
                       else [None] * len(seq))
    return out


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    if not isinstance(m, dict):
        raise FunctionError("lookup takes a map")
    key = _str(key)
    if key in m:
        return m[key]
    if default:
        return default[0]
    raise FunctionError(f"no key {key!r}")


def _coalesce(*args: Any) -> Any:
    for a in args:
        if isinstance(a, Unknown) and not isinstance(a, PartialJson):
            return _unknown(*args)  # it might be the first non-null one
        if a is not None and a != "":
            # One result type for all the arguments: coalesce(1, "2") is "1".
            return _unified(a, args)
    raise FunctionError("no non-null argument")


def _unified(a: Any, args: tuple) -> Any:
    u = types.unify([types.type_of(x) for x in args])
    if u is None or u == types.ANY or u == types.type_of(a):
        return a
    try:
        return types.convert(a, u)
    except EvalError:
        return a


def _keys(m: Any) -> Any:
    if not isinstance(m, dict):
        raise FunctionError("keys takes a map")
    return types.seq(TfList, sorted(m.keys()))


def _values(m: Any) -> Any:
    if not isinstance(m, dict):
        raise FunctionError("values takes a map")
    keys = sorted(m.keys())
    pos = getattr(m, "pos", {})
    out = (TfList if isinstance(m, TfMap) else PosList)(m[k] for k in keys)
    out.pos = [pos.get(k) for k in keys]
    return out


def _zipmap(ks: Any, vs: Any) -> Any:
    keys, values = [_str(k) for k in _list(ks)], _list(vs)
    if len(keys) != len(values):
        raise FunctionError("zipmap: lists of different lengths")
    out = TfMap() if isinstance(vs, (TfList, TfSet)) else PosDict()
    for k, v in zip(keys, values):
        out[k] = v
    return out


def _flatten(seq: Any) -> list:
    out = PosList()
    stack = [iter(_list(seq))]
    while stack:
        for item in stack[-1]:
            if isinstance(item, Unknown):
                raise _Unknowable(item)
            if isinstance(item, (list, tuple)):
                stack.append(iter(item))
                break
            out.append(item)
            out.pos.append(None)
        else:
            stack.pop()
    return out


def _distinct(seq: Any) -> Any:
    out: list = []
    seen: set = set()  # primitives by typed key: linear, not quadratic
    others: list = []  # collections, compared one by one
    for item in _list(seq):
        key = types.set_key(item)
        if key is None:
            if any(types.equal(item, o) is True for o in others):
                continue
            others.append(item)
        elif key in seen:
            continue
        else:
            seen.add(key)
        out.append(item)
    return types.seq(TfList, out)


def _compact(seq: Any) -> Any:
    items = _list(seq)
    if any(isinstance(x, Unknown) for x in items):
        raise _Unknowable(seq)  # an unknown one could be "" and dropped
    return types.seq(TfList, [_str(x) for x in items if x is not None and x != ""])


def _element(seq: Any, i: Any) -> Any:
    seq = _list(seq)
    if not seq:
        raise FunctionError("element of an empty list")
    i = _int(i)
    if i < 0:
        raise FunctionError("element: negative index")
    return seq[i % len(seq)]


def _index(seq: Any, v: Any) -> int:
    for i, x in enumerate(_list(seq)):
        eq = types.equal(x, v)
        if isinstance(eq, Unknown):
            raise _Unknowable(eq)
        if eq:
            return i
    raise FunctionError("index: no such element")


def _contains(seq: Any, v: Any) -> Any:
    if isinstance(seq, dict):
        raise FunctionError("contains takes a list or set")
    found = [types.equal(x, v) for x in _list(seq)]
    if any(f is True for f in found):
        return True
    if any(isinstance(f, Unknown) for f in found):
        raise _Unknowable(seq)
    return False


def _one(seq: Any) -> Any:
    seq = _list(seq)
    if len(seq) > 1:
        raise FunctionError("one() of more than one element")
    return seq[0] if seq else None


def _range_plan(args: tuple | list) -> tuple[Fraction, Fraction, int]:
    """range()'s start, step and number of elements."""
    nums = [types.exact(_number(a)) for a in args]
    start, end = (Fraction(0), nums[0]) if len(nums) == 1 else (nums[0], nums[1])
    # As Terraform: the step defaults to 1, or -1 when the limit is below the start.
    step = nums[2] if len(nums) > 2 else Fraction(1 if end >= start else -1)
    if step == 0:
        raise FunctionError("range: step must not be zero")
    return start, step, math.ceil((end - start) / step) if (end - start) * step > 0 else 0


# Terraform's range() fails past this many elements ("more than 1024 values were
# generated"), so a longer range is an error, not a value (unknown here, as every error).
RANGE_MAX = 1024


def _range(*args: Any) -> list:
    start, step, count = _range_plan(args)
    if count > RANGE_MAX:
        raise FunctionError(f"range: more than {RANGE_MAX} values")
    return types.seq(TfList, [types.make(start + i * step) for i in range(count)])


def _sort(seq: Any) -> Any:
    items = _list(seq)
    if any(isinstance(x, Unknown) for x in items):
        raise _Unknowable(seq)
    return types.seq(TfList, sorted(_str(x) for x in items))


def _slice(seq: Any, a: Any, b: Any) -> Any:
    items, a, b = _list(seq), _int(a), _int(b)
    if not 0 <= a <= b <= len(items):
        raise FunctionError("slice: index out of range")
    pos = getattr(seq, "pos", None)
    return _like(seq, items[a:b], pos[a:b] if isinstance(pos, list) else None)


def _reverse(seq: Any) -> Any:
    items = _list(seq)
    pos = getattr(seq, "pos", None)
    return _like(seq, items[::-1], pos[::-1] if isinstance(pos, list) else None)


def _chunklist(seq: Any, size: Any) -> Any:
    items, n = _list(seq), _int(size)
    if n < 0:
        raise FunctionError("chunklist: negative size")
    if n == 0:
        return types.seq(TfList, [types.seq(TfList, items)])
    return types.seq(TfList, [types.seq(TfList, items[i:i + n])
                              for i in range(0, len(items), n)])


def _setunion(*sets: Any) -> Any:
    return types.make_set([x for s in sets for x in _list(s)])


def _setintersection(first: Any, *rest: Any) -> Any:
    others = [_list(s) for s in rest]
    return types.make_set([x for x in _list(first)
                           if all(any(types.equal(x, y) is True for y in o) for o in others)])


def _setsubtract(a: Any, b: Any) -> Any:
    drop = _list(b)
    return types.make_set([x for x in _list(a) if not any(types.equal(x, y) is True
                                                           for y in drop)])


def _alltrue(seq: Any) -> bool:
    return all(_bool(x) for x in _list(seq))


def _anytrue(seq: Any) -> bool:
    return any(_bool(x) for x in _list(seq))


def _length(v: Any) -> int:
    if isinstance(v, str):
        return len(_graphemes(str(v)))
    if isinstance(v, (list, tuple, dict)):
        return len(v)
    raise FunctionError("length takes a string or a collection")


def _convert(kind: str) -> Callable[[Any], Any]:
    t = {"list": ("list", types.ANY), "set": ("set", types.ANY),
         "map": ("map", types.ANY)}[kind]

    def to(v: Any) -> Any:
        try:
            return types.convert(v, t)
        except EvalError as exc:
            raise FunctionError(f"to{kind}: {exc}") from None
    return to


def _tobool(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise FunctionError("not a bool")


# ------------------------------------------------------------------ numbers

def _max(*a: Any) -> Any:
    nums = [_number(x) for x in a]
    if not nums:
        raise FunctionError("max of nothing")
    return max(nums, key=types.exact)


def _min(*a: Any) -> Any:
    nums = [_number(x) for x in a]
    if not nums:
        raise FunctionError("min of nothing")
    return min(nums, key=types.exact)


def _sum(seq: Any) -> Any:
    items = _list(seq)
    if not items:
        raise FunctionError("sum of an empty list")
    total = _number(items[0])
    for x in items[1:]:
        x = _number(x)
        total = total + x if isinstance(total, int) and isinstance(x, int) else \
            types.make(types.exact(total) + types.exact(x), types.prec_of(total, x))
    return total


def _pow(a: Any, b: Any) -> Any:
    try:
        return types.from_float(math.pow(float(_number(a)), float(_number(b))))
    except (OverflowError, ValueError):
        raise FunctionError("pow: out of range") from None


def _log(x: Any, base: Any) -> Any:
    try:
        return types.from_float(math.log(float(_number(x))) / math.log(float(_number(base))))
    except (ValueError, ZeroDivisionError):
        raise FunctionError("log: out of range") from None


def _signum(x: Any) -> int:
    v = types.exact(_number(x))
    return (v > 0) - (v < 0)


def _parseint(s: Any, base: Any) -> int:
    text, b = _str(s), _int(base)
    if not 2 <= b <= 62:
        raise FunctionError("parseint: base out of range")
    digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[:b]
    body = text[1:] if text[:1] in "+-" else text
    if not body or any(c not in (digits if b > 36 else digits + digits.upper()) for c in body):
        raise FunctionError(f"parseint: {text!r} is not a number in base {b}")
    if b <= 36:
        return int(text, b)
    n = 0
    for c in body:
        n = n * b + digits.index(c)
    return -n if text.startswith("-") else n


def _abs(x: Any) -> Any:
    n = _number(x)
    return types.Num(abs(n.exact), n.prec) if isinstance(n, types.Num) else abs(n)


# ------------------------------------------------------------------ strings

def _go_case(s: str, upper: bool) -> str:
    """Go's strings.ToUpper / ToLower: one character each (ß stays ß)."""
    out = []
    for ch in s:
        mapped = ch.upper() if upper else ch.lower()
        out.append(mapped if len(mapped) == 1 else ch)
    return "".join(out)


def _separator(ch: str) -> bool:
    if ch <= "\x7f":
        return not (ch.isascii() and (ch.isalnum() or ch == "_"))
    if ch.isalpha() or unicodedata.category(ch) == "Nd":
        return False
    return ch.isspace()


def _title(s: Any) -> str:
    """Go's strings.Title: the first letter of each word upper case, the rest kept."""
    out, prev = [], " "
    for ch in _str(s):
        if _separator(prev):
            t = ch.title() if len(ch.title()) == 1 else ch
            out.append(t)
        else:
            out.append(ch)
        prev = ch
    return "".join(out)


_GO_EXPAND = re.compile(r"\$(?:\$|\{(\w+)\}|(\w+))")


def _regex(pattern: Any) -> re.Pattern:
    """A Go (RE2) regular expression in Python's terms (\\d, \\w, \\s, \\b are ASCII)."""
    try:
        return re.compile(_str(pattern), re.ASCII)
    except re.error as exc:
        raise FunctionError(f"invalid regular expression: {exc}") from None


def _expand(template: str, m: re.Match) -> str:
    """Go's Regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar; a group that does
    not exist (or did not match) is empty."""
    def one(x: re.Match) -> str:
        if x.group(0) == "$$":
            return "$"
        name = x.group(1) or x.group(2)
        try:
            g = m.group(int(name)) if name.isdigit() else m.group(name)
        except IndexError:  # no such group
            g = None
        return g or ""
    return _GO_EXPAND.sub(one, template)


def _replace(s: Any, old: Any, new: Any) -> str:
    s, old, new = _str(s), _str(old), _str(new)
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        rx = _regex(old[1:-1])
        return rx.sub(lambda m: _expand(new, m), s)
    return s.replace(old, new)


def _groups(rx: re.Pattern, m: re.Match) -> Any:
    """One match as Terraform's regex() gives it: the text, a list of the groups, or a map
    of the named groups."""
    if rx.groups == 0:
        return m.group(0)
    if rx.groupindex:
        if len(rx.groupindex) != rx.groups:
            raise FunctionError("regex: named and unnamed groups mixed")
        return types.mapping(TfMap, ((name, m.group(name) or "")
                                     for name in sorted(rx.groupindex)))
    return types.seq(TfList, [g or "" for g in m.groups()])


def _regex_fn(pattern: Any, s: Any) -> Any:
    rx = _regex(pattern)
    m = rx.search(_str(s))
    if m is None:
        raise FunctionError("regex: no match")
    return _groups(rx, m)


def _regexall(pattern: Any, s: Any) -> Any:
    rx = _regex(pattern)
    return types.seq(TfList, [_groups(rx, m) for m in rx.finditer(_str(s))])


def _substr(s: Any, offset: Any, length: Any) -> str:
    chars, start, n = _graphemes(_str(s)), _int(offset), _int(length)
    if start < 0:
        start = max(0, len(chars) + start)
    if start > len(chars):
        raise FunctionError("substr: offset past the end")
    return "".join(chars[start:] if n < 0 else chars[start:start + n])


def _indent(n: Any, s: Any) -> str:
    return _str(s).replace("\n", "\n" + " " * _int(n))


def _known_prefix(v: Any) -> str | None:
    """The known start of a string with unknown parts (Terraform refines it so)."""
    if isinstance(v, PartialText):
        return v.text.split(UNKNOWN_MARK, 1)[0]
    return None


def _startswith(s: Any, p: Any) -> Any:
    if isinstance(p, Unknown):
        raise _Unknowable(p)
    prefix = _known_prefix(s)
    if prefix is not None:
        p = _str(p)
        if len(prefix) >= len(p) or not p.startswith(prefix):
            return prefix.startswith(p)
        raise _Unknowable(s)
    if isinstance(s, Unknown):
        raise _Unknowable(s)
    return _str(s).startswith(_str(p))


# Go's fmt verbs as Terraform's format() takes them.
_VERB = re.compile(r"%(?:\[(\d+)\])?([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


def _format(fmt: Any, *args: Any) -> str:
    fmt = _str(fmt)
    out, last, n = [], 0, 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[last:m.start()])
        last = m.end()
        index, flags, width, precision, verb = m.groups()
        if verb == "%":
            out.append("%")
            continue
        if index is not None:
            n = int(index) - 1
        if n >= len(args):
            raise FunctionError("format: not enough arguments")
        arg = args[n]
        n += 1
        out.append(_verb(verb, flags, width, precision, arg))
    out.append(fmt[last:])
    if "%" in fmt[last:]:
        raise FunctionError("format: unrecognised verb")
    return "".join(out)


def _verb(verb: str, flags: str, width: str | None, precision: str | None, arg: Any) -> str:
    spec = "%" + flags.replace("#", "") + (width or "") + \
        ("." + precision if precision is not None else "")
    if verb == "v":
        text = _encode(arg) if isinstance(arg, (list, dict)) or arg is None or "#" in flags \
            else _str(arg)
        return (spec + "s") % text
    if verb == "s":
        return (spec + "s") % _str(arg)
    if verb == "q":
        return (spec + "s") % json.dumps(_str(arg), ensure_ascii=False)
    if verb == "t":
        return (spec + "s") % ("true" if _bool(arg) else "false")
    if verb in "dboxX":
        value = _number(arg)
        if isinstance(value, float):
            raise FunctionError(f"format: %{verb} needs a whole number")
        return (spec + {"d": "d", "b": "s", "o": "o", "x": "x", "X": "X"}[verb]) % (
            format(value, "b") if verb == "b" else value)
    if verb in "eEfFgG":
        return (spec + verb) % float(_number(arg))
    raise FunctionError(f"format: unsupported verb %{verb}")


def _formatlist(fmt: Any, *args: Any) -> Any:
    lists = [a for a in args if isinstance(a, (list, tuple))]
    n = len(lists[0]) if lists else 1
    if any(len(x) != n for x in lists):
        raise FunctionError("formatlist: lists of different lengths")
    rows = [[a[i] if isinstance(a, (list, tuple)) else a for a in args] for i in range(n)]
    return types.seq(TfList, [_format(fmt, *row) for row in rows])


def _join(sep: Any, *lists: Any) -> str:
    if not lists:
        raise FunctionError("join: no lists")
    return _str(sep).join(_str(x) for seq in lists for x in _list(seq))


def _split(sep: Any, s: Any) -> Any:
    sep, s = _str(sep), _str(s)
    return types.seq(TfList, s.split(sep) if sep else _graphemes(s))


def _tostring(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (list, dict)):
        raise FunctionError("tostring: not a primitive value")
    return _str(v)


def _tonumber(v: Any) -> Any:
    return None if v is None else _number(v)


# ------------------------------------------------------------------ JSON

def _json_text(s: str) -> str:
    """A string as Go's encoding/json writes it: <, >, & and U+2028/U+2029 escaped, other
    non-ASCII characters as they are."""
    text = json.dumps(s, ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _encode(v: Any) -> str:
    """A known value as jsonencode() writes it: object keys sorted, numbers in full."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_num(v):
        return types.num_text(v)
    if isinstance(v, str):
        return _json_text(str(v))
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_encode(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(_json_text(str(k)) + ":" + _encode(v[k])
                              for k in sorted(v, key=str)) + "}"
    raise FunctionError("jsonencode: not a value")


def _decoded(v: Any) -> Any:
    """The value jsondecode() would give back: objects with their keys in the JSON's
    (sorted) order, sets and lists as tuples; positions kept."""
    if isinstance(v, dict):
        out = PosDict(where=getattr(v, "where", None))
        pos = getattr(v, "pos", {})
        for k in sorted(v, key=str):
            out[k] = _decoded(v[k])
            if k in pos:
                out.pos[k] = pos[k]
        return out
    if isinstance(v, (list, tuple)) and not isinstance(v, str):
        out_l = PosList((_decoded(x) for x in v), where=getattr(v, "where", None))
        pos = getattr(v, "pos", None)
        out_l.pos = list(pos) if isinstance(pos, list) and len(pos) == len(v) \
            else [None] * len(v)
        return out_l
    return v


def jsonencode(value: Any) -> Any:
    if has_unknown(value):
        return PartialJson(_decoded(value), refs_of(value))
    return JsonStr(_encode(value), _decoded(value))


def jsondecode(text: Any) -> Any:
    if isinstance(text, (JsonStr, PartialJson)):
        return text.decoded
    if isinstance(text, Unknown):
        return _unknown(text)
    if isinstance(text, (SrcStr, PartialText)) and text.smap is not None:
        src = text.text if isinstance(text, PartialText) else str(text)
        try:
            return jsonpos.loads(src, smap=text.smap)
        except jsonpos.JsonError as exc:
            raise FunctionError(str(exc)) from None
    if isinstance(text, str):
        try:
            return jsonpos.loads(text)
        except jsonpos.JsonError as exc:
            raise FunctionError(str(exc)) from None
    raise FunctionError("jsondecode takes a string")


def _base64decode(s: Any) -> str:
    try:
        return base64.b64decode(_str(s), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise FunctionError("base64decode: invalid input") from None


@dataclass(frozen=True)
class Function:
    """One built-in. `impl` is None when the module scope implements it (`scope`: "files"
    reads files relative to the module; "raw" gets its arguments unevaluated). `unknowns`:
    "none" gives Unknown when any argument holds an unknown part; "nested" passes unknown
    parts inside arguments through (a wholly unknown argument still gives Unknown); "all"
    hands every argument to the function, which decides."""

    impl: Callable[..., Any] | None = None
    unknowns: str = "none"
    scope: str | None = None


FUNCTIONS: dict[str, Function] = {
    "merge": Function(_merge, unknowns="nested"),
    "concat": Function(_concat, unknowns="nested"),
    "lookup": Function(_lookup, unknowns="nested"),
    "coalesce": Function(_coalesce, unknowns="all"),
    "coalescelist": Function(lambda *ls: next((x for x in ls if _list(x)), PosList())),
    "format": Function(_format),
    "formatlist": Function(_formatlist),
    "join": Function(_join),
    "split": Function(_split),
    "tostring": Function(_tostring),
    "tonumber": Function(_tonumber),
    "tobool": Function(_tobool),
    "tolist": Function(_convert("list"), unknowns="nested"),
    "toset": Function(_convert("set"), unknowns="nested"),
    "tomap": Function(_convert("map"), unknowns="nested"),
    "max": Function(_max),
    "min": Function(_min),
    "sum": Function(_sum),
    "abs": Function(_abs),
    "ceil": Function(lambda x: math.ceil(types.exact(_number(x)))),
    "floor": Function(lambda x: math.floor(types.exact(_number(x)))),
    "pow": Function(_pow),
    "log": Function(_log),
    "signum": Function(_signum),
    "parseint": Function(_parseint),
    "length": Function(_length, unknowns="nested"),
    "upper": Function(lambda s: _go_case(_str(s), True)),
    "lower": Function(lambda s: _go_case(_str(s), False)),
    "title": Function(_title),
    "trimspace": Function(lambda s: _str(s).strip()),
    "trim": Function(lambda s, chars: _str(s).strip(_str(chars))),
    "trimprefix": Function(lambda s, p: _str(s)[len(_str(p)):] if _str(s).startswith(_str(p))
                           else _str(s)),
    "trimsuffix": Function(
        lambda s, p: _str(s)[:-len(_str(p))] if _str(p) and _str(s).endswith(_str(p))
        else _str(s)),
    "chomp": Function(lambda s: _str(s).rstrip("\r\n")),
    "replace": Function(_replace),
    "regex": Function(_regex_fn),
    "regexall": Function(_regexall),
    "substr": Function(_substr),
    "strrev": Function(lambda s: "".join(reversed(_graphemes(_str(s))))),
    "indent": Function(_indent),
    "startswith": Function(_startswith, unknowns="all"),
    "endswith": Function(lambda s, p: _str(s).endswith(_str(p))),
    "strcontains": Function(lambda s, p: _str(p) in _str(s)),
    "base64encode": Function(lambda s: base64.b64encode(_str(s).encode()).decode("ascii")),
    "base64decode": Function(_base64decode),
    "contains": Function(_contains, unknowns="nested"),
    "keys": Function(_keys, unknowns="nested"),
    "values": Function(_values, unknowns="nested"),
    "zipmap": Function(_zipmap, unknowns="nested"),
    "flatten": Function(_flatten, unknowns="nested"),
    "distinct": Function(_distinct),
    "compact": Function(_compact, unknowns="nested"),
    "element": Function(_element, unknowns="nested"),
    "index": Function(_index, unknowns="nested"),
    "one": Function(_one, unknowns="nested"),
    "range": Function(_range),
    "reverse": Function(_reverse, unknowns="nested"),
    "sort": Function(_sort, unknowns="nested"),
    "slice": Function(_slice, unknowns="nested"),
    "chunklist": Function(_chunklist, unknowns="nested"),
    "setunion": Function(_setunion, unknowns="nested"),
    "setintersection": Function(_setintersection),
    "setsubtract": Function(_setsubtract),
    "alltrue": Function(_alltrue),
    "anytrue": Function(_anytrue),
    "jsonencode": Function(jsonencode, unknowns="nested"),
    "jsondecode": Function(jsondecode, unknowns="all"),
    # Sensitivity marks are not kept: the value passes through (issensitive() cannot be
    # answered, so it is not here: Unknown).
    "sensitive": Function(lambda v: v, unknowns="all"),
    "nonsensitive": Function(lambda v: v, unknowns="all"),
    "basename": Function(lambda p: os.path.basename(_str(p))),
    "dirname": Function(lambda p: os.path.dirname(_str(p))),
    "abspath": Function(lambda p: os.path.abspath(_str(p))),
    "file": Function(scope="files"),
    "templatefile": Function(scope="files"),
    "fileexists": Function(scope="files"),
    "try": Function(scope="raw"),
    "can": Function(scope="raw"),
}


# ------------------------------------------------------------------ sizes, for the budget

def _length_of(v: Any) -> int:
    return len(v) if isinstance(v, (list, tuple, str, dict)) else 1


def _leaves(v: Any, cap: int) -> int:
    """Elements flatten() would give (or nodes jsonencode() writes), counted up to just
    past `cap`: shared sub-values can make the true count exponential in the input."""
    count, stack = 0, [v]
    while stack and count <= cap:
        item = stack.pop()
        if isinstance(item, dict):
            count += 1
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            count += 1
            stack.extend(item)
        else:
            count += 1
    return count


def _format_width(args: list) -> int:
    """An upper bound of format()'s output beyond its arguments: each verb's width and
    precision (`%999999999d` pads to a billion characters)."""
    fmt = _str(args[0]) if args else ""
    return len(fmt) + sum(int(m.group(3) or 0) + int(m.group(4) or 0)
                          for m in _VERB.finditer(fmt))


def _replace_length(args: list) -> int:
    s, old, new = (_str(a) for a in args[:3])
    if not old:
        return len(s)
    return len(s) + s.count(old) * max(len(new) - len(old), 0)


def _join_length(args: list) -> int:
    sep = _str(args[0])
    items = [x for seq in args[1:] for x in _list(seq)]
    return sum(_length_of(x) for x in items) + len(sep) * max(len(items) - 1, 0)


# What a call would build, asked of the budget before it is built: (kind, size) where the
# kind is "collection" (elements), "string" (characters) or "steps" (nodes visited).
_SIZES: dict[str, Callable[[list, int], tuple[str, int]]] = {
    "range": lambda args, cap: ("collection", min(_range_plan(args)[2], RANGE_MAX)),
    "concat": lambda args, cap: ("collection", sum(_length_of(a) for a in args)),
    "setunion": lambda args, cap: ("collection", sum(_length_of(a) for a in args)),
    "flatten": lambda args, cap: ("collection", _leaves(args[0], cap) if args else 0),
    "formatlist": lambda args, cap: ("collection", max([_length_of(a) for a in args[1:]
                                                        if isinstance(a, (list, tuple))] or [1])),
    "format": lambda args, cap: ("string", _format_width(args)),
    "join": lambda args, cap: ("string", _join_length(args)),
    "replace": lambda args, cap: ("string", _replace_length(args)),
    "jsonencode": lambda args, cap: ("steps", _leaves(args[0], cap) if args else 0),
}


def _affordable(name: str, args: list, budget: Any, where: Any) -> bool:
    """Whether the budget allows what `name(*args)` would build; it notes a refusal."""
    size = _SIZES.get(name)
    if size is None:
        return True
    cap = (budget.limits.max_steps - budget.spent) if name == "jsonencode" \
        else budget.limits.max_collection
    try:
        kind, n = size(args, max(cap, 0))
    except (EvalError, _Unknowable, TypeError, ValueError, OverflowError):
        return True  # the call itself says what is wrong with its arguments
    what = f"{name}()"
    if kind == "collection":
        return budget.collection(n, where, what) and budget.steps(n, where, what)
    if kind == "string":
        return budget.string(n, where, what)
    return budget.steps(n, where, what)


def call(name: str, args: list[Any], budget: Any = None, where: Any = None) -> Any:
    """Call a built-in that needs no scope (see `Function`). With a `budget`
    (ecslint.limits.Budget), a call that would build a collection or string past its
    limits is unknown, noted at `where`."""
    fn = FUNCTIONS.get(name)
    if fn is None or fn.impl is None:
        return _unknown(*args)
    if fn.unknowns == "none" and any(has_unknown(a) for a in args):
        return _unknown(*args)
    if fn.unknowns == "nested" and any(isinstance(a, Unknown) and not isinstance(a, PartialJson)
                                       for a in args):
        return _unknown(*args)
    if budget is not None and not _affordable(name, args, budget, where):
        return _unknown(*args)
    try:
        result = fn.impl(*args)
    except _Unknowable:
        return _unknown(*args)
    except FunctionError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError,
            ZeroDivisionError) as exc:
        raise FunctionError(f"{name}(): {exc}") from None
    # A conversion of one written value (tonumber("512"), floor(x)) was written where the
    # value was; a result from several values is the call's own.
    with_origins = [a for a in args if origin_of(a) is not None]
    return keep_origin(result, with_origins[0]) if len(with_origins) == 1 and len(args) == 1 \
        else result
