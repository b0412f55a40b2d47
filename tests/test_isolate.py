"""Worker isolation: a spinning, sleeping, memory-hungry or dying check costs one result, not the batch."""
from __future__ import annotations

import os
import time

from derive.grading.isolate import Failure, run, run_one


def task(payload):
    if payload == "spin":
        while True:
            pass
    if payload == "sleep":
        time.sleep(60)
    if payload == "memory":
        return len(bytearray(4 * 1024 ** 3))
    if payload == "recursion":
        def deeper(n):
            return deeper(n + 1)
        return deeper(0)
    if payload == "exit":
        os._exit(3)
    if payload == "bug":
        raise KeyError("oops")
    return payload.upper()


def test_every_task_gets_exactly_one_result_and_the_batch_goes_on():
    payloads = ["a", "spin", "b", "sleep", "memory", "recursion", "exit", "bug", "c"]
    start = time.monotonic()
    results = dict(run(task, list(enumerate(payloads)), jobs=2, timeout=1.0, memory_mb=512))
    assert time.monotonic() - start < 20
    assert sorted(results) == list(range(len(payloads)))
    assert [results[0], results[2], results[8]] == ["A", "B", "C"]
    for key in (1, 3, 4, 5, 6, 7):
        assert isinstance(results[key], Failure), payloads[key]
    assert "CPU time" in results[1].reason or "did not finish" in results[1].reason
    assert "did not finish" in results[3].reason
    assert "memory" in results[4].reason
    assert "nested too deeply" in results[5].reason
    assert "internal error" in results[7].reason


def test_run_one_returns_the_result():
    assert run_one(task, "x", timeout=5) == "X"
    assert isinstance(run_one(task, "sleep", timeout=0.5), Failure)


def busy(payload):
    start = time.process_time()
    while time.process_time() - start < 0.2:
        pass
    return payload


def test_a_long_lived_worker_is_not_stopped_by_the_cpu_it_spent_on_earlier_tasks():
    results = dict(run(busy, [(n, n) for n in range(25)], jobs=1, timeout=1.0))
    assert results == {n: n for n in range(25)}
