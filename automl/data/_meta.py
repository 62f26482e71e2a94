"""Meta-features: a few numbers that say what a dataset looks like, for warm starts that reuse
what worked on similar past datasets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from automl.data._dataset import Dataset


@dataclass(frozen=True)
class MetaFeatures:
    """Rows and used feature columns; the share of numeric columns; counts of categorical and
    high-cardinality columns; for classification the number of classes and the rarest class's
    share; the share of missing cells; for regression the target's skewness."""

    rows: int
    columns: int
    numeric_share: float
    categorical: int
    high_cardinality: int
    classes: int | None
    minority_share: float | None
    missing_share: float
    target_skew: float | None


def meta_features(dataset: Dataset) -> MetaFeatures:
    """Compute the meta-features of a validated dataset (in well under a second at 1M rows)."""
    roles = dataset.roles
    used = list(roles.features)
    cells = dataset.features[used]
    missing = float(cells.isna().to_numpy().mean()) if used else 0.0
    classes = minority = skew = None
    if dataset.task.is_classification:
        counts = np.bincount(dataset.y)
        classes = int((counts > 0).sum())
        minority = round(float(counts[counts > 0].min() / len(dataset.y)), 6)
    else:
        y = np.asarray(dataset.y, dtype=float)
        spread = float(y.std())
        skew = round(float(((y - y.mean()) ** 3).mean() / spread**3), 6) if spread > 0 else 0.0
    return MetaFeatures(
        rows=dataset.n_rows,
        columns=len(used),
        numeric_share=round(len(roles.numeric) / max(len(used), 1), 6),
        categorical=len(roles.categorical),
        high_cardinality=len(roles.high_cardinality),
        classes=classes,
        minority_share=minority,
        missing_share=round(missing, 6),
        target_skew=skew,
    )
