"""Scale: 10,000 instances and 100,000 jobs in memory without slowing down."""

from __future__ import annotations

import time

from engine_testkit import END, START, chain, deploy, engine, service, start

from camunda_sdk.devcluster.engine import Engine

__all__ = ["engine"]

ONE_TASK = START + service("task", "work") + END + chain("start", "task", "end")


def _cycles(engine: Engine, count: int) -> float:
    """µs per create + activate + complete of a one-service-task instance."""
    began = time.perf_counter()
    for _ in range(count):
        start(engine, n=1)
        [job] = engine.activate_jobs("work", 1, 60_000, "w")
        engine.complete_job(job.job_key, {"done": True})
    return (time.perf_counter() - began) / count * 1e6


def test_ten_thousand_instances_run_at_a_steady_pace(engine: Engine):
    deploy(engine, ONE_TASK)
    first = _cycles(engine, 2_000)
    _cycles(engine, 6_000)
    last = _cycles(engine, 2_000)
    completed = sum(1 for r in engine.process_instances.values() if r.state == "COMPLETED")
    assert completed == 10_000
    print(f"\nµs per create+activate+complete: first 2k {first:.1f}, last 2k {last:.1f}")
    assert last < first * 3  # no growth with the number of records held


def test_activation_among_a_hundred_thousand_jobs_does_not_scan_them(engine: Engine):
    deploy(engine, START + service("task", "=kind") + END + chain("start", "task", "end"), "many")
    for n in range(100_000):
        start(engine, "many", kind="bulk" if n % 2 else "rare")
    began = time.perf_counter()
    for _ in range(100):
        [job] = engine.activate_jobs("rare", 1, 60_000, "w")
        engine.complete_job(job.job_key)
    per_cycle = (time.perf_counter() - began) / 100 * 1e6
    print(f"\nµs per activate+complete among 100k jobs: {per_cycle:.1f}")
    assert per_cycle < 2_000
