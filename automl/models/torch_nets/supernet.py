"""A weight-sharing supernet over the depth and width of a plain or residual network (TabNAS,
Yang et al., NeurIPS 2022): a child with `blocks` blocks of `width` units uses the first
blocks and the first units of every layer, so one training run judges many shapes.

Trained with the sandwich rule (the largest, the smallest and a random child each step, their
losses summed), a child's validation score is a cheap estimate of how the same shape does when
trained on its own. Batch normalisation is not shared (its statistics differ per child), so a
supernet takes `none` or `layer` normalisation; the embeddings are shared by every child.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from automl.models.torch_nets.architecture import Architecture
from automl.models.torch_nets.network import ACTIVATIONS, InputLayer, TabularNetwork, make_norm


class SuperNetwork(nn.Module):
    """The largest network of `architecture` (its `blocks` and `width` are the maxima);
    `forward(..., blocks, width)` runs one child, `child(blocks, width)` copies it out as a
    standalone `TabularNetwork` with the same outputs."""

    def __init__(
        self,
        architecture: Architecture,
        numeric: np.ndarray,
        cardinalities: list[int],
        outputs: int,
    ) -> None:
        super().__init__()
        a = architecture
        if a.backbone not in ("plain", "residual") or a.shape != "constant":
            raise ValueError("a supernet shares plain or residual blocks of constant width")
        if a.normalization == "batch":
            raise ValueError("a supernet cannot share batch normalisation; use none or layer")
        self.architecture, self.numeric_rows, self.cardinalities = a, numeric, cardinalities
        self.outputs = outputs
        self.inputs = InputLayer(a, numeric, cardinalities)
        most, width_in = int(a.width), self.inputs.out_features
        self.activation = ACTIVATIONS[a.activation]()
        self.dropout = nn.Dropout(float(a.dropout))
        if a.backbone == "residual":
            self.stem = nn.Linear(width_in, most)
            self.norms = nn.ModuleList(make_norm(a.normalization, most) for _ in range(a.blocks))
            self.expand = nn.ModuleList(nn.Linear(most, 2 * most) for _ in range(a.blocks))
            self.project = nn.ModuleList(nn.Linear(2 * most, most) for _ in range(a.blocks))
            self.finish = make_norm(a.normalization, most)
        else:
            self.linears = nn.ModuleList(
                nn.Linear(width_in if i == 0 else most, most) for i in range(a.blocks)
            )
            self.norms = nn.ModuleList(make_norm(a.normalization, most) for _ in range(a.blocks))
        self.head = nn.Linear(most, outputs)

    def forward(
        self,
        numeric: torch.Tensor,
        codes: torch.Tensor,
        blocks: int | None = None,
        width: int | None = None,
    ) -> torch.Tensor:
        """The child's outputs, (rows, 1, outputs); the largest child when not given."""
        blocks = int(self.architecture.blocks) if blocks is None else blocks
        width = int(self.architecture.width) if width is None else width
        x = self.inputs(numeric, codes)
        if self.architecture.backbone == "residual":
            x = _linear(self.stem, x, width)
            for i in range(blocks):
                hidden = _linear(self.expand[i], _norm(self.norms[i], x, width), 2 * width)
                hidden = self.dropout(self.activation(hidden))
                x = x + self.dropout(_linear(self.project[i], hidden, width))
            x = self.activation(_norm(self.finish, x, width))
        else:
            for i in range(blocks):
                x = _linear(self.linears[i], x, width)
                x = self.dropout(self.activation(_norm(self.norms[i], x, width)))
        return F.linear(x, self.head.weight[:, :width], self.head.bias)[:, None, :]

    def child(self, blocks: int, width: int) -> TabularNetwork:
        """The child as a network of its own, with the supernet's weights copied into it."""
        shape = replace(self.architecture, blocks=blocks, width=width)
        network: Any = TabularNetwork(shape, self.numeric_rows, self.cardinalities, self.outputs)
        network.inputs.load_state_dict(self.inputs.state_dict())
        with torch.no_grad():
            if shape.backbone == "residual":
                _copy(network.stem, self.stem, width, None)
                for i, block in enumerate(network.blocks[:blocks]):
                    _copy_norm(block.norm, self.norms[i], width)
                    _copy(block.expand, self.expand[i], 2 * width, width)
                    _copy(block.project, self.project[i], width, 2 * width)
                _copy_norm(network.finish[0], self.finish, width)
            else:
                for i, block in enumerate(network.blocks):
                    _copy(block[0], self.linears[i], width, None if i == 0 else width)
                    _copy_norm(block[1], self.norms[i], width)
            network.head.weight.copy_(self.head.weight[:, :width])
            network.head.bias.copy_(self.head.bias)
        return network


def sandwich(shapes: list[tuple[int, int]], rng: random.Random) -> list[tuple[int, int]]:
    """The children one training step updates: the largest, the smallest and one at random."""
    return [max(shapes), min(shapes), rng.choice(shapes)]


def _linear(layer: Any, x: torch.Tensor, outputs: int) -> torch.Tensor:
    """`layer` restricted to its first `outputs` units and to as many inputs as x has."""
    return F.linear(x, layer.weight[:outputs, : x.shape[-1]], layer.bias[:outputs])


def _norm(norm: Any, x: torch.Tensor, width: int) -> torch.Tensor:
    if isinstance(norm, nn.LayerNorm):
        return F.layer_norm(x, (width,), norm.weight[:width], norm.bias[:width], norm.eps)
    return x


def _copy(target: Any, source: Any, outputs: int, inputs: int | None) -> None:
    columns = target.weight.shape[1] if inputs is None else inputs
    target.weight.copy_(source.weight[:outputs, :columns])
    target.bias.copy_(source.bias[:outputs])


def _copy_norm(target: Any, source: Any, width: int) -> None:
    if isinstance(source, nn.LayerNorm) and isinstance(target, nn.LayerNorm):
        target.weight.copy_(source.weight[:width])
        target.bias.copy_(source.bias[:width])
