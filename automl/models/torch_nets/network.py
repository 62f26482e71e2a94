"""A tabular network built from an `Architecture`: inputs (embeddings), backbone, head.

Every network returns one prediction per ensemble member, shaped (rows, members, outputs);
members is 1 except for the BatchEnsemble backbone (TabM, Gorishniy et al., ICLR 2025).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from automl.models.torch_nets.architecture import Architecture
from automl.models.torch_nets.embeddings import (
    CategoryEmbedding,
    PeriodicEmbedding,
    PiecewiseLinearEmbedding,
    quantile_bin_edges,
)

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "selu": nn.SELU, "mish": nn.Mish}


class FlatBatchNorm(nn.BatchNorm1d):
    """Batch normalisation over every leading dimension (rows, and members when there are)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.reshape(-1, x.shape[-1])).reshape(x.shape)


def make_norm(kind: str, width: int) -> nn.Module:
    if kind == "batch":
        return FlatBatchNorm(width)
    if kind == "layer":
        return nn.LayerNorm(width)
    return nn.Identity()


class InputLayer(nn.Module):
    """Numeric columns (embedded or as they are) and categorical codes (embedded) as one
    flat vector per row."""

    def __init__(
        self,
        architecture: Architecture,
        numeric: np.ndarray,
        cardinalities: list[int],
    ) -> None:
        super().__init__()
        a, columns = architecture, numeric.shape[1]
        self.numeric: nn.Module | None = None
        per_column = 1
        if columns and a.numeric_embedding == "periodic":
            self.numeric = PeriodicEmbedding(
                columns, int(a.frequencies), float(a.frequency_scale), int(a.embedding_size)
            )
            per_column = int(a.embedding_size)
        elif columns and a.numeric_embedding == "piecewise_linear":
            edges = quantile_bin_edges(numeric, int(a.bins))
            self.numeric = PiecewiseLinearEmbedding(edges, int(a.embedding_size))
            per_column = int(a.embedding_size)
        self.categories = (
            CategoryEmbedding(cardinalities, int(a.categorical_embedding_size))
            if cardinalities
            else None
        )
        self.out_features = columns * per_column + len(cardinalities) * int(
            a.categorical_embedding_size
        )

    def forward(self, numeric: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        parts = []
        if numeric.shape[1]:
            embedded = numeric if self.numeric is None else self.numeric(numeric)
            parts.append(embedded.flatten(1))
        if self.categories is not None:
            parts.append(self.categories(codes))
        return torch.cat(parts, dim=1) if parts else numeric


def plain_block(inputs: int, width: int, a: Architecture) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(inputs, width),
        make_norm(a.normalization, width),
        ACTIVATIONS[a.activation](),
        nn.Dropout(float(a.dropout)),
    )


class ResidualBlock(nn.Module):
    """x + dropout(linear(dropout(activation(linear(norm(x)))))), hidden layer `hidden` wide."""

    def __init__(self, width: int, hidden: int, a: Architecture) -> None:
        super().__init__()
        self.norm = make_norm(a.normalization, width)
        self.expand = nn.Linear(width, hidden)
        self.activation = ACTIVATIONS[a.activation]()
        self.dropout = nn.Dropout(float(a.dropout))
        self.project = nn.Linear(hidden, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.dropout(self.activation(self.expand(self.norm(x))))
        return x + self.dropout(self.project(hidden))


class BatchEnsembleLinear(nn.Module):
    """One weight matrix shared by `members`, each with its own input and output scales and
    bias: member i computes ((x * r_i) W) * s_i + b_i. `random_signs` initialises r with
    random +-1 (the first layer's, so the members differ from the start), else with 1."""

    def __init__(self, inputs: int, outputs: int, members: int, random_signs: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(inputs, outputs, bias=False)
        r = torch.ones(members, inputs)
        if random_signs:
            r = torch.where(torch.rand(members, inputs) < 0.5, -r, r)
        self.r = nn.Parameter(r)
        self.s = nn.Parameter(torch.ones(members, outputs))
        bound = 1.0 / math.sqrt(inputs)
        self.bias = nn.Parameter(torch.empty(members, outputs).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (rows, members, inputs)
        return self.linear(x * self.r) * self.s + self.bias


class MemberHeads(nn.Module):
    """A separate output layer per ensemble member."""

    def __init__(self, inputs: int, outputs: int, members: int) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(inputs)
        self.weight = nn.Parameter(torch.empty(members, inputs, outputs).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(members, outputs).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (rows, members, inputs)
        return torch.einsum("nki,kio->nko", x, self.weight) + self.bias


class TabularNetwork(nn.Module):
    """Input layer, backbone and head for one architecture; `numeric` (training rows) fixes
    the piecewise-linear bins, `cardinalities` the category tables."""

    def __init__(
        self,
        architecture: Architecture,
        numeric: np.ndarray,
        cardinalities: list[int],
        outputs: int,
    ) -> None:
        super().__init__()
        a = self.architecture = architecture
        self.inputs = InputLayer(a, numeric, cardinalities)
        width_in, widths = self.inputs.out_features, a.block_widths()
        self.members = a.members
        blocks: list[nn.Module] = []
        if a.backbone == "residual":
            self.stem: nn.Module = nn.Linear(width_in, int(a.width))
            blocks = [ResidualBlock(int(a.width), 2 * w, a) for w in widths]
            width_in = int(a.width)
            self.finish: nn.Module = nn.Sequential(
                make_norm(a.normalization, width_in), ACTIVATIONS[a.activation]()
            )
        elif a.backbone == "batch_ensemble":
            self.stem, self.finish = nn.Identity(), nn.Identity()
            for i, width in enumerate(widths):
                blocks.append(
                    nn.Sequential(
                        BatchEnsembleLinear(width_in, width, self.members, random_signs=i == 0),
                        make_norm(a.normalization, width),
                        ACTIVATIONS[a.activation](),
                        nn.Dropout(float(a.dropout)),
                    )
                )
                width_in = width
        else:
            self.stem, self.finish = nn.Identity(), nn.Identity()
            for width in widths:
                blocks.append(plain_block(width_in, width, a))
                width_in = width
        self.blocks = nn.ModuleList(blocks)
        self.head: nn.Module = (
            MemberHeads(width_in, outputs, self.members)
            if a.backbone == "batch_ensemble"
            else nn.Linear(width_in, outputs)
        )

    def forward(self, numeric: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        x = self.stem(self.inputs(numeric, codes))
        if self.architecture.backbone == "batch_ensemble":
            x = x[:, None, :].expand(-1, self.members, -1)
        for block in self.blocks:
            x = block(x)
        out = self.head(self.finish(x))
        return out if out.dim() == 3 else out[:, None, :]
