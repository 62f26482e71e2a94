"""Load what torch loads lazily on first use, before any trial's clock starts."""

from __future__ import annotations

import torch


def warm_up_torch() -> None:
    """Build one optimiser: torch's first one imports its compiler (about 1 s on this 2-core
    machine, more when busy), which inside a trial comes before its first deadline check."""
    torch.optim.AdamW(torch.nn.Linear(1, 1).parameters())
