"""Why a pruner stopped a trial: the rule, where, against what, in one sentence.

`ask_pruner` stores the reason on the trial when a pruner says stop, so the leaderboard, the
CLI and the dashboard can say why each stopped trial stopped instead of only that it did.
Explanations are computed after the decision from what the pruner saw (the trial's report and
the other trials' reports at the same step); the pruner's own rule is not re-implemented.
"""

from __future__ import annotations

import statistics
from typing import Any

import optuna
from optuna.pruners import BasePruner, HyperbandPruner, MedianPruner, SuccessiveHalvingPruner
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from automl.fidelity.schedulers import AshaPruner, rung_step

RULE_NAMES = {
    AshaPruner: "asha",
    SuccessiveHalvingPruner: "successive_halving",
    HyperbandPruner: "hyperband",
    MedianPruner: "median",
}


def forecast_reason(forecast: dict[str, Any], threshold: float) -> dict[str, Any]:
    """The learning-curve rule's reason, from the forecast record it decided on."""
    chance = float(forecast["p_better"])
    percent = "<0.1%" if chance < 0.001 else f"{chance:.1%}"
    text = (
        f"forecast final score {forecast['mean']:.4g} ± {forecast.get('std', 0.0):.2g} has a"
        f" {percent} chance of beating the best score {forecast['reference']:.4g}"
        f" (stops below {threshold:.0%}), judged at {forecast['fidelity']:.0%} of full fidelity"
    )
    return {
        "rule": "forecast",
        "step": forecast["step"],
        "fidelity": forecast["fidelity"],
        "reference": forecast["reference"],
        "p_better": chance,
        "threshold": threshold,
        "text": text,
        "short": f"forecast {forecast['mean']:.4g}, {percent} chance to beat the best",
    }


def time_reason(text: str) -> dict[str, Any]:
    """The reason of a trial that stopped itself: the next fidelity would not finish in the time
    it had left (`text`, from the work, says how long it predicted and how long was left)."""
    return {"rule": "time", "text": text, "short": "no time for the next fidelity"}


def slow_family_reason(family: str, seconds: float, share: float, leader: str) -> dict[str, Any]:
    """The reason a queued starting point was skipped unrun: its family's trials took more than
    `share` of the time budget each on this data, and `leader` scores better."""
    text = (
        f"{family} trials took {seconds:.1f}s each here, over {share:.1%} of the time budget,"
        f" and score below {leader}: its other starting points are skipped"
    )
    return {"rule": "cost", "text": text, "short": f"slow here, {leader} leads: skipped"}


BUDGET_ENDED = "the search's time budget ended while it ran"


def budget_reason(seconds: float) -> dict[str, Any]:
    """The reason of a trial stopped because the search's time budget ended (not its own
    time limit): nothing was wrong with it."""
    return {"rule": "time", "text": f"{BUDGET_ENDED} ({seconds:.1f}s)", "short": "budget ended"}


def bandit_reason(
    pruner: BasePruner, study: optuna.Study, number: int, fidelity: float | None = None
) -> dict[str, Any]:
    """A rung- or median-based rule's reason: trial `number`'s score at its last step (at
    `fidelity`, the share of full fidelity, when known), its rank among the other trials'
    scores at that step, and the bar it missed where the rule has one."""
    trials = study.get_trials(deepcopy=False)
    trial = next(t for t in trials if t.number == number)
    step = trial.last_step
    if step is None:
        text = f"stopped by {type(pruner).__name__}"
        return {"rule": _rule(pruner), "text": text, "short": text}
    value = trial.intermediate_values[step]
    maximize = study.direction == StudyDirection.MAXIMIZE
    others = _scores_at(trials, number, step)
    better = sum(o > value if maximize else o < value for o in others)
    reason: dict[str, Any] = {
        "rule": _rule(pruner),
        "step": step,
        "fidelity": fidelity,
        "value": value,
        "rank": better + 1,
        "competitors": len(others) + 1,
    }
    at = f"step {step}" if fidelity is None else f"{fidelity:.0%} fidelity"
    rank = f"rank {better + 1} of {len(others) + 1}"
    where = f"score {value:.4g} at {at}: {rank}"
    reason["short"] = f"{reason['rule']}: {rank} at {at}"
    if isinstance(pruner, AshaPruner):
        keep = max(1, (len(others) + 1) // pruner.eta)
        reason["keep"] = keep
        reason["text"] = f"{where} at an ASHA rung, where only the top {keep} go on"
    elif isinstance(pruner, MedianPruner) and others:
        reason["reference"] = statistics.median(others)
        reason["text"] = f"{where}, below the median {reason['reference']:.4g} of the others"
    else:
        reason["text"] = f"{where}; {type(pruner).__name__} stopped it there"
    return reason


def _rule(pruner: BasePruner) -> str:
    return next(
        (name for kind, name in RULE_NAMES.items() if isinstance(pruner, kind)),
        type(pruner).__name__,
    )


def _scores_at(trials: list[FrozenTrial], number: int, step: int) -> list[float]:
    """Other finished or running trials' scores at `step` (their first report at or past it)."""
    scores: list[float] = []
    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    for other in trials:
        if other.number == number or other.state not in states:
            continue
        at = rung_step(sorted(other.intermediate_values), step)
        if at is not None:
            scores.append(other.intermediate_values[at])
    return scores
