"""Architecture fidelity by weight sharing: one supernet trained for the `mlp` family judges
every (blocks, width) child at the cost of about three networks (TabNAS's sandwich rule).

`SupernetMLP` is a `TorchMLP` whose network is a `SuperNetwork`; after `fit`, `child(blocks,
width)` is a fitted `TorchMLP` of that shape holding the shared weights, which predicts and
scores like any other. How far its scores rank standalone ones is measured by
`benchmarks/nas.py`.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from automl.data import Dataset
from automl.evaluation import predict_scores
from automl.metrics import Metric
from automl.models._mlp import TorchMLP
from automl.pipeline import build_pipeline
from automl.space import SearchSpace

SMALLEST_CHILD_WIDTH = 32


def child_widths(width: int) -> list[int]:
    """The widths a supernet of `width` units judges: it, and its halves down to 32."""
    widths = [int(width)]
    while widths[-1] // 2 >= SMALLEST_CHILD_WIDTH:
        widths.append(widths[-1] // 2)
    return sorted(widths)


class SupernetMLP(TorchMLP):
    """A `TorchMLP` training a weight-sharing supernet over `hidden_layers` and `width` (the
    largest child); each step updates the largest, the smallest and a random child."""

    def children_shapes(self) -> list[tuple[int, int]]:
        """Every (blocks, width) this supernet judges."""
        return [
            (blocks, width)
            for blocks in range(1, int(self.hidden_layers) + 1)
            for width in child_widths(int(self.width))
        ]

    def child(self, blocks: int, width: int) -> TorchMLP:
        """A fitted standalone `TorchMLP` of this shape with the supernet's weights."""
        params = dict(self.get_params(), hidden_layers=blocks, width=width)
        child = TorchMLP(**params)
        for name in ("classes_", "y_mean_", "y_scale_", "categorical_columns_", "n_features_in_"):
            if hasattr(self, name):
                setattr(child, name, getattr(self, name))
        child.network_ = self.network_.child(blocks, width)
        child.epochs_trained_ = child.best_epoch_ = self.epochs_trained_
        return child

    def _network(
        self, architecture: Any, numeric: np.ndarray, cardinalities: list[int], outputs: int
    ) -> Any:
        from automl.models.torch_nets.supernet import SuperNetwork

        self.rng_ = random.Random(int(self.random_state))
        return SuperNetwork(architecture, numeric, cardinalities, outputs)

    def _batch_loss(self, numeric: Any, codes: Any, targets: Any) -> Any:
        from automl.models.torch_nets.supernet import sandwich

        shapes = sandwich(self.children_shapes(), self.rng_)
        losses = [
            self._member_loss(self.network_(numeric, codes, blocks, width), targets)
            for blocks, width in shapes
        ]
        return sum(losses[1:], losses[0])


SCREEN_MAX_WIDTH = 512
"""The widest supernet screened (wider spaces keep their widest shapes for the search)."""
SCREEN_PICKS = 2
"""How many of the best-judged shapes a search tries first."""


@dataclass
class ScreenReport:
    """What a supernet screening judged: each (blocks, width) child's validation score, in
    the search's metric (signed so that larger is better), and its time."""

    scores: dict[tuple[int, int], float]
    seconds: float
    base: dict[str, Any]

    def best(self, count: int = SCREEN_PICKS) -> list[tuple[int, int]]:
        return sorted(self.scores, key=lambda shape: -self.scores[shape])[:count]

    def configurations(self, count: int = SCREEN_PICKS) -> list[dict[str, Any]]:
        """The base configuration with each of the best shapes."""
        return [
            {**self.base, "mlp.hidden_layers": blocks, "mlp.width": width}
            for blocks, width in self.best(count)
        ]

    def describe(self) -> str:
        shown = ", ".join(f"{b} blocks x {w}" for b, w in self.best())
        return (
            f"supernet: {len(self.scores)} network shapes judged with shared weights in"
            f" {self.seconds:.1f}s; tried first: {shown}"
        )


def screen_shapes(
    dataset: Dataset,
    split: tuple[np.ndarray, np.ndarray],
    start: dict[str, Any],
    space: SearchSpace,
    metric: Metric,
    seed: int,
    deadline: float,
) -> ScreenReport | None:
    """Train one supernet on the split's training rows (until `deadline` at the latest) over
    the depths and widths `space` allows, from the `mlp` starting point `start` (made
    shareable: plain or residual blocks of constant width, no batch normalisation); judge
    every child on the validation rows. None when the space does not search the depth or
    the width, or its shapes cannot be shared."""
    params = {p.name: p for p in space.params}
    searched = [
        param
        for name in ("mlp.hidden_layers", "mlp.width")
        if (param := params.get(name)) is not None
        and (len(param.choices) > 1 or (param.low is not None and param.low != param.high))
    ]
    if not searched:
        return None
    base = {
        **start,
        "mlp.shape": "constant",
        "mlp.hidden_layers": space.largest("mlp.hidden_layers", 4),
        "mlp.width": min(space.largest("mlp.width", 256), SCREEN_MAX_WIDTH),
    }
    if base.get("mlp.backbone") not in ("plain", "residual"):
        base["mlp.backbone"] = "plain"
    if base.get("mlp.normalization") == "batch":
        base["mlp.normalization"] = "layer"
    if not all(params[name].contains(value) for name, value in base.items() if name in params):
        return None
    began = time.monotonic()
    train, valid = split
    pipeline = build_pipeline(base, dataset.roles, dataset.task, seed)
    X = pipeline[:-1].fit_transform(dataset.features.iloc[train], dataset.y[train])
    X_valid = pipeline[:-1].transform(dataset.features.iloc[valid])
    supernet = SupernetMLP(**pipeline[-1].get_params())
    supernet.fit(X, dataset.y[train], X_valid, dataset.y[valid], deadline)
    sign = 1.0 if metric.greater_is_better else -1.0
    scores = {
        shape: sign
        * metric.score(dataset.y[valid], predict_scores(supernet.child(*shape), X_valid, dataset))
        for shape in supernet.children_shapes()
    }
    return ScreenReport(scores, time.monotonic() - began, base)
