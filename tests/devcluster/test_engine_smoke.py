from __future__ import annotations

from engine_testkit import END, START, chain, deploy, engine, history, service, start, state, work

__all__ = ["engine"]


def test_one_service_task_runs_to_completion(engine):
    deploy(engine, START + service("task", "ship") + END + chain("start", "task", "end"))
    key = start(engine, order=1)
    assert history(engine, key) == [("start", "COMPLETED"), ("task", "ACTIVE")]
    work(engine, "ship", {"shipped": True})
    assert state(engine, key) == "COMPLETED"
    assert history(engine, key) == [
        ("start", "COMPLETED"),
        ("task", "COMPLETED"),
        ("end", "COMPLETED"),
    ]
    assert engine.variables_of(key) == {"order": 1, "shipped": True}
