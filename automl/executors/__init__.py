"""Where trials run: in the calling process, in killable worker processes, or on Ray."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from automl.exceptions import ConfigError
from automl.executors._base import (
    Executor,
    OnReport,
    Outcome,
    OutOfTime,
    Report,
    Reporter,
    Resources,
    TrialAddress,
    Work,
    run_within,
    usable_cpus,
)
from automl.executors._inprocess import InProcessExecutor
from automl.executors._process import ProcessExecutor, thread_cap

EXECUTORS = ("auto", "process", "inprocess", "ray")
MAX_PARALLEL = 256
"""More trials at once than this is a typo, not a plan (each is a thread, and a process)."""


@dataclass(frozen=True)
class ExecutorSettings:
    """Which executor runs trials and how many at once (`n_parallel`; None: one per usable core
    in worker processes, memory allowing; one in-process; the cluster's CPUs / each trial's
    CPUs on Ray), what each trial may use, and the Ray cluster."""

    name: str = "auto"
    n_parallel: int | None = None
    resources: Resources = field(default_factory=Resources)
    ray_address: str | None = None

    @classmethod
    def build(
        cls,
        name: str = "auto",
        n_parallel: int | None = None,
        resources: Any = None,
        ray_address: str | None = None,
    ) -> ExecutorSettings:
        """Checked settings; a Ray address implies the Ray executor."""
        if ray_address and name == "auto":
            name = "ray"
        if name not in EXECUTORS:
            raise ConfigError(f"unknown executor '{name}'; use one of: {', '.join(EXECUTORS)}")
        if ray_address and name != "ray":
            raise ConfigError(f"ray_address needs executor='ray', not '{name}'")
        if n_parallel is not None and (
            isinstance(n_parallel, bool) or not isinstance(n_parallel, int) or n_parallel < 1
        ):
            raise ConfigError(f"n_parallel must be a positive integer, got {n_parallel!r}")
        if n_parallel is not None and n_parallel > MAX_PARALLEL:
            raise ConfigError(f"n_parallel must be at most {MAX_PARALLEL}, got {n_parallel}")
        parsed = Resources.parse(resources)
        if parsed.gpus and name == "inprocess":
            raise ConfigError(
                "trial_resources 'gpus' needs trials in worker processes (executor='process',"
                " each gets its own GPUs) or on Ray; in-process trials see every GPU"
            )
        return cls(name, n_parallel, parsed, ray_address)

    @property
    def local(self) -> ExecutorSettings:
        """The same limits for work that runs on this machine, one at a time (a final refit)."""
        name = "auto" if self.name == "ray" else self.name
        return ExecutorSettings(name, 1, self.resources)


def _runs_local_processes(settings: ExecutorSettings) -> bool:
    return settings.name == "process" or (settings.name == "auto" and sys.platform != "win32")


def start_workers_early(settings: ExecutorSettings, modules: list[str]) -> None:
    """Start the process executor's fork server now, importing `modules` in the background
    while the caller reads its data; the trial workers then start from a warm server."""
    if _runs_local_processes(settings):
        from automl.executors._process import prepare_forkserver

        prepare_forkserver(modules)


def make_executor(settings: ExecutorSettings | str, work: Work) -> Executor:
    """'process' (hard time and memory limits), 'inprocess' (lowest overhead), 'ray' (a
    cluster) or 'auto' (process where it works)."""
    if isinstance(settings, str):
        settings = ExecutorSettings.build(settings)
    slots = settings.n_parallel
    if settings.name == "ray":
        from automl.executors._ray import RayExecutor

        return RayExecutor(work, slots, settings.resources, settings.ray_address)
    if not _runs_local_processes(settings):
        return InProcessExecutor(work, slots or 1)
    return ProcessExecutor(work, slots, settings.resources)


__all__ = [
    "EXECUTORS",
    "Executor",
    "ExecutorSettings",
    "InProcessExecutor",
    "OnReport",
    "OutOfTime",
    "Outcome",
    "ProcessExecutor",
    "Report",
    "Reporter",
    "Resources",
    "TrialAddress",
    "make_executor",
    "run_within",
    "start_workers_early",
    "thread_cap",
    "usable_cpus",
]
