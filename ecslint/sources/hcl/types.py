"""Terraform's values as types see them: numbers, collections, type constraints.

- Numbers stay Python ints and floats. Terraform's are 512-bit binary floats (big.Float), so
  arithmetic is done as Terraform does it, on those values (`exact`, `make`): 0.1 + 0.2 is
  the float 0.3 and equals 0.3. A result that no float prints right (1/3, 1.1 * 3) is a
  `Num`, a float that also keeps Terraform's value; `num_text` prints any number as
  Terraform does (no exponent, 1/3 with its 150 digits, float64 results with Go's digits).
- Collections: a plain list is a tuple and a plain dict an object, as HCL literals make
  them; `TfList`, `TfSet` and `TfMap` (PosList / PosDict subclasses, positions kept) are
  Terraform's list, set and map types, made by type conversion (`convert`) and functions.
  A set's elements are unique and in Terraform's order (strings bytewise, numbers by value),
  and a `for` over a set takes each element as its key (`items`).
- Type constraints (`parse`, `apply`): a variable's declared type converts the value given
  (a default, tfvars, a module argument) with Terraform's rules: "512" into a number,
  numbers and bools into strings, `list(any)` / `map(any)` unifying their elements to one
  type, `optional(type, default)` attributes filled, extra object attributes dropped. A
  value the type cannot take becomes Unknown (Terraform would stop with an error).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, Callable, Iterable

from ecslint.model import Unknown
from ecslint.sources.values import EvalError, PosDict, PosList, keep_origin

Evaluate = Callable[[Any], Any]


class ConversionError(EvalError):
    """A value the type cannot take (Terraform: "Invalid value for variable")."""


# ------------------------------------------------------------------ numbers

PREC = 512  # bits: Terraform's numbers are big.Float values of this precision


class Num(float):
    """A number whose float does not print as Terraform prints it (1/3, 1.1 * 3): the
    float for the rest of ecslint, the exact binary value Terraform holds for arithmetic
    and printing. `prec`: its precision in bits (53 for a float64 result such as pow())."""

    __slots__ = ("exact", "prec", "origin")  # origin: see sources.values.with_origin

    def __new__(cls, exact: Fraction, prec: int = PREC) -> Num:
        obj = super().__new__(cls, float(exact))
        obj.exact, obj.prec = exact, prec
        return obj

    def __reduce__(self) -> tuple:
        return _num, (self.exact, self.prec, getattr(self, "origin", None))

    def __repr__(self) -> str:
        return num_text(self)


def _num(exact: Fraction, prec: int, origin: Any) -> Num:
    out = Num(exact, prec)
    if origin is not None:
        out.origin = origin
    return out


def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _bits(a: Fraction, prec: int) -> tuple[int, int]:
    """a > 0 rounded to `prec` bits (to nearest, ties to even): (mantissa, exponent)."""
    e = a.numerator.bit_length() - a.denominator.bit_length() - prec
    while a >= Fraction(2) ** (e + prec):
        e += 1
    while a < Fraction(2) ** (e + prec - 1):
        e -= 1
    m = a / Fraction(2) ** e
    mi, rest = divmod(m.numerator, m.denominator)
    if 2 * rest > m.denominator or (2 * rest == m.denominator and mi % 2):
        mi += 1
    if mi == 2 ** prec:
        mi, e = mi // 2, e + 1
    return mi, e


def rounded(value: Fraction, prec: int = PREC) -> Fraction:
    """`value` as a big.Float of `prec` bits holds it."""
    if value == 0 or (value.denominator == 1 and abs(value.numerator).bit_length() <= prec):
        return value
    mi, e = _bits(abs(value), prec)
    out = mi * Fraction(2) ** e
    return -out if value < 0 else out


def exact(v: Any) -> Fraction:
    """The value Terraform holds for a number: a float is the decimal it prints as (its
    literal), held at 512 bits."""
    if isinstance(v, Num):
        return v.exact
    if isinstance(v, int):
        return Fraction(v)
    if math.isfinite(v):
        return rounded(Fraction(repr(v)))
    raise EvalError("not a finite number")


def prec_of(*vs: Any) -> int:
    return max(v.prec if isinstance(v, Num) else PREC for v in vs)


def make(value: Fraction, prec: int = PREC) -> Any:
    """A result of arithmetic (held at `prec` bits) as ecslint keeps it: an int when
    whole, else a float when it prints as Terraform prints it, else a Num."""
    value = rounded(value, prec)
    if value.denominator == 1:
        return int(value)
    try:
        f = float(value)
    except OverflowError:
        raise EvalError("number out of range") from None
    if prec == PREC and exact(f) == value:
        return f
    return Num(value, prec)


def from_float(f: float) -> Any:
    """A float64 result (pow, log): Terraform keeps it at 53 bits."""
    if not math.isfinite(f):
        raise EvalError("not a finite number")
    if f.is_integer() and abs(f) < 2 ** 53:
        return int(f)
    return Num(Fraction(f), 53)


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def exponent_too_large(text: str, limit: int) -> bool:
    """Whether a number's text has an exponent beyond ±`limit` (its exact value would be
    an integer of that many digits)."""
    at = max(text.rfind("e"), text.rfind("E"))
    if at < 0:
        return False
    digits = text[at + 1:].lstrip("+-")
    return len(digits) > len(str(limit)) or (digits.isdigit() and int(digits) > limit)


# A number string whose exponent is beyond this is refused (see exponent_too_large).
MAX_EXPONENT = 10_000


def parse_number(text: str) -> Any:
    """A string as Terraform reads a number ("512", "03", "1.5", "1e3"); ConversionError
    otherwise, and for one whose exact value would be too large to build (1e999999999)."""
    if not _NUMBER.fullmatch(text):
        raise ConversionError(f"{text!r} is not a number")
    if exponent_too_large(text, MAX_EXPONENT):
        raise ConversionError(f"{text[:20]!r}...: an exponent too large to evaluate")
    try:
        return make(Fraction(text))
    except ValueError:  # over Python's int conversion limit (4,300 digits)
        raise ConversionError("a number too long to evaluate") from None


def num_text(v: Any) -> str:
    """A number as Terraform prints it (its string conversion, jsonencode): no exponent,
    the shortest digits that read back as the same number."""
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Num):
        return _shortest(v.exact, v.prec)
    if not math.isfinite(v):
        raise EvalError("not a finite number")
    return _positional(Fraction(repr(v)))


def _positional(value: Fraction) -> str:
    """An exact decimal fraction without exponent and trailing zeros."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    scale = 0
    while (value * 10 ** scale).denominator != 1:
        scale += 1
    digits = str(int(value * 10 ** scale)).rjust(scale + 1, "0")
    whole, frac = digits[:len(digits) - scale], digits[len(digits) - scale:].rstrip("0")
    return sign + whole + ("." + frac if frac else "")


def _shortest(value: Fraction, prec: int) -> str:
    """Go's big.Float Text('f', -1) of `value` held at `prec` bits: the shortest decimal
    within half an ulp (inclusive when the mantissa is even; math/big's roundShortest)."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mi, e = _bits(abs(value), prec)
    shift = e - 1  # x, lower and upper are x2, x2 - 1 and x2 + 1 times 2**shift
    inclusive = mi % 2 == 0
    scale = max(0, -shift)  # decimal digits after the point that make them integers

    def dec(n: int) -> int:
        return n * 2 ** shift if shift >= 0 else n * 5 ** scale

    X, L, U = dec(2 * mi), dec(2 * mi - 1), dec(2 * mi + 1)
    width = len(str(U))
    sx, sl, su = str(X).rjust(width, "0"), str(L).rjust(width, "0"), str(U).rjust(width, "0")
    last_l, last_u = len(sl.rstrip("0")), len(su.rstrip("0"))
    out = X
    for i in range(len(sx.rstrip("0"))):
        m_, l_, u_ = sx[i], sl[i], su[i]
        okdown = l_ != m_ or (inclusive and i + 1 == last_l)
        okup = m_ != u_ and (inclusive or int(m_) + 1 < int(u_) or i + 1 < last_u)
        unit = 10 ** (width - i - 1)
        down = X // unit * unit
        if okdown and okup:
            r = X - down
            out = down + unit if 2 * r > unit or (2 * r == unit and (down // unit) % 2) \
                else down
            break
        if okdown:
            out = down
            break
        if okup:
            out = down + unit
            break
    return sign + _positional(Fraction(out, 10 ** scale))


# ------------------------------------------------------------------ collections

class TfList(PosList):
    """A value of Terraform's list type (a plain list is a tuple)."""

    __slots__ = ()


class TfSet(PosList):
    """A value of Terraform's set type: unique elements in Terraform's order."""

    __slots__ = ()


class TfMap(PosDict):
    """A value of Terraform's map type (a plain dict is an object)."""

    __slots__ = ()


def _positions(src: Any, n: int) -> list:
    pos = getattr(src, "pos", None)
    return list(pos) if isinstance(pos, list) and len(pos) == n else [None] * n


def seq(cls: type, items: Iterable[Any], src: Any = None) -> PosList:
    """A list of `cls` holding `items`, with the positions of `src` (same length)."""
    out = cls(items)
    out.pos = _positions(src, len(out)) if src is not None else [None] * len(out)
    out.where = getattr(src, "where", None)
    return out


def mapping(cls: type, items: Iterable[tuple[str, Any]], src: Any = None) -> PosDict:
    out = cls(items)
    pos = getattr(src, "pos", None)
    out.pos = {k: pos[k] for k in out if k in pos} if isinstance(pos, dict) else {}
    out.where = getattr(src, "where", None)
    return out


def items(coll: Any) -> list[tuple[Any, Any]]:
    """(key, value) pairs of a `for` or a `dynamic` / `for_each` over a collection, in
    Terraform's order: maps and objects by key (bytewise), sets as they are (an element
    is its own key), lists and tuples by index."""
    if isinstance(coll, dict):
        return sorted(coll.items(), key=lambda kv: str(kv[0]))
    if isinstance(coll, TfSet):
        return [(v, v) for v in coll]
    return list(enumerate(coll))


def set_key(v: Any) -> Any:
    if isinstance(v, bool):
        return (0, v)
    if is_num(v):
        return (1, exact(v))
    if isinstance(v, str):
        return (2, str(v))
    return None


def make_set(values: Iterable[Any], src: Any = None) -> Any:
    """A set of these values: duplicates dropped, in Terraform's order. Unknown when an
    element is unknown (it could equal another one)."""
    values = list(values)
    pos = _positions(src, len(values)) if src is not None else [None] * len(values)
    if any(isinstance(v, Unknown) for v in values):
        return Unknown(frozenset().union(*(v.refs for v in values if isinstance(v, Unknown))))
    kept: list[tuple[Any, Any]] = []
    seen: set = set()
    others: list = []
    for v, p in zip(values, pos):
        key = set_key(v)
        if key is None:  # a collection: dropped when equal to one kept (first-seen order)
            if not any(equal(v, o) is True for o, _p in others):
                others.append((v, p))
            continue
        if key not in seen:
            seen.add(key)
            kept.append((key, v, p))
    ordered = [(v, p) for _k, v, p in sorted(kept, key=lambda t: t[0])] + others
    out = TfSet(v for v, _p in ordered)
    out.pos = [p for _v, p in ordered]
    return out


# ------------------------------------------------------------------ types

ANY = ("any",)
STRING, NUMBER, BOOL = ("string",), ("number",), ("bool",)
_PRIMITIVES = {"string", "number", "bool"}

# An object type is ("object", ((name, type, optional, default), ...)); `default` is a
# callable giving the optional() default (None when there is none). Values' own types
# (type_of) are never optional.


def type_of(v: Any) -> tuple:
    """The Terraform type of a value (unknown parts and nulls: any)."""
    if v is None or isinstance(v, Unknown):
        return ANY
    if isinstance(v, bool):
        return BOOL
    if is_num(v):
        return NUMBER
    if isinstance(v, str):
        return STRING
    if isinstance(v, TfSet):
        return ("set", unify([type_of(x) for x in v]) or ANY)
    if isinstance(v, TfList):
        return ("list", unify([type_of(x) for x in v]) or ANY)
    if isinstance(v, TfMap):
        return ("map", unify([type_of(x) for x in v.values()]) or ANY)
    if isinstance(v, (list, tuple)):
        return ("tuple", tuple(type_of(x) for x in v))
    if isinstance(v, dict):
        return ("object", tuple((k, type_of(x), False, None)
                                for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))))
    return ANY


def _elements(t: tuple) -> list[tuple]:
    if t[0] == "tuple":
        return list(t[1])
    if t[0] == "object":
        return [a[1] for a in t[1]]
    return [t[1]]


def unify(types: list[tuple]) -> tuple | None:
    """The one type all of `types` convert to, as Terraform unifies them (the elements of
    list(any), a conditional's two results); None when there is none."""
    known = [t for t in types if t != ANY]
    if not known:
        return ANY
    first = known[0]
    if all(t == first for t in known):
        return first
    kinds = {t[0] for t in known}
    if kinds <= _PRIMITIVES:
        return STRING  # every primitive converts to a string
    if kinds <= {"map", "object"}:
        if kinds == {"object"}:
            names = [tuple(a[0] for a in t[1]) for t in known]
            if all(n == names[0] for n in names):
                attrs = []
                for i, name in enumerate(names[0]):
                    u = unify([t[1][i][1] for t in known])
                    if u is None:
                        return None
                    attrs.append((name, u, False, None))
                return ("object", tuple(attrs))
        u = unify([e for t in known for e in _elements(t)])
        return ("map", u) if u is not None else None
    if kinds == {"tuple"}:
        n = len(first[1])
        if all(len(t[1]) == n for t in known):
            elems = [unify([t[1][i] for t in known]) for i in range(n)]
            if all(e is not None for e in elems):
                return ("tuple", tuple(elems))
    if kinds <= {"tuple", "list", "set"}:
        u = unify([e for t in known for e in _elements(t)])
        if u is None:
            return None
        return ("set", u) if kinds == {"set"} else ("list", u)
    return None


def _dynamic(t: tuple) -> bool:
    """Whether a type has `any` in it (then the value decides the concrete type)."""
    if t == ANY:
        return True
    if t[0] in ("list", "set", "map"):
        return _dynamic(t[1])
    if t[0] == "tuple":
        return any(_dynamic(e) for e in t[1])
    if t[0] == "object":
        return any(_dynamic(a[1]) for a in t[1])
    return False


def _to_string(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_num(v):
        return num_text(v)
    if isinstance(v, str):
        return v
    raise ConversionError("a string is required")


def _to_number(v: Any) -> Any:
    if is_num(v):
        return v
    if isinstance(v, str):
        return parse_number(str(v))
    raise ConversionError("a number is required")


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v in ("true", "1", "false", "0"):
        return v in ("true", "1")
    raise ConversionError("a bool is required")


def convert(v: Any, t: tuple) -> Any:
    """`v` converted to type `t`; ConversionError when it cannot be. Unknown parts and
    nulls pass through (a null of any type is null)."""
    if t == ANY or v is None or isinstance(v, Unknown):
        return v
    kind = t[0]
    # A converted number or string was written where the original was ("1024" -> 1024).
    if kind == "string":
        return keep_origin(_to_string(v), v)
    if kind == "number":
        return keep_origin(_to_number(v), v)
    if kind == "bool":
        return _to_bool(v)
    if kind in ("list", "set"):
        if not isinstance(v, (list, tuple)):
            raise ConversionError(f"a {kind} is required")
        values = _convert_all(list(v), t[1])
        return make_set(values, v) if kind == "set" else seq(TfList, values, v)
    if kind == "map":
        if not isinstance(v, dict):
            raise ConversionError("a map is required")
        keys = list(v)
        values = _convert_all([v[k] for k in keys], t[1])
        return mapping(TfMap, zip(keys, values), v)
    if kind == "tuple":
        if not isinstance(v, (list, tuple)) or len(v) != len(t[1]):
            raise ConversionError(f"a tuple of {len(t[1])} elements is required")
        return seq(PosList, (convert(x, et) for x, et in zip(v, t[1])), v)
    if kind == "object":
        if not isinstance(v, dict):
            raise ConversionError("an object is required")
        out = []
        for name, at, optional, default in t[1]:
            x = v.get(name)
            if x is None:
                if name not in v and not optional:
                    raise ConversionError(f"attribute {name!r} is required")
                out.append((name, convert(default(), at) if default is not None else None))
            else:
                out.append((name, convert(x, at)))
        return mapping(PosDict, out, v)
    return v


def _convert_all(values: list, et: tuple) -> list:
    """The elements of one collection converted to its element type; with `any` in it,
    unified to the one type they all take."""
    out = [convert(x, et) for x in values]
    if _dynamic(et):
        u = unify([type_of(x) for x in out])
        if u is None:
            raise ConversionError("the elements have no common type")
        if u != ANY:
            out = [convert(x, u) for x in out]
    return out


def equal(a: Any, b: Any) -> Any:
    """Terraform's `==`: values of different types are not equal (1 != "1", a list is not a
    tuple); Unknown when an unknown part decides it."""
    stack = [(a, b)]
    undecided = False
    while stack:
        x, y = stack.pop()
        if isinstance(x, Unknown) or isinstance(y, Unknown):
            undecided = True
            continue
        if x is None or y is None:
            if x is not y:
                return False
            continue
        kx, ky = _kind(x), _kind(y)
        if kx != ky:
            return False
        if kx == "number":
            if exact(x) != exact(y):
                return False
        elif kx in ("bool", "string"):
            if x != y:
                return False
        elif kx in ("object", "map"):
            if x.keys() != y.keys():
                return False
            stack.extend((x[k], y[k]) for k in x)
        else:
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y))
    if undecided:
        return Unknown()
    if isinstance(a, (list, dict)) and type_of(a) != type_of(b):
        return False  # e.g. list(string) and list(number), or an attribute's type
    return True


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if is_num(v):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, TfSet):
        return "set"
    if isinstance(v, TfList):
        return "list"
    if isinstance(v, TfMap):
        return "map"
    if isinstance(v, (list, tuple)):
        return "tuple"
    if isinstance(v, dict):
        return "object"
    return "other"


def unify_values(chosen: Any, other: Any) -> Any:
    """`chosen` (a conditional's result) converted to the type it shares with `other`
    (the other branch): `true ? 1 : "x"` is "1". Unchanged when there is none."""
    u = unify([type_of(chosen), type_of(other)])
    if u is None or u == ANY:
        return chosen
    try:
        return convert(chosen, u)
    except ConversionError:
        return chosen


# ------------------------------------------------------------------ type constraints

def _unwrap(node: Any) -> Any:
    while getattr(node, "data", None) == "expr_term":
        kids = [c for c in node.children if hasattr(c, "data")
                and c.data != "new_line_or_comment"]
        if len(kids) != 1:
            return node
        node = kids[0]
    return node


def _kids(node: Any) -> list:
    return [c for c in node.children if hasattr(c, "data") and c.data != "new_line_or_comment"]


def _call(node: Any) -> tuple[str, list[Any]] | None:
    """(function name, argument nodes) when `node` is a call such as object({...})."""
    node = _unwrap(node)
    if getattr(node, "data", None) != "function_call":
        return None
    name = str(node.children[0].children[0])
    args = next((c for c in node.children if getattr(c, "data", None) == "arguments"), None)
    return name, _kids(args) if args is not None else []


def identifier(node: Any) -> str | None:
    """The name when an expression is a bare name (`string`, `iterator = strategy`)."""
    node = _unwrap(node)
    if getattr(node, "data", None) == "identifier":
        return str(node.children[0])
    return None


def _object_fields(node: Any) -> dict[str, Any] | None:
    node = _unwrap(node)
    if getattr(node, "data", None) != "object":
        return None
    fields = {}
    for elem in node.children:
        if getattr(elem, "data", None) != "object_elem":
            continue
        key_node, _sep, type_node = elem.children
        key = key_node
        while hasattr(key, "children") and key.children and hasattr(key.children[0], "data"):
            key = key.children[0]
        name = str(key.children[0]) if hasattr(key, "children") else str(key)
        fields[name.strip('"')] = type_node
    return fields


def parse(node: Any, evaluate: Evaluate) -> tuple | None:
    """A type constraint expression -> a type; None when it is not one we read."""
    name = identifier(node)
    if name is not None:
        return {"string": STRING, "number": NUMBER, "bool": BOOL, "any": ANY}.get(name)
    call = _call(node)
    if call is None:
        return None
    name, args = call
    if name in ("list", "set", "map") and len(args) == 1:
        inner = parse(args[0], evaluate)
        return (name, inner) if inner is not None else None
    if name == "tuple" and len(args) == 1:
        elems = _unwrap(args[0])
        if getattr(elems, "data", None) != "tuple":
            return None
        parsed = [parse(e, evaluate) for e in _kids(elems)]
        return ("tuple", tuple(parsed)) if all(p is not None for p in parsed) else None
    if name == "object" and len(args) == 1:
        fields = _object_fields(args[0])
        if fields is None:
            return None
        attrs = []
        for field, ftype in sorted(fields.items()):
            opt = _call(ftype)
            optional, default = False, None
            if opt is not None and opt[0] == "optional" and opt[1]:
                optional, ftype = True, opt[1][0]
                if len(opt[1]) > 1:
                    default = (lambda d: lambda: evaluate(d))(opt[1][1])
            parsed = parse(ftype, evaluate)
            if parsed is None:
                return None
            attrs.append((field, parsed, optional, default))
        return ("object", tuple(attrs))
    return None


def apply(type_node: Any, value: Any, evaluate: Evaluate) -> Any:
    """`value` converted by a variable's type constraint: Unknown when it cannot be
    (Terraform stops with "Invalid value for variable"); unchanged when the constraint
    is not one we read."""
    t = parse(type_node, evaluate)
    if t is None:
        return value
    try:
        return convert(value, t)
    except EvalError:
        return Unknown()
