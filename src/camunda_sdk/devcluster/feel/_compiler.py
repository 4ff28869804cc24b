"""Turns a FEEL syntax tree into nested Python closures, one per node.

Compiling once at deployment and calling closures at run time keeps a typical condition to a
few microseconds: no tree walk dispatches on node types while evaluating.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from typing import Any

from . import _ast as A
from ._builtins import AssertionFailed, Builtin, resolve
from ._ops import (
    MISSING,
    Context,
    Invalid,
    Scope,
    add,
    compare,
    divide,
    equal,
    in_range,
    multiply,
    negate,
    power,
    subtract,
)
from ._values import FeelFunction, Range, feel_string, kind_of, number
from .errors import FeelEvaluationError, FeelSyntaxError

__all__ = ["MAX_DEPTH", "MAX_ITERATION", "compile_tree"]

Fn = Callable[[Context], Any]
MAX_DEPTH = 200
MAX_ITERATION = 5_000_000

_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": add,
    "-": subtract,
    "*": multiply,
    "/": divide,
    "**": power,
}
_VERB = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "**": "exponentiate"}
_FAST = (int, str)
_TYPES = frozenset(
    {
        "number",
        "string",
        "boolean",
        "date",
        "time",
        "date and time",
        "days and time duration",
        "years and months duration",
        "list",
        "context",
        "function",
        "range",
    }
)


def compile_tree(node: A.Node, source: str) -> Fn:
    """The closure that evaluates ``node``; FeelSyntaxError for trees too deep or ill-typed."""
    return _Compiler(source).compile(node, 0)


def _show(value: Any) -> str:
    text = feel_string(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."


def _arith(ctx: Context, op: str, fn: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    """`a op b`; null when the operands do not fit, with a warning unless one was null."""
    r = fn(a, b)
    if r is None and a is not None and b is not None:
        ctx.warn(f"Can't {_VERB[op]} '{_show(b)}' and '{_show(a)}'")
    return r


def _lookup(ctx: Context, name: str) -> Any:
    scope: Scope | None = ctx.scope
    while scope is not None:
        value = scope.names.get(name, MISSING)
        if value is not MISSING:
            return value
        scope = scope.parent
    return MISSING


def _input_value(ctx: Context) -> Any:
    value = _lookup(ctx, "?")
    if value is MISSING:
        raise FeelEvaluationError(
            "No input value available. '?' can only be used inside an unary-test expression.",
            ctx.expression,
        )
    return value


_PROPERTIES: dict[str, dict[str, Callable[[Any], Any]]] = {
    "date": {
        "year": lambda v: v.year,
        "month": lambda v: v.month,
        "day": lambda v: v.day,
        "weekday": lambda v: v.isoweekday(),
    },
    "time": {
        "hour": lambda v: v.hour,
        "minute": lambda v: v.minute,
        "second": lambda v: v.second,
        "time offset": lambda v: v.utcoffset(),
        "timezone": lambda v: getattr(v.tzinfo, "key", None),
    },
    "date and time": {
        "year": lambda v: v.year,
        "month": lambda v: v.month,
        "day": lambda v: v.day,
        "weekday": lambda v: v.isoweekday(),
        "hour": lambda v: v.hour,
        "minute": lambda v: v.minute,
        "second": lambda v: v.second,
        "time offset": lambda v: v.utcoffset(),
        "timezone": lambda v: getattr(v.tzinfo, "key", None),
    },
    "days and time duration": {
        "days": lambda v: v.days if v >= dt.timedelta(0) else -((-v).days),
        "hours": lambda v: _dt_part(v, 3600, 24),
        "minutes": lambda v: _dt_part(v, 60, 60),
        "seconds": lambda v: _dt_part(v, 1, 60),
    },
    "years and months duration": {
        "years": lambda v: v.years_part,
        "months": lambda v: v.months_part,
    },
    "range": {
        "start": lambda v: v.start,
        "end": lambda v: v.end,
        "start included": lambda v: v.start_included,
        "end included": lambda v: v.end_included,
    },
}


def _dt_part(v: dt.timedelta, unit: int, modulo: int) -> int:
    sign = -1 if v < dt.timedelta(0) else 1
    seconds = int(abs(v).total_seconds())
    return sign * ((seconds // unit) % modulo)


def _member(ctx: Context, value: Any, key: str) -> Any:
    if isinstance(value, Mapping):
        found = value.get(key, MISSING)
        if found is MISSING:
            keys = ", ".join(f"'{k}'" for k in list(value)[:10])
            ctx.warn(f"No context entry found with key '{key}'. Available keys: {keys}")
            return None
        return found
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [_member(ctx, item, key) for item in value]
    props = _PROPERTIES.get(kind_of(value))
    if props is not None and key in props:
        return props[key](value)
    ctx.warn(f"No property found with name '{key}' of value '{_show(value)}'")
    return None


def _index(ctx: Context, items: list[Any], n: Any) -> Any:
    i = number(n)
    if i is None or i != int(i):
        ctx.warn(f"A list index must be a whole number, found '{_show(n)}'")
        return None
    i = int(i)
    if i > 0 and i <= len(items):
        return items[i - 1]
    if i < 0 and -i <= len(items):
        return items[i]
    ctx.warn(f"Index {i} is out of bounds for a list of {len(items)} items")
    return None


def _truth(ctx: Context, value: Any) -> bool | None:
    if value is True or value is False:
        return value
    if value is not None:
        ctx.warn(f"Expected boolean but found '{_show(value)}'")
    return None


def _iteration_source(ctx: Context, start: Any, end: Any, ranged: bool) -> list[Any] | None:
    if ranged:
        a, b = number(start), number(end)
        if a is None or b is None or a != int(a) or b != int(b):
            ctx.warn(f"A range to iterate needs whole numbers, found {_show(start)}..{_show(end)}")
            return None
        a, b = int(a), int(b)
        if abs(b - a) >= MAX_ITERATION:
            ctx.warn(f"A range to iterate may have at most {MAX_ITERATION} items")
            return None
        return list(range(a, b + 1)) if a <= b else list(range(a, b - 1, -1))
    if isinstance(start, Range):
        a, b = number(start.start), number(start.end)
        if a is None or b is None or a != int(a) or b != int(b):
            ctx.warn("A range to iterate needs whole-number ends")
            return None
        lo = int(a) if start.start_included else int(a) + 1
        hi = int(b) if start.end_included else int(b) - 1
        if hi - lo >= MAX_ITERATION:
            ctx.warn(f"A range to iterate may have at most {MAX_ITERATION} items")
            return None
        return list(range(lo, hi + 1))
    if isinstance(start, (list, tuple)):
        return list(start)
    return None


def _uses_input(node: Any) -> bool:
    # Whether a unary-test expression refers to ``?`` (then a boolean result is the verdict).
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (A.InputValue, A.UnaryCompare)):
            return True
        if isinstance(n, (A.Node, A.Iterator)):
            for slot in type(n).__slots__:
                stack.append(getattr(n, slot))
        elif isinstance(n, (list, tuple)):
            stack.extend(n)
    return False


class _Compiler:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str, node: A.Node) -> None:
        raise FeelSyntaxError(message, self.source, node.pos)

    def compile(self, node: A.Node, depth: int) -> Fn:
        if depth > MAX_DEPTH:
            self.fail(f"the expression nests more than {MAX_DEPTH} levels deep", node)
        method = getattr(self, "c_" + type(node).__name__)
        return method(node, depth + 1)

    # ---- leaves ----

    def c_Const(self, node: A.Const, depth: int) -> Fn:
        value = node.value
        return lambda ctx: value

    def c_Name(self, node: A.Name, depth: int) -> Fn:
        name = node.name

        def f(ctx: Context) -> Any:
            scope: Scope | None = ctx.scope
            while scope is not None:
                value = scope.names.get(name, MISSING)
                if value is not MISSING:
                    return value
                scope = scope.parent
            ctx.warn(f"No variable found with name '{name}'")
            return None

        return f

    def c_InputValue(self, node: A.InputValue, depth: int) -> Fn:
        return _input_value

    # ---- paths, filters, invocations ----

    def c_Path(self, node: A.Path, depth: int) -> Fn:
        # Compile a chain a.b.c as a loop over its keys, so long chains do not nest closures.
        keys: list[str] = []
        base: A.Node = node
        while isinstance(base, A.Path):
            keys.append(base.key)
            base = base.base
        keys.reverse()
        base_fn = self.compile(base, depth)

        def f(ctx: Context) -> Any:
            value = base_fn(ctx)
            for key in keys:
                if type(value) is dict:
                    found = value.get(key, MISSING)
                    if found is not MISSING:
                        value = found
                        continue
                value = _member(ctx, value, key)
            return value

        return f

    def c_Filter(self, node: A.Filter, depth: int) -> Fn:
        base = self.compile(node.base, depth)
        cond_node = node.condition
        if isinstance(cond_node, A.Const) and kind_of(cond_node.value) == "number":
            n = cond_node.value

            def by_index(ctx: Context) -> Any:
                value = base(ctx)
                if not isinstance(value, (list, tuple)):
                    return None
                return _index(ctx, list(value), n)

            return by_index
        cond = self.compile(cond_node, depth)

        def f(ctx: Context) -> Any:
            value = base(ctx)
            if not isinstance(value, (list, tuple)):
                if value is not None:
                    ctx.warn(f"Can't filter '{_show(value)}': it is not a list")
                return None
            items = list(value)
            saved = ctx.scope
            if not items:
                r = cond(ctx)
                return None if kind_of(r) == "number" else []
            out = []
            try:
                for i, item in enumerate(items):
                    scope = Scope({"item": item}, saved)
                    if isinstance(item, Mapping):
                        scope = Scope(item, scope)
                    ctx.scope = scope
                    r = cond(ctx)
                    if r is True:
                        out.append(item)
                    elif i == 0 and r is not None and r is not False and kind_of(r) == "number":
                        ctx.scope = saved
                        return _index(ctx, items, r)
            finally:
                ctx.scope = saved
            return out

        return f

    def c_Call(self, node: A.Call, depth: int) -> Fn:
        args = [self.compile(a, depth) for a in node.args]
        names = node.names
        if isinstance(node.callee, A.Name):
            return self.named_call(node.callee.name, args, names)
        callee = self.compile(node.callee, depth)

        def f(ctx: Context) -> Any:
            fn = callee(ctx)
            values = [a(ctx) for a in args]
            if isinstance(fn, FeelFunction):
                return _invoke(ctx, fn, values, names)
            ctx.warn(f"Expected a function but found '{_show(fn)}'")
            return None

        return f

    def named_call(self, name: str, args: list[Fn], names: list[str] | None) -> Fn:
        sig = resolve(name, len(args), names)
        count = len(args)

        def f(ctx: Context) -> Any:
            values = [a(ctx) for a in args]
            # A function held in a variable or context entry shadows a built-in of that name.
            local = _lookup(ctx, name)
            if isinstance(local, FeelFunction):
                return _invoke(ctx, local, values, names)
            if sig is None:
                described = f"parameters: {','.join(names)}" if names else f"{count} parameters"
                ctx.warn(f"No function found with name '{name}' and {described}")
                return None
            if names:
                order = {n: v for n, v in zip(names, values, strict=False)}
                values = [order[p] for p in sig.params]
            return _call_builtin(ctx, sig, values)

        return f

    # ---- operators ----

    def c_Neg(self, node: A.Neg, depth: int) -> Fn:
        operand = self.compile(node.operand, depth)

        def f(ctx: Context) -> Any:
            v = operand(ctx)
            r = negate(v)
            if r is None and v is not None:
                ctx.warn(f"Can't negate '{_show(v)}'")
            return r

        return f

    def c_Binary(self, node: A.Binary, depth: int) -> Fn:
        # A left-leaning chain (a + b - c ...) becomes one loop rather than nested closures.
        chain: list[tuple[str, A.Node]] = []
        left: A.Node = node
        while isinstance(left, A.Binary):
            chain.append((left.op, left.right))
            left = left.left
        chain.reverse()
        first = self.compile(left, depth)
        steps = [(op, _ARITH[op], self.compile(right, depth)) for op, right in chain]

        if len(steps) == 1:
            op, fn, right_fn = steps[0]

            def one(ctx: Context) -> Any:
                a = first(ctx)
                b = right_fn(ctx)
                if op == "+" and type(a) is int and type(b) is int:
                    return a + b
                return _arith(ctx, op, fn, a, b)

            return one

        def f(ctx: Context) -> Any:
            value = first(ctx)
            for op, fn, right_fn in steps:
                value = _arith(ctx, op, fn, value, right_fn(ctx))
            return value

        return f

    def c_Compare(self, node: A.Compare, depth: int) -> Fn:
        left = self.compile(node.left, depth)
        right = self.compile(node.right, depth)
        op = node.op
        if op in ("=", "!="):
            negated = op == "!="

            def eq(ctx: Context) -> Any:
                a = left(ctx)
                b = right(ctx)
                if type(a) is type(b) and type(a) in _FAST:
                    return (a != b) if negated else (a == b)
                r = equal(a, b)
                if r is None:
                    ctx.warn(f"Can't compare '{_show(a)}' with '{_show(b)}'")
                    return None
                return (not r) if negated else r

            return eq
        test = _ORDER_TESTS[op]

        def cmp(ctx: Context) -> Any:
            a = left(ctx)
            b = right(ctx)
            if type(a) is type(b) and type(a) in _FAST:
                c = -1 if a < b else (1 if a > b else 0)
            else:
                c = compare(a, b)
                if c is None:
                    if a is not None and b is not None:
                        ctx.warn(f"Can't compare '{_show(a)}' with '{_show(b)}'")
                    return None
            return test(c)

        return cmp

    def c_UnaryCompare(self, node: A.UnaryCompare, depth: int) -> Fn:
        operand = self.compile(node.operand, depth)
        test = _ORDER_TESTS[node.op]

        def f(ctx: Context) -> Any:
            x = _input_value(ctx)
            c = compare(x, operand(ctx))
            return None if c is None else test(c)

        return f

    def c_And(self, node: A.And, depth: int) -> Fn:
        return self._junction(node.items, depth, decisive=False)

    def c_Or(self, node: A.Or, depth: int) -> Fn:
        return self._junction(node.items, depth, decisive=True)

    def _junction(self, nodes: list[A.Node], depth: int, *, decisive: bool) -> Fn:
        """`and` (`decisive` False) or `or` (True): one `decisive` item decides, a non-boolean
        makes the result null unless a later item decides, else the other boolean."""
        items = [self.compile(i, depth) for i in nodes]
        other = not decisive

        def f(ctx: Context) -> Any:
            result: bool | None = other
            for item in items:
                v = item(ctx)
                if v is decisive:
                    return decisive
                if v is not other:
                    _truth(ctx, v)
                    result = None
            return result

        return f

    def c_Between(self, node: A.Between, depth: int) -> Fn:
        value = self.compile(node.value, depth)
        low = self.compile(node.low, depth)
        high = self.compile(node.high, depth)

        def f(ctx: Context) -> Any:
            x, a, b = value(ctx), low(ctx), high(ctx)
            lo, hi = compare(x, a), compare(x, b)
            if (lo is not None and lo < 0) or (hi is not None and hi > 0):
                return False
            if lo is None or hi is None:
                return None
            return True

        return f

    def c_In(self, node: A.In, depth: int) -> Fn:
        value = self.compile(node.value, depth)
        tests = [self.unary_test(t, depth) for t in node.tests]

        def f(ctx: Context) -> Any:
            x = value(ctx)
            result: bool | None = False
            for test in tests:
                r = test(ctx, x)
                if r is True:
                    return True
                if r is None:
                    result = None
            return result

        return f

    def unary_test(self, node: A.Node, depth: int) -> Callable[[Context, Any], Any]:
        if isinstance(node, A.UnaryCompare) and node.op in ("=", "!="):
            operand = self.compile(node.operand, depth)
            negated = node.op == "!="

            def equal_test(ctx: Context, x: Any) -> Any:
                r = equal(x, operand(ctx))
                return r if r is None or not negated else not r

            return equal_test
        if isinstance(node, A.UnaryCompare):
            operand = self.compile(node.operand, depth)
            test = _ORDER_TESTS[node.op]

            def compare_test(ctx: Context, x: Any) -> Any:
                c = compare(x, operand(ctx))
                return None if c is None else test(c)

            return compare_test
        if isinstance(node, A.RangeLit):
            start = self.compile(node.start, depth)
            end = self.compile(node.end, depth)
            si, ei = node.start_included, node.end_included

            def range_test(ctx: Context, x: Any) -> Any:
                return in_range(x, Range(start(ctx), end(ctx), si, ei))

            return range_test
        expr = self.compile(node, depth)
        uses_input = _uses_input(node)

        def expression_test(ctx: Context, x: Any) -> Any:
            saved = ctx.scope
            ctx.scope = Scope({"?": x}, saved)
            try:
                v = expr(ctx)
            finally:
                ctx.scope = saved
            if uses_input and (v is True or v is False):
                return v
            if isinstance(v, (list, tuple)):
                for item in v:
                    r = in_range(x, item) if isinstance(item, Range) else equal(x, item)
                    if r is True:
                        return True
                return False
            if isinstance(v, Range):
                return in_range(x, v)
            return equal(x, v)

        return expression_test

    def c_InstanceOf(self, node: A.InstanceOf, depth: int) -> Fn:
        value = self.compile(node.value, depth)
        name = node.type_name
        if name == "Any":
            return lambda ctx: value(ctx) is not None
        if name == "Null":
            return lambda ctx: value(ctx) is None
        if name not in _TYPES:
            self.fail(f"unknown type '{name}' after 'instance of'", node)
        return lambda ctx: kind_of(value(ctx)) == name

    # ---- textual forms ----

    def c_If(self, node: A.If, depth: int) -> Fn:
        cond = self.compile(node.condition, depth)
        then = self.compile(node.then, depth)
        otherwise = self.compile(node.otherwise, depth)

        def f(ctx: Context) -> Any:
            c = cond(ctx)
            if c is True:
                return then(ctx)
            if c is not False:
                _truth(ctx, c)
            return otherwise(ctx)

        return f

    def iterators(self, its: list[A.Iterator], depth: int) -> list[tuple[str, Fn, Fn | None]]:
        return [
            (
                it.name,
                self.compile(it.source, depth),
                self.compile(it.end, depth) if it.end else None,
            )
            for it in its
        ]

    def c_For(self, node: A.For, depth: int) -> Fn:
        its = self.iterators(node.iterators, depth)
        body = self.compile(node.body, depth)

        def f(ctx: Context) -> Any:
            saved = ctx.scope
            results: list[Any] = []
            try:
                if _iterate(ctx, its, 0, saved, lambda: results.append(body(ctx)), results):
                    return results
                return None
            finally:
                ctx.scope = saved

        return f

    def c_Quantified(self, node: A.Quantified, depth: int) -> Fn:
        its = self.iterators(node.iterators, depth)
        cond = self.compile(node.condition, depth)
        every = node.every

        class _Done(Exception):
            pass

        def f(ctx: Context) -> Any:
            saved = ctx.scope
            state: dict[str, bool | None] = {"result": every}

            def visit() -> None:
                v = _truth(ctx, cond(ctx))
                if v is (not every):
                    state["result"] = v
                    raise _Done
                if v is None:
                    state["result"] = None

            try:
                if not _iterate(ctx, its, 0, saved, visit, None):
                    return None
            except _Done:
                pass
            finally:
                ctx.scope = saved
            return state["result"]

        return f

    # ---- literals ----

    def c_ListLit(self, node: A.ListLit, depth: int) -> Fn:
        items = [self.compile(i, depth) for i in node.items]
        if all(isinstance(i, A.Const) for i in node.items):
            constant = [i.value for i in node.items if isinstance(i, A.Const)]
            return lambda ctx: constant
        return lambda ctx: [item(ctx) for item in items]

    def c_ContextLit(self, node: A.ContextLit, depth: int) -> Fn:
        entries = [(key, self.compile(value, depth)) for key, value in node.entries]

        def f(ctx: Context) -> Any:
            result: dict[str, Any] = {}
            saved = ctx.scope
            # Later entries may refer to earlier ones ({a: 1, b: a + 1}).
            ctx.scope = Scope(result, saved)
            try:
                for key, value in entries:
                    result[key] = value(ctx)
            finally:
                ctx.scope = saved
            return result

        return f

    def c_RangeLit(self, node: A.RangeLit, depth: int) -> Fn:
        start = self.compile(node.start, depth)
        end = self.compile(node.end, depth)
        si, ei = node.start_included, node.end_included
        return lambda ctx: Range(start(ctx), end(ctx), si, ei)

    def c_FunctionDef(self, node: A.FunctionDef, depth: int) -> Fn:
        params = tuple(node.params)
        body = self.compile(node.body, depth)

        def f(ctx: Context) -> Any:
            closure = ctx.scope

            def call(args: list[Any]) -> Any:
                if len(args) != len(params):
                    raise Invalid
                saved = ctx.scope
                ctx.scope = Scope(dict(zip(params, args, strict=False)), closure)
                try:
                    return body(ctx)
                finally:
                    ctx.scope = saved

            return FeelFunction("function", params, call)

        return f


_ORDER_TESTS: dict[str, Callable[[int], bool]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


def _iterate(
    ctx: Context,
    its: list[tuple[str, Fn, Fn | None]],
    index: int,
    parent: Scope,
    visit: Callable[[], None],
    partial: list[Any] | None,
) -> bool:
    """Bind each iterator in turn (a cartesian product) and call ``visit`` for each binding."""
    name, source, end = its[index]
    ctx.scope = parent
    start = source(ctx)
    items = _iteration_source(ctx, start, end(ctx) if end else None, end is not None)
    if items is None:
        if start is not None:
            ctx.warn(f"Can't iterate over '{_show(start)}'")
        return False
    for item in items:
        names: dict[str, Any] = {name: item}
        if partial is not None:
            names["partial"] = partial
        scope = Scope(names, parent)
        if index + 1 < len(its):
            if not _iterate(ctx, its, index + 1, scope, visit, partial):
                return False
        else:
            ctx.scope = scope
            visit()
    return True


def _invoke(ctx: Context, fn: FeelFunction, values: list[Any], names: list[str] | None) -> Any:
    if names:
        params = fn.parameters or ()
        if not set(names) <= set(params):
            ctx.warn(f"No function found with name '{fn.name}' and parameters: {','.join(names)}")
            return None
        given = dict(zip(names, values, strict=False))
        values = [given.get(p) for p in params]
    elif fn.parameters is not None and len(values) != len(fn.parameters):
        ctx.warn(f"No function found with name '{fn.name}' and {len(values)} parameters")
        return None
    try:
        return fn.invoke(values)
    except Invalid:
        ctx.warn(f"Failed to invoke function '{fn.name}'")
        return None


def _call_builtin(ctx: Context, sig: Builtin, values: list[Any]) -> Any:
    if not sig.nulls and any(v is None for v in values):
        ctx.warn(f"Failed to invoke function '{sig.name}': Illegal arguments: 'null'")
        return None
    try:
        if sig.context:
            return sig.impl(ctx, *values)
        return sig.impl(*values)
    except AssertionFailed as failure:
        raise FeelEvaluationError(str(failure), ctx.expression) from None
    except (
        Invalid,
        ArithmeticError,
        ValueError,
        TypeError,
        OverflowError,
        KeyError,
        IndexError,
        decimal.InvalidOperation,
    ):
        shown = ", ".join(f"'{_show(v)}'" for v in values)
        ctx.warn(f"Failed to invoke function '{sig.name}': Illegal arguments: {shown}")
        return None
