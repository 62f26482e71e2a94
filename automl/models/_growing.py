"""Fit a warm-startable estimator in growing chunks until a deadline.

scikit-learn's HistGradientBoosting (iterations) and forests (trees) can continue fitting with
`warm_start=True`. During a search, a trial that would run past its time limit is killed and
its compute lost; fitted in chunks, it stops at its deadline with the iterations or trees it
has, and is scored as it stands (the trial record then says it was cut short).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

FIRST_CHUNK = 16
"""Units (iterations, trees) in the first chunk: enough to time one unit on."""
MARGIN = 0.8
"""A chunk is sized to take at most this share of the time left before the deadline."""


def grow_until(
    estimator: Any,
    param: str,
    target: int,
    deadline: float | None,
    fit: Callable[[], None],
    stopped_early: Callable[[int], bool] = lambda size: False,
) -> bool:
    """Fit `estimator` up to `target` units of `param`: a first chunk of FIRST_CHUNK units
    times one unit, then each chunk is as large as fits in MARGIN of the time left before
    `deadline` (on `time.monotonic()`), so a fit with time to spare takes two steps and a slow
    one stops near its deadline; also stops when `stopped_early(size)` says the estimator
    ended before `size` units by itself. Without a deadline: one plain fit. Returns whether the
    deadline cut the fit short. (Each step re-bins the data and re-predicts the units so far:
    doubling chunks cost +50% on HistGradientBoosting.)"""
    if deadline is None or target <= FIRST_CHUNK:
        estimator.set_params(**{param: target})
        fit()
        return False
    estimator.set_params(warm_start=True)
    start = time.monotonic()
    size, chunk = 0, FIRST_CHUNK
    try:
        while size < target:
            size = min(target, size + chunk)
            estimator.set_params(**{param: size})
            fit()
            now = time.monotonic()
            if stopped_early(size):
                return False
            if now >= deadline:
                return size < target
            per_unit = (now - start) / size
            chunk = int(MARGIN * (deadline - now) / max(per_unit, 1e-9))
            if chunk < 1:
                return size < target
    finally:
        estimator.set_params(warm_start=False)
    return False
