"""The executor contract: run one piece of trial work under a time limit, relaying reports."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import optuna


@dataclass(frozen=True)
class Report:
    """One intermediate result: `fidelity` is the share of full fidelity reached (None when the
    work does not say), `cpu_seconds` the trial's CPU time so far (all threads)."""

    value: float
    step: int
    fidelity: float | None = None
    cpu_seconds: float = 0.0


OnReport = Callable[[Report], bool]
"""Called for each intermediate report; returns True to prune the trial."""


class Reporter:
    """The `report(value, step)` a trial's work receives; raises TrialPruned when told to stop.

    `deadline` (on `time.monotonic()`) is when the trial will be stopped, so work that can
    end early with a usable result (boosting rounds) may stop itself just before.
    """

    def __init__(self, send: OnReport, timeout: float | None) -> None:
        self._send = send
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self._cpu_start = time.process_time()

    def __call__(self, value: float, step: int, fidelity: float | None = None) -> None:
        spent = time.process_time() - self._cpu_start
        if self._send(Report(float(value), int(step), fidelity, spent)):
            raise optuna.TrialPruned()


Work = Callable[[dict[str, Any], Reporter], Any]


@dataclass
class Outcome:
    """How a trial ended: `status` is 'ok', 'failed', 'pruned' or 'timeout'."""

    status: str
    value: Any = None
    error: str | None = None
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0


class Executor(Protocol):
    """Runs `work(config, report)` and returns an Outcome; never raises for a failing trial."""

    def run(
        self, config: dict[str, Any], timeout: float | None, on_report: OnReport
    ) -> Outcome: ...

    def close(self) -> None: ...


class TrialTimeout(Exception):
    """Raised inside work that ran past its time limit (in-process executor)."""


def describe_error(exc: BaseException) -> str:
    """One readable line plus the innermost frame, for the trial's `error` attribute."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"
