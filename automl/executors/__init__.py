"""Where trials run: in the calling process or in a killable worker process."""

from __future__ import annotations

import sys

from automl.exceptions import ConfigError
from automl.executors._base import Executor, Outcome, Report, Reporter, Work
from automl.executors._inprocess import InProcessExecutor
from automl.executors._process import ProcessExecutor

EXECUTORS = ("auto", "process", "inprocess")


def make_executor(name: str, work: Work) -> Executor:
    """'process' (hard time limits), 'inprocess' (lowest overhead) or 'auto' (process where it works)."""
    if name not in EXECUTORS:
        raise ConfigError(f"unknown executor '{name}'; use one of: {', '.join(EXECUTORS)}")
    if name == "inprocess" or (name == "auto" and sys.platform == "win32"):
        return InProcessExecutor(work)
    return ProcessExecutor(work)


__all__ = [
    "EXECUTORS",
    "Executor",
    "InProcessExecutor",
    "Outcome",
    "ProcessExecutor",
    "Report",
    "Reporter",
    "make_executor",
]
