"""Long benchmarks run in parts: each invocation keeps the results file's runs it does not redo."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any


def kept_runs(path: Path, redone: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """The runs stored in `path` (a JSON list) for which `redone(run)` is false."""
    if not path.is_file():
        return []
    runs = json.loads(path.read_text())
    if not isinstance(runs, list):
        raise SystemExit(f"{path} holds results in an older format: write to another file")
    return [run for run in runs if not redone(run)]


def run_arms(
    path: Path,
    datasets: list[str],
    seeds: list[int],
    arms: list[str],
    budget: float,
    run: Callable[[Any, str, float, int], dict[str, Any]],
    write: Callable[[list[dict[str, Any]]], None],
) -> None:
    """Every dataset x seed x arm at `budget` (`run(data, arm, budget, seed)` on the seed's
    split), replacing those runs in the results file `path` and keeping its others; `write`
    is called after each run, so an interrupted benchmark keeps what it did."""
    from benchmarks.datasets import load

    redone = {(d, s, a) for d in datasets for s in seeds for a in arms}
    runs = kept_runs(
        path, lambda r: (r["dataset"], r["seed"], r["arm"]) in redone and r["budget"] == budget
    )
    for name in datasets:
        for seed in seeds:
            data = load(name, seed)
            for arm in arms:
                outcome = run(data, arm, budget, seed)
                runs.append(
                    {"dataset": name, "seed": seed, "arm": arm, "budget": budget, **outcome}
                )
                logging.info("%s", runs[-1])
                write(runs)
