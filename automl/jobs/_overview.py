"""The job page's aggregates, computed on the server from all of a job's trials: best score over
time and over compute, every trial's score, comparable scores for importance, slice and
parallel-coordinates plots, learning curves on the study's fidelity axis, and the compute saved
against running every trial at full fidelity."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from typing import Any

import numpy as np

MAX_SCORED_ROWS = 500
MAX_HISTORY = 1000
MAX_CURVES = 200
IMPORTANCE_BINS = 5
MIN_IMPORTANCE_TRIALS = 5
MAX_IMPORTANCE_TRIALS = 2000
"""Importance is estimated on the latest this many scored trials (a 10,000-trial job's page
stays fast; the estimate hardly moves past a few hundred)."""
STEP_AXIS = {"kind": "step", "label": "step", "x": "step", "full": 0}
"""How curves are drawn when the study does not say (custom objectives, 0.1.0 studies)."""


def overview(
    trials: list[dict[str, Any]], maximize: bool, axis: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything the job page draws besides the trial table, from `all_trials` rows; `axis`
    is the study's `FidelityPlan.axis()`."""
    axis = axis or STEP_AXIS
    finished = [t for t in trials if t["state"] in ("complete", "pruned", "fail")]
    complete = [t for t in finished if t["state"] == "complete" and t["score"] is not None]
    scored, basis = comparable_scores(finished, complete, axis)
    importance = parameter_importance(scored[-MAX_IMPORTANCE_TRIALS:])
    states = Counter(t["state"] for t in trials)
    counts = {state: states[state] for state in ("running", "complete", "pruned", "fail")}
    return {
        "counts": counts | {"cut_short": sum(bool(t.get("cut_short")) for t in complete)},
        "axis": {"label": axis["label"], "kind": axis["kind"]},
        "best_over_time": _best_over(finished, maximize, "time"),
        "best_over_compute": _best_over(finished, maximize, "compute"),
        "history": _history(complete, finished),
        "scored": _scored_rows(scored, maximize, importance),
        "score_basis": basis,
        "importance": importance,
        "importance_note": _importance_note(importance, scored, basis),
        "curves": _curves(finished, axis),
        "compute": compute_saved(finished),
    }


def _best_over(trials: list[dict[str, Any]], maximize: bool, axis: str) -> list[dict[str, Any]]:
    """Points where the best score improved: x is seconds since the first trial started, or
    CPU seconds summed over trials in finishing order."""
    ordered = sorted(trials, key=lambda t: t["finished_at"] or 0.0)
    start = min((t["started_at"] for t in ordered if t["started_at"]), default=0.0)
    points: list[dict[str, Any]] = []
    best: float | None = None
    spent = 0.0
    for trial in ordered:
        spent += trial["cpu_seconds"] or 0.0
        score = trial["score"] if trial["state"] == "complete" else None
        if score is None or (best is not None and (score <= best if maximize else score >= best)):
            continue
        best = score
        x = spent if axis == "compute" else (trial["finished_at"] or start) - start
        points.append({"x": round(x, 3), "best": _short(best), "trial": trial["number"]})
    if points and ordered:
        last = ordered[-1]
        x = spent if axis == "compute" else (last["finished_at"] or start) - start
        points.append({"x": round(x, 3), "best": _short(best), "trial": points[-1]["trial"]})
    return points


def _history(complete: list[dict[str, Any]], finished: list[dict[str, Any]]) -> dict[str, Any]:
    """Every complete trial's score at the seconds it finished (since the first start), as
    parallel arrays (compact for 10,000 trials); evenly thinned past MAX_HISTORY."""
    start = min((t["started_at"] for t in finished if t["started_at"]), default=0.0)
    ordered = sorted(complete, key=lambda t: t["finished_at"] or 0.0)
    if len(ordered) > MAX_HISTORY:
        keep = np.linspace(0, len(ordered) - 1, MAX_HISTORY).round().astype(int)
        ordered = [ordered[i] for i in keep]
    return {
        "x": [round((t["finished_at"] or start) - start, 3) for t in ordered],
        "score": [_short(t["score"]) for t in ordered],
        "trial": [t["number"] for t in ordered],
    }


Scored = list[tuple[dict[str, Any], float]]
"""(trial, comparable score) pairs."""


def comparable_scores(
    finished: list[dict[str, Any]], complete: list[dict[str, Any]], axis: dict[str, Any]
) -> tuple[Scored, str]:
    """Trials with one score each that can be compared, and what the scores are.

    A multi-fidelity search stops most trials early, so final scores exist for a few only;
    every trial does report the lowest rung, where the schedulers compare them. When more
    trials start their curve at one step than have a final score, their score at that step is
    used."""
    first_steps = Counter(t["curve"][0]["step"] for t in finished if t["curve"])
    if first_steps:
        step, count = max(first_steps.items(), key=lambda item: (item[1], item[0]))
        if count > len(complete):
            at_step = [
                (t, t["curve"][0]["value"])
                for t in finished
                if t["curve"] and t["curve"][0]["step"] == step
            ]
            where = _x_text(curve_x(at_step[0][0]["curve"][0], axis), axis)
            return at_step, f"score at {where}, which {count} trials reached"
    finals = [(t, t["score"]) for t in complete]
    return finals, f"final score of {len(finals)} complete trials"


def _x_text(x: float, axis: dict[str, Any]) -> str:
    if axis["x"] == "fidelity":
        return f"{x:.0%} of the training rows"
    return f"{x:g} {axis['label']}"


def _scored_rows(scored: Scored, maximize: bool, importance: dict[str, float]) -> dict[str, Any]:
    """The best MAX_SCORED_ROWS scored trials (config and comparable score), for the slice
    and parallel-coordinates plots; `params` are the ones that vary, most important first."""
    best = sorted(scored, key=lambda pair: pair[1], reverse=maximize)[:MAX_SCORED_ROWS]
    values: dict[str, set[str]] = defaultdict(set)
    for trial, _ in best:
        for name, value in trial["config"].items():
            values[name].add(repr(value))
    varying = [name for name, seen in values.items() if len(seen) > 1]
    params = sorted(varying, key=lambda name: (-importance.get(name, -1.0), name))
    return {
        "params": params,
        "rows": [
            {
                "trial": t["number"],
                "state": t["state"],
                "score": _short(score),
                "config": {k: _short(v) for k, v in t["config"].items()},
            }
            for t, score in best
        ],
    }


def _importance_note(importance: dict[str, float], scored: Scored, basis: str) -> str:
    """What the importance bars are, or why there are none yet."""
    if not importance:
        return (
            f"Not enough trials yet: importance needs {MIN_IMPORTANCE_TRIALS} scored trials"
            f" that set a parameter ({len(scored)} scored so far)."
        )
    latest = f" (the latest {MAX_IMPORTANCE_TRIALS})" if len(scored) > MAX_IMPORTANCE_TRIALS else ""
    return (
        "Share of the score's variance each parameter explains on its own (main effects,"
        f" like fANOVA's first order; numbers in {IMPORTANCE_BINS} quantile bins), on the"
        f" {basis}{latest}."
    )


def parameter_importance(scored: Scored) -> dict[str, float]:
    """Share of the score's variance each parameter explains on its own (correlation ratio η²
    over its values, numbers in quantile bins), over the trials where it is set; normalised to
    sum to 1. A main-effects view, like fANOVA's first order, that handles conditional params.
    `scored` pairs each trial with its comparable score (see `comparable_scores`)."""
    by_param: dict[str, list[tuple[Any, float]]] = defaultdict(list)
    for trial, score in scored:
        for name, value in trial["config"].items():
            if value is not None:
                by_param[name].append((value, float(score)))
    raw: dict[str, float] = {}
    for name, pairs in by_param.items():
        if len(pairs) >= MIN_IMPORTANCE_TRIALS:
            raw[name] = _eta_squared(pairs)
    total = sum(raw.values())
    if total <= 0:
        return {}
    ranked = sorted(raw.items(), key=lambda item: -item[1])
    return {name: round(value / total, 4) for name, value in ranked}


def _eta_squared(pairs: list[tuple[Any, float]]) -> float:
    values = [v for v, _ in pairs]
    scores = np.array([s for _, s in pairs])
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        numbers = np.array(values, dtype=float)
        edges = np.unique(np.quantile(numbers, np.linspace(0, 1, IMPORTANCE_BINS + 1)[1:-1]))
        groups = np.searchsorted(edges, numbers).tolist()
    else:
        groups = [str(v) for v in values]
    total = float(((scores - scores.mean()) ** 2).sum())
    if total <= 0:
        return 0.0
    members: dict[Any, list[float]] = defaultdict(list)
    for group, score in zip(groups, scores, strict=True):
        members[group].append(float(score))
    between = sum(len(m) * (statistics.fmean(m) - scores.mean()) ** 2 for m in members.values())
    return float(between / total)


def _curves(finished: list[dict[str, Any]], axis: dict[str, Any]) -> list[dict[str, Any]]:
    """The learning curves of the latest MAX_CURVES finished trials on the study's fidelity
    axis, each with its final score (complete trials), forecast where there is one, and the x
    of its knots (a Chain of LoRA's merges)."""
    recent = sorted(finished, key=lambda t: t["number"])[-MAX_CURVES:]
    curves = []
    for t in recent:
        if not t["curve"]:
            continue
        xs = [curve_x(p, axis) for p in t["curve"]]
        full = _full_x(xs[-1], t["curve"][-1], axis)
        final = None
        if t["state"] == "complete" and t["score"] is not None:
            final = {"x": xs[-1] if axis["x"] == "step" else full, "value": _short(t["score"])}
        curves.append(
            {
                "trial": t["number"],
                "state": t["state"],
                "x": [_short(x) for x in xs],
                "y": [_short(p["value"]) for p in t["curve"]],
                "final": final,
                "forecast": _forecast_point(t.get("forecast"), full),
                "stop": t["stopped"],
                "knots": [_short(curve_x({"step": k}, axis)) for k in t.get("knots") or []],
            }
        )
    return curves


def curve_x(point: dict[str, Any], axis: dict[str, Any]) -> float:
    """Where a curve point goes on the axis: share of rows, folds evaluated, or its step."""
    if axis["x"] == "fidelity" and point.get("fidelity") is not None:
        return float(point["fidelity"])
    if axis["x"] == "folds":
        return float(point["step"]) + 1
    return float(point["step"])


def with_axis(trial: dict[str, Any], axis: dict[str, Any] | None) -> dict[str, Any]:
    """A trial (from `trial_detail`) with the study's axis label and an x on each curve point."""
    axis = axis or STEP_AXIS
    curve = [{**p, "x": curve_x(p, axis)} for p in trial["curve"]]
    return {**trial, "curve": curve, "axis": {"label": axis["label"], "kind": axis["kind"]}}


def _full_x(last_x: float, last: dict[str, Any], axis: dict[str, Any]) -> float:
    """The x of full fidelity for a curve ending at `last`."""
    if axis["x"] == "fidelity":
        return 1.0
    if axis["full"]:
        return float(axis["full"])
    fidelity = last.get("fidelity")
    return last_x / fidelity if fidelity else last_x + 1


def _short(value: Any) -> Any:
    """Floats to 6 significant digits: the page draws them, and the payload stays small."""
    return float(f"{value:.6g}") if isinstance(value, float) else value


def _forecast_point(forecast: dict[str, Any] | None, x: float) -> dict[str, float] | None:
    if not forecast or forecast.get("mean") is None:
        return None
    return {
        "x": _short(x),
        "mean": _short(forecast["mean"]),
        "std": _short(forecast.get("std", 0.0)),
        "p_better": _short(forecast.get("p_better")),
    }


def compute_saved(finished: list[dict[str, Any]]) -> dict[str, Any]:
    """CPU seconds spent against an estimate of the same search at full fidelity: every complete
    or pruned trial at the median cost of the full runs of its model family (of all full runs
    when its family has none); failed trials as they were."""
    used = sum(t["cpu_seconds"] or 0.0 for t in finished)
    full_runs: dict[Any, list[float]] = defaultdict(list)
    for t in finished:
        if t["fidelity"] == 1.0 and t["cpu_seconds"]:
            full_runs[t["config"].get("model")].append(t["cpu_seconds"])
    if not full_runs or used <= 0:
        return {"cpu_seconds": round(used, 3), "full_fidelity_cpu_seconds": None, "saved": None}
    overall = statistics.median([c for costs in full_runs.values() for c in costs])
    medians = {family: statistics.median(costs) for family, costs in full_runs.items()}
    estimate = sum(
        medians.get(t["config"].get("model"), overall)
        if t["state"] in ("complete", "pruned")
        else t["cpu_seconds"] or 0.0
        for t in finished
    )
    saved = 1.0 - used / estimate if estimate > 0 else 0.0
    return {
        "cpu_seconds": round(used, 3),
        "full_fidelity_cpu_seconds": round(estimate, 3),
        "saved": round(saved, 4) if math.isfinite(saved) else None,
    }
