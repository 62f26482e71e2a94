"""What every `automl` command prints through: the consoles, one-line errors, score format."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable
from typing import NoReturn

import typer
from rich.console import Console

from automl.config import cli_wording

PIPED_WIDTH = 140
"""Width of tables written to a file or pipe (a terminal's own width otherwise): logs are
read in editors, where 80 columns would wrap every row of the leaderboard."""

out = Console(
    width=PIPED_WIDTH if not sys.stdout.isatty() and "COLUMNS" not in os.environ else None
)
err = Console(stderr=True)


def fail(message: str) -> NoReturn:
    """Print `error: message` on one line (in the CLI's words, never wrapped) and exit 2."""
    err.print(f"[red]error:[/red] {cli_wording(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def score_decimals(values: Iterable[float | None]) -> int:
    """Decimals that show four significant digits of the largest score, the same for every
    score of a table (0.9310 and 0.9272, not 0.931 and 0.9272)."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    largest = max(finite, default=1.0)
    digits_before_point = max(0, math.floor(math.log10(largest)) + 1) if largest > 0 else 0
    return max(0, 4 - digits_before_point)


def format_score(value: float | None, decimals: int = 4) -> str:
    """A score with fixed decimals; '-' when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{decimals}f}"
