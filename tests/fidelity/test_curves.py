"""Learning-curve extrapolation recovers what a known curve tends to."""

from __future__ import annotations

import numpy as np
import pytest

from automl.fidelity import forecast
from automl.fidelity.curves import FAMILIES, Family


def test_recovers_the_final_value_of_a_noisy_power_law() -> None:
    # A score that rises like a power law of boosting rounds, with evaluation noise; the first
    # quarter of the rounds is seen, the value at round 2000 is forecast.
    rng = np.random.default_rng(0)
    rounds = np.unique(np.geomspace(10, 500, 12).round())
    truth = lambda x: 0.92 - 0.25 * (x / 10) ** -0.6  # noqa: E731
    seen = truth(rounds) + rng.normal(0, 0.002, len(rounds))
    result = forecast(rounds, seen, at=2000)
    assert result is not None
    assert abs(result.mean - truth(2000)) < 0.006  # stated tolerance: 0.006 on a 0.16 rise
    assert abs(result.mean - truth(2000)) < 3 * result.std
    assert result.mean > seen.max()  # it does extrapolate, not just repeat the last value


def test_a_loss_curve_is_forecast_downwards_and_clipped_at_its_bound() -> None:
    rounds = np.arange(1, 9) * 20.0
    loss = 0.3 + 0.5 * np.exp(-rounds / 40)
    result = forecast(rounds, loss, at=1000, maximize=False, bounds=(0.0, None))
    assert result is not None
    assert 0.28 < result.mean < loss[-1]
    assert forecast(rounds, loss - 0.35, at=1e6, maximize=False, bounds=(0.0, None)).mean >= 0.0


def test_short_or_flat_curves() -> None:
    assert forecast([1, 2, 3], [0.5, 0.6, 0.65], at=10) is None  # fewer than 4 points
    assert forecast([1, 2, 3], [0.5, 0.6, 0.65], at=10, min_points=3) is not None
    flat = forecast([1, 2, 3, 4], [0.7] * 4, at=10)
    assert flat is not None and flat.mean == 0.7 and flat.std == 0.0
    assert flat.prob_better_than(0.69) == 1.0


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.name)
def test_each_familys_jacobian_is_its_curves_derivative(family: Family) -> None:
    # the fits use the exact Jacobians (1.3-2.2x faster than finite differences): a wrong
    # column would silently slow or misdirect every fit, so each is checked against differences
    rng = np.random.default_rng(0)
    x = np.linspace(0.05, 1.0, 9)
    lower, upper = np.array(family.lower, float), np.array(family.upper, float)
    assert family.jac is not None
    for _ in range(5):
        p = lower + (upper - lower) * rng.uniform(0.02, 0.3, len(lower))
        step = 1e-6 * np.maximum(1.0, np.abs(p))
        differences = np.column_stack(
            [(family.fn(x, p + h) - family.fn(x, p - h)) / (2 * h[h > 0][0]) for h in np.diag(step)]
        )
        np.testing.assert_allclose(family.jac(x, p), differences, rtol=1e-5, atol=1e-7)
