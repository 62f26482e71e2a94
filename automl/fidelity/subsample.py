"""Nested, stratified subsamples: the data-fraction fidelity.

Each smaller sample is a subset of every larger one (a trial promoted from 1/9 to 1/3 of the
rows keeps the rows it has seen), classes keep their proportions, and every class keeps at
least `min_per_class` rows so a low rung can still be trained and scored.
"""

from __future__ import annotations

import math

import numpy as np

MIN_ROWS_PER_CLASS = 5


class NestedSubsamples:
    """Subsamples of `rows` (positions into a dataset) for any fraction in (0, 1].

    One random order per class is drawn once; a fraction takes a prefix of each class's order,
    so samples for growing fractions are nested by construction. For regression (`y` is None or
    `stratify=False`) the whole set of rows is one stratum.
    """

    def __init__(
        self,
        rows: np.ndarray,
        y: np.ndarray | None,
        seed: int,
        stratify: bool = True,
        min_per_class: int = MIN_ROWS_PER_CLASS,
    ) -> None:
        rng = np.random.default_rng(seed)
        rows = np.asarray(rows)
        self.n_rows = len(rows)
        self.min_per_class = min_per_class
        if y is None or not stratify:
            self._strata = [rng.permutation(rows)]
        else:
            labels = np.asarray(y)[rows]
            self._strata = [rng.permutation(rows[labels == c]) for c in np.unique(labels)]

    def take(self, fraction: float) -> np.ndarray:
        """The rows of the `fraction` sample, in ascending order."""
        if not 0 < fraction <= 1:
            raise ValueError(f"a data fraction must be in (0, 1], got {fraction}")
        parts = [
            order[: min(len(order), max(self.min_per_class, math.ceil(fraction * len(order))))]
            for order in self._strata
        ]
        return np.sort(np.concatenate(parts))
