"""How long one learning-curve forecast takes (the `lc` and `auto` pruners make one at each
decision point of a trial), with each curve family's exact Jacobian against finite differences,
and whether the forecasts stay the same:

    python -m benchmarks.forecast_speed [--datasets adult letter ...]

On the LightGBM curves `benchmarks.fidelity_correlation` saved (fidelity_curves_<name>.json,
50 configurations per dataset), each curve's final score is forecast from its first 25% of
boosting rounds, as that benchmark's rounds extrapolation does, once per way. Writes
benchmarks/results/forecast_speed.md; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from automl.fidelity import curves
from automl.metrics import METRICS
from benchmarks.fidelity_correlation import RESULTS, extrapolation_errors, prefix_points

DATASETS = ("adult", "letter", "california_housing", "electricity")
WAYS = {"exact": curves.FAMILIES, "finite differences": tuple(
    dataclasses.replace(family, jac=None) for family in curves.FAMILIES
)}  # fmt: skip


def measure(name: str) -> dict[str, Any]:
    """Milliseconds per forecast and the forecasts' errors, each way, on one dataset's curves."""
    raw = json.loads((RESULTS / f"fidelity_curves_{name}.json").read_text())
    metric = METRICS[raw["metric"]]
    items = [
        (prefix_points(math.ceil(0.25 * len(c))), np.asarray(c), len(c)) for c in raw["curves"]
    ]
    row: dict[str, Any] = {"dataset": name, "curves": len(items)}
    for way, families in WAYS.items():
        with mock.patch.object(curves, "FAMILIES", families):
            start = time.perf_counter()
            errors = extrapolation_errors(items, metric.greater_is_better, metric.bounds)
            row[way] = {"ms": 1000 * (time.perf_counter() - start) / len(items), **errors}
    return row


def write(rows: list[dict[str, Any]], path: Path) -> None:
    lines = [
        "# Learning-curve forecast: exact Jacobians against finite differences",
        "",
        "| dataset | curves | ms per forecast, exact | finite differences | speed-up"
        " | MAE exact | MAE finite differences |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        exact, finite = row["exact"], row["finite differences"]
        lines.append(
            f"| {row['dataset']} | {row['curves']} | {exact['ms']:.0f} | {finite['ms']:.0f}"
            f" | {finite['ms'] / exact['ms']:.2f}x | {exact['mae_forecast']:.5f}"
            f" | {finite['mae_forecast']:.5f} |"
        )
    lines += ["", "`python -m benchmarks.forecast_speed` (one core, idle machine)."]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    args = parser.parse_args()
    rows = [measure(name) for name in args.datasets]
    write(rows, RESULTS / "forecast_speed.md")
    print((RESULTS / "forecast_speed.md").read_text())


if __name__ == "__main__":
    main()
