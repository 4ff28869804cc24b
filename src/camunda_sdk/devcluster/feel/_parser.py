"""A hand-written parser for FEEL expressions: precedence climbing straight over the text.

It reads characters rather than a token stream because FEEL's names are context-dependent:
``string length(x)`` is one function name with a space, ``{a b: 1}`` has a key with a space,
and ``date and time(...)`` contains a keyword. The grammar and the operator precedence follow
Camunda's FEEL-Scala (lowest first): ``if``/``for``/``some``/``every``/``function``, ``or``,
``and``, comparisons (``= != < <= > >=``, ``between``, ``in``, ``instance of``; not chained),
``+ -``, ``* /``, ``**``, unary ``-``, then paths, filters and invocations.
"""

from __future__ import annotations

import decimal
import re

from . import _ast as A
from ._temporal import parse_temporal
from .errors import FeelSyntaxError

__all__ = ["MAX_LENGTH", "MAX_NESTING", "parse"]

MAX_LENGTH = 10_000
MAX_NESTING = 64

# Words that can never be a name (FEEL-Scala's reserved words).
_RESERVED = frozenset(
    {"null", "true", "false", "function", "in", "return", "then", "else", "satisfies", "and", "or"}
)
# Words that end a multi-word function name: they start or continue an operator.
_STOP_WORDS = _RESERVED | frozenset({"if", "for", "some", "every", "between", "instance", "not"})
# Built-in names that contain a reserved word, so they must be recognised whole.
_KEYWORD_NAMES = re.compile(
    r"(date\s+and\s+time|years\s+and\s+months\s+duration|get\s+or\s+else|and|or)\b"
)
# Properties whose names have a space (FEEL-Scala knows them by name).
_SPACED_PROPERTY = re.compile(r"(?:time\s+offset|start\s+included|end\s+included)\b")
_IDENT = re.compile(r"(?:[^\W\d]|\$)[\w$]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_EXTRA_SPACE = frozenset("\u200b\ufeff\u180e")

_BP_OR, _BP_AND, _BP_CMP, _BP_ADD, _BP_MUL, _BP_POW = 1, 2, 3, 4, 5, 6
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}
_TYPE_NAMES = ("years and months duration", "days and time duration", "date and time")


def parse(text: str) -> A.Node:
    """The syntax tree of a FEEL expression, or FeelSyntaxError saying where and what."""
    if len(text) > MAX_LENGTH:
        raise FeelSyntaxError(
            f"the expression is {len(text)} characters long; at most {MAX_LENGTH} are accepted",
            text[:200],
            0,
        )
    parser = _Parser(text)
    try:
        node = parser.expression()
        parser.skip()
        if parser.pos < parser.n:
            parser.fail(parser.unexpected_message())
    except RecursionError:
        raise FeelSyntaxError("the expression nests too deeply", text, parser.pos) from None
    return node


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.n = len(text)
        self.depth = 0
        self.no_filter_depth = -1  # the end of a range like [1..5[ must not read '[' as a filter

    # ---- characters, whitespace, errors ----

    def fail(self, message: str, pos: int | None = None) -> None:
        raise FeelSyntaxError(message, self.text, self.pos if pos is None else pos)

    def skip(self) -> None:
        text, n = self.text, self.n
        i = self.pos
        while i < n:
            c = text[i]
            if c.isspace() or c in _EXTRA_SPACE:
                i += 1
            elif c == "/" and text.startswith("//", i):
                j = text.find("\n", i)
                i = n if j < 0 else j + 1
            elif c == "/" and text.startswith("/*", i):
                j = text.find("*/", i + 2)
                if j < 0:
                    self.fail("a comment opened with '/*' is never closed", i)
                i = j + 2
            else:
                break
        self.pos = i

    def peek(self, s: str) -> bool:
        self.skip()
        return self.text.startswith(s, self.pos)

    def eat(self, s: str) -> bool:
        if self.peek(s):
            self.pos += len(s)
            return True
        return False

    def expect(self, s: str, context: str) -> None:
        if not self.eat(s):
            self.fail(f"expected '{s}' {context}, found {self.found()}")

    def found(self) -> str:
        self.skip()
        if self.pos >= self.n:
            return "the end of the expression"
        m = _IDENT.match(self.text, self.pos)
        word = m.group(0) if m else self.text[self.pos : self.pos + 1]
        return f"'{word}'"

    def unexpected_message(self) -> str:
        rest = self.text[self.pos :]
        if rest.startswith(".."):
            return "a range needs brackets here: write [a..b] (or (a..b), ]a..b[ for open ends)"
        if re.match(r"is\s+defined\b", rest):
            return "FEEL has no 'x is defined' operator: write is defined(x)"
        m = _IDENT.match(rest)
        if m and m.group(0) not in _RESERVED:
            return (
                f"expected an operator or the end of the expression, found '{m.group(0)}' "
                "(a name with spaces must be written in backticks, like `order total`)"
            )
        return f"expected an operator or the end of the expression, found {self.found()}"

    def at_word(self, word: str) -> bool:
        self.skip()
        if not self.text.startswith(word, self.pos):
            return False
        end = self.pos + len(word)
        return end >= self.n or not (self.text[end].isalnum() or self.text[end] in "_$")

    def eat_word(self, word: str) -> bool:
        if self.at_word(word):
            self.pos += len(word)
            return True
        return False

    def expect_word(self, word: str, context: str) -> None:
        if not self.eat_word(word):
            self.fail(f"expected '{word}' {context}, found {self.found()}")

    def name(self, what: str) -> str:
        """An identifier (not a reserved word) or a backtick name."""
        self.skip()
        if self.text.startswith("`", self.pos):
            end = self.text.find("`", self.pos + 1)
            if end < 0 or end == self.pos + 1:
                self.fail("a name opened with '`' is never closed (or is empty)")
            value = self.text[self.pos + 1 : end]
            self.pos = end + 1
            return value
        m = _IDENT.match(self.text, self.pos)
        if not m or m.group(0) in _RESERVED:
            self.fail(f"expected {what}, found {self.found()}")
        assert m is not None
        self.pos = m.end()
        return m.group(0)

    # ---- expressions ----

    def expression(self, min_bp: int = 0) -> A.Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail(f"the expression nests more than {MAX_NESTING} levels deep")
        try:
            return self._expression(min_bp)
        finally:
            self.depth -= 1

    def _expression(self, min_bp: int) -> A.Node:
        start = self.pos
        self.skip()
        if min_bp == 0:
            special = self.textual()
            if special is not None:
                return special
        left = self.comparison_start() if min_bp <= _BP_CMP else None
        if left is None:
            left = self.unary()
        last_cmp = isinstance(left, A.UnaryCompare)
        while True:
            self.skip()
            pos = self.pos
            if min_bp <= _BP_OR and self.at_word("or"):
                items = [left]
                while self.eat_word("or"):
                    items.append(self.expression(_BP_OR + 1))
                left = A.Or(start, items)
                continue
            if min_bp <= _BP_AND and self.at_word("and"):
                items = [left]
                while self.eat_word("and"):
                    items.append(self.expression(_BP_AND + 1))
                left = A.And(start, items)
                last_cmp = False
                continue
            if min_bp <= _BP_CMP:
                cmp_node = self.comparison_op(left, pos)
                if cmp_node is not None:
                    if last_cmp:
                        self.fail("comparisons cannot be chained; join them with 'and'", pos)
                    left, last_cmp = cmp_node, True
                    continue
            op = self.arith_op(min_bp)
            if op is None:
                return left
            bp = {"+": _BP_ADD, "-": _BP_ADD, "*": _BP_MUL, "/": _BP_MUL, "**": _BP_POW}[op]
            right = self.expression(bp + 1)
            left = A.Binary(pos, op, left, right)
            last_cmp = False

    def arith_op(self, min_bp: int) -> str | None:
        self.skip()
        text, i = self.text, self.pos
        if i >= self.n:
            return None
        c = text[i]
        if c == "*" and text.startswith("**", i):
            op = "**"
        elif c in "+-*/" and not text.startswith("//", i) and not text.startswith("/*", i):
            op = c
        else:
            return None
        bp = _BP_POW if op == "**" else (_BP_MUL if op in "*/" else _BP_ADD)
        if bp < min_bp:
            return None
        self.pos += len(op)
        return op

    def comparison_start(self) -> A.Node | None:
        # ``< 5`` standing alone tests the input value ``?`` (FEEL-Scala's simple unary test).
        self.skip()
        pos = self.pos
        for op in ("<=", ">=", "<", ">"):
            if self.text.startswith(op, pos):
                self.pos += len(op)
                return A.UnaryCompare(pos, op, self.expression(_BP_ADD))
        return None

    def comparison_op(self, left: A.Node, pos: int) -> A.Node | None:
        text, i = self.text, self.pos
        for op in ("<=", ">=", "!=", "=", "<", ">"):
            if text.startswith(op, i):
                self.pos += len(op)
                return A.Compare(pos, op, left, self.expression(_BP_ADD))
        if self.eat_word("between"):
            low = self.expression(_BP_ADD)
            self.expect_word("and", "between the bounds of 'between'")
            return A.Between(pos, left, low, self.expression(_BP_ADD))
        if self.eat_word("in"):
            return A.In(pos, left, self.positive_unary_tests())
        if self.eat_word("instance"):
            self.expect_word("of", "after 'instance'")
            return A.InstanceOf(pos, left, self.type_name())
        return None

    def type_name(self) -> str:
        self.skip()
        for name in _TYPE_NAMES:
            m = re.compile(r"\s+".join(name.split()) + r"\b").match(self.text, self.pos)
            if m:
                self.pos = m.end()
                return name
        if self.eat_word("function"):
            return "function"
        parts = [self.name("a type name")]
        while self.peek(".") and not self.peek(".."):
            self.pos += 1
            parts.append(self.name("a type name"))
        return ".".join(parts)

    def positive_unary_tests(self) -> list[A.Node]:
        self.skip()
        start = self.pos
        if self.text.startswith("(", start):
            # ``(< 1, > 5)``: a list of tests, unless it turns out to be a range like (1..5].
            self.pos += 1
            first = self.positive_unary_test(0)
            if self.eat(".."):
                return [self.range_rest(start, first, start_included=False)]
            tests = [first]
            while self.eat(","):
                tests.append(self.positive_unary_test(0))
            self.expect(")", "to close the list of tests")
            if len(tests) == 1:
                # ``x in (y)`` is a parenthesised expression; keep its postfix operations.
                return [self.postfix(first, start)] if isinstance(first, A.Node) else tests
            return tests
        return [self.positive_unary_test()]

    def positive_unary_test(self, min_bp: int = _BP_CMP) -> A.Node:
        self.skip()
        pos = self.pos
        for op in ("!=", "="):
            if self.text.startswith(op, pos):
                self.pos += len(op)
                return A.UnaryCompare(pos, op, self.expression(_BP_ADD))
        test = self.comparison_start()
        if test is not None:
            return test
        return self.expression(min_bp)

    def range_rest(self, start: int, low: A.Node, start_included: bool) -> A.Node:
        before = self.pos
        try:
            high = self.expression(_BP_ADD)
            self.skip()
            if self.text[self.pos : self.pos + 1] not in ("]", ")", "["):
                raise FeelSyntaxError("", self.text, self.pos)
        except FeelSyntaxError:
            # Read the end again without filters: in [1..5[ the '[' closes the range.
            self.pos = before
            saved, self.no_filter_depth = self.no_filter_depth, self.depth + 1
            try:
                high = self.expression(_BP_ADD)
            finally:
                self.no_filter_depth = saved
            self.skip()
        closer = self.text[self.pos : self.pos + 1]
        if closer not in ("]", ")", "["):
            self.fail(f"expected ']', ')' or '[' to close the range, found {self.found()}")
        self.pos += 1
        return A.RangeLit(start, low, high, start_included, closer == "]")

    # ---- prefix forms ----

    def textual(self) -> A.Node | None:
        pos = self.pos
        if self.eat_word("if"):
            cond = self.expression()
            self.expect_word("then", "after the condition of 'if'")
            then = self.expression()
            self.expect_word("else", "after the 'then' branch (FEEL's 'if' always has 'else')")
            return A.If(pos, cond, then, self.expression())
        if self.eat_word("for"):
            iterators = self.iterators("for")
            self.expect_word("return", "after the iterators of 'for'")
            return A.For(pos, iterators, self.expression())
        for word in ("some", "every"):
            if self.eat_word(word):
                iterators = self.iterators(word)
                self.expect_word("satisfies", f"after the iterators of '{word}'")
                return A.Quantified(pos, word == "every", iterators, self.expression())
        return None

    def iterators(self, keyword: str) -> list[A.Iterator]:
        result = []
        while True:
            name = self.name(f"a variable name after '{keyword}'")
            self.expect_word("in", f"after '{keyword} {name}'")
            source = self.expression(_BP_ADD)
            end = self.expression(_BP_ADD) if self.eat("..") else None
            result.append(A.Iterator(name, source, end))
            if not self.eat(","):
                return result

    def unary(self) -> A.Node:
        self.skip()
        pos = self.pos
        if self.text.startswith("-", pos):
            self.pos += 1
            operand = self.unary()
            if isinstance(operand, A.Const) and type(operand.value) in (int, decimal.Decimal):
                return A.Const(pos, -operand.value)
            return A.Neg(pos, operand)
        return self.postfix(self.primary(), pos)

    def postfix(self, node: A.Node, start: int) -> A.Node:
        while True:
            self.skip()
            i = self.pos
            if self.text.startswith(".", i) and not self.text.startswith("..", i):
                self.pos += 1
                self.skip()
                m = _SPACED_PROPERTY.match(self.text, self.pos)
                if m:
                    self.pos = m.end()
                    node = A.Path(start, node, " ".join(m.group(0).split()))
                else:
                    node = A.Path(start, node, self.name("a name after '.'"))
            elif self.text.startswith("[", i) and self.depth != self.no_filter_depth:
                self.pos += 1
                condition = self.expression()
                self.expect("]", "to close the filter")
                node = A.Filter(start, node, condition)
            elif self.text.startswith("(", i):
                self.pos += 1
                args, names = self.arguments()
                node = A.Call(start, node, args, names)
            else:
                return node

    def arguments(self) -> tuple[list[A.Node], list[str] | None]:
        if self.eat(")"):
            return [], None
        args: list[A.Node] = []
        names: list[str] = []
        while True:
            self.skip()
            m = re.compile(r"((?:[^\W\d]|\$)[\w$]*(?: +(?:[^\W\d]|\$)[\w$]*)*|`[^`]+`)\s*:").match(
                self.text, self.pos
            )
            if m:
                self.pos = m.end()
                names.append(m.group(1).strip("`"))
            elif names:
                self.fail("after a named argument, every argument must be named")
            args.append(self.expression())
            if self.eat(")"):
                break
            self.expect(",", "or ')' between the arguments")
        if names and len(names) != len(args):
            self.fail("an invocation must name all its arguments or none")
        return args, (names or None)

    def primary(self) -> A.Node:
        self.skip()
        text, pos = self.text, self.pos
        if pos >= self.n:
            self.fail("expected an expression, found the end of the expression")
        c = text[pos]
        if c.isdigit() or (c == "." and text[pos + 1 : pos + 2].isdigit()):
            m = _NUMBER.match(text, pos)
            assert m is not None
            self.pos = m.end()
            literal = m.group(0)
            if "." in literal:
                return A.Const(pos, decimal.Decimal(literal))
            return A.Const(pos, int(literal))
        if c == '"':
            return A.Const(pos, self.string())
        if c == "@":
            self.pos += 1
            self.skip()
            if not self.text.startswith('"', self.pos):
                self.fail("expected a string after '@', such as @\"2024-01-01\"")
            literal = self.string()
            value = parse_temporal(literal)
            # FEEL-Scala evaluates an invalid temporal literal (@"2023-02-29") to null.
            return A.Const(pos, value)
        if c == "[":
            self.pos += 1
            if self.eat("]"):
                return A.ListLit(pos, [])
            first = self.expression()
            if self.eat(".."):
                return self.range_rest(pos, first, start_included=True)
            items = [first]
            while self.eat(","):
                items.append(self.expression())
            self.expect("]", "or ',' in the list")
            return A.ListLit(pos, items)
        if c == "(":
            self.pos += 1
            inner = self.expression()
            if self.eat(".."):
                return self.range_rest(pos, inner, start_included=False)
            self.expect(")", "to close the parenthesis")
            return inner
        if c == "]":
            self.pos += 1
            low = self.expression(_BP_ADD)
            self.expect("..", "in the range")
            return self.range_rest(pos, low, start_included=False)
        if c == "{":
            return self.context()
        if c == "?":
            self.pos += 1
            return A.InputValue(pos)
        if c == "`":
            return A.Name(pos, self.name("a name"))
        for word, value in (("null", None), ("true", True), ("false", False)):
            if self.eat_word(word):
                return A.Const(pos, value)
        if self.at_word("function"):
            return self.function_definition()
        m = _KEYWORD_NAMES.match(text, pos)
        if m and re.match(r"\s*\(", text[m.end() :]):
            self.pos = m.end()
            return A.Name(pos, " ".join(m.group(1).split()))
        multi = self.multi_word_name()
        if multi is not None:
            return A.Name(pos, multi)
        m = _IDENT.match(text, pos)
        if m and m.group(0) in ("if", "for", "some", "every"):
            after = re.compile(r"\s+[\w`\"(\[{@-]").match(text, m.end())
            if after:
                word = m.group(0)
                self.fail(
                    f"'{word}' starts an expression of its own here; "
                    f"put it in parentheses, like ({word} ...)"
                )
        if m and m.group(0) not in _RESERVED:
            self.pos = m.end()
            return A.Name(pos, m.group(0))
        if m:
            self.fail(f"expected an expression, found the keyword '{m.group(0)}'")
        self.fail(f"expected an expression, found {self.found()}")
        raise AssertionError  # unreachable: fail raises

    def multi_word_name(self) -> str | None:
        # ``string length(`` names one function: words joined by spaces, then '('.
        text, i = self.text, self.pos
        words: list[str] = []
        end = i
        while True:
            m = _IDENT.match(text, i)
            if not m or m.group(0) in _STOP_WORDS:
                break
            words.append(m.group(0))
            end = m.end()
            k = end
            while k < self.n and text[k] == " ":
                k += 1
            if k == end:
                break
            i = k
        if len(words) < 2:
            return None
        rest = end
        while rest < self.n and text[rest].isspace():
            rest += 1
        if rest < self.n and text[rest] == "(":
            self.pos = end
            return " ".join(words)
        return None

    def string(self) -> str:
        text, i = self.text, self.pos + 1
        out: list[str] = []
        while True:
            j = i
            while j < self.n and text[j] not in '"\\':
                j += 1
            out.append(text[i:j])
            if j >= self.n:
                self.fail("a string opened with '\"' is never closed", self.pos)
            if text[j] == '"':
                self.pos = j + 1
                return "".join(out)
            # a backslash escape
            nxt = text[j + 1 : j + 2]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i = j + 2
            elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[j + 2 : j + 6]):
                out.append(chr(int(text[j + 2 : j + 6], 16)))
                i = j + 6
            elif nxt == "U" and re.fullmatch(r"[0-9a-fA-F]{6}", text[j + 2 : j + 8]):
                code = int(text[j + 2 : j + 8], 16)
                if code > 0x10FFFF:
                    self.fail("a \\U escape names no Unicode character", j)
                out.append(chr(code))
                i = j + 8
            else:
                # FEEL-Scala keeps unknown escapes as written (so regexes like "\d" survive).
                out.append("\\" + nxt)
                i = j + 2

    def context(self) -> A.Node:
        start = self.pos
        self.pos += 1
        entries: list[tuple[str, A.Node]] = []
        if self.eat("}"):
            return A.ContextLit(start, entries)
        while True:
            self.skip()
            key_pos = self.pos
            if self.text.startswith('"', key_pos):
                key = self.string()
            elif self.text.startswith("`", key_pos):
                key = self.name("a key")
            else:
                m = re.compile(r'[^"{}:,\[\]`]+').match(self.text, key_pos)
                key = m.group(0).strip() if m else ""
                if not key:
                    self.fail(f"expected a key in the context, found {self.found()}")
                assert m is not None
                self.pos = m.end()
            self.expect(":", f"after the key '{key}'")
            entries.append((key, self.expression()))
            if self.eat("}"):
                return A.ContextLit(start, entries)
            self.expect(",", "or '}' in the context")

    def function_definition(self) -> A.Node:
        start = self.pos
        self.eat_word("function")
        self.expect("(", "after 'function'")
        params: list[str] = []
        if not self.eat(")"):
            while True:
                params.append(self.name("a parameter name"))
                if self.eat(")"):
                    break
                self.expect(",", "or ')' between the parameters")
        if len(set(params)) != len(params):
            self.fail("a function's parameters must have distinct names", start)
        return A.FunctionDef(start, params, self.expression())
