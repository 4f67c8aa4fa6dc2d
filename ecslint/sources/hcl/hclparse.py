"""A hand-written HCL parser that builds exactly the tree the lark parser builds.

`grammar.LarkGrammar` runs lark (LALR with its contextual lexer) on python-hcl2's grammar
(`hcl2.lark`) and python-hcl2's PostLexer: the reference this parser is tested against.
This module returns the same tree of `tree.Node`s and `tree.Token`s for every input lark
accepts, and rejects the inputs lark rejects at the same token, without importing lark
or loading its tables: a recursive-descent parser over a regex lexer, linear in the input.

What "the same" takes, beyond the grammar itself:

* The contextual lexer. At each point lark only tries the terminals its LALR state accepts
  (the state's *accept set*), in a fixed order (priority, then the longest the pattern can
  match, then pattern length) - the first that matches wins, not the longest. Where
  terminals overlap the accept set decides what the text becomes:

  - `if`, `in`, `for`, `true`, ... are keywords only where the state accepts the keyword,
    NAMEs elsewhere (`a = in` is an identifier). Where a state accepts keywords but no NAME
    (after `%{`, `%{~` and a for-object's `...`) they match as prefixes: `%{iffy}` is
    `%{if fy}`;
  - EQ and COLON take the blanks before them (`" ="`); `-12` is one INT_LITERAL wherever
    numbers are accepted (but `-1` is MINUS then `1`), so `a = b -12` is an error;
  - after `.` there are no floats: `a.1.5` is `a.1` `.5`;
  - `[*]` where only `[` is accepted is `[` `*`, and `!=` where only `!` is accepted is `!` `=`.

  After a token, lark's state (and so its accept set) depends on that token and, for a few
  tokens, on the construct (the `{` of an object or of a block, ...). Each point of this
  parser passes the accept set to use for the next token (`_Acc`). The sets are those of
  the LALR automaton lark builds for hcl2.lark (python-hcl2 8.1, which pyproject pins);
  tests/test_hclparse.py checks them, and each set's lexing, against lark itself.
* The PostLexer merges a newline (NL_OR_COMMENT) just before a binary operator or `?` into
  that operator's token (`"\\n+"`). It holds one newline back, so the token after a single
  newline is lexed in the state *before* the newline, and after two or more in the state
  after a newline - `[for\\nin in x: 1]` parses, `[for\\n\\nin in x: 1]` does not.
* Tree shape. lark resolves the grammar's shift/reduce conflicts by shifting, and so does
  this parser: consecutive newlines form one `new_line_or_comment`; a newline right after
  a binary operation belongs to the innermost `binary_op`; `f(a\\n)` puts the newline in
  `arguments`; a splat takes the `.x` / `[i]` after it. Binary operators use precedence
  climbing, which builds the left-nested tree of the grammar's precedence ladder. Rules
  starting with `?` are inlined when they have one child; every terminal is kept.
* Errors. lark stops at the first token it cannot shift. A token outside the state's accept
  set stops its lexer, and lark then names the text there by lexing it with all terminals
  (where STRING_CHARS matches almost anything); `_Parser._fail` does the same, so messages,
  lines and columns match lark's `UnexpectedInput` as `syntax.parse_hcl` reports it.

Nesting deeper than MAX_DEPTH (brackets, blocks, interpolations) is rejected - lark
itself has no limit.
"""

from __future__ import annotations

import re
import sys
from typing import NoReturn

from ecslint.sources.hcl.tree import Node, Token
from ecslint.sources.hcl.syntax import HclSyntaxError

MAX_DEPTH = 256

# Terminal names, as in hcl2.lark (the kinds are compared by identity: use these objects).
NAME, NL, EQ, COLON, COMMA, DOT = "NAME", "NL_OR_COMMENT", "EQ", "COLON", "COMMA", "DOT"
INT, FLOAT = "INT_LITERAL", "FLOAT_LITERAL"
LPAR, RPAR, LSQB, RSQB, LBRACE, RBRACE = "LPAR", "RPAR", "LSQB", "RSQB", "LBRACE", "RBRACE"
DBLQUOTE, STRING_CHARS = "DBLQUOTE", "STRING_CHARS"
ESC_INTERP, ESC_DIRECTIVE = "ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"
INTERP_START, DIRECTIVE_START, STRIP = "INTERP_START", "DIRECTIVE_START", "STRIP_MARKER"
TEMPLATE_STRING = "TEMPLATE_STRING"
HEREDOC, HEREDOC_TRIM = "HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM"
IF, IN, FOR, FOR_EACH = "IF", "IN", "FOR", "FOR_EACH"
ELSE, ENDIF, ENDFOR = "ELSE", "ENDIF", "ENDFOR"
TRUE, FALSE, NULL = "TRUE", "FALSE", "NULL"
MINUS, NOT, QMARK, ELLIPSIS, COLONS = "MINUS", "NOT", "QMARK", "ELLIPSIS", "COLONS"
ARROW, ATTR_SPLAT, FULL_SPLAT = "FOR_OBJECT_ARROW", "ATTR_SPLAT", "FULL_SPLAT_START"
LT, NEQ = "LT", "NEQ"
END = "$END"        # end of input
ERROR = "<error>"   # no terminal of the accept set matches here

_KEYWORDS = {"if": IF, "in": IN, "for": FOR, "for_each": FOR_EACH, "else": ELSE,
             "endif": ENDIF, "endfor": ENDFOR, "true": TRUE, "false": FALSE, "null": NULL}
KEYWORD_KINDS = frozenset((IF, IN, FOR, FOR_EACH, ELSE, ENDIF, ENDFOR))
LITERAL_KINDS = frozenset((TRUE, FALSE, NULL))
NAME_KINDS = KEYWORD_KINDS | LITERAL_KINDS | {NAME}  # what can name an attribute or block
_NAME_NODE = {NAME: "identifier", TRUE: "literal_value", FALSE: "literal_value",
              NULL: "literal_value", **{k: "keyword" for k in KEYWORD_KINDS}}
# The PostLexer merges a newline into a following token of these kinds (not MINUS: `-x`).
_MERGE = frozenset(("DOUBLE_EQ", "NEQ", "LT", "GT", "LEQ", "GEQ", "ASTERISK", "SLASH", "PERCENT",
                    "DOUBLE_AMP", "DOUBLE_PIPE", "PLUS", "QMARK"))
# Binary operators and their precedence (|| lowest); the grammar's ladder, level by level.
_PREC = {"DOUBLE_PIPE": 0, "DOUBLE_AMP": 1, "DOUBLE_EQ": 2, "NEQ": 2, "LT": 3, "GT": 3,
         "LEQ": 3, "GEQ": 3, "PLUS": 4, "MINUS": 4, "ASTERISK": 5, "SLASH": 5, "PERCENT": 5}
_PUNCT = {"*": "ASTERISK", ",": COMMA, '"': DBLQUOTE, ".": DOT, ">": "GT", "{": LBRACE,
          "(": LPAR, "[": LSQB, "<": LT, "-": MINUS, "!": NOT, "%": "PERCENT", "+": "PLUS",
          "?": QMARK, "}": RBRACE, ")": RPAR, "]": RSQB, "/": "SLASH", "~": STRIP,
          "...": ELLIPSIS, "[*]": FULL_SPLAT, ".*": ATTR_SPLAT, "::": COLONS, "&&": "DOUBLE_AMP",
          "==": "DOUBLE_EQ", "||": "DOUBLE_PIPE", "=>": ARROW, ">=": "GEQ", "<=": "LEQ",
          "!=": NEQ}

# ------------------------------------------------------------------------------- lexing

# Terminal patterns, equivalent to hcl2.lark's (some rewritten to scan faster).
# FLOAT_LITERAL is `M \.[0-9]+ (exponent)?` or `M exponent` with the mantissa M one of
# `(-[0-9])+`, `(-[0-9])?[0-9]+` - so `-1-2.5` is a float. Trying hcl2.lark's pattern at
# every `-` of `x -1-1-1...` is quadratic; the lexer instead finds floats from the INT or
# MINUS it matched (`_Parser._float`), with the tail here and the `(-[0-9])+` runs cached.
_FLOAT_TAIL = r"\.[0-9]++(?:[eE][+-]?[0-9]++)?|[eE][+-]?[0-9]++"
_INT = r"(?:-[0-9])?[0-9]+"
_NAME = r"[a-zA-Z_][a-zA-Z0-9_-]*"
_NL = r"\n[ \t]*|#[^\n]*\n|//[^\n]*\n|/\*[\s\S]*?\*/"
_TEMPLATE_STRING = r'\\"(?:[^"\\]|\\\\.)*\\"'
_STRING_CHARS = r'(?:[^"\\$%]++|\\.|\$(?!\$?\{)|%(?!%?\{))++'
_ESC_INTERP = r"\$\$\{[^}]*\}"
_ESC_DIRECTIVE = r"%%\{[^}]*\}"
_HEREDOC_OPEN = r"<<(-?)([a-zA-Z][a-zA-Z0-9._-]*)\r?\n"  # the end is found by _heredoc_end
_BLANKS = "[ \t\r]*+"  # lark's %ignore

# Modes: (pattern, kinds of its groups). A group kind of None means "look the text up in
# _PUNCT"; "" marks an inner group. Each pattern skips lark's ignored blanks first (EQ and
# COLON take them into their token: _Parser._scan). Alternatives that can match the same
# text keep lark's order; the others come most frequent first.
_MODES = {
    "code": (_BLANKS + r'(?:([,"{()}\]?+~*%])|'  # single characters that start nothing longer
             rf"({_NAME})|(=(?!=|>))|({_NL})|(:(?!:))|({_INT})"
             r"|(\.\.\.|\[\*\]|\.\*|::|&&|==|\|\||=>|>=|<=|!=)"
             rf"|({_HEREDOC_OPEN})|({_TEMPLATE_STRING})"
             r"|([.\[<\-!>/]))",
             (None, NAME, EQ, NL, COLON, INT, None, HEREDOC, "", "", TEMPLATE_STRING, None)),
    "dot": (_BLANKS + rf"(?:({_NAME})|({_INT}))", (NAME, INT)),
    "string": (rf"({_ESC_INTERP})|({_ESC_DIRECTIVE})|({_STRING_CHARS})|(%\{{)|(\$\{{)|(\")",
               (ESC_INTERP, ESC_DIRECTIVE, STRING_CHARS, DIRECTIVE_START, INTERP_START, DBLQUOTE)),
    "directive": (_BLANKS + "(?:(endfor)|(endif)|(else)|(for)|(if)|(~))",
                  (ENDFOR, ENDIF, ELSE, FOR, IF, STRIP)),
    "directive_word": (_BLANKS + "(?:(endfor)|(endif)|(else)|(for)|(if))",
                       (ENDFOR, ENDIF, ELSE, FOR, IF)),
    "for_cond": (_BLANKS + rf"(?:({_NL})|(if)|(\}}))", (NL, IF, RBRACE)),
}
_DIGITS = "0123456789"
_MULTILINE = frozenset((STRING_CHARS, TEMPLATE_STRING, ESC_INTERP, ESC_DIRECTIVE))


class _Acc:
    """The accept set of lark's state when it lexes a token, and how to lex in it."""

    __slots__ = ("kinds", "kw", "mode", "rx", "terms")

    def __init__(self, terms: str, mode: str = "code") -> None:
        self.terms = frozenset(terms.split())
        self.mode = mode
        # A NAME becomes the keyword it spells if the state accepts that keyword.
        self.kw = ({w: k for w, k in _KEYWORDS.items() if k in self.terms}
                   if NAME in self.terms else {})
        self.rx: re.Pattern[str] | None = None  # compiled below, at import
        self.kinds: tuple = ()


_EXPR = ("DBLQUOTE FALSE FLOAT_LITERAL HEREDOC_TEMPLATE HEREDOC_TEMPLATE_TRIM INT_LITERAL "
         "LBRACE LPAR LSQB NAME NULL TEMPLATE_STRING TRUE")  # what can start an expr_term
_BODY = "ELSE ENDFOR ENDIF FALSE FOR FOR_EACH IF IN NAME NULL TRUE NL_OR_COMMENT"
_AFTER = ("$END ASTERISK COLON COMMA DBLQUOTE DOUBLE_AMP DOUBLE_EQ DOUBLE_PIPE ELLIPSIS ELSE "
          "ENDFOR ENDIF EQ FALSE FLOAT_LITERAL FOR FOR_EACH FOR_OBJECT_ARROW GEQ GT "
          "HEREDOC_TEMPLATE HEREDOC_TEMPLATE_TRIM IF IN INT_LITERAL LBRACE LEQ LPAR LSQB LT "
          "MINUS NAME NEQ NL_OR_COMMENT NOT NULL PERCENT PLUS QMARK RBRACE RPAR RSQB SLASH "
          "STRIP_MARKER TEMPLATE_STRING TRUE")

# The accept sets of the LALR states lark lexes in, named after what was just shifted.
START = _Acc("$END " + _BODY)
BLOCK_START = _Acc("RBRACE " + _BODY)                    # a block's `{`
AFTER_BLOCK = _Acc("$END RBRACE " + _BODY)               # a block's `}`
AFTER_KEYWORD = _Acc("COLON EQ DBLQUOTE LBRACE " + _BODY)  # a keyword naming something
EXPR_START = _Acc(_EXPR + " MINUS NOT")                  # EQ, object COLON, `${`, `%{if`
EXPR_START_NL = _Acc(_EXPR + " MINUS NOT NL_OR_COMMENT")  # operators, `?`, `(`, index `[`
AFTER_UNARY = _Acc(_EXPR)                                # unary `-` / `!`
ARGS_START = _Acc(_EXPR + " MINUS NOT NL_OR_COMMENT RPAR")  # call `(`, `,` in arguments
TUPLE_NEXT = _Acc(_EXPR + " MINUS NOT NL_OR_COMMENT RSQB")  # `,` in a tuple
TUPLE_START = _Acc(_EXPR + " MINUS NOT NL_OR_COMMENT RSQB FOR")  # a tuple's `[`
OBJECT_NEXT = _Acc(_EXPR + " MINUS NOT NL_OR_COMMENT RBRACE ELSE ENDFOR ENDIF FOR FOR_EACH "
                   "IF IN")                              # an object's `{` or `,`
AFTER_TERM = _Acc(_AFTER + " ATTR_SPLAT DOT FULL_SPLAT_START")  # a value, `)`, `]`, `}`
AFTER_NAME = _Acc(_AFTER + " ATTR_SPLAT DOT FULL_SPLAT_START COLONS")
AFTER_NL = _Acc(_AFTER)
AFTER_DOT = _Acc("FALSE INT_LITERAL NAME NULL TRUE", "dot")
NAME_ONLY = _Acc("NAME")                                 # `::`, `for x,` and `%{for`
AFTER_TUPLE_FOR = _Acc("NAME NL_OR_COMMENT")             # `[for`
AFTER_OBJECT_FOR = _Acc("COLON EQ NAME NL_OR_COMMENT")   # `{for`: a for or a key
AFTER_FOR_ELLIPSIS = _Acc("IF NL_OR_COMMENT RBRACE", "for_cond")
AFTER_ARG_ELLIPSIS = _Acc("NL_OR_COMMENT RPAR")
IN_STRING = _Acc("DBLQUOTE DIRECTIVE_START ESCAPED_DIRECTIVE ESCAPED_INTERPOLATION "
                 "INTERP_START STRING_CHARS", "string")
AFTER_DIRECTIVE_START = _Acc("ELSE ENDFOR ENDIF FOR IF STRIP_MARKER", "directive")
AFTER_DIRECTIVE_STRIP = _Acc("ELSE ENDFOR ENDIF FOR IF", "directive_word")
AFTER_DIRECTIVE_WORD = _Acc("RBRACE STRIP_MARKER")       # %{else, %{endif, %{endfor
AFTER_STRIP_END = _Acc("RBRACE")                         # the `~` before a directive's `}`

_ALL_ACCS = [v for v in list(globals().values()) if isinstance(v, _Acc)]
# The lexer's patterns, compiled at import (a few ms; this module is imported only when a
# file must be parsed, never on a warm run).
_COMPILED = {mode: re.compile(pattern) for mode, (pattern, _kinds) in _MODES.items()}
for _acc in _ALL_ACCS:
    _acc.rx = _COMPILED[_acc.mode]
    _acc.kinds = (None,) + _MODES[_acc.mode][1]  # match.lastindex counts from 1
del _acc
_BLANKS_RX = re.compile(_BLANKS)
_FLOAT_TAIL_RX = re.compile(_FLOAT_TAIL)
_MINUS_RUN_RX = re.compile("(?:-[0-9])+")
# A string's STRING_CHARS (if any, and on one line) and closing quote.
_SIMPLE_STRING = re.compile(r'((?:[^"\\$%\n]++|\\.|\$(?!\$?\{)|%(?!%?\{))*+)"')
_WS_RX = re.compile(r"\s*")
_ROOT_RX = re.compile(f"{_TEMPLATE_STRING}|{_ESC_INTERP}|{_ESC_DIRECTIVE}|{_STRING_CHARS}"
                      r'|"|\$\{|%\{?')


def _heredoc_end(text: str, start: int, delimiter: str) -> int:
    """End of a heredoc whose body starts at `start`, or -1. Same as hcl2.lark's
    `(?:(?:.|\\n)*?\\r?\\n)??\\s*(?P=delimiter)\\r?\\n`: the first line start from which
    blanks (any `\\s`, newlines too) lead to the delimiter and a line end; linear, where
    that regex is quadratic in runs of blank lines."""
    ws = _WS_RX
    pos = start
    while True:
        at = ws.match(text, pos).end()
        if text.startswith(delimiter, at):
            after = at + len(delimiter)
            if text.startswith("\n", after):
                return after + 1
            if text.startswith("\r\n", after):
                return after + 2
        # Line starts up to `at` lie inside the same blank run and fail the same way.
        newline = text.find("\n", at)
        if newline < 0:
            return -1
        pos = newline + 1


_new = Node.__new__
_str_new = str.__new__


def _node(data: str, children: list) -> Node:
    """A rule's node, positioned at its first child (like syntax._ToNodes)."""
    node = _new(Node)
    node.data = data
    node.children = children
    first = children[0]
    node.line = first.line
    node.column = first.column
    return node


def _token(kind: str, value: str, line: int, column: int) -> Token:
    tok = _str_new(Token, value)
    tok.type = kind
    tok.line = line
    tok.column = column
    return tok


# ------------------------------------------------------------------------------ parsing


class _Parser:
    """Recursive descent over hcl2.lark. `kind`/`tok` is the next token, `nls` the
    newline tokens before it (None if none), lexed in the state of `acc` / `nl_acc`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.line_start = 0  # offset of the current line's first character
        self.depth = 0
        self.ceiling = 9  # see binary()
        self.minus_run = (0, 0)  # see _minus_run()
        self.kind: str = END
        self.tok: Token | None = None
        self.nls: list | None = None
        self.nl_run = 0  # newlines lexed before the token (nls plus one merged into it)
        self.acc = START
        self.nl_acc = START
        self._advance(START)  # (the text is never empty: it ends with a newline)

    # -- lexer

    def _scan(self, acc: _Acc) -> str:
        """Lex one token at `pos` as lark's lexer does in a state with accept set `acc`:
        the token goes to `tok`, its kind is returned."""
        pos = self.pos
        m = acc.rx.match(self.text, pos)
        if m is None:
            return self._scan_nothing()
        idx = m.lastindex
        kind = acc.kinds[idx]
        value = m[idx]
        end = self.pos = m.end()
        if (kind is EQ or kind is COLON) and end - 1 != pos:
            blanks = self.text[pos:end - 1]  # lark's EQ / COLON: /[ \t]*=/, /[ \t]*:/
            if "\r" not in blanks:
                value = blanks + value
        self.tok = tok = _str_new(Token, value)
        tok.line = self.line
        tok.column = end - len(value) - self.line_start + 1
        if kind is NAME:
            kind = acc.kw.get(value, NAME)
        elif kind is None:
            kind = _PUNCT[value]
            if kind is MINUS:
                if self.text[end] in _DIGITS and FLOAT in acc.terms:
                    return self._float(end - 1, self._minus_run(end - 1))
            elif (kind is FULL_SPLAT or kind is NEQ) and kind not in acc.terms:
                short = LSQB if kind is FULL_SPLAT else NOT  # what lark tries next
                if short in acc.terms:
                    self.pos = end - len(value) + 1
                    self.tok = _token(short, value[0], tok.line, tok.column)
                    return short
        elif kind is NL:
            if value[0] == "\n":
                self.line += 1
                self.line_start = end - len(value) + 1
            else:
                self._lines(value, end - len(value))
        elif kind is INT:
            if self.text[end] in ".eE" and FLOAT in acc.terms:
                return self._float(end - len(value), end)
        elif kind is HEREDOC:
            return self._heredoc(m, idx)
        elif kind in _MULTILINE and "\n" in value:
            self._lines(value, end - len(value))
        tok.type = kind
        return kind

    def _float(self, start: int, mantissa_end: int) -> str:
        """A FLOAT_LITERAL if the INT or `-` just lexed at `start` (its mantissa ending at
        `mantissa_end`) continues into one, else that token (lark tries FLOAT first)."""
        tok = self.tok
        m = _FLOAT_TAIL_RX.match(self.text, mantissa_end)
        if m is None:
            tok.type = kind = MINUS if tok == "-" else INT
            return kind
        self.pos = m.end()
        self.tok = _token(FLOAT, self.text[start:self.pos], tok.line, tok.column)
        return FLOAT

    def _minus_run(self, start: int) -> int:
        """End of the `(-[0-9])+` run at `start`. Cached: the run from each later `-` of
        it ends at the same place, and `x -1-1-1...` asks at every one."""
        run_start, run_end = self.minus_run
        if not (run_start <= start < run_end and (run_end - start) % 2 == 0):
            run_end = _MINUS_RUN_RX.match(self.text, start).end()
            self.minus_run = (start, run_end)
        return run_end

    def _heredoc(self, m: re.Match[str], idx: int) -> str:
        """The rest of a heredoc whose first line `m` matched (group `idx`)."""
        tok = self.tok
        start = m.start(idx)
        stop = _heredoc_end(self.text, m.end(), m.group(idx + 2))
        if stop < 0:  # no end line: lark lexes `<` instead
            self.pos = start + 1
            self.tok = _token(LT, "<", tok.line, tok.column)
            return LT
        kind = HEREDOC_TRIM if m.group(idx + 1) else HEREDOC
        value = self.text[start:stop]
        self.pos = stop
        self._lines(value, start)
        self.tok = _token(kind, value, tok.line, tok.column)
        return kind

    def _lines(self, value: str, start: int) -> None:
        """Count the lines of a token that may span several."""
        count = value.count("\n")
        if count:
            self.line += count
            self.line_start = start + value.rindex("\n") + 1

    def _scan_nothing(self) -> str:
        """No terminal matches: the end of the input after blanks, or a lexing error.
        lark's $END takes the position of the token before it."""
        at = _BLANKS_RX.match(self.text, self.pos).end()
        if at == len(self.text):
            prev = self.tok
            self.tok = _token(END, "", prev.line, prev.column)
            return END
        self.tok = _token(ERROR, "", self.line, at - self.line_start + 1)
        return ERROR

    def _advance(self, acc: _Acc) -> None:
        """Shift the current token; lex the next one (and newlines before it) in `acc`."""
        kind = self._scan(acc)
        if kind is NL:
            # The PostLexer holds a newline back until it has seen the next token, so
            # lark lexes the second newline, and the token after a single newline, in the
            # state before the first; after that, in the state after a newline.
            nls = [self.tok]
            self.nl_acc = acc
            if NL not in acc.terms:  # lark's lexer stops at this newline (see _fail)
                self.nls, self.nl_run, self.kind, self.acc = nls, 1, ERROR, acc
                return
            kind = self._scan(acc)
            while kind is NL:
                nls.append(self.tok)
                acc = AFTER_NL
                kind = self._scan(acc)
            self.nl_run = len(nls)
            if kind in _MERGE:
                tok = self.tok
                self.tok = _token(kind, nls.pop() + tok, tok.line, tok.column)
            self.nls = nls or None
        else:
            self.nls = None
        self.kind = kind
        self.acc = acc

    def _take(self, acc: _Acc) -> Token:
        """The current token, shifted (the next one lexed in `acc`)."""
        tok = self.tok
        self._advance(acc)
        return tok

    def _expect(self, kind: str, acc: _Acc) -> Token:
        if self.nls or self.kind is not kind:
            self._fail()
        tok = self.tok
        self._advance(acc)
        return tok

    def _newlines(self) -> Node:
        """The pending newlines as a new_line_or_comment node."""
        nls = self.nls
        self.nls = None
        node = _new(Node)
        node.data = "new_line_or_comment"
        node.children = nls
        node.line = nls[0].line
        node.column = nls[0].column
        return node

    # -- errors

    def _fail(self) -> NoReturn:
        """Raise lark's error for the pending newlines or the current token."""
        nls = self.nls
        if nls:
            if NL not in self.nl_acc.terms:
                self._lex_error(nls[0])
            if self.nl_run > 1 or self._lexable():
                self._unexpected(nls[0])  # lark feeds the newline before the next token
        if self._lexable():
            self._unexpected(self.tok)
        self._lex_error(self.tok)

    def _lexable(self) -> bool:
        kind = self.kind
        return kind is END or kind in self.acc.terms

    def _unexpected(self, tok: Token) -> NoReturn:
        what = ("unexpected end of file (unclosed block or string?)" if tok.type is END
                else f"unexpected {str(tok)!r}")
        raise HclSyntaxError(f"invalid HCL: {what}", tok.line, tok.column)

    def _lex_error(self, tok: Token) -> NoReturn:
        """lark's lexer found nothing it accepts where `tok` starts; it names the text
        there with all its terminals (UnexpectedToken) or gives up (UnexpectedCharacters)."""
        text = self.text
        offset = _offset(text, tok.line, tok.column)
        column = tok.column
        if tok.type is EQ or tok.type is COLON:  # lark skipped the blanks before the sign
            blanks = _BLANKS_RX.match(text, offset).end() - offset
            offset, column = offset + blanks, column + blanks
        m = _ROOT_RX.match(text, offset)
        what = f"unexpected {m.group()!r}" if m else "unexpected input"
        raise HclSyntaxError(f"invalid HCL: {what}", tok.line, column)

    def _too_deep(self) -> NoReturn:
        tok = self.nls[0] if self.nls else self.tok
        raise HclSyntaxError(f"invalid HCL: nested too deeply (more than {MAX_DEPTH} levels)",
                             tok.line, tok.column)

    # -- structure

    def start(self) -> Node:
        body = self.body(END)
        if self.kind is not END:
            self._fail()
        return _node("start", [body])

    def body(self, closer: str) -> Node:
        """Attributes and blocks up to `closer` (RBRACE or END), which is not shifted."""
        children: list = []
        while True:
            if self.nls:
                children.append(self._newlines())
            kind = self.kind
            if kind in NAME_KINDS:
                children.append(self.attribute_or_block())
            elif kind is closer:
                break
            else:
                self._fail()
        node = _new(Node)
        node.data = "body"
        node.children = children
        if children:
            node.line, node.column = children[0].line, children[0].column
        else:
            node.line = node.column = None
        return node

    def name(self) -> Node:
        """identifier / keyword / literal_value naming an attribute, block or label."""
        kind = self.kind
        tok = self.tok
        self._advance(AFTER_NAME if kind is NAME else
                      AFTER_TERM if kind in LITERAL_KINDS else AFTER_KEYWORD)
        return _node(_NAME_NODE[kind], [tok])

    def attribute_or_block(self) -> Node:
        first = self.name()
        if self.kind is EQ and not self.nls:
            eq = self.tok
            self._advance(EXPR_START)
            node = _new(Node)
            node.data = "attribute"
            node.children = [first, eq, self.expression()]
            node.line = first.line
            node.column = first.column
            return node
        children = [first]
        while not self.nls:
            kind = self.kind
            if kind in NAME_KINDS:
                children.append(self.name())
            elif kind is DBLQUOTE:
                children.append(self.string())
            else:
                break
        if self.nls:
            children.append(self._newlines())
        children.append(self._expect(LBRACE, BLOCK_START))
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self._too_deep()
        children.append(self.body(RBRACE))
        self.depth -= 1
        children.append(self._take(AFTER_BLOCK))
        return _node("block", children)

    # -- expressions

    def expression(self) -> Node:
        """expression: a conditional or an or_expr. A chain of conditionals in the
        else branch (`a ? b : c ? d : e`) is parsed in a loop and nested afterwards."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self._too_deep()
        cond = self.binary(0)
        if self.kind is not QMARK or self.nls:
            self.depth -= 1
            return cond
        heads = []
        while True:
            children = [cond, self._take(EXPR_START_NL)]
            if self.nls:
                children.append(self._newlines())
            children.append(self.expression())
            if self.nls:
                children.append(self._newlines())
            children.append(self._expect(COLON, EXPR_START_NL))
            if self.nls:
                children.append(self._newlines())
            heads.append(children)
            cond = self.binary(0)
            if self.kind is not QMARK or self.nls:
                break
        for children in reversed(heads):
            children.append(cond)
            cond = _node("conditional", children)
        self.depth -= 1
        return cond

    def binary(self, min_prec: int) -> Node:
        """Binary operations of precedence >= min_prec, left-associative (precedence
        climbing builds the grammar's ladder). A newline right after an operation's right
        operand ends that binary_op (lark shifts it there); then no operator of higher
        precedence may follow, here or in the callers (`ceiling`)."""
        kind = self.kind
        left = self.unary() if kind is MINUS or kind is NOT else self.expr_term()
        self.ceiling = 9
        prec_of = _PREC.get
        while not self.nls:
            prec = prec_of(self.kind)
            if prec is None or prec < min_prec or prec > self.ceiling:
                break
            op = _node("binary_operator", [self.tok])
            self._advance(EXPR_START_NL)
            term = [op, self._newlines()] if self.nls else [op]
            term.append(self.binary(prec + 1))
            children = [left, _node("binary_term", term)]
            if self.nls:
                children.append(self._newlines())
                self.ceiling = prec
            left = _node("binary_op", children)
        return left

    def unary(self) -> Node:
        kind = self.kind
        if kind is MINUS or kind is NOT:
            if self.nls:
                self._fail()
            op = self._take(AFTER_UNARY)
            return _node("unary_op", [op, self.expr_term()])
        return self.expr_term()

    def expr_term(self) -> Node:
        """A value with its postfix `.attr`, `[index]`, `.*` and `[*]`."""
        if self.nls:
            self._fail()
        kind = self.kind
        tok = self.tok
        if kind is NAME:
            self._advance(AFTER_NAME)
            inner = _new(Node)
            inner.data = "identifier"
            inner.children = [tok]
            inner.line = tok.line
            inner.column = tok.column
            if not self.nls and (self.kind is LPAR or self.kind is COLONS):
                inner = self.function_call(inner)
        elif kind is DBLQUOTE:
            inner = self.string()
        elif kind is LBRACE:
            inner = self.object_expr()
        elif kind is LSQB:
            inner = self.tuple_expr()
        elif kind is LPAR:
            inner = None
        else:
            data = _VALUE_NODE.get(kind)
            if data is None:
                self._fail()
            self._advance(AFTER_TERM)
            inner = _node(data, [tok])
        if inner is None:
            term = self.parenthesized()
        else:
            term = _new(Node)
            term.data = "expr_term"
            term.children = [inner]
            term.line = inner.line
            term.column = inner.column
        while not self.nls:
            kind = self.kind
            if kind is DOT:
                data, suffix = self.dot()
            elif kind is LSQB:
                data, suffix = "index_expr_term", self.braces_index()
            elif kind is ATTR_SPLAT:
                data, suffix = "attr_splat_expr_term", self.splat("attr_splat")
            elif kind is FULL_SPLAT:
                data, suffix = "full_splat_expr_term", self.splat("full_splat")
            else:
                break
            term = _node("expr_term", [_node(data, [term, suffix])])
        return term

    def parenthesized(self) -> Node:
        return self._enclosed("expr_term", RPAR)

    def dot(self) -> tuple[str, Node]:
        """`.name` / `.true` (get_attr) or `.0` (short_index)."""
        dot = self._take(AFTER_DOT)
        kind = self.kind
        tok = self.tok
        if kind is NAME:
            self._advance(AFTER_NAME)
            return "get_attr_expr_term", _node("get_attr", [dot, _node("identifier", [tok])])
        if kind in LITERAL_KINDS:
            self._advance(AFTER_TERM)
            return "get_attr_expr_term", _node("get_attr", [dot, _node("literal_value", [tok])])
        if kind is INT:
            self._advance(AFTER_TERM)
            return "index_expr_term", _node("short_index", [dot, tok])
        self._fail()

    def braces_index(self) -> Node:
        return self._enclosed("braces_index", RSQB)

    def _enclosed(self, data: str, closer) -> Node:
        """`(` expression `)` or `[` expression `]`: newlines allowed inside."""
        children = [self._take(EXPR_START_NL)]
        if self.nls:
            children.append(self._newlines())
        children.append(self.expression())
        if self.nls:
            children.append(self._newlines())
        children.append(self._expect(closer, AFTER_TERM))
        return _node(data, children)

    def splat(self, data: str) -> Node:
        """`.*` or `[*]` with the `.attr` / `[index]` after it."""
        children = [self._take(AFTER_TERM)]
        while not self.nls:
            kind = self.kind
            if kind is DOT:
                children.append(self.dot()[1])
            elif kind is LSQB:
                children.append(self.braces_index())
            else:
                break
        return _node(data, children)

    def function_call(self, name: Node) -> Node:
        children = [name]
        if self.kind is COLONS:  # provider::namespace::function
            children.append(self._take(NAME_ONLY))
            children.append(_node("identifier", [self._expect(NAME, AFTER_NAME)]))
            children.append(self._expect(COLONS, NAME_ONLY))
            children.append(_node("identifier", [self._expect(NAME, AFTER_NAME)]))
            if self.nls or self.kind is not LPAR:
                self._fail()
        children.append(self._take(ARGS_START))
        if self.nls:
            children.append(self._newlines())
        if self.kind is not RPAR:
            children.append(self.arguments())
        children.append(self._expect(RPAR, AFTER_TERM))
        return _node("function_call", children)

    def arguments(self) -> Node:
        """expression ((nl) `,` (nl) expression)* (`,` | `...`)? (nl)"""
        children = [self.expression()]
        while True:
            if self.nls:
                newlines = self._newlines()
                children.append(newlines)
                if self.kind is not COMMA:
                    break
                children.append(self._take(EXPR_START_NL))
                if self.nls:
                    children.append(self._newlines())
                children.append(self.expression())
            elif self.kind is COMMA:
                children.append(self._take(ARGS_START))
                if self.nls:
                    children.append(self._newlines())
                if self.kind is RPAR:
                    break
                children.append(self.expression())
            elif self.kind is ELLIPSIS:
                children.append(self._take(AFTER_ARG_ELLIPSIS))
                if self.nls:
                    children.append(self._newlines())
                break
            else:
                break
        return _node("arguments", children)

    def tuple_expr(self) -> Node:
        lsqb = self._take(TUPLE_START)
        children = [lsqb, self._newlines()] if self.nls else [lsqb]
        if self.kind is FOR:
            return self.for_tuple(children)
        while self.kind is not RSQB:
            children.append(self.expression())
            if self.nls:
                children.append(self._newlines())
            if self.kind is not COMMA:
                break
            children.append(self._take(TUPLE_NEXT))
            if self.nls:
                children.append(self._newlines())
        children.append(self._expect(RSQB, AFTER_TERM))
        return _node("tuple", children)

    def object_expr(self) -> Node:
        lbrace = self._take(OBJECT_NEXT)
        children = [lbrace, self._newlines()] if self.nls else [lbrace]
        key = None
        if self.kind is FOR:
            for_tok = self._take(AFTER_OBJECT_FOR)
            if self.nls or self.kind is NAME:
                return self.for_object(children, for_tok)
            key = _node("object_elem_key", [_node("keyword", [for_tok])])  # `{for = 1}`
        while key is not None or self.kind is not RBRACE:
            children.append(self.object_elem(key))
            key = None
            if self.nls:
                children.append(self._newlines())
            if self.kind is COMMA:
                children.append(self._take(OBJECT_NEXT))
                if self.nls:
                    children.append(self._newlines())
        children.append(self._take(AFTER_TERM))
        return _node("object", children)

    def object_elem(self, key: Node | None) -> Node:
        if key is None:
            if self.kind in KEYWORD_KINDS and not self.nls:
                key = _node("object_elem_key",
                            [_node("keyword", [self._take(AFTER_KEYWORD)])])
            else:
                key = _node("object_elem_key", [self.expression()])
        if self.nls or (self.kind is not EQ and self.kind is not COLON):
            self._fail()
        sep = self._take(EXPR_START)
        return _node("object_elem", [key, sep, self.expression()])

    def for_intro(self, for_tok: Token) -> Node:
        """for k, v in collection : (the FOR already shifted)"""
        children = [for_tok]
        if self.nls:
            children.append(self._newlines())
        children.append(_node("identifier", [self._expect(NAME, AFTER_NAME)]))
        if self.kind is COMMA and not self.nls:
            children.append(self._take(NAME_ONLY))
            children.append(_node("identifier", [self._expect(NAME, AFTER_NAME)]))
        if self.nls:
            children.append(self._newlines())
        children.append(self._expect(IN, EXPR_START_NL))
        if self.nls:
            children.append(self._newlines())
        children.append(self.expression())
        if self.nls:
            children.append(self._newlines())
        children.append(self._expect(COLON, EXPR_START_NL))
        if self.nls:
            children.append(self._newlines())
        return _node("for_intro", children)

    def for_cond(self) -> Node:
        children = [self._take(EXPR_START_NL)]
        if self.nls:
            children.append(self._newlines())
        children.append(self.expression())
        return _node("for_cond", children)

    def for_tuple(self, children: list) -> Node:
        children.append(self.for_intro(self._take(AFTER_TUPLE_FOR)))
        children.append(self.expression())
        if self.nls:
            children.append(self._newlines())
        if self.kind is IF:
            children.append(self.for_cond())
            if self.nls:
                children.append(self._newlines())
        children.append(self._expect(RSQB, AFTER_TERM))
        return _node("for_tuple_expr", children)

    def for_object(self, children: list, for_tok: Token) -> Node:
        children.append(self.for_intro(for_tok))
        children.append(self.expression())
        children.append(self._expect(ARROW, EXPR_START_NL))
        if self.nls:
            children.append(self._newlines())
        children.append(self.expression())
        if self.nls:
            children.append(self._newlines())
        if self.kind is ELLIPSIS:
            children.append(self._take(AFTER_FOR_ELLIPSIS))
            if self.nls:
                children.append(self._newlines())
        if self.kind is IF:
            children.append(self.for_cond())
            if self.nls:
                children.append(self._newlines())
        children.append(self._expect(RBRACE, AFTER_TERM))
        return _node("for_object_expr", children)

    # -- templates

    def string(self) -> Node:
        """A quoted template: its parts, interpolations and directives, lexed in
        string mode (no newlines or blanks of their own there)."""
        m = _SIMPLE_STRING.match(self.text, self.pos)
        if m is not None:  # one line of plain characters: no need for string mode
            return self._simple_string(m)
        children = [self._take(IN_STRING)]
        while True:
            kind = self.kind
            if kind is STRING_CHARS or kind is ESC_INTERP or kind is ESC_DIRECTIVE:
                part = self.tok
                self._advance(IN_STRING)
            elif kind is DBLQUOTE:
                children.append(self._take(AFTER_TERM))
                return _node("string", children)
            elif kind is INTERP_START:
                part = [self._take(EXPR_START)]
                part.append(self.expression())
                part.append(self._expect(RBRACE, IN_STRING))
                part = _node("interpolation", part)
            elif kind is DIRECTIVE_START:
                part = self.directive()
            else:
                self._fail()
            children.append(_node("string_part", [part]))

    def _simple_string(self, m: re.Match[str]) -> Node:
        """The string `"chars"` whose characters and closing quote `m` matched."""
        opening = self.tok
        line, column = opening.line, opening.column
        chars = m.group(1)
        children = [opening]
        if chars:
            children.append(_node("string_part", [_token(STRING_CHARS, chars, line, column + 1)]))
        self.tok = closing = _token(DBLQUOTE, '"', line, column + 1 + len(chars))
        children.append(closing)
        self.pos = m.end()
        self._advance(AFTER_TERM)
        return _node("string", children)

    def directive(self) -> Node:
        """%{if x}, %{else}, %{endif}, %{for a, b in x}, %{endfor}, with `~` markers."""
        children = [self._take(AFTER_DIRECTIVE_START)]
        if self.kind is STRIP:
            children.append(self._take(AFTER_DIRECTIVE_STRIP))
        kind = self.kind
        if kind is IF:
            data = "template_if_start"
            children.append(self._take(EXPR_START))
            children.append(self.expression())
        elif kind is FOR:
            data = "template_for_start"
            children.append(self._take(NAME_ONLY))
            children.append(_node("identifier", [self._expect(NAME, AFTER_NAME)]))
            if self.kind is COMMA and not self.nls:
                children.append(self._take(NAME_ONLY))
                children.append(_node("identifier", [self._expect(NAME, AFTER_NAME)]))
            children.append(self._expect(IN, EXPR_START))
            children.append(self.expression())
        elif kind is ELSE or kind is ENDIF or kind is ENDFOR:
            data = _DIRECTIVE_NODE[kind]
            children.append(self._take(AFTER_DIRECTIVE_WORD))
        else:
            self._fail()
        if self.kind is STRIP and not self.nls:
            children.append(self._take(AFTER_STRIP_END))
        children.append(self._expect(RBRACE, IN_STRING))
        return _node(data, children)


_VALUE_NODE = {INT: "int_lit", FLOAT: "float_lit", TRUE: "literal_value",
               FALSE: "literal_value", NULL: "literal_value", HEREDOC: "heredoc_template",
               HEREDOC_TRIM: "heredoc_template_trim", TEMPLATE_STRING: "template_string"}
_DIRECTIVE_NODE = {ELSE: "template_else", ENDIF: "template_endif", ENDFOR: "template_endfor"}


def _offset(text: str, line: int, column: int) -> int:
    """Offset of a 1-based line/column (error path only)."""
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + column - 1


# Python frames a nesting level can take (expression, binary per precedence level,
# unary, expr_term, a collection, its element), with room to spare.
_FRAMES_PER_LEVEL = 16


def parse_tree(text: str) -> Node:
    """HCL text -> the grammar's `start` node, exactly as `grammar.LarkGrammar` builds it.
    Raises HclSyntaxError where lark raises UnexpectedInput."""
    if not text.endswith("\n"):
        text += "\n"  # the grammar wants a trailing newline after the last block
    old_limit = sys.getrecursionlimit()
    needed = _stack_depth() + MAX_DEPTH * _FRAMES_PER_LEVEL + 100
    if old_limit < needed:
        sys.setrecursionlimit(needed)
    try:
        return _Parser(text).start()
    finally:
        if sys.getrecursionlimit() != old_limit:
            sys.setrecursionlimit(old_limit)


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth
