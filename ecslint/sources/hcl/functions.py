"""Terraform built-in functions we can evaluate statically: one table (`FUNCTIONS`). A
function that is not in it gives Unknown."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any, Callable

from ecslint.model import Unknown
from ecslint.sources import jsonpos
from ecslint.sources.values import (EvalError, JsonStr, PartialJson, PartialText, PosDict, PosList,
                                    SrcStr, has_unknown, plain, refs_of)


class FunctionError(EvalError):
    """Terraform would fail evaluating this call (bad argument): try() moves on."""


def _unknown(*args: Any) -> Unknown:
    return Unknown(refs_of(*args))


def _str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(int(v)) if float(v).is_integer() else repr(v)
    if isinstance(v, str):
        return v
    raise FunctionError("not a string")


def _number(v: Any) -> Any:
    if isinstance(v, bool):
        raise FunctionError("not a number")
    if isinstance(v, (int, float)):
        return v
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            return float(v)
        except (TypeError, ValueError):
            raise FunctionError(f"{v!r} is not a number") from None


def _list(v: Any) -> list:
    if isinstance(v, (list, tuple)):
        return list(v)
    raise FunctionError("not a list")


def _merge(*maps: Any) -> Any:
    out = PosDict()
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            raise FunctionError("merge takes maps")
        out.update(m)
        out.pos.update(getattr(m, "pos", {}))
    return out


def _concat(*lists: Any) -> Any:
    out = PosList()
    for seq in lists:
        out.extend(_list(seq))
        out.pos.extend(getattr(seq, "pos", [None] * len(seq)))
    return out


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    if not isinstance(m, dict):
        raise FunctionError("lookup takes a map")
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
            return a
    raise FunctionError("no non-null argument")


def _format(fmt: str, *args: Any) -> str:
    out, i, n = [], 0, 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        j = i + 1
        while j < len(fmt) and fmt[j] in "-+ #0123456789.":
            j += 1
        verb = fmt[j] if j < len(fmt) else ""
        spec = fmt[i + 1:j]
        if verb == "%":
            out.append("%")
        else:
            arg = args[n]
            n += 1
            if verb in ("s", "v"):
                out.append(("%" + spec + "s") % _str(arg))
            elif verb == "d":
                out.append(("%" + spec + "d") % int(_number(arg)))
            elif verb in "feEgG":
                out.append(("%" + spec + verb) % float(_number(arg)))
            elif verb == "q":
                out.append(json.dumps(_str(arg)))
            else:
                raise FunctionError(f"unsupported format verb %{verb}")
        i = j + 1
    return "".join(out)


def _flatten(seq: Any) -> list:
    out: list = []
    for item in _list(seq):
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def jsonencode(value: Any) -> Any:
    if has_unknown(value):
        return PartialJson(value, refs_of(value))
    return JsonStr(json.dumps(plain(value), separators=(",", ":")), value)


def jsondecode(text: Any) -> Any:
    if isinstance(text, (JsonStr, PartialJson)):
        return text.decoded
    if isinstance(text, Unknown):
        return _unknown(text)
    if isinstance(text, (SrcStr, PartialText)) and text.smap is not None:
        src = text.text if isinstance(text, PartialText) else str(text)
        try:
            return jsonpos.loads(src, locate=text.smap.locate)
        except jsonpos.JsonError as exc:
            raise FunctionError(str(exc)) from None
    if isinstance(text, str):
        try:
            return jsonpos.loads(text)
        except jsonpos.JsonError as exc:
            raise FunctionError(str(exc)) from None
    raise FunctionError("jsondecode takes a string")


def _tonumber(v: Any) -> Any:
    return None if v is None else _number(v)


def _tobool(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise FunctionError("not a bool")


def _distinct(seq: Any) -> list:
    out: list = []
    for item in _list(seq):
        if plain(item) not in [plain(o) for o in out]:
            out.append(item)
    return out


def _element(seq: Any, i: Any) -> Any:
    seq = _list(seq)
    if not seq:
        raise FunctionError("element of an empty list")
    return seq[int(_number(i)) % len(seq)]


def _one(seq: Any) -> Any:
    seq = _list(seq)
    if len(seq) > 1:
        raise FunctionError("one() of more than one element")
    return seq[0] if seq else None


def _substr(s: Any, offset: Any, length: Any) -> str:
    start = int(offset)
    return _str(s)[start:] if int(length) < 0 else _str(s)[start:start + int(length)]


def _range(*args: Any) -> list:
    nums = [_number(a) for a in args]
    if len(nums) == 1:
        return list(range(int(nums[0])))
    step = nums[2] if len(nums) > 2 else (1 if nums[1] >= nums[0] else -1)
    return list(range(int(nums[0]), int(nums[1]), int(step)))


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
    "coalescelist": Function(lambda *ls: next((x for x in ls if _list(x)), [])),
    "format": Function(_format),
    "formatlist": Function(lambda fmt, *ls: [_format(fmt, *row) for row in zip(*map(_list, ls))]),
    "join": Function(lambda sep, *ls: sep.join(_str(x) for seq in ls for x in _list(seq))),
    "split": Function(lambda sep, s: s.split(sep)),
    "tostring": Function(lambda v: None if v is None else _str(v)),
    "tonumber": Function(_tonumber),
    "tobool": Function(_tobool),
    "tolist": Function(lambda v: _list(v), unknowns="nested"),
    "toset": Function(lambda v: _distinct(v), unknowns="nested"),
    "tomap": Function(lambda v: dict(v)),
    "max": Function(lambda *a: max(_number(x) for x in a)),
    "min": Function(lambda *a: min(_number(x) for x in a)),
    "sum": Function(lambda seq: sum(_number(x) for x in _list(seq))),
    "abs": Function(lambda x: abs(_number(x))),
    "ceil": Function(lambda x: math.ceil(_number(x))),
    "floor": Function(lambda x: math.floor(_number(x))),
    "pow": Function(lambda a, b: _number(a) ** _number(b)),
    "length": Function(lambda v: len(v)),
    "upper": Function(lambda s: _str(s).upper()),
    "lower": Function(lambda s: _str(s).lower()),
    "title": Function(lambda s: _str(s).title()),
    "trimspace": Function(lambda s: _str(s).strip()),
    "trim": Function(lambda s, chars: _str(s).strip(chars)),
    "trimprefix": Function(lambda s, p: _str(s)[len(p):] if _str(s).startswith(p) else _str(s)),
    "trimsuffix": Function(
        lambda s, p: _str(s)[:-len(p)] if p and _str(s).endswith(p) else _str(s)),
    "chomp": Function(lambda s: _str(s).rstrip("\r\n")),
    "replace": Function(lambda s, old, new: _str(s).replace(old, new)),
    "substr": Function(_substr),
    "startswith": Function(lambda s, p: _str(s).startswith(_str(p))),
    "endswith": Function(lambda s, p: _str(s).endswith(_str(p))),
    "strcontains": Function(lambda s, p: _str(p) in _str(s)),
    "contains": Function(lambda seq, v: plain(v) in [plain(x) for x in _list(seq)]),
    "keys": Function(lambda m: sorted(m.keys())),
    "values": Function(lambda m: [m[k] for k in sorted(m.keys())]),
    "zipmap": Function(lambda ks, vs: dict(zip(map(_str, _list(ks)), _list(vs)))),
    "flatten": Function(_flatten, unknowns="nested"),
    "distinct": Function(_distinct),
    "compact": Function(
        lambda seq: [x for x in _list(seq) if x not in (None, "")], unknowns="nested"),
    "element": Function(_element, unknowns="nested"),
    "index": Function(lambda seq, v: [plain(x) for x in _list(seq)].index(plain(v))),
    "one": Function(_one, unknowns="nested"),
    "range": Function(_range),
    "reverse": Function(lambda seq: list(reversed(_list(seq)))),
    "sort": Function(lambda seq: sorted(_str(x) for x in _list(seq))),
    "slice": Function(lambda seq, a, b: _list(seq)[int(a):int(b)]),
    "jsonencode": Function(jsonencode, unknowns="nested"),
    "jsondecode": Function(jsondecode, unknowns="all"),
    "basename": Function(lambda p: os.path.basename(_str(p))),
    "dirname": Function(lambda p: os.path.dirname(_str(p))),
    "abspath": Function(lambda p: os.path.abspath(_str(p))),
    "file": Function(scope="files"),
    "templatefile": Function(scope="files"),
    "fileexists": Function(scope="files"),
    "try": Function(scope="raw"),
    "can": Function(scope="raw"),
}


def call(name: str, args: list[Any]) -> Any:
    """Call a built-in that needs no scope (see `Function`)."""
    fn = FUNCTIONS.get(name)
    if fn is None or fn.impl is None:
        return _unknown(*args)
    if fn.unknowns == "none" and any(has_unknown(a) for a in args):
        return _unknown(*args)
    if fn.unknowns == "nested" and any(isinstance(a, Unknown) and not isinstance(a, PartialJson)
                                       for a in args):
        return _unknown(*args)
    try:
        return fn.impl(*args)
    except FunctionError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError,
            ZeroDivisionError) as exc:
        raise FunctionError(f"{name}(): {exc}") from None
