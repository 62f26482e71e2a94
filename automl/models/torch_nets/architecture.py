"""What a tabular network looks like, as plain data: the searched choices in one record."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

BACKBONES = ("plain", "residual", "batch_ensemble")
SHAPES = ("constant", "funnel")
NORMALIZATIONS = ("none", "batch", "layer")
ACTIVATIONS = ("relu", "gelu", "selu", "mish")
NUMERIC_EMBEDDINGS = ("none", "periodic", "piecewise_linear")
FUNNEL_MIN_WIDTH = 16
"""A funnel halves the width block by block down to this."""


@dataclass(frozen=True)
class Architecture:
    """A network's shape: backbone and its blocks, how numbers and categories enter it.

    - `backbone`: `plain` (Linear, norm, activation, dropout per block), `residual` (a
      pre-norm residual block with a hidden layer twice as wide, Gorishniy et al. 2021) or
      `batch_ensemble` (TabM: `ensemble_size` members sharing every weight matrix, each with
      its own rank-one input/output scales and head; their predictions are averaged).
    - `blocks`, `width`, `shape`: the number of blocks and their width; `funnel` halves it
      block by block (for `residual`, the blocks' hidden layers shrink).
    - `numeric_embedding`: `periodic` (sin/cos of learned frequencies, then a linear layer
      and ReLU, per column) or `piecewise_linear` (the value's position inside quantile bins
      learned on the training rows, then a linear layer and ReLU, per column), each column to
      `embedding_size` numbers (Gorishniy et al. 2022); `none` feeds the values as they are.
    - `categorical_embedding_size`: size of the learned vector of each category, for the
      columns that reach the network as categories (the `native` encoding).
    """

    backbone: str = "plain"
    blocks: int = 2
    width: int = 128
    shape: str = "constant"
    normalization: str = "none"
    activation: str = "relu"
    dropout: float = 0.1
    ensemble_size: int = 16
    numeric_embedding: str = "none"
    embedding_size: int = 16
    frequencies: int = 16
    frequency_scale: float = 0.1
    bins: int = 16
    categorical_embedding_size: int = 8

    def __post_init__(self) -> None:
        for name, allowed in (
            ("backbone", BACKBONES),
            ("shape", SHAPES),
            ("normalization", NORMALIZATIONS),
            ("activation", ACTIVATIONS),
            ("numeric_embedding", NUMERIC_EMBEDDINGS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}"
                )
        for name in (
            "blocks",
            "width",
            "ensemble_size",
            "embedding_size",
            "frequencies",
            "bins",
            "categorical_embedding_size",
        ):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        if not 0 <= float(self.dropout) < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if float(self.frequency_scale) <= 0:
            raise ValueError(f"frequency_scale must be positive, got {self.frequency_scale!r}")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Architecture:
        """The architecture part of a family's parameters (the rest are training settings)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in params.items() if k in names})

    def block_widths(self) -> list[int]:
        """Each block's width: all `width`, or halving from it in a funnel."""
        if self.shape == "constant":
            return [int(self.width)] * int(self.blocks)
        return [
            max(int(self.width) >> i, min(FUNNEL_MIN_WIDTH, int(self.width)))
            for i in range(int(self.blocks))
        ]

    @property
    def members(self) -> int:
        """How many predictions the network makes per row (averaged): the ensemble's size."""
        return int(self.ensemble_size) if self.backbone == "batch_ensemble" else 1

    def describe(self) -> str:
        """One readable line, as the dashboard and leaderboard show it."""
        widths = self.block_widths()
        shape = (
            "x".join(str(w) for w in widths)
            if self.shape == "funnel"
            else f"{self.blocks}x{self.width}"
        )
        backbone = {
            "plain": "MLP",
            "residual": "ResNet",
            "batch_ensemble": f"TabM k={self.ensemble_size}",
        }[self.backbone]
        parts = [f"{backbone} {shape}", self.activation]
        if self.normalization != "none":
            parts.append(f"{self.normalization} norm")
        if self.dropout:
            parts.append(f"dropout {float(self.dropout):.2g}")
        if self.numeric_embedding == "periodic":
            parts.append(
                f"periodic embeddings ({self.frequencies} frequencies, d={self.embedding_size})"
            )
        elif self.numeric_embedding == "piecewise_linear":
            parts.append(f"piecewise-linear embeddings ({self.bins} bins, d={self.embedding_size})")
        return ", ".join(parts)
