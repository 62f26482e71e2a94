"""Caruana ensemble selection over the trials' stored validation predictions.

Greedy forward selection with replacement (Caruana et al., ICML 2004): start from the best
trial, repeatedly add the trial whose inclusion most improves the metric of the averaged
predictions, and keep the best-scoring prefix. The weights are how often each trial was picked.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from automl.metrics import Metric

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
