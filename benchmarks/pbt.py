"""Population-based training against random search at equal compute, on the torch MLP.

    python -m benchmarks.pbt --dataset letter --seeds 0 1 2

Both train a population of 8 MLPs (random first settings, the same draws for both) for
`generations` x `interval` epochs each, on the same training split, scored on the same
validation split. PBT replaces the worst quarter by perturbed copies of the best quarter after
each round; random search keeps every member independent, so both spend the same epochs. PBT
tends to copy larger networks, so its CPU seconds run higher: a random search with twice the
members (twice the epochs) is the baseline at equal or larger CPU time.
The final model (the best member on validation) is scored on the held-out 20% test split.
Writes benchmarks/results/pbt.md.
"""

from __future__ import annotations

import argparse
import json
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from automl.budget import Budget
from automl.data import Dataset, choose_evaluation
from automl.evaluation import predict_scores
from automl.executors import ExecutorSettings, make_executor
from automl.metrics import get_metric
from automl.models._mlp import SCHEDULE_PARAMS
from automl.pbt import CheckpointDir, PBTSettings, PopulationScheduler, TrainingSegment
from automl.record import TrialRecord
from automl.search import Search
from automl.space import tabular_space
from automl.strategies import make_strategy
from benchmarks.datasets import load

RESULTS = Path(__file__).resolve().parent / "results"


def run(name: str, seed: int, quantile: float, settings: PBTSettings) -> dict[str, Any]:
    data = load(name)
    dataset = Dataset.from_source(data.train, data.target, data.task)
    metric = get_metric("accuracy" if data.task == "multiclass" else None, dataset.task)
    train, valid = choose_evaluation(dataset.y, dataset.task, "holdout").splits(
        dataset.y, dataset.task, 0
    )[0]
    space = tabular_space({"models": ["mlp"]}).space
    study = optuna.create_study(
        direction="maximize" if metric.greater_is_better else "minimize",
        sampler=optuna.samplers.RandomSampler(seed=seed),
    )
    work = TrainingSegment(dataset, train, valid, metric, seed)
    executor = make_executor(ExecutorSettings.build("process", 2, {"cpus": 1}), work)
    budget = Budget()
    checkpoints = CheckpointDir(Path(tempfile.mkdtemp(prefix="pbt-bench-")))
    scheduler = PopulationScheduler(
        space,
        {f"mlp.{p}" for p in SCHEDULE_PARAMS},
        checkpoints,
        budget,
        metric.greater_is_better,
        PBTSettings(settings.population, settings.interval, settings.generations, quantile),
        seed,
    )
    strategy = make_strategy("pbt", space, seed)
    search = Search(
        study, space, strategy, executor, budget, lambda s: [s.score], scheduler=scheduler
    )
    start = time.perf_counter()
    try:
        search.run()
    finally:
        executor.close()
    wall = time.perf_counter() - start
    notes: list[str] = []
    taken = scheduler.take_best(lambda path: pickle.loads(path.read_bytes()), notes)
    if taken is None:
        raise SystemExit(f"PBT on {name}: {' '.join(notes)}")
    best, pipeline = taken
    features = Dataset.from_source(data.test, data.target, data.task).features
    labels = data.test[data.target]
    if dataset.classes is None:
        truth = labels.to_numpy(dtype=float)
    else:
        codes = {label: code for code, label in enumerate(dataset.classes)}
        truth = np.array([codes[label] for label in labels])
    predictions = predict_scores(pipeline[-1], pipeline[:-1].transform(features), dataset)
    score = metric.score(truth, predictions)
    cpu = sum(TrialRecord.of(t).cpu_seconds or 0.0 for t in study.trials)
    return {
        "validation": best.score,
        "test": float(score),
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "epochs": sum(member.epochs for member in scheduler.members),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", default="letter")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--interval", type=int, default=3)
    parser.add_argument("--generations", type=int, default=8)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    settings = PBTSettings(args.population, args.interval, args.generations)
    rows = []
    for seed in args.seeds:
        for method, quantile, population in (
            ("random search", 0.0, settings.population),
            ("random search, 2x members", 0.0, 2 * settings.population),
            ("PBT", 0.25, settings.population),
        ):
            sized = PBTSettings(population, settings.interval, settings.generations)
            outcome = run(args.dataset, seed, quantile, sized)
            rows.append({"seed": seed, "method": method, **outcome})
            print(rows[-1], flush=True)
    write(rows, args)


def write(rows: list[dict[str, Any]], args: Any) -> None:
    def mean(method: str, key: str) -> float:
        return float(np.mean([r[key] for r in rows if r["method"] == method]))

    lines = [
        f"# PBT vs random search at equal compute: torch MLP on {args.dataset}",
        "",
        f"`python -m benchmarks.pbt --dataset {args.dataset} --seeds {' '.join(map(str, args.seeds))}`:"
        f" a population of {args.population}, {args.generations} rounds of {args.interval} epochs"
        " (PBT and random search spend the same epochs; the 2x random search twice as many),"
        " process executor with 2 workers on the 2-core machine. Accuracy of the best member on"
        " the validation split and on the held-out test split (20%, seed 0). `epochs` is the"
        " sum over the final members of the epochs each was trained.",
        "",
        "| seed | method | validation | test | epochs | CPU s | wall s |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {r['seed']} | {r['method']} | {r['validation']:.4f} | {r['test']:.4f} "
            f"| {r['epochs']} | {r['cpu_seconds']:.0f} | {r['wall_seconds']:.0f} |"
            for r in rows
        ],
        "",
        *[
            f"- {method}: mean test accuracy {mean(method, 'test'):.4f},"
            f" mean CPU seconds {mean(method, 'cpu_seconds'):.0f}"
            for method in dict.fromkeys(r["method"] for r in rows)
        ],
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pbt.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "pbt.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
