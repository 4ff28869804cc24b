"""How long the dev cluster's FEEL takes to compile and to evaluate typical process expressions.

The engine compiles each expression once at deployment and evaluates it per token, so the
evaluation figure is the one that matters for throughput. ::

    PYTHONPATH=src .venv/bin/python benchmarks/feel_speed.py
"""

from __future__ import annotations

import timeit

from camunda_sdk.devcluster.feel import compile_expression

VARIABLES = {
    "amount": 150,
    "customer": {"tier": "gold", "name": "Ada"},
    "items": [{"price": i, "qty": 2} for i in range(20)],
}

EXPRESSIONS = [
    'amount > 100 and customer.tier = "gold"',
    "amount",
    'if amount > 1000 then "big" else "small"',
    'customer.tier in ["gold", "silver"]',
    "string length(customer.name) + 1",
    "count(items[price > 10])",
    "sum(for i in items return i.price * i.qty)",
]


def main() -> None:
    print(f"{'evaluate':>10} {'compile':>10}  expression")
    for text in EXPRESSIONS:
        expression = compile_expression(text)
        runs = 20_000
        evaluate_us = timeit.timeit(lambda e=expression: e.evaluate(VARIABLES), number=runs)
        compile_us = timeit.timeit(lambda t=text: compile_expression(t), number=2_000)
        print(f"{evaluate_us / runs * 1e6:8.2f}us {compile_us / 2_000 * 1e6:8.1f}us  {text}")


if __name__ == "__main__":
    main()
