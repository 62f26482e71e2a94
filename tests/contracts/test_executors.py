"""The executor contract, run against every executor: in-process, worker processes, Ray.

`run(config, timeout, on_report)` returns an Outcome and never raises for a failing trial:
a value comes back as "ok" with its wall and CPU seconds, an exception as "failed" with its
message, a report the caller answers with True as "pruned", work past its limit as "timeout".
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from automl.executors import Executor, ExecutorSettings, Report, Reporter, make_executor


def make_work() -> Any:
    """The work every executor runs (a closure, so it travels by value to other processes)."""

    def work(config: dict[str, Any], report: Reporter) -> Any:
        kind = config["kind"]
        if kind == "fail":
            raise ValueError("bad configuration")
        for step in range(config.get("steps", 0)):
            report(float(step), step)
            time.sleep(config.get("pause", 0.0))
        return config["x"] * 2

    return work


@pytest.fixture(scope="module", params=["inprocess", "process", "ray"])
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    if request.param == "ray":
        pytest.importorskip("ray")
    made = make_executor(ExecutorSettings.build(request.param), make_work())
    yield made
    made.close()
    made.close()  # closing twice is harmless


def never(report: Report) -> bool:
    return False


def test_a_value_comes_back_with_its_cost(executor: Executor) -> None:
    outcome = executor.run({"kind": "ok", "x": 21}, 30.0, never)
    assert (outcome.status, outcome.value, outcome.error) == ("ok", 42, None)
    assert outcome.wall_seconds > 0 and outcome.cpu_seconds >= 0


def test_an_exception_fails_the_trial_only(executor: Executor) -> None:
    outcome = executor.run({"kind": "fail"}, 30.0, never)
    assert outcome.status == "failed"
    assert outcome.error is not None and "ValueError: bad configuration" in outcome.error
    assert executor.run({"kind": "ok", "x": 1}, 30.0, never).value == 2  # still usable


def test_reports_reach_the_caller_who_may_prune(executor: Executor) -> None:
    # Live (in-process, worker processes): the caller sees each report and may stop the
    # trial. A Ray task with no storage to report to returns its reports with the outcome
    # (with a storage it reports there and the study's pruner decides on the worker).
    seen: list[Report] = []

    def stop_at_two(report: Report) -> bool:
        seen.append(report)
        return report.step == 2

    outcome = executor.run({"kind": "ok", "x": 1, "steps": 5}, 30.0, stop_at_two)
    if outcome.reports:
        assert outcome.status == "ok" and not seen
        assert [r.step for r in outcome.reports] == [0, 1, 2, 3, 4]
    else:
        assert outcome.status == "pruned"
        assert [(r.step, r.value) for r in seen] == [(0, 0.0), (1, 1.0), (2, 2.0)]


def test_work_past_its_limit_times_out(executor: Executor) -> None:
    start = time.perf_counter()
    outcome = executor.run({"kind": "ok", "x": 1, "steps": 100, "pause": 0.05}, 1.0, never)
    assert outcome.status == "timeout"
    assert time.perf_counter() - start < 10
