"""Evaluate HCL expressions as far as they can be known; the rest is Unknown."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from ecslint.model import Location, Unknown
from ecslint.sources.hcl import functions, template, types
from ecslint.sources.hcl.syntax import HclSyntaxError, JsonExpr
from ecslint.sources.values import (EvalError, PosDict, PosList, has_unknown, keep_origin,
                                    refs_of, written)

if TYPE_CHECKING:
    from ecslint.limits import Budget


class Scope(Protocol):
    """The module instance an expression is evaluated in; it implements the functions the
    table (functions.FUNCTIONS) marks as needing a scope."""

    def root(self, name: str) -> Any: ...
    def call(self, name: str, args: list[Any], raw: list[Any], env: dict) -> Any: ...
    def parse_expression(self, text: str) -> Any: ...


def unknown(*values: Any) -> Unknown:
    return Unknown(refs_of(*(settle(v) for v in values)))


def settle(value: Any) -> Any:
    """Turn namespace objects that leaked into a value into Unknowns carrying their refs."""
    if hasattr(value, "settle") and not isinstance(value, (dict, list, str)):
        return value.settle()
    return value


def _children(node: Any) -> list:
    """Sub-trees of a node, skipping tokens and newline/comment nodes."""
    return [c for c in node.children
            if hasattr(c, "data") and c.data != "new_line_or_comment"]


def where(node: Any, file: str) -> Location:
    meta = getattr(node, "meta", None)
    line = getattr(meta, "line", None) if meta is not None else getattr(node, "line", None)
    col = getattr(meta, "column", None) if meta is not None else getattr(node, "column", None)
    return Location(file, line, col)


_ESC = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def unescape(text: str) -> str:
    """An HCL string's escapes; EvalError for a \\u or \\U that is not a code point."""
    try:
        return _unescape(text)
    except (ValueError, OverflowError):
        raise EvalError("invalid \\u or \\U escape") from None


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and i + 6 <= len(text):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            if nxt == "U" and i + 10 <= len(text):
                out.append(chr(int(text[i + 2:i + 10], 16)))
                i += 10
                continue
            out.append(_ESC.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _num(v: Any) -> Any:
    """An operand of arithmetic as a number (HCL converts "3" + 4)."""
    if isinstance(v, bool):
        raise EvalError("a bool is not a number")
    if types.is_num(v):
        return v
    if isinstance(v, str):
        return types.parse_number(str(v))
    raise EvalError("not a number")


def _bool(v: Any) -> Any:
    """An operand of && || ! or a condition as a bool ("true" converts); Unknown stays."""
    if isinstance(v, (bool, Unknown)):
        return v
    if isinstance(v, str):
        return types.convert(v, types.BOOL)
    raise EvalError("not a bool")


def _arith(op: str, a: Any, b: Any) -> Any:
    """Terraform's arithmetic and comparisons on exact values (0.1 + 0.2 is 0.3; `%`
    truncates toward zero as Go does: -7 % 3 is -1)."""
    if op in ("<", ">", "<=", ">="):
        x, y = types.exact(a), types.exact(b)
        return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]
    if isinstance(a, int) and isinstance(b, int) and op in "+-*":
        return a + b if op == "+" else a - b if op == "-" else a * b
    x, y = types.exact(a), types.exact(b)
    if op == "+":
        return types.make(x + y)
    if op == "-":
        return types.make(x - y)
    if op == "*":
        return types.make(x * y)
    if y == 0:
        raise EvalError("division by zero")
    if op == "/":
        return types.make(x / y)
    return types.make(x - y * int(x / y))  # %


def _bits(v: Any) -> int:
    """The size of a number's exact value, in bits."""
    x = types.exact(v)
    if isinstance(x, int):
        return x.bit_length()
    return x.numerator.bit_length() + x.denominator.bit_length()


def _picks_type(v: Any) -> bool:
    """Whether the other branch of a conditional can change this result's type (a number
    or bool that unifies with a string, a tuple that becomes a list)."""
    return isinstance(v, (bool, int, float, list, dict))


# A product whose operands have more bits than this is refused (Terraform's numbers are
# 512-bit floats; a chain of `x * x` locals would build integers of billions of bits).
MAX_PRODUCT_BITS = 100_000
# A number literal whose exponent is larger than this is unknown: 1e999999999 as an exact
# fraction is a billion-digit integer, built in C where no watchdog can stop it.
MAX_EXPONENT = types.MAX_EXPONENT


class Evaluator:
    """Evaluates expression trees of one file within a scope (module instance). The
    scope's `budget` (ecslint.limits), when it has one, bounds what evaluation builds:
    past it a value is unknown, with an ECS001 note at the expression."""

    def __init__(self, scope: Scope, file: str) -> None:
        self.scope = scope
        self.file = file
        self.budget: Budget | None = getattr(scope, "budget", None)

    def refused(self, node: Any, message: str) -> Unknown:
        """A value not built: unknown, with a note at `node` when there is a budget."""
        if self.budget is not None:
            self.budget.note(where(node, self.file), message)
        return Unknown()

    # -------------------------------------------------------------------- entry points
    def evaluate(self, expr: Any, env: dict | None = None) -> Any:
        try:
            return settle(self._eval(expr, env or {}))
        except EvalError:
            return Unknown()
        except RecursionError:
            return Unknown()

    def strict(self, expr: Any, env: dict) -> Any:
        """Evaluate, letting EvalError escape (for try()/can())."""
        return settle(self._eval(expr, env))

    # -------------------------------------------------------------------- dispatch
    def _eval(self, node: Any, env: dict) -> Any:
        if isinstance(node, JsonExpr):
            return self._json(node.value, node.where, env)
        kind = getattr(node, "data", None)
        if kind is None:  # a bare token
            return str(node)
        method = getattr(self, "_e_" + kind, None)
        if method is None:
            return Unknown()
        return method(node, env)

    def _e_expr_term(self, node: Any, env: dict) -> Any:
        kids = _children(node)
        return self._eval(kids[0], env) if kids else None

    def _e_int_lit(self, node: Any, env: dict) -> Any:
        text = str(node.children[0])
        try:
            return written(int(text), where(node, self.file))
        except ValueError:  # over Python's int conversion limit (4,300 digits)
            return self.refused(node, f"a number of {len(text):,} digits")

    def _e_float_lit(self, node: Any, env: dict) -> Any:
        text = str(node.children[0])
        if types.exponent_too_large(text, MAX_EXPONENT):
            return self.refused(node, f"a number with an exponent over {MAX_EXPONENT:,}")
        try:
            return written(types.make(Fraction(text)), where(node, self.file))
        except ValueError:
            return self.refused(node, f"a number of {len(text):,} digits")

    def _e_literal_value(self, node: Any, env: dict) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _e_identifier(self, node: Any, env: dict) -> Any:
        name = str(node.children[0])
        if name in env:
            return env[name]
        return self.scope.root(name)

    def _e_string(self, node: Any, env: dict) -> Any:
        try:
            segments = self._string_segments(node)
        except (template.TemplateError, EvalError) as exc:  # an unclosed %{ if }, a bad \u
            return self.refused(node, str(exc))
        value = template.render(segments, self._eval_settled, env, self.budget,
                                where(node, self.file))
        if all(isinstance(s, template.Lit) for s in segments):  # a literal string
            return written(value, where(node, self.file))
        return value

    def _eval_settled(self, node: Any, env: dict) -> Any:
        try:
            return settle(self._eval(node, env))
        except EvalError:
            return Unknown()

    def _string_segments(self, node: Any) -> list:
        segs: list = []
        for part in node.children[1:-1]:
            inner = part.children[0]
            if not hasattr(inner, "data"):
                text = str(inner)
                if inner.type == "STRING_CHARS":
                    text = unescape(text)
                elif inner.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                    text = text[1:]
                loc = Location(self.file, inner.line, inner.column)
                segs.append(template.Lit(text, [(0, loc)]))
                continue
            loc = where(inner, self.file)
            toks = [str(t) for t in inner.children if not hasattr(t, "data")]
            sl = len(toks) > 1 and toks[1] == "~"
            sr = len(toks) > 1 and toks[-2] == "~"
            exprs = _children(inner)
            if inner.data == "interpolation":
                segs.append(template.Interp(exprs[0], loc))
            elif inner.data == "template_if_start":
                segs.append(template.Directive("if", loc, exprs[-1], (), sl, sr))
            elif inner.data == "template_for_start":
                names = tuple(str(e.children[0]) for e in exprs if e.data == "identifier")
                segs.append(template.Directive("for", loc, exprs[-1], names, sl, sr))
            else:
                kind = {"template_else": "else", "template_endif": "endif",
                        "template_endfor": "endfor"}[inner.data]
                segs.append(template.Directive(kind, loc, None, (), sl, sr))
        return template.build(segs)

    def _heredoc(self, node: Any, env: dict, trim: bool) -> Any:
        tok = node.children[0]
        raw = str(tok)
        first_nl = raw.index("\n")
        body = raw[first_nl + 1:]
        body = body[:body.rstrip().rfind("\n") + 1] if "\n" in body.rstrip() else ""
        starts = [0]
        for ln in body.split("\n")[:-1]:
            starts.append(starts[-1] + len(ln) + 1)

        def locate(offset: int) -> Location:
            import bisect
            i = bisect.bisect_right(starts, offset) - 1
            return Location(self.file, tok.line + 1 + i, offset - starts[i] + 1)

        try:
            segs = template.build(template.scan(body, locate, self.parse_fragment), flush=trim)
        except template.TemplateError:
            return Unknown()
        return template.render(segs, self._eval_settled, env, self.budget, where(node, self.file))

    def _e_heredoc_template(self, node: Any, env: dict) -> Any:
        return self._heredoc(node, env, trim=False)

    def _e_heredoc_template_trim(self, node: Any, env: dict) -> Any:
        return self._heredoc(node, env, trim=True)

    def parse_fragment(self, text: str, loc: Location) -> Any:
        try:
            return self.scope.parse_expression(text)
        except HclSyntaxError as exc:
            raise template.TemplateError(f"invalid expression in template: {exc}") from None

    def _e_tuple(self, node: Any, env: dict) -> Any:
        out = PosList(where=where(node, self.file))
        for child in _children(node):
            out.append(settle(self._eval(child, env)))
            out.pos.append(where(child, self.file))
        return out

    def _e_object(self, node: Any, env: dict) -> Any:
        out = PosDict(where=where(node, self.file))
        for elem in _children(node):
            key_node, value_node = _children(elem)
            key = self._object_key(key_node, env)
            value = settle(self._eval(value_node, env))
            if isinstance(key, Unknown):
                return unknown(key, value)
            out[key] = value
            out.pos[key] = where(elem, self.file)
        return out

    def _object_key(self, key_node: Any, env: dict) -> Any:
        inner = _children(key_node)
        target = inner[0] if inner else key_node
        if target.data == "expr_term":
            kids = _children(target)
            if len(kids) == 1 and kids[0].data == "identifier":
                return str(kids[0].children[0])
        if target.data in ("identifier", "keyword"):
            return str(target.children[0])
        key = settle(self._eval(target, env))
        if isinstance(key, Unknown):
            return key
        text = template.to_text(key)
        if text is None:
            raise EvalError("object key is not a string")
        return text

    # -------------------------------------------------------------------- traversal
    def _e_get_attr_expr_term(self, node: Any, env: dict) -> Any:
        base_node, attr = node.children
        base = self._eval(base_node, env)
        name = str(_children(attr)[0].children[0])
        return self.get_attr(base, name)

    def get_attr(self, base: Any, name: str) -> Any:
        if isinstance(base, Unknown):
            return base
        if isinstance(base, dict):
            if name not in base:
                raise EvalError(f"no attribute {name!r}")
            return base[name]
        if hasattr(base, "attr") and not isinstance(base, (str, list)):
            return base.attr(name)
        raise EvalError(f"cannot read .{name}")

    def _e_index_expr_term(self, node: Any, env: dict) -> Any:
        base_node, index = node.children
        base = self._eval(base_node, env)
        if index.data == "short_index":
            key: Any = int(str(index.children[-1]))
        else:
            key = settle(self._eval(_children(index)[0], env))
        return self.index(base, key)

    def index(self, base: Any, key: Any) -> Any:
        if isinstance(base, Unknown):
            return base
        if isinstance(key, Unknown):
            return unknown(base, key)
        if hasattr(base, "index") and not isinstance(base, (str, list, dict)):
            return base.index(key)
        if isinstance(base, dict):
            key = template.to_text(key)
            if key not in base:
                raise EvalError(f"no key {key!r}")
            return base[key]
        if isinstance(base, types.TfSet):
            raise EvalError("a set cannot be indexed")
        if isinstance(base, list):
            try:
                return base[int(_num(key))]
            except (IndexError, ValueError):
                raise EvalError("index out of range") from None
        raise EvalError("cannot index this value")

    def _splat(self, node: Any, env: dict) -> Any:
        base_node, splat = node.children
        base = settle(self._eval(base_node, env))
        if isinstance(base, Unknown):
            return base
        items = base if isinstance(base, list) else ([] if base is None else [base])
        out = types.TfList() if isinstance(base, (types.TfList, types.TfSet)) else PosList()
        for item in items:
            value = item
            for step in _children(splat):
                if step.data == "get_attr":
                    value = self.get_attr(value, str(_children(step)[0].children[0]))
                elif step.data == "short_index":
                    value = self.index(value, int(str(step.children[-1])))
                else:
                    value = self.index(value, settle(self._eval(_children(step)[0], env)))
            out.append(settle(value))
            out.pos.append(None)
        return out

    _e_attr_splat_expr_term = _splat
    _e_full_splat_expr_term = _splat

    # -------------------------------------------------------------------- operators
    def _e_conditional(self, node: Any, env: dict) -> Any:
        cond_node, then_node, else_node = _children(node)
        cond = _bool(settle(self._eval(cond_node, env)))
        if isinstance(cond, Unknown):
            a, b = settle(self._eval(then_node, env)), settle(self._eval(else_node, env))
            # Either way the same value (the project's rule; Terraform 1.11 knows only
            # equal numbers and nulls here).
            if not has_unknown(a) and not has_unknown(b) and types.equal(a, b) is True:
                return a
            return unknown(cond, a, b)
        chosen, other = (then_node, else_node) if cond else (else_node, then_node)
        value = settle(self._eval(chosen, env))
        if _picks_type(value) and not isinstance(value, Unknown):
            # Terraform gives both results one type: `true ? 1 : "x"` is "1".
            try:
                alt = settle(self._eval(other, env))
            except (EvalError, RecursionError):
                alt = None  # an error there is dropped; its type is unknown
            value = types.unify_values(value, alt)
        return value

    def _e_binary_op(self, node: Any, env: dict) -> Any:
        left_node, term = _children(node)[:2]
        op = str(_children(term)[0].children[0])
        right_node = _children(term)[1]
        left = settle(self._eval(left_node, env))
        if op in ("&&", "||"):
            # Three-valued: `false && x` and `x && false` are false, `true || x` and
            # `x || true` true, whatever x is (Terraform 1.11 leaves them unknown when
            # x is; the project's rule).
            decides = op == "||"
            left = _bool(left)
            if left is decides:
                return decides
            right = _bool(settle(self._eval(right_node, env)))
            if right is decides:
                return decides
            if isinstance(left, Unknown) or isinstance(right, Unknown):
                return unknown(left, right)
            return right
        right = settle(self._eval(right_node, env))
        if op in ("==", "!="):
            # Typed (1 != "1"); a known value compared with null is known even with
            # unknown parts inside.
            eq = types.equal(left, right)
            if isinstance(eq, Unknown):
                return unknown(left, right)
            return eq if op == "==" else not eq
        if has_unknown(left) or has_unknown(right):
            return unknown(left, right)
        a, b = _num(left), _num(right)
        if op == "*" and _bits(a) + _bits(b) > MAX_PRODUCT_BITS:
            return self.refused(node, f"a product of more than {MAX_PRODUCT_BITS:,} bits")
        return _arith(op, a, b)

    def _e_unary_op(self, node: Any, env: dict) -> Any:
        op = str(node.children[0])
        value = settle(self._eval(node.children[1], env))
        if isinstance(value, Unknown):
            return value
        if op == "!":
            return not _bool(value)
        n = _num(value)
        # A negative literal (-1) is written where its minus sign is.
        negated = types.Num(-n.exact, n.prec) if isinstance(n, types.Num) else -n
        return keep_origin(negated, value)

    # -------------------------------------------------------------------- for / functions
    def _for(self, node: Any, env: dict, as_object: bool) -> Any:
        kids = _children(node)
        intro, rest = kids[0], kids[1:]
        names = [str(c.children[0]) for c in _children(intro) if c.data == "identifier"]
        coll = settle(self._eval(_children(intro)[-1], env))
        cond = rest.pop() if rest and rest[-1].data == "for_cond" else None
        grouping = any(str(t) == "..." for t in node.children if not hasattr(t, "data"))
        if isinstance(coll, Unknown):
            return coll
        if not isinstance(coll, (dict, list)):
            raise EvalError("for expression needs a collection")
        items = types.items(coll)  # maps by key, sets by element, lists by index
        if self.budget is not None:
            at = where(node, self.file)
            if not (self.budget.collection(len(items), at, "for expression")
                    and self.budget.steps(len(items), at, "for expression")):
                return Unknown()
        out_list = PosList(where=where(node, self.file))
        out_obj = PosDict(where=where(node, self.file))
        for key, val in items:
            inner = dict(env)
            if len(names) == 2:
                inner[names[0]], inner[names[1]] = key, val
            else:
                inner[names[0]] = val
            maybe = False
            if cond is not None:
                ok = settle(self._eval(_children(cond)[0], inner))
                if isinstance(ok, Unknown):
                    if not as_object:
                        return unknown(ok)
                    # Keep the key, with an unknown value: rules stay silent on it, while
                    # the other keys (say, a filter `if v != null`) stay known.
                    maybe = True
                elif not ok:
                    continue
            if as_object:
                k = settle(self._eval(rest[0], inner))
                v = settle(self._eval(rest[1], inner))
                if isinstance(k, Unknown):
                    return unknown(k)
                k = template.to_text(k)
                if maybe:
                    v = unknown(ok, v)
                if grouping:
                    out_obj.setdefault(k, PosList()).append(v)
                else:
                    out_obj[k] = v
            else:
                out_list.append(settle(self._eval(rest[0], inner)))
                out_list.pos.append(None)
        return out_obj if as_object else out_list

    def _e_for_tuple_expr(self, node: Any, env: dict) -> Any:
        return self._for(node, env, as_object=False)

    def _e_for_object_expr(self, node: Any, env: dict) -> Any:
        return self._for(node, env, as_object=True)

    def _e_function_call(self, node: Any, env: dict) -> Any:
        idents = [c for c in node.children if getattr(c, "data", None) == "identifier"]
        name = str(idents[-1].children[0])
        arg_node = next((c for c in node.children if getattr(c, "data", None) == "arguments"),
                        None)
        raw = _children(arg_node) if arg_node is not None else []
        expand = arg_node is not None and any(
            str(t) == "..." for t in arg_node.children if not hasattr(t, "data"))
        fn = functions.FUNCTIONS.get(name)
        if fn is not None and fn.scope == "raw":
            return self.scope.call(name, [], raw, env)
        args = [settle(self._eval(a, env)) for a in raw]
        if expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return unknown(last)
            args.extend(last)
        if fn is not None and fn.scope is not None:
            return self.scope.call(name, args, raw, env)
        return functions.call(name, args, self.budget, where(node, self.file))

    # -------------------------------------------------------------------- .tf.json values
    def _json(self, value: Any, loc: Location, env: dict) -> Any:
        if isinstance(value, str):
            if "${" not in value and "%{" not in value:
                return value
            try:
                segs = template.build(template.scan(value, lambda _o: loc, self.parse_fragment))
            except template.TemplateError:
                return Unknown()
            return template.render(segs, self._eval_settled, env, self.budget, loc)
        if isinstance(value, dict):
            out = PosDict(where=loc)
            for k, v in value.items():
                sub = getattr(value, "pos", {}).get(k, loc)
                out[k] = settle(self._json(v, sub, env))
                out.pos[k] = sub
            return out
        if isinstance(value, list):
            out_l = PosList(where=loc)
            for k, v in enumerate(value):
                sub = value.pos[k] if getattr(value, "pos", None) else loc
                out_l.append(settle(self._json(v, sub or loc, env)))
                out_l.pos.append(sub)
            return out_l
        return value

