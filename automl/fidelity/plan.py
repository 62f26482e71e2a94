"""FidelityPlan: at which fidelities a tabular trial reports, and how steps map to fidelity.

The kinds share one contract for the schedulers: a trial reports `(value, step)` and
`step / full_step` is the share of full fidelity it has reached.

- `data_fraction`: the trial is trained on nested subsamples of the first split's training rows
  (fractions eta^-k: 1/9 and 1/3) and scored on that split's full validation rows, then
  evaluated in full. Steps count in units of the smallest fraction.
- an iteration unit (`rounds`, `epochs`, `steps`: whatever a model family's `curve_unit` is):
  the family reports its validation score on the first split as it trains, after every
  iteration or (`sparse`) at geometric checkpoints, about two per doubling from 16.
- `folds`: the score after each cross-validation fold (the core search's behaviour).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

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
NOT_ITERATIONS = ("folds", "data_fraction")


@dataclass(frozen=True)
class FidelityPlan:
    """`fractions` are the data-fraction rungs below full data (ascending); for an iteration
    unit, `max_steps` is the iteration count that counts as full fidelity, `sparse` says the
    curve is reported at checkpoints only, and `label` names the unit for people."""

    kind: str = "folds"
    fractions: tuple[float, ...] = ()
    eta: int = ETA
    max_steps: int = 2000
    sparse: bool = False
    label: str = ""

    @property
    def is_iterations(self) -> bool:
        """Trials report as their model trains (rounds, epochs, steps)."""
        return self.kind not in NOT_ITERATIONS

    @property
    def full_step(self) -> int:
        """The step that stands for full fidelity."""
        if self.kind == "data_fraction":
            return self.eta ** len(self.fractions)
        if self.is_iterations:
            return self.max_steps
        return 1

    def step_of(self, fraction: float) -> int:
        return max(1, round(fraction * self.full_step))

    def fidelity_of(self, step: int) -> float:
        return min(1.0, step / self.full_step)

    @property
    def first_step(self) -> int:
        """The lowest step a trial reports: the bandits' smallest rung."""
        if self.is_iterations and self.sparse:
            return self.checkpoints()[0]
        return 1

    def reports_at(self, step: int) -> bool:
        """Whether an iterative fit reports at this step (every step unless `sparse`)."""
        return not self.sparse or step in self._checkpoint_set

    @cached_property
    def _checkpoint_set(self) -> frozenset[int]:
        return frozenset(self.checkpoints())

    def checkpoints(self) -> list[int]:
        """Sparse reporting steps: about two per doubling from 16, up to `max_steps`."""
        points: list[int] = []
        value = float(FIRST_ROUND_CHECKPOINT)
        while value < self.max_steps:
            if not points or round(value) > points[-1]:
                points.append(round(value))
            value *= ROUND_CHECKPOINT_GROWTH
        return points

    def axis(self) -> dict[str, str | int]:
        """How a dashboard draws curves on this fidelity: the x axis's label, the reported
        value that goes on it (`fidelity`: share of full; `step`; `folds`: step + 1) and the
        x of full fidelity (where forecasts and final scores go)."""
        if self.kind == "data_fraction":
            return {
                "kind": self.kind,
                "label": "share of training rows",
                "x": "fidelity",
                "full": 1,
            }
        if self.kind == "folds":
            return {"kind": self.kind, "label": "folds evaluated", "x": "folds", "full": 0}
        label = self.label or self.kind
        return {"kind": self.kind, "label": label, "x": "step", "full": self.full_step}

    def describe(self) -> str:
        if self.kind == "data_fraction":
            rungs = ", ".join(f"1/{round(1 / f)}" for f in self.fractions)
            return f"data fractions {rungs}, then all rows"
        if self.is_iterations:
            return self.label or self.kind
        return "each evaluation split (fold) in turn"


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
