"""Caruana ensemble selection over the trials' stored validation predictions.

Greedy forward selection with replacement (Caruana et al., ICML 2004): start from the best
trial, repeatedly add the trial whose inclusion most improves the metric of the averaged
predictions, and keep the best-scoring prefix. The weights are how often each trial was picked.
"""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np

from automl.metrics import Metric

logger = logging.getLogger(__name__)

ROUNDS = 25


def select_ensemble(
    candidates: dict[int, np.ndarray], y: np.ndarray, metric: Metric, rounds: int = ROUNDS
) -> dict[int, float]:
    """Weights per trial number (summing to 1) from predictions aligned with `y`."""
    if not candidates:
        return {}
    sign = 1.0 if metric.greater_is_better else -1.0
    scores = {n: sign * metric.score(y, p) for n, p in candidates.items()}
    first = max(scores, key=lambda n: scores[n])
    picks = [first]
    total = candidates[first].astype(float).copy()
    best_score, best_len = scores[first], 1
    for _ in range(rounds - 1):
        size = len(picks) + 1
        trial_scores = {
            n: sign * metric.score(y, (total + p) / size) for n, p in candidates.items()
        }
        chosen = max(trial_scores, key=lambda n: trial_scores[n])
        picks.append(chosen)
        total += candidates[chosen]
        if trial_scores[chosen] > best_score + 1e-12:
            best_score, best_len = trial_scores[chosen], size
    counts = Counter(picks[:best_len])
    return {n: c / best_len for n, c in counts.most_common()}


def blend(weights: dict[int, float], predictions: dict[int, np.ndarray]) -> np.ndarray:
    """The weighted average of the trials' predictions."""
    total = np.zeros(np.shape(predictions[next(iter(weights))]))
    for number, weight in weights.items():
        total += weight * predictions[number]
    return total


def blend_or_best(
    candidates: dict[int, np.ndarray], y: np.ndarray, metric: Metric, seed: int = 0
) -> dict[int, float]:
    """Caruana weights; for a metric of labels (accuracy, F1), the best candidate alone where
    the blend did not beat it out of sample: each chosen on one half of the rows and scored on
    the other, both ways. Such a metric is flat almost everywhere, and the greedy blend can fit
    the rows it is chosen on and lose to the best trial alone (letter's accuracy, measured by
    benchmarks/ensembles.py; on ROC AUC, R2 and log loss the check only added noise)."""
    if not metric.scores_labels or len(candidates) < 2 or len(y) < 4:
        return select_ensemble(candidates, y, metric)
    sign = 1.0 if metric.greater_is_better else -1.0
    halves = np.array_split(np.random.default_rng(seed).permutation(len(y)), 2)
    blended = alone = 0.0
    for chosen_on, scored_on in (halves, halves[::-1]):
        on = {n: p[chosen_on] for n, p in candidates.items()}
        off = {n: p[scored_on] for n, p in candidates.items()}
        weights = select_ensemble(on, y[chosen_on], metric)
        best = max(on, key=lambda n: sign * metric.score(y[chosen_on], on[n]))
        blended += sign * metric.score(y[scored_on], blend(weights, off))
        alone += sign * metric.score(y[scored_on], off[best])
    if blended >= alone:
        return select_ensemble(candidates, y, metric)
    best = max(candidates, key=lambda n: sign * metric.score(y, candidates[n]))
    logger.info(
        "ensemble: a blend did not beat trial %d alone on held-out halves of the validation"
        " rows (%s), so the model is that trial",
        best,
        metric.name,
    )
    return {best: 1.0}
