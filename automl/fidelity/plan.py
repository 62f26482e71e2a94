"""FidelityPlan: at which fidelities a tabular trial reports, and how steps map to fidelity.

Three kinds share one contract for the schedulers: a trial reports `(value, step)` and
`step / full_step` is the share of full fidelity it has reached.

- `data_fraction`: the trial is trained on nested subsamples of the first split's training rows
  (fractions eta^-k: 1/9 and 1/3) and scored on that split's full validation rows, then
  evaluated in full. Steps count in units of the smallest fraction.
- `rounds`: LightGBM reports its validation score at growing boosting rounds of the first split.
- `epochs`: the torch MLP reports its validation score after every epoch on the first split.
- `folds`: the score after each cross-validation fold (the core search's behaviour).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ETA = 3
MAX_RUNGS = 3
"""Full data plus at most two rungs below it (1/9 and 1/3). Measured on 50 random LightGBM
configurations per dataset (benchmarks/results/fidelity_correlation.md): scores on 1/27 of the
rows rank configurations poorly (Spearman 0.07-0.54 against full data), and a top-third cut
there kept only 1 of the 5 best configurations on Adult and California; at 1/9 the best one
always survived the cut."""
MIN_RUNG_ROWS = 3000
"""The smallest data-fraction rung trains on at least this many rows. Measured: scores on about
1,200 training rows (1/27 of Adult) hardly rank configurations (Spearman 0.17), on 3,500 rows
(1/9 of Adult) moderately (0.41); and on 8,000 Adult rows a 700-row rung made `auto` miss the
best configurations that full-fidelity TPE found."""
ROUND_CHECKPOINT_GROWTH = math.sqrt(2)
FIRST_ROUND_CHECKPOINT = 16
KINDS = ("folds", "data_fraction", "rounds", "epochs")


@dataclass(frozen=True)
class FidelityPlan:
    """`fractions` are the data-fraction rungs below full data (ascending); `max_steps` is the
    iteration cap (boosting rounds or epochs) that counts as full fidelity for the `rounds` and
    `epochs` kinds."""

    kind: str = "folds"
    fractions: tuple[float, ...] = ()
    eta: int = ETA
    max_steps: int = 2000

    @property
    def full_step(self) -> int:
        """The step that stands for full fidelity."""
        if self.kind == "data_fraction":
            return self.eta ** len(self.fractions)
        if self.kind in ("rounds", "epochs"):
            return self.max_steps
        return 1

    def step_of(self, fraction: float) -> int:
        return max(1, round(fraction * self.full_step))

    def fidelity_of(self, step: int) -> float:
        return min(1.0, step / self.full_step)

    @property
    def first_step(self) -> int:
        """The lowest step a trial reports: the bandits' smallest rung."""
        if self.kind == "rounds":
            return self.round_checkpoints()[0]
        return 1

    def round_checkpoints(self) -> list[int]:
        """Rounds at which LightGBM reports: about two per doubling, up to `max_steps`."""
        points: list[int] = []
        value = float(FIRST_ROUND_CHECKPOINT)
        while value < self.max_steps:
            if not points or round(value) > points[-1]:
                points.append(round(value))
            value *= ROUND_CHECKPOINT_GROWTH
        return points

    def describe(self) -> str:
        if self.kind == "data_fraction":
            rungs = ", ".join(f"1/{round(1 / f)}" for f in self.fractions)
            return f"data fractions {rungs}, then all rows"
        if self.kind == "rounds":
            return "LightGBM boosting rounds"
        if self.kind == "epochs":
            return "MLP epochs"
        return "cross-validation folds"


def data_fraction_plan(train_rows: int, eta: int = ETA) -> FidelityPlan | None:
    """The deepest ladder of fractions eta^-k (k <= MAX_RUNGS - 1) whose smallest rung still
    trains on MIN_RUNG_ROWS rows; None when not even one rung below full data fits."""
    depth = 0
    while depth < MAX_RUNGS - 1 and train_rows / eta ** (depth + 1) >= MIN_RUNG_ROWS:
        depth += 1
    if depth == 0:
        return None
    fractions = tuple(eta**-k for k in range(depth, 0, -1))
    return FidelityPlan("data_fraction", fractions, eta)
