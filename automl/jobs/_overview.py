"""The job page's aggregates, computed on the server from all of a job's trials: best score over
time and over compute, parallel-coordinates rows, parameter importance, recent learning curves,
and the compute saved against running every trial at full fidelity."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

import numpy as np

MAX_PARALLEL_ROWS = 500
MAX_CURVES = 200
IMPORTANCE_BINS = 5
MIN_IMPORTANCE_TRIALS = 5


def overview(trials: list[dict[str, Any]], maximize: bool) -> dict[str, Any]:
    """Everything the job page draws besides the trial table, from `all_trials` rows."""
    finished = [t for t in trials if t["state"] in ("complete", "pruned", "fail")]
    complete = [t for t in finished if t["state"] == "complete" and t["score"] is not None]
    return {
        "counts": {
            state: sum(t["state"] == state for t in trials)
            for state in ("running", "complete", "pruned", "fail")
        },
        "best_over_time": _best_over(finished, maximize, "time"),
        "best_over_compute": _best_over(finished, maximize, "compute"),
        "parallel": _parallel(complete, maximize),
        "importance": parameter_importance(complete),
        "curves": _curves(finished),
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


def _parallel(complete: list[dict[str, Any]], maximize: bool) -> dict[str, Any]:
    """The best MAX_PARALLEL_ROWS complete trials' configs and scores."""
    best = sorted(complete, key=lambda t: t["score"], reverse=maximize)[:MAX_PARALLEL_ROWS]
    names = sorted({name for t in best for name in t["config"]})
    return {
        "params": names,
        "rows": [{"trial": t["number"], "score": t["score"], "config": t["config"]} for t in best],
    }


def parameter_importance(complete: list[dict[str, Any]]) -> dict[str, float]:
    """Share of the score's variance each parameter explains on its own (correlation ratio η²
    over its values, numbers in quantile bins), over the trials where it is set; normalised to
    sum to 1. A main-effects view, like fANOVA's first order, that handles conditional params."""
    by_param: dict[str, list[tuple[Any, float]]] = defaultdict(list)
    for trial in complete:
        for name, value in trial["config"].items():
            if value is not None:
                by_param[name].append((value, float(trial["score"])))
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


def _curves(finished: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The learning curves of the latest MAX_CURVES finished trials, with forecasts."""
    recent = sorted(finished, key=lambda t: t["number"])[-MAX_CURVES:]
    return [
        {
            "trial": t["number"],
            "state": t["state"],
            "points": [
                {
                    "step": p["step"],
                    "value": _short(p["value"]),
                    "fidelity": _short(p.get("fidelity")),
                }
                for p in t["curve"]
            ],
            "forecast": _forecast_point(t.get("forecast")),
        }
        for t in recent
        if t["curve"]
    ]


def _short(value: Any) -> Any:
    """Floats to 6 significant digits: the page draws them, and the payload stays small."""
    return float(f"{value:.6g}") if isinstance(value, float) else value


def _forecast_point(forecast: dict[str, Any] | None) -> dict[str, float] | None:
    if not forecast or forecast.get("mean") is None:
        return None
    return {"mean": _short(forecast["mean"]), "std": _short(forecast.get("std", 0.0))}


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
