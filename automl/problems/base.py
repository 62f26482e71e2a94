"""Problem: everything specific to one kind of search (tabular data, a custom objective, text
next); the driver (`automl.problems.run_problem`) and the engine below it know no more.

A problem is one module that subclasses `Problem` and decorates it with `register_problem`.
The driver calls, in order: `space` / `fidelity` / `bounds` (to build the strategy),
`study_meta` (to open or resume the study), `work` (what executors run for one trial),
`values_of` / `summary_of` / `keep` / `reserve` / `scheduler` (what the search loop does with
a trial's output and how it picks the next), then `result` and `finalise` (refit, ensemble)
once the budget is spent.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

import optuna

from automl._registry import Registry
from automl.budget import Budget
from automl.config import SearchSettings
from automl.exceptions import ConfigError
from automl.executors import ExecutorSettings, Work
from automl.fidelity import FidelityPlan
from automl.metrics import Metric
from automl.record import StudyMeta
from automl.result import SearchResult
from automl.search import Scheduler
from automl.space import SearchSpace
from automl.strategies import Bounds, Strategy


class Problem(ABC):
    """One search problem, built from the caller's data (or objective) and settings."""

    kind: ClassVar[str]
    priority: ClassVar[int] = 0
    """Problems are asked `matches` from the highest priority down; the first one that
    matches runs the search."""

    def __init__(self, settings: SearchSettings) -> None:
        self.settings = settings

    @classmethod
    def matches(cls, data: Any, objective: Any, settings: SearchSettings) -> bool:
        """Whether a call to `automl.search` with these arguments is this problem (registered
        problems say; one that another problem builds need not)."""
        return False

    @classmethod
    def build(cls, data: Any, objective: Any, settings: SearchSettings) -> Problem:
        """Read and validate the input (raising AutoMLError subclasses with one-line reasons)."""
        raise NotImplementedError(f"{cls.__name__} is built by another problem")

    @abstractmethod
    def space(self) -> SearchSpace: ...

    def starting_points(self) -> Sequence[dict[str, Any]]:
        """Configurations worth trying first (for strategies that use them)."""
        return ()

    def fidelity(self) -> FidelityPlan | None:
        """What trials report on under the settings' strategy (None: whatever they report)."""
        return None

    def bounds(self) -> Bounds:
        """The score's range, to clip extrapolated learning curves."""
        return (None, None)

    @abstractmethod
    def study_meta(self, strategy: Strategy) -> StudyMeta: ...

    @abstractmethod
    def work(self, strategy: Strategy, study: optuna.Study) -> Work:
        """What an executor runs for one trial: `work(config, report) -> output`."""

    @abstractmethod
    def values_of(self, strategy: Strategy) -> Callable[[Any], Sequence[float]]: ...

    def summary_of(self, output: Any) -> dict[str, Any]:
        """TrialRecord fields measured by the work (fit seconds, iterations...)."""
        return {}

    def keep(self, number: int, output: Any) -> None:
        """Called with every finished trial's output (to keep predictions, say)."""
        return None

    def reserve(self) -> float:
        """Seconds of the budget to hold back for `finalise`."""
        return 0.0

    @property
    def metric_name(self) -> str:
        return "value"

    def result(self, study: optuna.Study) -> SearchResult:
        return SearchResult(study, self.metric_name)

    def finalise(
        self, result: SearchResult, strategy: Strategy, budget: Budget, executors: ExecutorSettings
    ) -> None:
        """After the search: refit, ensemble; sets `result.model` and adds notes."""
        return None

    def scheduler(
        self, strategy: Strategy, study: optuna.Study, budget: Budget
    ) -> Scheduler | None:
        """What decides each trial from the finished trials' values (PBT); None: the sampler."""
        return None


class ScoredProblem(Problem):
    """A problem whose trials are scored by one of automl's metrics (`self.metric`)."""

    metric: Metric

    def bounds(self) -> Bounds:
        return self.metric.bounds

    @property
    def metric_name(self) -> str:
        return self.metric.name


PROBLEMS: Registry[type[Problem]] = Registry("search problem")
P = TypeVar("P", bound=type[Problem])


def register_problem(cls: P) -> P:
    """Class decorator: make the problem available to `automl.search`."""
    PROBLEMS.add(cls.kind, cls)
    return cls


def problem_for(data: Any, objective: Any, settings: SearchSettings) -> type[Problem]:
    """The registered problem that a call to `automl.search` is."""
    for cls in sorted(PROBLEMS.values(), key=lambda c: -c.priority):
        if cls.matches(data, objective, settings):
            return cls
    raise ConfigError("no search problem matches these arguments: pass data=... or objective=...")
