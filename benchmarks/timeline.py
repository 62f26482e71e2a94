"""Where one warm-start search's time goes: each trial's start and end (seconds from the
search's start), family, state and value, then the time after the last trial (ensemble, refit).

    python -m benchmarks.timeline ISLR.Caravan [--budget 20] [--seed 0] [--cold]
        [--evaluation random_fold]

The table is split and the held-out portfolio built as `benchmarks.warm_start` does (`--cold`:
the families' hand-picked points instead). Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import time

from automl.exceptions import ConfigError
from benchmarks.meta_datasets import META_DATASETS
from benchmarks.portfolio import KINDS, held_out_portfolio
from benchmarks.quality import ensemble_by_family, result_score
from benchmarks.warm_start import search_from, split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", choices=[d.name for d in META_DATASETS])
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cold", action="store_true", help="the hand-picked starting points")
    parser.add_argument("--evaluation", default="auto", help="auto, holdout, random_fold or folds")
    args = parser.parse_args()
    if not args.budget > 0:
        parser.error(f"--budget must be a positive number of seconds, got {args.budget:g}")
    meta = next(d for d in META_DATASETS if d.name == args.dataset)
    data = split(meta, 10_000, args.seed)
    points = [] if args.cold else held_out_portfolio(meta.name, KINDS[meta.task], 8, True)
    evaluation = int(args.evaluation) if args.evaluation.isdigit() else args.evaluation
    try:
        result, began = search_from(data, points, args.budget, args.seed, evaluation=evaluation)
    except ConfigError as error:  # a budget or evaluation automl refuses: its own message
        parser.error(str(error))
    took = time.time() - began
    print(
        f"{meta.name} {data.train.shape}: {took:.1f} s, held-out {result_score(data, result):.4f}"
    )
    print(f"ensemble {ensemble_by_family(result)}")
    last = 0.0
    for trial in result.study.get_trials(deepcopy=False):
        start, end = trial.datetime_start, trial.datetime_complete
        if start is None or end is None:
            continue
        last = max(last, end.timestamp() - began)
        value = f"{trial.values[0]:.4f}" if trial.values else "-"
        print(
            f"{trial.number:4d} {trial.state.name.lower():9s} {start.timestamp() - began:6.2f}"
            f" {end.timestamp() - began:6.2f} {trial.params.get('model', '?'):24s} {value}"
        )
    print(f"after the last trial: {took - last:.1f} s; notes: {result.notes}")


if __name__ == "__main__":
    main()
