"""Warm starts from the storage's own history: the best configurations of the past studies
whose datasets look most like this one (same problem, task and metric) are tried first.

auto-sklearn 1.0 evaluates the best configurations of the nearest of its 140 meta-datasets
first; here the meta-datasets are the user's own earlier searches, found by the meta-features
every study records (`automl.data.MetaFeatures`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import optuna
from optuna.trial import TrialState

from automl.data import MetaFeatures
from automl.record import ORIGIN_ATTR, StudyMeta, TrialRecord
from automl.space import SearchSpace, settle_inert_choices
from automl.steps import upgrade_config

if TYPE_CHECKING:
    from optuna.study._frozen import FrozenStudy

logger = logging.getLogger(__name__)

NEAREST = 3
"""Past studies whose best configuration is tried first (each is one trial of the budget)."""
MAX_DISTANCE = 3.0
"""Studies farther than this (in `distance`'s units) are not similar enough to start from."""


@dataclass(frozen=True)
class PastBest:
    """A past study's best full-fidelity configuration, its score and how far its data is."""

    study: str
    config: dict[str, Any]
    score: float
    distance: float

    def origin(self) -> str:
        """How the dashboard says where the trial came from."""
        return (
            f"warm start from study {self.study} (scored {self.score:.4g},"
            f" data distance {self.distance:.2f})"
        )


def distance(a: MetaFeatures, b: MetaFeatures) -> float:
    """How unlike two datasets look: rows and columns on a log scale (a factor of 10 counts
    1), column-kind counts on a log scale, shares as they are; for classification the class
    count and rarest class's share too."""
    parts = [
        math.log10(a.rows) - math.log10(b.rows),
        math.log10(max(a.columns, 1)) - math.log10(max(b.columns, 1)),
        a.numeric_share - b.numeric_share,
        (math.log1p(a.categorical) - math.log1p(b.categorical)) / 2,
        (math.log1p(a.high_cardinality) - math.log1p(b.high_cardinality)) / 2,
        a.missing_share - b.missing_share,
    ]
    if a.classes is not None and b.classes is not None:
        parts.append(math.log2(a.classes) - math.log2(b.classes))
    if a.minority_share is not None and b.minority_share is not None:
        parts.append(2 * (a.minority_share - b.minority_share))
    if a.target_skew is not None and b.target_skew is not None:
        parts.append((a.target_skew - b.target_skew) / 4)
    return math.sqrt(sum(p * p for p in parts))


def past_bests(
    storage: optuna.storages.BaseStorage,
    meta: StudyMeta,
    only: Collection[str] | None = None,
    nearest: int = NEAREST,
) -> list[PastBest]:
    """The best configuration of each of the `nearest` past studies in `storage` most like
    `meta` (same kind, task, metric and directions; within MAX_DISTANCE), nearest first,
    with the choices that changed nothing on its data settled (`settle_inert_choices`);
    `only`: consider just the studies with these names."""
    if meta.meta_features is None:
        return []
    candidates: list[tuple[float, FrozenStudy, MetaFeatures]] = []
    for study in storage.get_all_studies():
        if only is not None and study.study_name not in only:
            continue
        past = StudyMeta.from_attrs(study.user_attrs)
        if past is None or past.meta_features is None or not _comparable(past, meta):
            continue
        gap = distance(meta.meta_features, past.meta_features)
        if gap <= MAX_DISTANCE:
            candidates.append((gap, study, past.meta_features))
    found: list[PastBest] = []
    for gap, study, past_features in sorted(candidates, key=lambda entry: entry[0]):
        best = _best(storage, study, maximize=meta.directions[0] == "maximize")
        if best is not None:
            config, score = best
            settled = settle_inert_choices(config, past_features)
            found.append(PastBest(study.study_name, settled, score, round(gap, 4)))
        if len(found) == nearest:
            break
    return found


def _comparable(past: StudyMeta, meta: StudyMeta) -> bool:
    return (past.kind, past.task, past.metric, tuple(past.directions)) == (
        meta.kind,
        meta.task,
        meta.metric,
        tuple(meta.directions),
    )


def _best(
    storage: optuna.storages.BaseStorage, study: FrozenStudy, maximize: bool
) -> tuple[dict[str, Any], float] | None:
    """The study's best complete trial scored at full fidelity: its configuration and score."""
    trials = storage.get_all_trials(
        storage.get_study_id_from_name(study.study_name),
        deepcopy=False,
        states=(TrialState.COMPLETE,),
    )
    scored: list[tuple[float, dict[str, Any]]] = []
    for trial in trials:
        record = TrialRecord.from_attrs(trial.user_attrs)
        full = record.fidelity is None or record.fidelity >= 1.0
        if trial.value is None or not record.config or record.cut_short or not full:
            continue
        scored.append((trial.value, record.config))
    if not scored:
        return None
    value, config = max(scored, key=lambda pair: pair[0] if maximize else -pair[0])
    return config, value


def enqueue_first_trials(
    study: optuna.Study,
    meta: StudyMeta,
    space: SearchSpace,
    starting_points: Sequence[dict[str, Any]],
    warm_start: bool | Collection[str],
) -> list[PastBest]:
    """Queue the nearest past studies' bests (when `warm_start`: True for every study in the
    storage, or the names of the studies to consider), then the problem's starting points,
    each once, each marked with where it came from. Returns the past studies used."""
    first: list[tuple[dict[str, Any], str]] = []
    used: list[PastBest] = []
    if warm_start:
        only = None if warm_start is True else set(warm_start)
        for past in past_bests(study._storage, meta, only):
            point = fit_to_space(upgrade_config(past.config), space)
            if point is not None:
                first.append((point, past.origin()))
                used.append(past)
    first += [(dict(point), "starting point") for point in starting_points]
    seen: set[str] = set()
    for point, origin in first:
        key = repr(sorted(point.items()))
        if key not in seen:
            seen.add(key)
            study.enqueue_trial(point, user_attrs={ORIGIN_ATTR: origin}, skip_if_exists=True)
    return used


def describe(used: Sequence[PastBest]) -> str:
    """The search's note on its warm start."""
    studies = ", ".join(f"{p.study} (distance {p.distance:.2f})" for p in used)
    what = "study" if len(used) == 1 else f"{len(used)} studies"
    return f"warm start: tried first the best configuration of each similar past {what}: {studies}"


def fit_to_space(config: dict[str, Any], space: SearchSpace) -> dict[str, Any] | None:
    """The past configuration's values this space can take (the sampler draws the rest); None
    when one of its unconditional choices (the model family, say) is outside the space."""
    by_name = {param.name: param for param in space.params}
    for name, param in by_name.items():
        if param.condition is None and name in config and not param.contains(config[name]):
            return None
    active = space.active(config)
    return {k: v for k, v in active.items() if by_name[k].contains(v)}
