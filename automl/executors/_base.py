"""The executor contract: run one piece of trial work under a time limit, relaying reports."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

Work = Callable[[dict[str, Any], Callable[[float, int], None]], Any]
OnReport = Callable[[float, int], bool]
"""Called with (value, step) for each intermediate report; returns True to prune the trial."""


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
