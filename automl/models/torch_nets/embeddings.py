"""How columns enter a tabular network: numeric embeddings (periodic, piecewise-linear) and a
learned vector per category (Gorishniy et al., "On Embeddings for Numerical Features in
Tabular Deep Learning", NeurIPS 2022)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


def quantile_bin_edges(values: np.ndarray, bins: int) -> list[np.ndarray]:
    """Per column, up to `bins` + 1 distinct edges at the training rows' quantiles (a column
    with few distinct values gets fewer bins; a constant one none)."""
    quantiles = np.linspace(0.0, 1.0, int(bins) + 1)
    return [np.unique(np.quantile(column, quantiles)) for column in np.asarray(values, float).T]


class PerColumnLinear(nn.Module):
    """A separate linear map (`inputs` -> `outputs`) for each of `columns` columns."""

    def __init__(self, columns: int, inputs: int, outputs: int) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(inputs)
        self.weight = nn.Parameter(torch.empty(columns, inputs, outputs).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(columns, outputs).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (rows, columns, inputs)
        return torch.einsum("nci,cio->nco", x, self.weight) + self.bias


class PeriodicEmbedding(nn.Module):
    """Each value as sin and cos of `frequencies` learned frequencies (initialised from a
    normal distribution with standard deviation `scale`), then linear and ReLU ("PLR")."""

    def __init__(self, columns: int, frequencies: int, scale: float, size: int) -> None:
        super().__init__()
        self.frequencies = nn.Parameter(torch.randn(columns, frequencies) * float(scale))
        self.linear = PerColumnLinear(columns, 2 * frequencies, size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (rows, columns)
        angles = 2 * math.pi * self.frequencies * x[..., None]
        return torch.relu(self.linear(torch.cat([torch.cos(angles), torch.sin(angles)], -1)))


class PiecewiseLinearEmbedding(nn.Module):
    """Each value as its position in every quantile bin of its column (0 left of the bin, 1
    right of it, the fraction inside it; the outer bins extend without limit), then linear
    and ReLU. Bin edges are fitted on the training rows and stored in the module."""

    left: torch.Tensor
    width: torch.Tensor
    clip_below: torch.Tensor
    clip_above: torch.Tensor

    def __init__(self, edges: list[np.ndarray], size: int) -> None:
        super().__init__()
        most = max(1, max(len(e) - 1 for e in edges))
        left = np.zeros((len(edges), most), dtype=np.float32)
        width = np.full((len(edges), most), np.inf, dtype=np.float32)  # padding bins: always 0
        last = np.zeros(len(edges), dtype=np.int64)
        for column, column_edges in enumerate(edges):
            count = len(column_edges) - 1
            left[column, :count] = column_edges[:-1]
            width[column, :count] = np.diff(column_edges)
            last[column] = max(count - 1, 0)
        self.register_buffer("left", torch.from_numpy(left))
        self.register_buffer("width", torch.from_numpy(width))
        position = torch.arange(most)
        self.register_buffer("clip_below", (position > 0).expand(len(edges), most).clone())
        self.register_buffer("clip_above", position[None, :] != torch.from_numpy(last)[:, None])
        self.linear = PerColumnLinear(len(edges), most, size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (rows, columns)
        inside = (x[..., None] - self.left) / self.width
        inside = torch.where(self.clip_below, inside.clamp(min=0.0), inside)
        inside = torch.where(self.clip_above, inside.clamp(max=1.0), inside)
        return torch.relu(self.linear(inside))


class CategoryEmbedding(nn.Module):
    """A learned vector per category of each column; code 0 is an unseen or missing value."""

    def __init__(self, cardinalities: list[int], size: int) -> None:
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(c + 1, size) for c in cardinalities)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:  # (rows, columns), long
        return torch.cat([table(codes[:, i]) for i, table in enumerate(self.tables)], dim=1)
