"""Do multi-fidelity text searches find as good a LoRA configuration with fewer training steps?

    python -m benchmarks.lora_fidelity [--seeds 0 1 2 --trials 12 --steps 62 --train-rows 2000
                                        --multi auto asha --share 1.0]

On SST-2 (2,000 training sentences of each seed's sample, 80/20 split inside the search), the
bundled LoRA space with `--steps` training steps: `tpe` runs `--trials` full-length trials (no
pruning); each strategy of `--multi` (multi-fidelity: `asha` is random sampling with
asynchronous successive halving on steps, `lc` TPE with learning-curve extrapolation, `auto`
the default) runs until it has trained `--share` of the steps the full-length search did. Reported:
the full-length search's best validation accuracy and the steps it had trained when it first
reached it; for each multi-fidelity search, the steps it had trained (in trial order) when a
completed trial first came within 0.005 of that accuracy (none: it did not), and its best.
The issue's target: within 0.005 with at most a third of the full-length search's steps.
Writes benchmarks/results/lora_fidelity.md and .json.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import optuna

from benchmarks.lora import sst2

RESULTS = Path(__file__).parent / "results"
TOLERANCE = 0.005


def trained_steps(trial: optuna.trial.FrozenTrial) -> int:
    """Training steps a trial ran (all of them, or up to where it was pruned)."""
    from automl.record import TrialRecord

    record = TrialRecord.of(trial)
    return record.iterations or max((p.step for p in record.curve), default=0)


def run(
    strategy: str, seed: int, trials: int, steps: int, train_rows: int, step_budget: int | None
) -> list[dict[str, Any]]:
    """Each trial in number order: steps trained, state, validation accuracy if complete.
    With `step_budget` the search stops once its trials have trained that many steps."""
    import automl
    from automl.space import load_yaml
    from automl.space._tabular import spaces_dir

    def stop_at_budget(study: optuna.Study, _: optuna.trial.FrozenTrial) -> None:
        spent = sum(trained_steps(t) for t in study.get_trials(deepcopy=False))
        if step_budget is not None and spent >= step_budget:
            raise automl.StopSearch(f"{spent} steps trained, the full-length search's budget")

    train, _ = sst2(train_rows, seed)
    space = load_yaml(spaces_dir() / "lora.yaml")
    space["params"]["steps"] = steps
    result = automl.search(
        train, target="label", text="sentence", space=space, strategy=strategy,
        n_trials=trials, storage=":memory:", seed=seed, on_trial=stop_at_budget,
    )  # fmt: skip
    rows = []
    for trial in sorted(result.study.get_trials(deepcopy=False), key=lambda t: t.number):
        trained = trained_steps(trial)
        complete = trial.state == optuna.trial.TrialState.COMPLETE
        rows.append(
            {
                "steps": trained,
                "state": trial.state.name,
                "value": trial.value if complete else None,
            }
        )
    return rows


def steps_to_reach(rows: list[dict[str, Any]], target: float) -> int | None:
    """Steps trained, in trial order, when a completed trial first scored at least `target`."""
    spent = 0
    for row in rows:
        spent += row["steps"]
        if row["value"] is not None and row["value"] >= target:
            return spent
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--steps", type=int, default=62)
    parser.add_argument("--train-rows", type=int, default=2000)
    parser.add_argument("--multi", nargs="+", default=["auto", "asha"])
    parser.add_argument(
        "--share", type=float, default=1.0,
        help="each multi-fidelity search stops after this share of the full-length search's steps",
    )  # fmt: skip
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    outcomes: list[dict[str, Any]] = []
    for seed in args.seeds:
        full = run("tpe", seed, args.trials, args.steps, args.train_rows, None)
        best = max(r["value"] for r in full if r["value"] is not None)
        outcome: dict[str, Any] = {
            "seed": seed,
            "full_best": round(best, 4),
            "full_steps_to_best": steps_to_reach(full, best),
            "full_steps": sum(r["steps"] for r in full),
            "runs": {"tpe": full},
        }
        for strategy in args.multi:
            # stopped once it has trained its share of the full-length search's steps
            budget = round(args.share * outcome["full_steps"])
            rows = run(strategy, seed, 20 * args.trials, args.steps, args.train_rows, budget)
            spent, kept = 0, []
            for row in rows:
                if spent >= budget:
                    break
                spent += row["steps"]
                kept.append(row)
            scores = [r["value"] for r in kept if r["value"] is not None]
            outcome[strategy] = {
                "steps_to_reach": steps_to_reach(kept, best - TOLERANCE),
                "best": round(max(scores), 4) if scores else None,
                "trials": len(kept),
                "pruned": sum(r["state"] == "PRUNED" for r in kept),
            }
            outcome["runs"][strategy] = kept
        logging.info("%s", {k: v for k, v in outcome.items() if k != "runs"})
        outcomes.append(outcome)
        write(outcomes, args)


def write(outcomes: list[dict[str, Any]], args: argparse.Namespace) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lora_fidelity.json").write_text(json.dumps(outcomes, indent=1))
    lines = [
        f"# Multi-fidelity LoRA search: SST-2, {args.train_rows} sentences, {args.steps} steps"
        f" per full-length trial, {args.trials} full-length TPE trials; the others stop at"
        f" {args.share:g} of their steps",
        "",
        "| seed | full-length best | its steps to best (of all) | "
        + " | ".join(
            f"{s}: steps to within {TOLERANCE} (share), best, trials (pruned)" for s in args.multi
        )
        + " |",
        "|---|---|---|" + "---|" * len(args.multi),
    ]
    for o in outcomes:
        cells = []
        for strategy in args.multi:
            m = o[strategy]
            reach = m["steps_to_reach"]
            share = "-" if reach is None else f"{reach} ({reach / o['full_steps_to_best']:.2f})"
            cells.append(f"{share}, {m['best']}, {m['trials']} ({m['pruned']})")
        lines.append(
            f"| {o['seed']} | {o['full_best']} | {o['full_steps_to_best']} ({o['full_steps']}) | "
            + " | ".join(cells)
            + " |"
        )
    (RESULTS / "lora_fidelity.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
