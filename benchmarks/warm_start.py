"""Does `auto` reach good models sooner when it starts from what was learned on other data?
Measured leave-one-dataset-out over the portfolio's own collection (issue 17):

    python -m benchmarks.warm_start [--datasets carData.Arrests ...] [--arms cold portfolio ...]
                                    [--size 8] [--max-rows 10000] [--seeds 0 1 2]
                                    [--results warm_start]

Per meta-dataset (`benchmarks.meta_datasets`, at most `--max-rows` rows, 80/20 split), `auto`:
- `cold`: from the hand-picked starting points, 60 s;
- `portfolio`, `portfolio_20`: from a portfolio built as the shipped one (grown by regret gain
  per second of fit) without this dataset (neither its column of the cross-evaluation matrix
  nor the candidates its own search found: `benchmarks.portfolio.held_out_portfolio`), 60 s
  and 20 s;
- `plain_greedy`, `plain_greedy_20`: the same, grown by regret gain alone (the portfolio
  shipped before);
- `bagged`, `bagged_20`: as `portfolio`, with `final_model="bagged"` (these tables are
  cross-validated, so the chosen trials' split models are averaged and nothing is refit);
- `folds3`, `folds3_20`: as `portfolio`, cross-validated on 3 folds instead of 5 (more trials
  in a short budget, each on fewer rows; its seconds to the cold score compare validation
  scores of other folds, so only its held-out score is comparable);
- `holdout`, `holdout_20`: as `portfolio`, scored on one 20% holdout instead of 5 folds (a
  trial costs a fifth; auto-sklearn 2.0 picks holdout for short budgets on larger data; as for
  `folds3`, only its held-out score is comparable);
- `history`, `history_20`: from the hand-picked points, warm-started from the storage's history
  of the collection's other searches (`benchmarks.portfolio.studies_path()`, as a user's own
  past studies), 60 s and 20 s.
The searches optimise automl's default metric, as the collection's did (so its studies count
as history); each is scored on the held-out 20% (ROC AUC, accuracy or R2, as the quality
benchmark scores);
`seconds_to_cold` is when a warm 60 s search first reached, on validation, the best validation
score the cold search had at 60 s (all use the same split). Targets: median `seconds_to_cold`
at most 30; warm at 20 s >= cold at 60 s on at least 60% of datasets; warm at 60 s never
behind cold by more than 0.002. With several seeds (each its own split and searches), the
targets are judged per dataset on the mean score over its seeds and the median seconds.
Needs the portfolio phases' results (`python -m benchmarks.portfolio collect`, `cross`).
Writes benchmarks/results/<results>.md and .json (default warm_start), keeping the runs of
the datasets and seeds it does not redo; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sklearn.model_selection import train_test_split

from benchmarks._parts import kept_runs
from benchmarks.datasets import BenchmarkData
from benchmarks.meta_datasets import META_DATASETS, MetaDataset
from benchmarks.portfolio import (
    CANDIDATES,
    KINDS,
    held_out_portfolio,
    portfolio_on_disk,
    studies_path,
)
from benchmarks.quality import ensemble_by_family, result_score

RESULTS = Path(__file__).parent / "results"
ARMS = {
    "cold": 60.0,
    "portfolio_20": 20.0,
    "portfolio": 60.0,
    "plain_greedy_20": 20.0,
    "plain_greedy": 60.0,
    "history_20": 20.0,
    "history": 60.0,
    "bagged_20": 20.0,
    "bagged": 60.0,
    "folds3_20": 20.0,
    "folds3": 60.0,
    "holdout_20": 20.0,
    "holdout": 60.0,
}
WARM = ("portfolio", "plain_greedy", "history", "bagged", "folds3", "holdout")
PORTFOLIO_OF = {"bagged": "portfolio", "folds3": "portfolio", "holdout": "portfolio"}
"""A warm arm that starts from another arm's portfolio (the others: their own)."""
SETTINGS: dict[str, dict[str, Any]] = {
    "bagged": {"final_model": "bagged"},
    "folds3": {"evaluation": 3},
    "holdout": {"evaluation": "holdout"},
}
"""A warm arm's `automl.search` settings that differ from the defaults (as in
`benchmarks.final_model`)."""


def split(data: MetaDataset, max_rows: int, seed: int) -> BenchmarkData:
    frame = data.load(max_rows, seed)
    stratify = None if data.task == "regression" else frame[data.target]
    train, test = train_test_split(frame, test_size=0.2, random_state=seed, stratify=stratify)
    return BenchmarkData(data.name, data.target, data.task, train, test)


def search_from(
    data: BenchmarkData,
    points: list[dict[str, Any]],
    budget: float,
    seed: int,
    history: tuple[str, list[str]] | None = None,
    **settings: Any,
) -> tuple[Any, float]:
    """One `auto` search starting from `points` (empty: the hand-picked starting points), and
    from the past studies of `history` (storage, study names) when given, with `settings`
    (other `automl.search` keywords): its result and when it began (`time.time()`)."""
    import automl

    with portfolio_on_disk({kind: points for kind in set(KINDS.values())}) as portfolio:
        began = time.time()
        result = automl.search(
            data.train, target=data.target, task=data.task, time_budget=budget, seed=seed,
            storage=history[0] if history else ":memory:",
            warm_start=history[1] if history else False,
            portfolio=portfolio if points else "none", **settings,
        )  # fmt: skip
    return result, began


def measured(data: BenchmarkData, result: Any, began: float) -> dict[str, Any]:
    """What the arms record of a `search_from` search on `data` that began at `began`: its
    held-out score, its best validation score over time, its trials and its ensemble's weight
    per family."""
    sign = 1.0 if result.study.directions[0].name == "MAXIMIZE" else -1.0
    finished = sorted(
        (t.datetime_complete.timestamp(), t.values[0])
        for t in result.completed
        if t.datetime_complete is not None
    )
    curve: list[tuple[float, float]] = []
    for when, value in finished:
        if not curve or sign * value > sign * curve[-1][1]:
            curve.append((round(when - began, 2), value))
    return {
        "score": round(result_score(data, result), 5),
        "curve": curve,
        "sign": sign,
        "trials": result.n_trials,
        "ensemble": ensemble_by_family(result),
    }


def seconds_to_reach(curve: list[list[float]], target: float, sign: float) -> float | None:
    """When a best-so-far validation curve first reached `target` (None: never)."""
    return next((t for t, value in curve if sign * value >= sign * target - 1e-12), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="+", default=[d.name for d in META_DATASETS])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--size", type=int, default=8)
    parser.add_argument("--max-rows", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--results", default="warm_start", help="results file name, no suffix")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    path = RESULTS / f"{args.results}.json"
    redone = {(d, s) for d in args.datasets for s in args.seeds}
    earlier = {
        (r["dataset"], r["seed"]): r
        for r in (json.loads(path.read_text()) if path.is_file() else [])
        if (r["dataset"], r["seed"]) in redone
    }
    runs = kept_runs(path, lambda r: (r["dataset"], r["seed"]) in redone)
    by_name = {d.name: d for d in META_DATASETS}
    studies = json.loads(CANDIDATES.read_text()).get("studies", {})
    portfolios: dict[str, dict[str, list[dict[str, Any]]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        storage = Path(scratch) / "history.db"
        shutil.copy(studies_path(), storage)  # the searches below add studies to the copy
        for seed in args.seeds:
            for name in args.datasets:
                meta = by_name[name]
                outcome = earlier.pop((name, seed), None) or {
                    "dataset": name, "task": meta.task, "seed": seed
                }  # fmt: skip
                if name not in portfolios:  # the same for every seed: built once
                    portfolios[name] = {
                        "portfolio": held_out_portfolio(name, KINDS[meta.task], args.size, True),
                        "plain_greedy": held_out_portfolio(
                            name, KINDS[meta.task], args.size, False
                        ),
                    }
                history = (str(storage), [s for d, s in studies.items() if d != name])
                run_arms(outcome, split(meta, args.max_rows, seed), portfolios[name], args, history)
                runs.append(outcome)
                logging.info("%s: %s", name, {a: outcome[a]["score"] for a in ARMS if a in outcome})
                write([*runs, *earlier.values()], args.results)  # interrupted: nothing lost


def run_arms(
    outcome: dict[str, Any],
    data: BenchmarkData,
    portfolios: dict[str, list[dict[str, Any]]],
    args: argparse.Namespace,
    history: tuple[str, list[str]],
) -> None:
    """Run the arms asked for on one dataset and seed's split into `outcome`, replacing their
    earlier runs and keeping the others (cold above all, which the warm arms are judged
    against); `portfolios`: the held-out portfolio per warm arm."""
    seed = outcome["seed"]
    for arm in (a for a in ARMS if a in args.arms or (a == "cold" and a not in outcome)):
        kind = arm.removesuffix("_20")
        points = portfolios.get(PORTFOLIO_OF.get(kind, kind), [])
        past = history if arm.startswith("history") else None
        search = search_from(data, points, ARMS[arm], seed, past, **SETTINGS.get(kind, {}))
        outcome[arm] = measured(data, *search)
    cold = outcome["cold"]
    for warm in (a for a in WARM if a in outcome):
        outcome[f"{warm}_seconds_to_cold"] = seconds_to_reach(
            outcome[warm]["curve"], cold["curve"][-1][1], cold["sign"]
        )


def write(runs: list[dict[str, Any]], name: str = "warm_start") -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(runs, indent=1))
    arms = [a for a in ARMS if any(a in r for r in runs)]
    lines = [
        "# Warm starts, leave-one-dataset-out over the portfolio collection: held-out score per"
        " arm, and the seconds a warm 60 s search took to reach the cold search's 60 s"
        " validation score",
        "",
        "| dataset | seed | "
        + " | ".join(arms)
        + " | "
        + " | ".join(f"{w} s to cold" for w in WARM if w in arms)
        + " |",
        "|---|---|" + "---|" * (len(arms) + sum(w in arms for w in WARM)),
    ]
    for run in runs:
        cells = [f"{run[a]['score']:.4f}" if a in run else "" for a in arms]
        for warm in (w for w in WARM if w in arms):
            reached = run.get(f"{warm}_seconds_to_cold")
            cells.append("never" if reached is None else f"{reached:.0f}")
        lines.append(f"| {run['dataset']} | {run['seed']} | " + " | ".join(cells) + " |")
    lines.append("")
    for warm in (w for w in WARM if w in arms and f"{w}_20" in arms):
        lines += _against_targets(runs, warm)
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")


def _against_targets(runs: list[dict[str, Any]], warm: str) -> list[str]:
    """The three targets for one warm arm, judged per dataset over its seeds: the mean
    held-out score (60 s and 20 s warm, 60 s cold) and the median seconds to the cold score."""
    by_dataset: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        if warm in r and f"{warm}_20" in r:
            by_dataset.setdefault(r["dataset"], []).append(r)
    if not by_dataset:
        return []

    def mean(done: list[dict[str, Any]], arm: str) -> float:
        return statistics.mean(r[arm]["score"] for r in done)

    key = f"{warm}_seconds_to_cold"
    seconds = [
        statistics.median(math.inf if r[key] is None else r[key] for r in done)
        for done in by_dataset.values()
    ]
    early = sum(mean(d, f"{warm}_20") >= mean(d, "cold") for d in by_dataset.values())
    gaps = {name: mean(d, warm) - mean(d, "cold") for name, d in by_dataset.items()}
    worst = min(gaps, key=lambda n: gaps[n])
    seeds = sorted({len(d) for d in by_dataset.values()})
    return [
        f"- {warm} ({len(by_dataset)} datasets, {'/'.join(map(str, seeds))} seeds each):"
        f" median seconds to the cold 60 s score {statistics.median(seconds):.0f} (target <= 30;"
        f" inf = never); 20 s >= cold 60 s on {early} of {len(by_dataset)} datasets (target"
        f" >= 60%); 60 s - cold 60 s median {statistics.median(gaps.values()):+.4f}, worst"
        f" {gaps[worst]:+.4f} ({worst}; target >= -0.002)"
    ]


if __name__ == "__main__":
    main()
