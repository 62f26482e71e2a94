"""Compute to reach a target: how much CPU each strategy spends before its model is as good as
the one full-fidelity TPE ends with.

For each dataset (80/20 split with seed 0, as in the quality benchmark), every strategy runs a
`--budget`-second search (`--seed`, default 0; no ensemble). Each time a strategy's best validation score
improves, that configuration is refit on all training rows and scored on the held-out 20%
(ROC AUC, accuracy or R2, as in `quality.py`). The target is the test score of full-fidelity
TPE's final best configuration; a strategy's cost is the CPU seconds summed over all its trials
(pruned ones included) up to the first configuration whose test score is within `--tolerance`
of the target. Refits for scoring are not counted: they are the benchmark's, not the search's.

    python -m benchmarks.cost [--budget 60] [--seed 0] [--datasets adult ...] [--strategies tpe auto ...]

Writes benchmarks/results/cost.{md,json} (seed 0) or cost_seed<N>.{md,json}. Every search
optimises the benchmark's test metric (accuracy on letter, not log loss).

A single seed's target is noisy: when TPE's first random configuration happens to be good, its
final target is low and reached at once. `--summarise-seeds 0 1 2` pools the seeds' runs into
cost_seeds.md: per dataset, the target is the lowest of TPE's final test scores over the seeds
(a quality every TPE run reached), and a strategy's cost is its CPU seconds to that target
averaged over the seeds (a run that never reaches it counts its whole search's CPU, so such a
cost is a lower bound, marked with >=).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from optuna.trial import TrialState

import automl
from automl.data import Dataset, choose_evaluation
from automl.evaluation import fit_final, refit_config
from automl.model import FittedModel
from automl.record import TrialRecord
from benchmarks.datasets import SPECS, BenchmarkData, load
from benchmarks.quality import SCORING, score

RESULTS = Path(__file__).resolve().parent / "results"
STRATEGIES = ("tpe", "random", "hyperband", "bohb", "lc", "auto")
SHARED_DATASETS = ("adult", "letter", "california_housing", "electricity")


def incumbents(result: automl.SearchResult) -> list[tuple[float, int, int]]:
    """(CPU seconds so far, trial number, trials so far) each time the best value improved."""
    sign = 1.0 if result.study.direction.name == "MAXIMIZE" else -1.0
    spent, best = 0.0, -np.inf
    found: list[tuple[float, int, int]] = []
    for count, trial in enumerate(sorted(result.study.trials, key=lambda t: t.number), 1):
        spent += TrialRecord.of(trial).cpu_seconds or 0.0
        value = trial.value if trial.state == TrialState.COMPLETE else None
        if value is not None and sign * value > best:
            best = sign * value
            found.append((spent, trial.number, count))
    return found


def test_score(
    result: automl.SearchResult, number: int, data: BenchmarkData, dataset: Dataset
) -> float:
    """Refit trial `number` on all training rows (as the search's refit does) and score it."""
    trial = result.study.trials[number]
    record = TrialRecord.of(trial)
    plan = choose_evaluation(dataset.y, dataset.task, "auto")
    config = refit_config(record.config, record.iterations, plan)
    pipeline = fit_final(config, dataset, 0)
    model = FittedModel(
        [pipeline], [1.0], dataset.task, dataset.target, dataset.classes, config, result.metric
    )
    X_test = data.test.drop(columns=[data.target])
    if data.task == "regression":
        return score(data, model.predict(X_test), [])
    proba = model.predict_proba(X_test)
    return score(data, proba.to_numpy(), list(proba.columns))


def run_strategy(
    data: BenchmarkData, strategy: str, budget: float, seed: int = 0
) -> dict[str, Any]:
    result = automl.search(
        data.train,
        target=data.target,
        strategy=strategy,
        metric=SCORING[data.task],
        time_budget=budget,
        storage=":memory:",
        seed=seed,
        ensemble=False,
    )
    dataset = Dataset.from_source(data.train, data.target)
    states = [t.state for t in result.study.trials]
    curve = [
        {
            "cpu_seconds": round(cpu, 2),
            "trial": number,
            "trials_so_far": count,
            "test_score": test_score(result, number, data, dataset),
        }
        for cpu, number, count in incumbents(result)
    ]
    total = sum(TrialRecord.of(t).cpu_seconds or 0.0 for t in result.study.trials)
    logging.info(
        "%s %s: %d trials (%d pruned), final test %.4f, %.0f CPU s",
        data.name,
        strategy,
        len(states),
        states.count(TrialState.PRUNED),
        curve[-1]["test_score"],
        total,
    )
    return {
        "trials": len(states),
        "pruned": states.count(TrialState.PRUNED),
        "cpu_seconds": round(total, 1),
        "incumbents": curve,
    }


def cost_to_target(run: dict[str, Any], target: float, tolerance: float) -> float | None:
    """CPU seconds until the first incumbent within `tolerance` of `target` (None: never)."""
    for point in run["incumbents"]:
        if point["test_score"] >= target - tolerance:
            return float(point["cpu_seconds"])
    return None


def summarise(
    runs: dict[str, dict[str, Any]], strategies: list[str], tolerance: float
) -> dict[str, Any]:
    """Target (TPE's final test score), each strategy's cost and its ratio to TPE's."""
    target = runs["tpe"]["incumbents"][-1]["test_score"]
    tpe_cost = cost_to_target(runs["tpe"], target, tolerance) or float("nan")
    table: dict[str, Any] = {"target": target}
    for name in strategies:
        cost = cost_to_target(runs[name], target, tolerance)
        table[name] = {
            "cost": cost,
            "ratio": None if cost is None else cost / tpe_cost,
            "final_test": runs[name]["incumbents"][-1]["test_score"],
            "trials": runs[name]["trials"],
            "pruned": runs[name]["pruned"],
        }
    return table


def median_row(ratios: list[list[float | None]]) -> str:
    """The table's last row: each strategy's median ratio over datasets (None: infinite)."""
    medians = [
        f"{statistics.median([float('inf') if r is None else r for r in column]):.2f}"
        if column
        else "-"
        for column in ratios
    ]
    return "| **median ratio** | | " + " | ".join(medians) + " |"


def pool_seeds(
    raws: list[dict[str, Any]], strategies: list[str], tolerance: float
) -> dict[str, dict[str, Any]]:
    """Per dataset run with every strategy in every seed: target = the lowest of TPE's final
    test scores over the seeds; each strategy's mean CPU seconds to it (whole search when never
    reached: `censored`) and that mean's ratio to TPE's."""
    names = [n for n in raws[0] if all(all(s in r.get(n, {}) for s in strategies) for r in raws)]
    table: dict[str, dict[str, Any]] = {}
    for name in names:
        target = min(r[name]["tpe"]["incumbents"][-1]["test_score"] for r in raws)
        row: dict[str, Any] = {"target": target}
        for strategy in strategies:
            runs = [r[name][strategy] for r in raws]
            reached = [cost_to_target(run, target, tolerance) for run in runs]
            costs = [
                c if c is not None else run["cpu_seconds"]
                for c, run in zip(reached, runs, strict=True)
            ]
            row[strategy] = {
                "cost": statistics.mean(costs),
                "per_seed": costs,
                "censored": None in reached,
            }
        for strategy in strategies:
            row[strategy]["ratio"] = row[strategy]["cost"] / row["tpe"]["cost"]
        table[name] = row
    return table


def write_pooled(
    table: dict[str, dict[str, Any]], strategies: list[str], seeds: list[int], args: Any
) -> str:
    intro = (
        f"{args.budget:g} s searches, search seeds {', '.join(map(str, seeds))}, 80/20 split"
        " (seed 0). Per dataset the target is the lowest of TPE's final test scores over the"
        " seeds (a quality every TPE run reached); cost = CPU seconds over all trials until a"
        f" strategy's best-so-far configuration scores within {args.tolerance} of it on test,"
        " averaged over the seeds (`python -m benchmarks.cost --summarise-seeds"
        f" {' '.join(map(str, seeds))}`). Cells: mean CPU seconds (ratio to TPE's mean), then"
        " the seeds' costs; `>=`: some run never reached the target and counts its whole"
        " search (a lower bound; such a ratio counts as infinite in the median)."
    )
    lines = table_head(
        "Compute to reach full-fidelity TPE's result, pooled over search seeds", intro, strategies
    )
    for name, row in table.items():
        cells = []
        for strategy in strategies:
            entry = row[strategy]
            mark = ">=" if entry["censored"] else ""
            seeds_costs = " / ".join(f"{c:.1f}" for c in entry["per_seed"])
            cells.append(f"{mark}{entry['cost']:.1f} ({mark}{entry['ratio']:.2f}): {seeds_costs}")
        lines.append(f"| {name} | {row['target']:.4f} | " + " | ".join(cells) + " |")
    lines.append(
        median_row(
            [
                [None if r[s]["censored"] else r[s]["ratio"] for r in table.values()]
                for s in strategies
            ]
        )
    )
    text = "\n".join(lines) + "\n"
    (RESULTS / "cost_seeds.md").write_text(text)
    (RESULTS / "cost_seeds.json").write_text(json.dumps(table, indent=1))
    return text


def table_head(title: str, intro: str, strategies: list[str]) -> list[str]:
    """A results page's title, its explanation and the head of its dataset x strategy table."""
    return [
        f"# {title}",
        "",
        intro,
        "",
        "| dataset | target | " + " | ".join(strategies) + " |",
        "|---|---|" + "---|" * len(strategies),
    ]


def write(summary: dict[str, dict[str, Any]], strategies: list[str], args: Any) -> None:
    intro = (
        f"{args.budget:g} s searches, seed {args.seed}, 80/20 split; target = test score of TPE's final best"
        f" configuration; cost = CPU seconds over all trials until a strategy's best-so-far"
        f" configuration scores within {args.tolerance} of it on test (`python -m benchmarks.cost`)."
        " Cells: CPU seconds (ratio to TPE's own cost); `never` = not reached in the budget."
    )
    lines = table_head("Compute to reach full-fidelity TPE's result", intro, strategies)
    for name, table in summary.items():
        cells = []
        for strategy in strategies:
            entry = table[strategy]
            if entry["cost"] is None:
                cells.append(f"never ({entry['final_test']:.4f})")
            else:
                cells.append(f"{entry['cost']:.1f} ({entry['ratio']:.2f})")
        lines.append(f"| {name} | {table['target']:.4f} | " + " | ".join(cells) + " |")
    lines.append(median_row([[t[s]["ratio"] for t in summary.values()] for s in strategies]))
    lines += ["", "Trials run (pruned) per strategy:", ""]
    for name, table in summary.items():
        parts = [f"{s} {table[s]['trials']} ({table[s]['pruned']})" for s in strategies]
        lines.append(f"- {name}: " + ", ".join(parts))
    (RESULTS / f"{results_name(args.seed)}.md").write_text("\n".join(lines) + "\n")


def results_name(seed: int) -> str:
    return "cost" if seed == 0 else f"cost_seed{seed}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=60)
    parser.add_argument("--tolerance", type=float, default=0.002)
    parser.add_argument("--datasets", nargs="+", default=list(SPECS))
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    parser.add_argument("--seed", type=int, default=0, help="the searches' seed (not the split's)")
    parser.add_argument(
        "--summarise-seeds",
        type=int,
        nargs="+",
        metavar="SEED",
        help="pool the saved runs of these seeds into cost_seeds.md (runs nothing)",
    )
    args = parser.parse_args()
    if args.summarise_seeds:
        raws = [
            json.loads((RESULTS / f"{results_name(seed)}.json").read_text())
            for seed in args.summarise_seeds
        ]
        pooled = [s for s in STRATEGIES if all(any(s in runs for runs in r.values()) for r in raws)]
        print(
            write_pooled(
                pool_seeds(raws, pooled, args.tolerance), pooled, args.summarise_seeds, args
            )
        )
        return
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("automl", "optuna"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    RESULTS.mkdir(exist_ok=True)
    raw_path = RESULTS / f"{results_name(args.seed)}.json"
    raw: dict[str, Any] = json.loads(raw_path.read_text()) if raw_path.exists() else {}
    for name in args.datasets:
        data = load(name)
        for strategy in args.strategies:
            raw.setdefault(name, {})[strategy] = run_strategy(
                data, strategy, args.budget, args.seed
            )
            raw_path.write_text(json.dumps(raw, indent=1))  # keep partial results
    shown = [s for s in STRATEGIES if any(s in runs for runs in raw.values())]
    summary = {
        name: summarise(runs, shown, args.tolerance)
        for name, runs in raw.items()
        if all(s in runs for s in shown)  # the target comes from strategy 'tpe'
    }
    write(summary, shown, args)
    print((RESULTS / f"{results_name(args.seed)}.md").read_text())


if __name__ == "__main__":
    main()
