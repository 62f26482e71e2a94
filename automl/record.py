"""Typed trial and study records: what automl writes into Optuna's user attributes.

Every reader and writer (search, PBT, result, refit, jobs, service, workers) goes through
`TrialRecord` and `StudyMeta`; the attribute keys below appear nowhere else. The JSON keys are
those of 0.1.0 (which wrote no schema version), so studies it created still open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import optuna
from optuna.trial import FrozenTrial

from automl.data import MetaFeatures

RECORD_ATTR = "result"
"""Trial user attribute holding the TrialRecord (written once, when the trial ends)."""
FORECAST_ATTR = "lc_forecast"
"""Trial user attribute holding the learning-curve forecast (written while the trial runs)."""
STOP_ATTR = "stop_reason"
"""Trial user attribute holding why a pruner stopped the trial (written when it says stop)."""
ORIGIN_ATTR = "origin"
"""Trial user attribute saying where a queued trial came from (a starting point, a warm start)."""
LINEAGE_ATTR = "pbt"
"""Trial user attribute holding a PBT segment's lineage."""
STUDY_ATTR = "automl"
"""Study user attribute holding the StudyMeta."""
SCHEMA_VERSION = 2
"""1: 0.1.0's records (no version key); 2: typed records, `iterations` (was `rounds`)."""


@dataclass(frozen=True)
class CurvePoint:
    """One intermediate score: its step, share of full fidelity (None: unknown), and the CPU
    seconds the trial had spent and the seconds since it started when it was reported (0.0:
    not recorded, as in older studies)."""

    step: int
    value: float
    fidelity: float | None = None
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The point as JSON-ready data (cheaper than `dataclasses.asdict`, which deep-copies:
        the dashboard decodes thousands of curves)."""
        return {
            "step": self.step,
            "value": self.value,
            "fidelity": self.fidelity,
            "cpu_seconds": self.cpu_seconds,
            "wall_seconds": self.wall_seconds,
        }


@dataclass
class TrialRecord:
    """What a trial did: its configuration, cost, curve, how far it got, and how it ended.

    `iterations` is the early-stopped count of the family's iterations (boosting rounds,
    epochs), used to refit; `fold_scores`, `predict_ms_per_1k_rows` and `model_bytes` are what a
    supervised problem measures; `forecast` is the pruner's last learning-curve forecast and
    `stop_reason` why it stopped the trial; `cut_short` marks a complete trial whose fit was
    ended by its time limit (its score is not that of the configuration at full fidelity);
    `knots` are the steps where a Chain of LoRA merged one link and began the next.
    """

    config: dict[str, Any] = field(default_factory=dict)
    wall_seconds: float | None = None
    cpu_seconds: float | None = None
    fidelity: float | None = None
    curve: list[CurvePoint] = field(default_factory=list)
    error: str | None = None
    fit_seconds: float | None = None
    threads: int | None = None
    iterations: int | None = None
    fold_scores: list[float] | None = None
    folds: list[int] | None = None
    """The evaluation splits it was scored on, when not all (random-fold evaluation)."""
    predict_ms_per_1k_rows: float | None = None
    model_bytes: int | None = None
    cut_short: bool | None = None
    knots: list[int] | None = None
    """Steps at which a Chain of LoRA merged a link and started the next (the dashboard marks
    them on the trial's curve)."""
    forecast: dict[str, Any] | None = None
    stop_reason: dict[str, Any] | None = None

    def to_attrs(self) -> dict[str, Any]:
        """The user attributes that store this record (the forecast and the stop reason have
        their own writers: the pruner's side writes them while the trial runs)."""
        body: dict[str, Any] = {"schema": SCHEMA_VERSION}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _OWN_ATTRS or value is None or (f.name == "curve" and not value):
                continue
            body[f.name] = [p.as_dict() for p in value] if f.name == "curve" else value
        return {RECORD_ATTR: body}

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> TrialRecord:
        """Read a record from a trial's user attributes (any schema version; missing = empty)."""
        body = dict(attrs.get(RECORD_ATTR) or {})
        if "rounds" in body and "iterations" not in body:  # schema 1
            body["iterations"] = body["rounds"]
        known = {f.name for f in fields(cls)} - {"curve", *_OWN_ATTRS}
        record = cls(**{k: v for k, v in body.items() if k in known and v is not None})
        record.curve = [CurvePoint(**_point(p)) for p in body.get("curve") or []]
        for name, key in _OWN_ATTRS.items():
            setattr(record, name, attrs.get(key))
        return record

    def why_stopped(self) -> str | None:
        """A few words on why the trial ended before full fidelity (None: it did not): the
        pruner's reason, or the time limit that cut its fit short."""
        if self.stop_reason:
            return str(self.stop_reason.get("short") or self.stop_reason.get("text"))
        if self.cut_short:
            return "time limit" + (
                f" after {self.iterations} iterations" if self.iterations else ""
            )
        return None

    def what_ended_it(self) -> str | None:
        """Why a trial has no score, in a line: its error, or the reason it was stopped."""
        if self.error:
            return self.error
        if self.stop_reason and self.stop_reason.get("text"):
            return f"stopped: {self.stop_reason['text']}"
        return None

    @classmethod
    def of(cls, trial: FrozenTrial) -> TrialRecord:
        """The record of a finished (or running) trial; its params stand in for a missing config."""
        record = cls.from_attrs(trial.user_attrs)
        if not record.config:
            record.config = dict(trial.params)
        return record

    def save(self, trial: optuna.Trial) -> None:
        for key, value in self.to_attrs().items():
            trial.set_user_attr(key, value)


_OWN_ATTRS = {"forecast": FORECAST_ATTR, "stop_reason": STOP_ATTR}
"""Record fields stored in attributes of their own."""


def _point(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: raw.get(k) for k in ("step", "value", "fidelity")} | {
        "cpu_seconds": raw.get("cpu_seconds") or 0.0,
        "wall_seconds": raw.get("wall_seconds") or 0.0,
    }


def forecast_attrs(forecast: Mapping[str, Any]) -> dict[str, Any]:
    """The user attributes that store a learning-curve forecast."""
    return {FORECAST_ATTR: dict(forecast)}


def stop_attrs(reason: Mapping[str, Any]) -> dict[str, Any]:
    """The user attributes that store why a pruner stopped a trial."""
    return {STOP_ATTR: dict(reason)}


def save_lineage(trial: optuna.Trial, lineage: Mapping[str, Any]) -> None:
    """Store a PBT segment's lineage (member, generation, parent trials) on its trial."""
    trial.set_user_attr(LINEAGE_ATTR, dict(lineage))


def lineage_of(trial: FrozenTrial) -> dict[str, Any] | None:
    return trial.user_attrs.get(LINEAGE_ATTR)


COMPARED = ("kind", "target", "task", "metric", "fingerprint", "directions")
"""What must match for a study to be resumed."""


@dataclass(frozen=True)
class StudyMeta:
    """What a study searched: problem kind, target, task, metric, data fingerprint, evaluation,
    space, directions, the dataset's meta-features (absent in 0.1.0 studies), what trials
    report on (`FidelityPlan.axis()`: how to draw their curves) and the feature crosses chosen
    for them."""

    kind: str
    directions: tuple[str, ...]
    target: str | None = None
    task: str | None = None
    metric: str | None = None
    fingerprint: str | None = None
    evaluation: str | None = None
    space: dict[str, Any] | None = None
    meta_features: MetaFeatures | None = None
    fidelity: dict[str, Any] | None = None
    crosses: dict[str, Any] | None = None
    """The cross search's outcome (`CrossSearchReport.to_dict()`), when one ran."""

    def to_attrs(self) -> dict[str, Any]:
        body = {k: v for k, v in asdict(self).items() if v is not None}
        body["directions"] = list(self.directions)
        return {STUDY_ATTR: {**body, "schema": SCHEMA_VERSION}}

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> StudyMeta | None:
        """The study's metadata, or None when automl did not create the study."""
        body = attrs.get(STUDY_ATTR)
        if not isinstance(body, Mapping):
            return None
        known = {f.name for f in fields(cls)} - {"directions", "meta_features"}
        features = body.get("meta_features")
        return cls(
            kind=str(body.get("kind", "tabular")),
            directions=tuple(body.get("directions") or ()),
            meta_features=MetaFeatures(**features) if isinstance(features, Mapping) else None,
            **{k: v for k, v in body.items() if k in known and k != "kind"},
        )

    def mismatch(self, other: StudyMeta) -> str | None:
        """Why a study stored with `self` cannot be resumed with `other` (None if it can)."""
        for key in COMPARED:
            stored, now = getattr(self, key), getattr(other, key)
            if key == "directions":
                stored, now = list(stored), list(now)
            if stored != now:
                return f"{key}={stored!r}, not {now!r}"
        return None

    def save(self, study: optuna.Study) -> None:
        for key, value in self.to_attrs().items():
            study.set_user_attr(key, value)
