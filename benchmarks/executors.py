"""Executors compared: per-trial overhead with a trivial objective, and the speed-up of a
CPU-bound LightGBM search with two parallel workers.

    python -m benchmarks.executors --trials 500 --tune-trials 50

Overhead = wall time of the whole search call / trials, in-memory storage, random sampling (so
the sampler's own cost does not hide the executor's). Ray is started once before measuring
(`ray.init(num_cpus=2)`, about 4 s, like a cluster that is already up), and so is the process
executor's forkserver (about 1 s); starting the worker processes is part of each search. Compared with Ray Tune's `Tuner` (default settings, 50
trials) and Optuna's `n_jobs` threads. Writes benchmarks/results/executors.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import optuna

import automl
from benchmarks.datasets import load

RESULTS = Path(__file__).resolve().parent / "results"
SPACE = {"x": {"type": "float", "low": 0, "high": 10}, "n": {"type": "int", "low": 1, "high": 8}}


def trivial(config: dict[str, Any], report: Any) -> float:
    return config["x"] + config["n"]


def automl_overhead(executor: str, n_parallel: int | None, n_trials: int) -> float:
    """Milliseconds per trial for one automl.search call."""
    start = time.perf_counter()
    automl.search(
        objective=trivial,
        space=SPACE,
        n_trials=n_trials,
        storage=":memory:",
        strategy="random",
        executor=executor,
        n_parallel=n_parallel,
        seed=0,
    )
    return 1000 * (time.perf_counter() - start) / n_trials


def optuna_threads_overhead(n_jobs: int, n_trials: int) -> float:
    def objective(trial: optuna.Trial) -> float:
        return trial.suggest_float("x", 0, 10) + trial.suggest_int("n", 1, 8)

    start = time.perf_counter()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=n_trials, n_jobs=n_jobs)
    return 1000 * (time.perf_counter() - start) / n_trials


def ray_tune_overhead(n_trials: int) -> float:
    from ray import tune

    def trainable(config: dict[str, Any]) -> dict[str, float]:
        return {"score": config["x"] + config["n"]}

    with tempfile.TemporaryDirectory() as tmp:
        tuner = tune.Tuner(
            trainable,
            param_space={"x": tune.uniform(0, 10), "n": tune.randint(1, 9)},
            tune_config=tune.TuneConfig(num_samples=n_trials, metric="score", mode="max"),
            run_config=tune.RunConfig(storage_path=tmp, verbose=0),
        )
        start = time.perf_counter()
        tuner.fit()
        return 1000 * (time.perf_counter() - start) / n_trials


def lightgbm_search(executor: str, n_parallel: int, cpus: int, n_trials: int) -> dict[str, float]:
    """Wall seconds of a fixed set of LightGBM trials (random sampling, seed 0): the whole
    search call, and the trials alone (first start to last finish)."""
    data = load("adult")
    start = time.perf_counter()
    result = automl.search(
        data.train,
        target=data.target,
        n_trials=n_trials,
        strategy="random",
        space={"models": ["lightgbm"]},
        evaluation="holdout",
        storage=":memory:",
        seed=0,
        ensemble=False,
        executor=executor,
        n_parallel=n_parallel,
        trial_resources={"cpus": cpus},
    )
    total = time.perf_counter() - start
    trials = result.study.trials
    ends = [t.datetime_complete for t in trials if t.datetime_complete is not None]
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    span = max(ends) - min(starts)
    return {"total": total, "trials": span.total_seconds(), "score": result.best_score}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--tune-trials", type=int, default=50)
    parser.add_argument("--lightgbm-trials", type=int, default=16)
    args = parser.parse_args()
    import ray

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    automl_overhead("ray", None, 20)  # warm the Ray workers, as a running cluster has them
    automl_overhead("process", 1, 2)  # start the worker process server once (about 1 s)
    overhead: list[tuple[str, float, int]] = []

    def record(name: str, ms: float, n: int) -> None:
        overhead.append((name, ms, n))
        print(f"{name:45s} {ms:8.2f} ms/trial", flush=True)

    record(
        "automl in-process, 1 at a time", automl_overhead("inprocess", 1, args.trials), args.trials
    )
    record(
        "automl process executor, 1 worker", automl_overhead("process", 1, args.trials), args.trials
    )
    record(
        "automl process executor, 2 workers",
        automl_overhead("process", 2, args.trials),
        args.trials,
    )
    record(
        "automl Ray executor, 2 in flight", automl_overhead("ray", None, args.trials), args.trials
    )
    record("Optuna study.optimize, n_jobs=1", optuna_threads_overhead(1, args.trials), args.trials)
    record(
        "Optuna study.optimize, n_jobs=2 threads",
        optuna_threads_overhead(2, args.trials),
        args.trials,
    )
    record("Ray Tune Tuner (defaults)", ray_tune_overhead(args.tune_trials), args.tune_trials)

    runs = {
        "process, 1 worker x 1 thread": ("process", 1, 1),
        "process, 2 workers x 1 thread": ("process", 2, 1),
        "Ray, 2 in flight x 1 CPU": ("ray", 2, 1),
        "process, 1 worker x 2 threads": ("process", 1, 2),
    }
    speed: dict[str, dict[str, float]] = {}
    for name, (executor, n_parallel, cpus) in runs.items():
        speed[name] = lightgbm_search(executor, n_parallel, cpus, args.lightgbm_trials)
        print(name, {k: round(v, 3) for k, v in speed[name].items()}, flush=True)
    ray.shutdown()
    write(overhead, speed, args)


def write(
    overhead: list[tuple[str, float, int]], speed: dict[str, dict[str, float]], args: Any
) -> None:
    tune_ms = next(ms for name, ms, _ in overhead if name.startswith("Ray Tune"))
    ray_ms = next(ms for name, ms, _ in overhead if name.startswith("automl Ray"))
    base = speed["process, 1 worker x 1 thread"]
    lines = [
        "# Executors: overhead per trial and parallel speed-up",
        "",
        "`python -m benchmarks.executors`, on the 2-core development machine. Trivial objective,",
        "in-memory storage, random sampling; each figure is the whole search call divided by its",
        "trials. Ray and the process executor's forkserver were started once before measuring",
        "(as a running cluster would be); each search starts its own worker processes.",
        "",
        "| runner | trials | ms per trial |",
        "|---|---|---|",
        *[f"| {name} | {n} | {ms:.2f} |" for name, ms, n in overhead],
        "",
        f"Ray executor vs Ray Tune's Tuner: {tune_ms / ray_ms:.0f}x less overhead per trial "
        "(targets: at most 10 ms per trial, at least 50x below Ray Tune).",
        "",
        f"## CPU-bound search: {args.lightgbm_trials} LightGBM trials on adult (random sampling, seed 0)",
        "",
        "The same configurations every run. 'trials' is first trial start to last trial end;",
        "'search call' adds loading the data, splitting and refitting the best model.",
        "",
        "| run | trials (s) | speed-up | search call (s) | speed-up | best AUC |",
        "|---|---|---|---|---|---|",
        *[
            f"| {name} | {r['trials']:.1f} | {base['trials'] / r['trials']:.2f}x "
            f"| {r['total']:.1f} | {base['total'] / r['total']:.2f}x | {r['score']:.4f} |"
            for name, r in speed.items()
        ],
        "",
        "Target: at least 1.7x for 2 parallel workers against 1 on this 2-core machine.",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "executors.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "executors.json").write_text(
        json.dumps({"overhead_ms": {n: ms for n, ms, _ in overhead}, "lightgbm": speed}, indent=1)
    )


if __name__ == "__main__":
    main()
