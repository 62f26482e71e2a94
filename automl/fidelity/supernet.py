"""Architecture fidelity by weight sharing: one supernet trained for the `mlp` family judges
every (blocks, width) child at the cost of about three networks (TabNAS's sandwich rule).

`SupernetMLP` is a `TorchMLP` whose network is a `SuperNetwork`; after `fit`, `child(blocks,
width)` is a fitted `TorchMLP` of that shape holding the shared weights, which predicts and
scores like any other. How far its scores rank standalone ones is measured by
`benchmarks/nas.py`.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from automl.models._mlp import TorchMLP

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
