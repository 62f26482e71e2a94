"""The executor contract: run one piece of trial work under a time limit, relaying reports."""

from __future__ import annotations

import math
import os
import subprocess
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import optuna

from automl.exceptions import ConfigError


@dataclass(frozen=True)
class Report:
    """One intermediate result: `fidelity` is the share of full fidelity reached (None when the
    work does not say), `cpu_seconds` the trial's CPU time so far (all threads), `wall_seconds`
    the time since the trial started."""

    value: float
    step: int
    fidelity: float | None = None
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0


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
        self._wall_start = time.monotonic()

    def __call__(self, value: float, step: int, fidelity: float | None = None) -> None:
        spent = time.process_time() - self._cpu_start
        elapsed = time.monotonic() - self._wall_start
        if self._send(Report(float(value), int(step), fidelity, spent, elapsed)):
            raise optuna.TrialPruned()


Work = Callable[[dict[str, Any], Reporter], Any]


@dataclass
class Outcome:
    """How a trial ended: `status` is 'ok', 'failed', 'pruned' or 'timeout'; `error` says what
    went wrong or, for a trial its work stopped itself (`OutOfTime`), why.

    `reports` are intermediate results the executor could not relay while the trial ran (a
    remote worker's); `reported` says they already went to the storage from the worker.
    """

    status: str
    value: Any = None
    error: str | None = None
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    reports: list[Report] = field(default_factory=list)
    reported: bool = False


@dataclass(frozen=True)
class TrialAddress:
    """Where a running trial lives, so a worker on another machine can report to it directly:
    intermediate values go to the storage and the study's pruner decides there."""

    storage_url: str
    study_name: str
    trial_number: int
    pruner: optuna.pruners.BasePruner


@dataclass(frozen=True)
class Resources:
    """What one trial asks for: CPUs (also its thread count; None: the machine's CPUs shared
    among the trials in flight), GPUs, and a memory limit in MB (a hard limit in the process
    executor, a scheduling request on Ray)."""

    cpus: float | None = None
    gpus: float = 0.0
    memory_mb: int | None = None

    @classmethod
    def parse(cls, given: Mapping[str, Any] | Resources | None) -> Resources:
        """From a dict such as {"cpus": 2, "gpus": 1, "memory_mb": 4096}, checked."""
        if given is None:
            return cls()
        if isinstance(given, Resources):
            return given
        unknown = set(given) - {"cpus", "gpus", "memory_mb"}
        if unknown:
            raise ConfigError(
                f"unknown trial resource(s) {sorted(unknown)}; use cpus, gpus, memory_mb"
            )
        resources = cls(**given)
        for name, minimum in (("cpus", 0.01), ("gpus", 0.0), ("memory_mb", 16)):
            value = getattr(resources, name)
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < minimum
            ):
                raise ConfigError(
                    f"trial resource {name} must be a number >= {minimum}, got {value!r}"
                )
        return resources

    def default_slots(self, work_mb: float) -> int:
        """Trials at once when the caller does not say: one per usable core (or per `cpus`),
        no more than the available memory holds, at `memory_mb` or an estimate from the size
        of the work (its data) per trial."""
        by_cpu = max(1, int(usable_cpus() // (self.cpus or 1)))
        if self.gpus:
            by_cpu = min(by_cpu, max(1, len(visible_gpus()) // int(self.gpus)))
        per_trial = self.memory_mb or WORKER_BASE_MB + WORK_COPIES * work_mb
        available = available_memory_mb()
        by_memory = by_cpu if available is None else max(1, int(available // per_trial))
        return min(by_cpu, by_memory)

    def threads(self, slots: int) -> int | None:
        """Threads a trial may use: its whole CPUs, else the machine's shared by `slots` trials
        (None: one trial at a time, no limit)."""
        if self.cpus is not None:
            return max(1, int(self.cpus))
        if slots == 1:
            return None
        return max(1, usable_cpus() // slots)

    def gpu_sets(self, slots: int) -> list[str | None]:
        """The GPUs each of `slots` local worker processes gets (its CUDA_VISIBLE_DEVICES):
        `gpus` whole GPUs each, none shared; None for every slot when trials ask for none."""
        if not self.gpus:
            return [None] * slots
        if not float(self.gpus).is_integer():
            raise ConfigError(
                f"local trials take whole GPUs (got gpus={self.gpus:g}); share GPUs on Ray"
            )
        each = int(self.gpus)
        gpus = visible_gpus()
        if slots * each > len(gpus):
            raise ConfigError(
                f"{slots} trial(s) at once with {each} GPU(s) each need {slots * each} GPUs;"
                f" this machine shows {len(gpus)} (CUDA_VISIBLE_DEVICES or nvidia-smi)"
            )
        return [",".join(gpus[i * each : (i + 1) * each]) for i in range(slots)]


def visible_gpus() -> list[str]:
    """The GPUs local trials may use: CUDA_VISIBLE_DEVICES when set, else nvidia-smi's list."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [g.strip() for g in listed.split(",") if g.strip() and g.strip() != "-1"]
    try:
        output = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(output.splitlines()) if line.startswith("GPU ")]


WORKER_BASE_MB = 400
"""Memory of an idle trial worker (Python, numpy, pandas, scikit-learn, LightGBM loaded)."""
WORK_COPIES = 4
"""A trial holds about this many copies of its data (the data, a fold, encoded features...)."""


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, as containers and taskset set it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def available_memory_mb() -> float | None:
    """MemAvailable from /proc/meminfo (None where there is none: macOS, Windows)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Executor(Protocol):
    """Runs `work(config, report)` and returns an Outcome; never raises for a failing trial.

    Up to `slots` calls to `run` may be in flight at once, from different threads.
    `timeout` is the trial's own limit, from when it starts; `ends_by` (on time.monotonic())
    is when it must end whatever happened before it started: an executor that first starts a
    worker (not charged to the trial's limit) ends the trial by then all the same.
    """

    slots: int

    def run(
        self,
        config: dict[str, Any],
        timeout: float | None,
        on_report: OnReport,
        address: TrialAddress | None = None,
        ends_by: float | None = None,
    ) -> Outcome: ...

    def close(self) -> None: ...


def run_within(executor: Executor, config: dict[str, Any], seconds: float) -> Outcome:
    """Run `config` once, without reports (a refit, a final fit), ending within `seconds`
    of now (infinite: no limit), a worker's start-up included."""
    limit = None if math.isinf(seconds) else seconds
    ends_by = None if limit is None else time.monotonic() + limit
    return executor.run(config, limit, _no_reports, None, ends_by)


def _no_reports(report: Report) -> bool:
    return False


def warm_up(work: Work) -> None:
    """Let the work load what all its trials need (`work.warm_up()`, when it has one: model
    libraries, say) before any trial's clock starts."""
    prepare = getattr(work, "warm_up", None)
    if callable(prepare):
        prepare()


class OutOfTime(optuna.TrialPruned):
    """Raised by work that will not start a fidelity it predicts it cannot finish in the time
    left; the trial ends pruned at its last report and the message says why."""


class TrialTimeout(Exception):
    """Raised inside work that ran past its time limit (in-process executor)."""


def describe_error(exc: BaseException) -> str:
    """One readable line plus the innermost frame, for the trial's `error` attribute."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"
