"""Do CatBoost and XGBoost earn a place in the default space (issue 17, item 5)? The default
space's search against the same with each family added, at the same budget.

    python -m benchmarks.families [--datasets adult letter ...] [--seeds 0 1 2] [--budget 60]
                                  [--arms default default+catboost default+xgboost]

Per dataset and seed: automl with the quality benchmark's metric and budget, `default` (the
default space) or `default+X` (the default space's families and X). Scored on the held-out 20%
as the quality benchmark scores; also recorded: the trials, and the final ensemble's weight on
the added family. Writes benchmarks/results/families.md and .json; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
from pathlib import Path
from typing import Any

from benchmarks._parts import run_arms
from benchmarks.datasets import RECOMMENDER, SPECS, BenchmarkData
from benchmarks.quality import SCORING, ensemble_by_family, result_score

RESULTS = Path(__file__).parent / "results"
ARMS = ("default", "default+catboost", "default+xgboost")


def space_of(arm: str) -> str:
    """The search space an arm names: `default`, or `default+family` (the default space's
    families and that one: `default,family`)."""
    return arm.replace("+", ",")


def run(data: BenchmarkData, arm: str, budget: float, seed: int) -> dict[str, Any]:
    """One search of this arm: held-out score, trials, the best configuration, the final
    ensemble's weight per family, and the added family's trials (completed, and all it started
    by how they ended) and share of that ensemble."""
    import automl

    result = automl.search(
        data.train, target=data.target, metric=SCORING[data.task], time_budget=budget,
        storage=":memory:", seed=seed, warm_start=False, space=space_of(arm),
    )  # fmt: skip
    models = {t.number: t.params.get("model") for t in result.completed}
    added = arm.removeprefix("default+") if arm != "default" else None
    tried = result.leaderboard.query("model == @added") if added else result.leaderboard.iloc[:0]
    ensemble = ensemble_by_family(result)
    return {
        "score": round(result_score(data, result), 5),
        "trials": result.n_trials,
        "best_config": result.best_config,
        "ensemble": ensemble,
        "added_trials": sum(m == added for m in models.values()) if added else 0,
        "added_tried": {str(k): int(v) for k, v in tried["state"].value_counts().items()},
        "added_weight": ensemble.get(added, 0.0) if added else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="+", default=[*SPECS, *RECOMMENDER])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--arms", nargs="+", default=list(ARMS))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    run_arms(
        RESULTS / "families.json", args.datasets, args.seeds, args.arms, args.budget, run, write
    )


def write(runs: list[dict[str, Any]]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "families.json").write_text(json.dumps(runs, indent=1, default=str))
    arms = list(dict.fromkeys(r["arm"] for r in runs))
    lines = [
        "# Families added to the default space: held-out score, mean over seeds (max - min);"
        " for an added family, the mean paired difference to `default` and its ensemble weight",
        "",
        "| dataset | budget | " + " | ".join(arms) + " |",
        "|---|---|" + "---|" * len(arms),
    ]
    for name, budget in dict.fromkeys((r["dataset"], r["budget"]) for r in runs):
        same = [r for r in runs if (r["dataset"], r["budget"]) == (name, budget)]
        base = {r["seed"]: r["score"] for r in same if r["arm"] == "default"}
        cells = []
        for arm in arms:
            chosen = [r for r in same if r["arm"] == arm]
            if not chosen:
                cells.append("")
                continue
            scores = [r["score"] for r in chosen]
            cell = f"{statistics.mean(scores):.4f} ({max(scores) - min(scores):.4f})"
            paired = [r["score"] - base[r["seed"]] for r in chosen if r["seed"] in base]
            if arm != "default" and paired:
                weight = statistics.mean(r["added_weight"] for r in chosen)
                cell += f" {statistics.mean(paired):+.4f}, weight {weight:.2f}"
            cells.append(cell)
        lines.append(f"| {name} | {budget:g} | " + " | ".join(cells) + " |")
    (RESULTS / "families.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
