"""The model-family registry: what a family is, and how it makes itself known.

A family is one module that subclasses `ModelFamily` and decorates it with `register_family`;
`search_spaces/<name>.yaml` holds its ranges. Nothing outside that module names the family.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
from sklearn.base import BaseEstimator

from automl._registry import Registry
from automl.data import Task
from automl.exceptions import SpaceError

ALL_TASKS = frozenset(Task)
EARLY_STOPPING_ROUNDS = 50


class IterationProbe(Protocol):
    """Receives a family's validation predictions during an iterative fit (learning curves).

    `wants(iteration)` says whether that iteration is a reporting point (cheap: predicting is
    not); `__call__` takes regression values, or class probabilities with one column per
    entry of `classes` (the class codes the model saw), and may raise TrialPruned.
    """

    def wants(self, iteration: int) -> bool: ...

    def __call__(self, iteration: int, predictions: np.ndarray, classes: Any) -> None: ...


def class_columns(raw: np.ndarray, classes: Any) -> np.ndarray:
    """A booster's binary probabilities (one column: the positive class) as one column per
    class, as an `IterationProbe` takes them; other predictions unchanged."""
    return np.column_stack([1 - raw, raw]) if classes is not None and raw.ndim == 1 else raw


@dataclass
class Validation:
    """Held-out rows an iterative family early-stops on, when the trial must end (on
    time.monotonic()) and the probe that receives its learning curve."""

    X: Any
    y: np.ndarray
    deadline: float | None = None
    probe: IterationProbe | None = None
    cut_short: bool = False
    """Set by a family that stopped because the deadline left no time for another unit."""


class ModelFamily:
    """A model family: its name, the parameters it accepts, how to build and fit it.

    Subclasses set the class attributes and `build`; iterative families override `fit` to
    early-stop on validation data and, when given an `IterationProbe`, report a learning curve
    on their `curve_unit` ("rounds", "epochs", "steps").

    - `iterations_param`: the iteration count early-stopped in the search and fixed to the
      found value (scaled to the larger data) when refitting; `default_iterations` is its
      value when the space leaves it out (full fidelity for multi-fidelity strategies);
      `sparse_curve`: report at geometric checkpoints rather than every iteration (predicting
      costs more than one boosting round).
    - `native_categorical`: takes integer-coded categories as they are (at most
      `max_native_categories` per column: the rarer values then arrive as missing);
      `handles_missing`: takes NaN as it is; `embeds_categories`: learns a vector per category, so many-valued
      columns may reach it as categories too; `needs_scaling`: numeric columns are imputed and standardised
      unless the space chooses otherwise.
    - `default_rank`: position in the default space (None: only on request); also the order
      in which `auto` tries the families' first starting points. `default_max_rows`: above
      this many rows the default space leaves the family out (it stays available on request).
    - `schedule_params`: settings that may change while the model trains; a family with some
      trains in checkpointed segments (its estimator has `start`, `train_epochs`,
      `set_schedule` and `epochs_trained_`), which population-based training needs.
    - `libraries`: modules it needs, whose versions a saved model records and checks on load;
      `install_hint`: how to install them (the default space leaves out a family whose
      libraries are missing, a space that names it is refused with this hint).
    - `stops_at_deadline`: its search fit ends at `validation.deadline` with what it has (a
      trial whose fit ended there is marked cut short); others run until done or killed.
    """

    name: ClassVar[str]
    params: ClassVar[frozenset[str]]
    tasks: ClassVar[frozenset[Task]] = ALL_TASKS
    iterations_param: ClassVar[str | None] = None
    default_iterations: ClassVar[int] = 100
    curve_unit: ClassVar[str | None] = None
    sparse_curve: ClassVar[bool] = False
    native_categorical: ClassVar[bool] = False
    max_native_categories: ClassVar[int | None] = None
    handles_missing: ClassVar[bool] = False
    embeds_categories: ClassVar[bool] = False
    needs_scaling: ClassVar[bool] = False
    default_rank: ClassVar[int | None] = None
    default_max_rows: ClassVar[int | None] = None
    schedule_params: ClassVar[frozenset[str]] = frozenset()
    libraries: ClassVar[tuple[str, ...]] = ()
    install_hint: ClassVar[str | None] = None
    stops_at_deadline: ClassVar[bool] = False

    def warm_up(self) -> None:
        """Load, before any trial's clock starts, what this family's first fit would otherwise
        load inside it: by default its libraries (an import may take seconds)."""
        for name in self.libraries:
            importlib.import_module(name)

    def missing_library(self) -> str | None:
        """The first of `libraries` that is not installed (None: all are)."""
        return next((lib for lib in self.libraries if importlib.util.find_spec(lib) is None), None)

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        """An unfitted estimator for these (unprefixed) parameters."""
        raise NotImplementedError

    def check_value(self, name: str, value: Any) -> str | None:
        """Why parameter `name` cannot take `value` (None: it can). Asked when a space is built,
        so a user's impossible value is refused there instead of failing every trial."""
        return None

    def fit(
        self, estimator: Any, X: Any, y: np.ndarray, validation: Validation | None = None
    ) -> int | None:
        """Fit in place: early-stopped on `validation` during the search (returning the
        iterations kept, None for a family without iterations), on all rows to refit."""
        if validation is None:
            self.fit_all(estimator, X, y)
            return None
        return self.fit_early_stopped(estimator, X, y, validation)

    def fit_all(self, estimator: Any, X: Any, y: np.ndarray) -> None:
        """Fit on every given row, with no held-out rows to stop on (the final refit)."""
        estimator.fit(X, y)

    def fit_early_stopped(
        self, estimator: Any, X: Any, y: np.ndarray, validation: Validation
    ) -> int | None:
        """Fit with held-out rows: an iterative family early-stops on them, reports its
        learning curve to `validation.probe` and returns the iterations it kept."""
        estimator.fit(X, y)
        return None

    def describe(self, params: dict[str, Any]) -> str | None:
        """A configuration of this family in one readable line (a network's architecture),
        for the dashboard; None when its parameters say it plainly enough."""
        return None

    def space_file(self, spaces: Path) -> Path:
        """The bundled YAML with this family's ranges and starting points."""
        return spaces / f"{self.name}.yaml"

    def __repr__(self) -> str:
        return f"<model family {self.name}>"


FAMILIES: Registry[ModelFamily] = Registry("model", SpaceError)
F = TypeVar("F", bound=type[ModelFamily])


def register_family(cls: F) -> F:
    """Class decorator: make the family usable by name in search spaces."""
    FAMILIES.add(cls.name, cls())
    return cls


def get_family(name: str) -> ModelFamily:
    """The registered family, or a SpaceError that names the closest one."""
    return FAMILIES.get(name, family_names())


def family_names() -> tuple[str, ...]:
    """Every registered family: the default space's first, in its order, then the others."""
    others = sorted(f.name for f in FAMILIES.values() if f.default_rank is None)
    return default_families() + tuple(others)


def family_libraries(names: Iterable[str]) -> tuple[str, ...]:
    """The libraries the named families need (lightgbm, torch), sorted, without repeats."""
    return tuple(sorted({lib for name in names for lib in get_family(name).libraries}))


def default_families(rows: int | None = None) -> tuple[str, ...]:
    """The families of the default space, strongest first (for `rows` rows of data, when
    given: without those whose `default_max_rows` it exceeds)."""
    ranked = [
        f
        for f in FAMILIES.values()
        if f.default_rank is not None
        and f.missing_library() is None
        and (rows is None or f.default_max_rows is None or rows <= f.default_max_rows)
    ]
    return tuple(f.name for f in sorted(ranked, key=lambda f: f.default_rank or 0))


def fit_estimator(
    family: ModelFamily, estimator: Any, X: Any, y: np.ndarray, validation: Validation | None = None
) -> int | None:
    """`family.fit` with the libraries' convergence and feature-name warnings silenced (a
    search fits thousands of models; the warnings say nothing the scores do not)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        return family.fit(estimator, X, y, validation)
