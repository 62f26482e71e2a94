"""Learning-curve extrapolation: a weighted ensemble of parametric curve families.

After Domhan, Springenberg and Hutter (IJCAI 2015): a partial curve (score against boosting
rounds, epochs or data fraction) is fitted by several saturating, increasing families; their
forecasts at full fidelity are averaged with weights from each fit's BIC, and the uncertainty
combines the families' disagreement, the observation noise and a share of the improvement
still to come.
Least squares with a soft-L1 loss keeps a noisy point from dragging a fit away. Domhan et al.
sample the ensemble by MCMC; a point fit per family is much cheaper, and calibration is measured
in `benchmarks/fidelity_correlation.py`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.stats
from scipy.optimize import least_squares

MIN_POINTS = 4
"""Fewer points than this and no forecast is made (the caller falls back to a bandit rule)."""
UNCERTAIN_SHARE = 0.6
"""Share of the forecast's remaining improvement counted as extra uncertainty."""
MAX_EVALUATIONS = 150
"""Per family and fit: enough to converge on a smooth curve (a forecast of all six families
took 58-90 ms on average on one core here: benchmarks/results/forecast_speed.md)."""
NOISE_FLOOR = 0.005
"""Residuals below this share of the curve's rise count as a perfect fit (no family wins on
fitting noise, and three points fit by three parameters do not weigh infinitely)."""

CurveFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Family:
    """A curve z(x; p) increasing in x, its Jacobian dz/dp (one column per parameter; None:
    finite differences, which fit 1.3-2.2x slower), bounds and a first guess."""

    name: str
    fn: CurveFn
    jac: CurveFn | None
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    guess: Callable[[np.ndarray, np.ndarray], list[float]]


def _pow3(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    c, a, alpha = p
    return c - a * x ** (-alpha)


def _pow3_jac(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    _, a, alpha = p
    power = x ** (-alpha)
    return np.column_stack([np.ones_like(x), -power, a * power * np.log(x)])


def _log_power(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    a, b, c = p
    return a / (1.0 + (x / math.exp(b)) ** (-c))


def _log_power_jac(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    a, b, c = p
    log_ratio = np.log(x) - b
    u = np.exp(-c * log_ratio)  # (x / e^b)^-c
    dz_du = -a / (1.0 + u) ** 2
    return np.column_stack([1.0 / (1.0 + u), dz_du * c * u, -dz_du * log_ratio * u])


def _exp3(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    c, a, b = p
    return c - a * np.exp(-b * x)


def _exp3_jac(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    _, a, b = p
    decay = np.exp(-b * x)
    return np.column_stack([np.ones_like(x), -decay, a * x * decay])


def _janoschek(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    top, drop, kappa, delta = p
    return top - drop * np.exp(-kappa * x**delta)


def _janoschek_jac(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    _, drop, kappa, delta = p
    power = x**delta
    decay = np.exp(-kappa * power)
    return np.column_stack(
        [np.ones_like(x), -decay, drop * decay * power, drop * decay * kappa * power * np.log(x)]
    )


def _mmf(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    top, drop, kappa, delta = p
    return top - drop / (1.0 + (kappa * x) ** delta)


def _mmf_jac(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    _, drop, kappa, delta = p
    v = (kappa * x) ** delta
    dz_dv = drop / (1.0 + v) ** 2
    return np.column_stack(
        [
            np.ones_like(x),
            -1.0 / (1.0 + v),
            dz_dv * delta * v / kappa,
            dz_dv * v * np.log(kappa * x),
        ]
    )


def _weibull(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    top, drop, kappa, delta = p
    return top - drop * np.exp(-((kappa * x) ** delta))


def _weibull_jac(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    _, drop, kappa, delta = p
    v = (kappa * x) ** delta
    dz_dv = drop * np.exp(-v)
    return np.column_stack(
        [np.ones_like(x), -np.exp(-v), dz_dv * delta * v / kappa, dz_dv * v * np.log(kappa * x)]
    )


# The curve is scaled to x in (0, 1] (the last observed point at 1) and z in [0, 1] (first to
# best observed score), so the same bounds and guesses serve every metric and fidelity. TOP
# caps the asymptote: a curve may still rise four times what it has risen so far, not more.
TOP = 5.0
FAMILIES: tuple[Family, ...] = (
    Family(
        "pow3", _pow3, _pow3_jac, (-5, 0, 0.01), (TOP, 50, 4), lambda x, z: [1.1, 1.1 - z[0], 0.5]
    ),
    Family(
        "log_power",
        _log_power,
        _log_power_jac,
        (0, -12, 0.05),
        (TOP, 6, 8),
        lambda x, z: [1.1, -1, 1],
    ),
    Family("exp3", _exp3, _exp3_jac, (-5, 0, 0), (TOP, 50, 500), lambda x, z: [1.05, 1.2, 3.0]),
    Family(
        "janoschek",
        _janoschek,
        _janoschek_jac,
        (-5, 0, 0, 0.05),
        (TOP, 50, 500, 5),
        lambda x, z: [1.05, 1.05 - z[0], 3.0, 1.0],
    ),
    Family(
        "mmf",
        _mmf,
        _mmf_jac,
        (-5, 0, 0, 0.05),
        (TOP, 50, 1e4, 8),
        lambda x, z: [1.1, 1.1 - z[0], 5, 1.0],
    ),
    Family(
        "weibull",
        _weibull,
        _weibull_jac,
        (-5, 0, 0, 0.05),
        (TOP, 50, 1e3, 5),
        lambda x, z: [1.05, 1.05 - z[0], 3.0, 1.0],
    ),
)


@dataclass(frozen=True)
class CurveForecast:
    """The predicted score at full fidelity: `mean` and `std` in the metric's own units."""

    mean: float
    std: float
    weights: dict[str, float] = field(default_factory=dict)
    shift: float = 0.0
    """The calibration applied to the curve ensemble's mean (see `pruners.calibrated`)."""
    dof: float = math.inf
    """Degrees of freedom of the spread: finite when it was estimated from a few past errors,
    so the forecast is a Student t (wide tails), not a normal."""

    def prob_better_than(self, value: float, maximize: bool = True) -> float:
        """Probability that the final score beats `value` (normal, or Student t for small
        calibration records)."""
        if self.std <= 0:
            return float(self.mean > value if maximize else self.mean < value)
        z = (self.mean - value) / self.std
        if not maximize:
            z = -z
        if math.isfinite(self.dof):
            return float(scipy.stats.t.cdf(z, self.dof))
        return 0.5 * math.erfc(-z / math.sqrt(2.0))

    def to_dict(self) -> dict[str, object]:
        return {
            "mean": round(self.mean, 6),
            "std": round(self.std, 6),
            "weights": {k: round(v, 4) for k, v in self.weights.items()},
            "shift": round(self.shift, 6),
            "dof": None if math.isinf(self.dof) else self.dof,
        }


def forecast(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    at: float,
    maximize: bool = True,
    bounds: tuple[float | None, float | None] = (None, None),
    min_points: int = MIN_POINTS,
) -> CurveForecast | None:
    """Forecast the score at fidelity `at` from a partial curve (`x` ascending, `at` beyond it).

    `maximize=False` for losses. `bounds` clip the forecast (for example 1.0 for accuracy).
    Returns None for fewer than `min_points` distinct points (never fewer than 3).
    """
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    keep = np.isfinite(xs) & np.isfinite(ys) & (xs > 0)
    xs, ys = xs[keep], ys[keep]
    if len(np.unique(xs)) < max(3, min_points):
        return None
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], ys[order]
    sign = 1.0 if maximize else -1.0
    signed = sign * ys
    low, span = float(signed[0]), float(signed.max() - signed[0])
    if span <= 1e-12:  # a flat curve: nothing to extrapolate
        return _clip(CurveForecast(float(ys[-1]), 0.0, {}), bounds)
    scale_x = float(xs[-1])
    xn, zn, target = xs / scale_x, (signed - low) / span, at / scale_x
    mean_z, std_z, weights = _ensemble(xn, zn, target)
    mean_z = max(mean_z, 1.0)  # the curve has already reached its best observed score
    mean = sign * (low + span * mean_z)
    return _clip(CurveForecast(mean, span * std_z, weights), bounds)


def _ensemble(x: np.ndarray, z: np.ndarray, target: float) -> tuple[float, float, dict[str, float]]:
    """Weighted forecast in the scaled space, weights by BIC (a family that fits the curve
    clearly worse, or needs more parameters for the same fit, counts less)."""
    n = len(x)
    fits: dict[str, tuple[float, float]] = {}  # name -> (forecast, BIC)
    residual_var: list[float] = []
    for family in FAMILIES:
        params = _fit(family, x, z)
        if params is None:
            continue
        prediction = float(family.fn(np.array([target]), params)[0])
        if not math.isfinite(prediction):
            continue
        mse = float(np.mean((z - family.fn(x, params)) ** 2))
        residual_var.append(mse)
        bic = n * math.log(max(mse, NOISE_FLOOR**2)) + len(family.lower) * math.log(n)
        fits[family.name] = (prediction, bic)
    if not fits:
        return float(z[-1]), 1.0, {}
    best_bic = min(bic for _, bic in fits.values())
    raw = {name: math.exp(-0.5 * (bic - best_bic)) for name, (_, bic) in fits.items()}
    total = sum(raw.values())
    weights = {name: w / total for name, w in raw.items()}
    mean = sum(weights[name] * fits[name][0] for name in fits)
    between = sum(weights[name] * (fits[name][0] - mean) ** 2 for name in fits)
    noise = min(residual_var)
    gain = max(0.0, mean - float(z.max()))
    std = math.sqrt(between + noise + (UNCERTAIN_SHARE * gain) ** 2)
    return mean, std, weights


def _fit(family: Family, x: np.ndarray, z: np.ndarray) -> np.ndarray | None:
    """Robust bounded least squares from the family's first guess; None if it fails."""
    lower, upper = np.array(family.lower, float), np.array(family.upper, float)
    start = np.clip(np.array(family.guess(x, z), float), lower + 1e-9, upper - 1e-9)

    def residuals(p: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            r = family.fn(x, p) - z
        return np.where(np.isfinite(r), r, 1e3)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = least_squares(
                residuals,
                start,
                jac=_jacobian(family, x),
                bounds=(lower, upper),
                loss="soft_l1",
                f_scale=0.05,
                max_nfev=MAX_EVALUATIONS,
                x_scale="jac",
            )
    except (ValueError, FloatingPointError):
        return None
    return fit.x if np.all(np.isfinite(fit.x)) else None


def _jacobian(family: Family, x: np.ndarray) -> Callable[[np.ndarray], np.ndarray] | str:
    """The family's exact Jacobian at `x` (a non-finite entry as 0), or finite differences."""
    exact = family.jac
    if exact is None:
        return "2-point"

    def jacobian(p: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            j = exact(x, p)
        return np.where(np.isfinite(j), j, 0.0)

    return jacobian


def _clip(result: CurveForecast, bounds: tuple[float | None, float | None]) -> CurveForecast:
    low, high = bounds
    mean = result.mean
    if low is not None:
        mean = max(mean, low)
    if high is not None:
        mean = min(mean, high)
    return CurveForecast(mean, result.std, result.weights, result.shift)
