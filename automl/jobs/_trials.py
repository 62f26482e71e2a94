"""Read a job's trials straight from Optuna's tables, a page at a time.

`optuna.Study.get_trials` loads every trial; a dashboard polling a 10,000-trial job cannot afford
that, so these queries page, sort and filter in SQL and decode only the rows they return.
They read Optuna's RDB schema (tables `studies`, `trials`, `trial_values`,
`trial_user_attributes`), which Optuna versions with its own migrations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from optuna.distributions import json_to_distribution

from automl.models import FAMILIES
from automl.record import (
    FORECAST_ATTR,
    ORIGIN_ATTR,
    RECORD_ATTR,
    STOP_ATTR,
    STUDY_ATTR,
    StudyMeta,
    TrialRecord,
)
from automl.space import MODEL_PARAM

CHUNK = 2000
"""Trial ids per `IN (...)` query."""


@dataclass(frozen=True)
class StudyRef:
    """An Optuna study as these queries need it."""

    study_id: int
    maximize: bool
    metric: str | None
    fidelity: dict[str, Any] | None = None
    """`FidelityPlan.axis()` of the study: how its trials' curves are drawn (None: by step)."""
    crosses: dict[str, Any] | None = None
    """The cross search's report (`CrossSearchReport.to_dict()`), when one ran."""

    def cross_names(self) -> list[str]:
        """'a x b (+0.0123)' for each cross kept."""
        report = self.crosses or {}
        gains = report.get("gains", {})
        names = [" x ".join(cross["fields"]) for cross in report.get("crosses", [])]
        return [f"{name} ({gains.get(name, 0.0):+.4f})" for name in names]


def find_study(engine: sa.Engine, study_name: str) -> StudyRef | None:
    query = sa.text(
        "SELECT s.study_id, d.direction, a.value_json AS meta FROM studies s"
        " LEFT JOIN study_directions d ON d.study_id = s.study_id AND d.objective = 0"
        " LEFT JOIN study_user_attributes a ON a.study_id = s.study_id AND a.key = :meta_key"
        " WHERE s.study_name = :name"
    )
    with engine.connect() as connection:
        row = connection.execute(query, {"name": study_name, "meta_key": STUDY_ATTR}).first()
    if row is None:
        return None
    meta = StudyMeta.from_attrs({STUDY_ATTR: json.loads(row.meta)} if row.meta else {})
    if meta is None:
        return StudyRef(row.study_id, row.direction == "MAXIMIZE", None)
    return StudyRef(
        row.study_id, row.direction == "MAXIMIZE", meta.metric, meta.fidelity, meta.crosses
    )


def trial_order(
    engine: sa.Engine, study: StudyRef, sort: str = "number", state: str | None = None
) -> list[int]:
    """The ids of the study's trials (WAITING ones left out; only `state` if given) in `sort`
    order. One query; callers cache it while the job is unchanged and slice pages from it."""
    where = "t.study_id = :study_id AND t.state != 'WAITING'"
    params: dict[str, Any] = {"study_id": study.study_id}
    if state:
        where += " AND t.state = :state"
        params["state"] = state.upper()
    query = sa.text(
        "SELECT t.trial_id FROM trials t"
        " LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0"
        f" WHERE {where} ORDER BY {_order_by(sort, study.maximize)}"
    )
    with engine.connect() as connection:
        return [row.trial_id for row in connection.execute(query, params)]


def trials_by_id(engine: sa.Engine, trial_ids: list[int]) -> list[dict[str, Any]]:
    """The trials with these ids, in that order, with configs, scores, fidelity and curves."""
    if not trial_ids:
        return []
    query = sa.text(f"{_TRIAL_COLUMNS} WHERE t.trial_id IN :ids").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    with engine.connect() as connection:
        rows = {row.trial_id: row for row in connection.execute(query, {"ids": trial_ids})}
        attrs = _user_attrs(connection, trial_ids)
    return [_trial(rows[i], attrs.get(i, {})) for i in trial_ids if i in rows]


def trial_detail(engine: sa.Engine, study: StudyRef, number: int) -> dict[str, Any] | None:
    query = sa.text(
        f"{_TRIAL_COLUMNS} WHERE t.study_id = :study_id AND t.number = :number"
        " AND t.state != 'WAITING'"
    )
    with engine.connect() as connection:
        row = connection.execute(query, {"study_id": study.study_id, "number": number}).first()
        if row is None:
            return None
        attrs = _user_attrs(connection, [row.trial_id])
        trial = _trial(row, attrs.get(row.trial_id, {}))
        if not trial["config"]:  # running: its record is written when it ends
            trial["config"] = _params(connection, row.trial_id)
    return trial


def all_trials(
    engine: sa.Engine, study: StudyRef, known: dict[int, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Every trial (WAITING ones left out) in number order, with its `result` record, for the
    overview's aggregates. `known` maps trial ids to trials decoded earlier: finished trials no
    longer change, so only new and running ones are read and decoded again (decoding 10,000
    records takes most of a second); it is updated in place."""
    known = {} if known is None else known
    ids_query = sa.text(
        "SELECT trial_id, state FROM trials WHERE study_id = :study_id"
        " AND state != 'WAITING' ORDER BY number"
    )
    with engine.connect() as connection:
        states = list(connection.execute(ids_query, {"study_id": study.study_id}))
        stale = [row.trial_id for row in states if row.trial_id not in known]
        stale += [
            row.trial_id for row in states if known.get(row.trial_id, {}).get("state") == "running"
        ]
        for start in range(0, len(stale), CHUNK):
            query = sa.text(f"{_TRIAL_COLUMNS_WITH_RESULT} WHERE t.trial_id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            )
            chunk = {"ids": stale[start : start + CHUNK], **_ATTR_KEYS}
            for row in connection.execute(query, chunk):
                attrs = {
                    RECORD_ATTR: row.result,
                    FORECAST_ATTR: row.forecast,
                    STOP_ATTR: row.stop,
                    ORIGIN_ATTR: row.origin,
                }
                known[row.trial_id] = _trial(row, _decode(attrs))
    return [known[row.trial_id] for row in states if row.trial_id in known]


def _decode(attrs: dict[str, str | None]) -> dict[str, Any]:
    return {key: json.loads(text) for key, text in attrs.items() if text}


_TRIAL_COLUMNS = (
    "SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete, v.value"
    " FROM trials t"
    " LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0"
)
_TRIAL_COLUMNS_WITH_RESULT = (
    "SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete, v.value,"
    " a.value_json AS result, f.value_json AS forecast, r.value_json AS stop,"
    " o.value_json AS origin FROM trials t"
    " LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0"
    " LEFT JOIN trial_user_attributes a ON a.trial_id = t.trial_id AND a.key = :record_key"
    " LEFT JOIN trial_user_attributes f ON f.trial_id = t.trial_id AND f.key = :forecast_key"
    " LEFT JOIN trial_user_attributes r ON r.trial_id = t.trial_id AND r.key = :stop_key"
    " LEFT JOIN trial_user_attributes o ON o.trial_id = t.trial_id AND o.key = :origin_key"
)
_ATTR_KEYS = {
    "record_key": RECORD_ATTR,
    "forecast_key": FORECAST_ATTR,
    "stop_key": STOP_ATTR,
    "origin_key": ORIGIN_ATTR,
}


def _order_by(sort: str, maximize: bool) -> str:
    best_first = "DESC" if maximize else "ASC"
    worst_first = "ASC" if maximize else "DESC"
    orders = {
        "number": "t.number ASC",
        "-number": "t.number DESC",
        "best": f"(v.value IS NULL), v.value {best_first}, t.number",
        "worst": f"(v.value IS NULL), v.value {worst_first}, t.number",
    }
    return orders[sort]


def _user_attrs(connection: sa.Connection, trial_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not trial_ids:
        return {}
    query = sa.text(
        "SELECT trial_id, key, value_json FROM trial_user_attributes"
        " WHERE trial_id IN :ids AND key IN (:record_key, :forecast_key, :stop_key, :origin_key)"
    ).bindparams(sa.bindparam("ids", expanding=True))
    attrs: dict[int, dict[str, Any]] = {}
    for row in connection.execute(query, {"ids": trial_ids, **_ATTR_KEYS}):
        attrs.setdefault(row.trial_id, {})[row.key] = json.loads(row.value_json)
    return attrs


def _params(connection: sa.Connection, trial_id: int) -> dict[str, Any]:
    """A trial's sampled parameters from Optuna's table (what a running trial has so far)."""
    query = sa.text(
        "SELECT param_name, param_value, distribution_json FROM trial_params"
        " WHERE trial_id = :trial_id"
    )
    return {
        row.param_name: json_to_distribution(row.distribution_json).to_external_repr(
            row.param_value
        )
        for row in connection.execute(query, {"trial_id": trial_id})
    }


def _trial(row: Any, attrs: dict[str, Any]) -> dict[str, Any]:
    record = TrialRecord.from_attrs(attrs)
    started, finished = _time(row.datetime_start), _time(row.datetime_complete)
    state = row.state.lower()
    return {
        "number": row.number,
        "state": state,
        "cut_short": bool(record.cut_short) and state == "complete",
        "score": row.value,
        "started_at": started,
        "finished_at": finished,
        "duration": None if started is None or finished is None else finished - started,
        "config": record.config,
        "fidelity": record.fidelity,
        "cpu_seconds": record.cpu_seconds,
        "curve": [point.as_dict() for point in record.curve],
        "forecast": record.forecast,
        "stop_reason": record.stop_reason,
        "stopped": record.why_stopped(),
        "iterations": record.iterations,
        "knots": record.knots or [],
        "error": record.error,
        "origin": attrs.get(ORIGIN_ATTR),
        "model_summary": model_summary(record.config),
    }


def model_summary(config: dict[str, Any]) -> str | None:
    """The chosen family's one-line description of this configuration (a network's
    architecture), or None."""
    name = config.get(MODEL_PARAM)
    if not isinstance(name, str) or name not in FAMILIES:
        return None
    prefix = f"{name}."
    params = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    return FAMILIES.get(name).describe(params)


def _time(value: Any) -> float | None:
    """Optuna stores naive local datetimes; SQLite returns them as text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.timestamp()
