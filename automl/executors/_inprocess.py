"""Run trials in the calling process: the lowest overhead, time limits only at report() calls."""

from __future__ import annotations

import time
from typing import Any

import optuna

from automl.executors._base import (
    OnReport,
    Outcome,
    Report,
    Reporter,
    TrialAddress,
    TrialTimeout,
    Work,
    describe_error,
    warm_up,
)


class InProcessExecutor:
    """Calls the work function directly (from up to `slots` threads at once, as Optuna's
    `n_jobs` does). A trial that never reports cannot be stopped early."""

    def __init__(self, work: Work, slots: int = 1) -> None:
        self.work = work
        self.slots = slots
        warm_up(work)

    def run(
        self,
        config: dict[str, Any],
        timeout: float | None,
        on_report: OnReport,
        address: TrialAddress | None = None,
        ends_by: float | None = None,
    ) -> Outcome:
        start_wall, start_cpu = time.perf_counter(), time.process_time()

        def send(report: Report) -> bool:
            if on_report(report):
                return True
            if timeout is not None and time.perf_counter() - start_wall > timeout:
                raise TrialTimeout(f"trial ran past its time limit of {timeout:.1f}s")
            return False

        report = Reporter(send, timeout)

        def outcome(status: str, value: Any = None, error: str | None = None) -> Outcome:
            return Outcome(
                status,
                value,
                error,
                time.process_time() - start_cpu,
                time.perf_counter() - start_wall,
            )

        try:
            return outcome("ok", self.work(config, report))
        except optuna.TrialPruned as exc:
            return outcome("pruned", error=str(exc) or None)
        except TrialTimeout as exc:
            return outcome("timeout", error=str(exc))
        except Exception as exc:
            return outcome("failed", error=describe_error(exc))

    def close(self) -> None:
        pass
