"""Budget: wall time and trial limits that the search loop enforces, with an injectable clock."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from automl.exceptions import ConfigError

OVERRUN_TOLERANCE = 0.05
DEFAULT_TIME_BUDGET = 60.0
DEFAULT_TEXT_TIME_BUDGET = 600.0
"""A text search's budget when none is given: fine-tuning takes about a second per step on
two CPU cores (MiniLM, batches of 32)."""
MAX_SECONDS = 365 * 24 * 3600.0
MIN_TRIAL_SECONDS = 0.5
"""A trial is not started with less time than this left (nor with less than the median trial so
far took to its first result): it could not finish."""


@dataclass
class Budget:
    """`time_budget` seconds of wall time and/or `n_trials` finished trials in the study.

    `trial_time_limit` caps each trial; `clock` is injectable so tests need not sleep.
    """

    time_budget: float | None = None
    n_trials: int | None = None
    trial_time_limit: float | None = None
    clock: Callable[[], float] = time.monotonic
    _start: float | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("time_budget", "trial_time_limit"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value <= 0
                or value > MAX_SECONDS
            ):
                raise ConfigError(
                    f"{name} must be a positive number of seconds up to {MAX_SECONDS:g} (a year), got {value!r}"
                )
        if self.n_trials is not None and (
            isinstance(self.n_trials, bool)
            or not isinstance(self.n_trials, int)
            or self.n_trials < 1
        ):
            raise ConfigError(f"n_trials must be a positive integer, got {self.n_trials!r}")

    def start(self) -> None:
        self._start = self.clock()

    @property
    def started(self) -> bool:
        return self._start is not None

    @property
    def elapsed(self) -> float:
        return 0.0 if self._start is None else self.clock() - self._start

    @property
    def remaining(self) -> float:
        """Seconds left (infinite without a time budget)."""
        return math.inf if self.time_budget is None else self.time_budget - self.elapsed

    @property
    def hard_remaining(self) -> float:
        """Seconds left before the tolerated overrun (budget + 5%) is reached."""
        if self.time_budget is None:
            return math.inf
        return self.time_budget * (1 + OVERRUN_TOLERANCE) - self.elapsed

    def allows_trial(
        self, n_finished: int, reserve: float = 0.0, needs: float = MIN_TRIAL_SECONDS
    ) -> bool:
        """Whether another trial may start, keeping `reserve` seconds for the final refit and
        `needs` seconds (at least) for the trial itself."""
        if self.n_trials is not None and n_finished >= self.n_trials:
            return False
        return self.remaining - reserve > needs

    def is_budget_end(self, limit: float | None) -> bool:
        """Whether a limit `trial_timeout` gave was the end of the time budget, not the
        trial's own cap (a trial stopped by it did nothing wrong)."""
        own = self.trial_time_limit
        return limit is not None and (own is None or limit < own - 1e-6)

    def trial_timeout(self, reserve: float = 0.0) -> float | None:
        """The limit for the next trial: its own cap, never past the budget minus `reserve`."""
        limits = [
            self.trial_time_limit,
            None if self.time_budget is None else self.remaining - reserve,
        ]
        given = [v for v in limits if v is not None]
        return max(0.0, min(given)) if given else None
