"""Infer what each feature column is: numeric, categorical (low or high cardinality), datetime, or dropped."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import pandas as pd

HIGH_CARDINALITY = 50
ID_NAME = re.compile(r"(^|_)(id|uuid|key|rownames|index)$", re.IGNORECASE)


@dataclass(frozen=True)
class Cross:
    """A feature cross of prepared columns (names as the pipeline's first step gives them);
    those in `numeric` are bucketed before crossing."""

    fields: tuple[str, ...]
    numeric: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return " x ".join(self.fields)

    def to_dict(self) -> dict[str, list[str]]:
        return {"fields": list(self.fields), "numeric": list(self.numeric)}


@dataclass(frozen=True)
class ColumnRoles:
    """Feature columns by role; `dropped` maps a column to the reason it is not used;
    `crosses` are the feature crosses a search chose to offer its trials (none by default)."""

    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    high_cardinality: tuple[str, ...] = ()
    datetime: tuple[str, ...] = ()
    dropped: dict[str, str] = field(default_factory=dict)
    crosses: tuple[Cross, ...] = ()

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric + self.categorical + self.high_cardinality + self.datetime

    def cross_fields(self) -> list[str]:
        """The prepared columns the crosses are built from."""
        return sorted({name for cross in self.crosses for name in cross.fields})


TEXT_WORDS = 4
"""A text column whose values average this many words is read as free text, not a category."""


def infer_roles(features: pd.DataFrame) -> ColumnRoles:
    """Assign every column of `features` (target excluded) to exactly one role."""
    roles: dict[str, list[str]] = {"numeric": [], "categorical": [], "high": [], "datetime": []}
    dropped: dict[str, str] = {}
    n_rows = len(features)
    for name in features.columns:
        series = features[name]
        reason = _drop_reason(name, series, n_rows)
        if reason:
            dropped[name] = reason
        elif pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            roles["numeric"].append(name)
        elif pd.api.types.is_datetime64_any_dtype(series) or _looks_like_datetime(series):
            roles["datetime"].append(name)
        elif series.nunique(dropna=True) > HIGH_CARDINALITY:
            roles["high"].append(name)
        else:
            roles["categorical"].append(name)
    return ColumnRoles(
        numeric=tuple(roles["numeric"]),
        categorical=tuple(roles["categorical"]),
        high_cardinality=tuple(roles["high"]),
        datetime=tuple(roles["datetime"]),
        dropped=dropped,
    )


def _drop_reason(name: str, series: pd.Series, n_rows: int) -> str | None:
    n_unique = series.nunique(dropna=True)
    if n_unique == 0:
        return "all values missing"
    if n_unique == 1 and not series.isna().any():
        return "constant"
    if n_rows >= 20 and n_unique > n_rows // 2 and _looks_like_text(series):
        return (
            "free text: the tabular search does not read text; derive features from it or drop it"
        )
    if n_rows >= 20 and n_unique == n_rows and _is_identifier(name, series):
        return "ID-like (every value unique)"
    return None


def _looks_like_text(series: pd.Series) -> bool:
    """Sentences rather than labels: text values with several words on average."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    sample = series.dropna().astype(str).head(200)
    return bool(len(sample)) and float(sample.str.count(r"\s+").mean()) + 1 >= TEXT_WORDS


def _is_identifier(name: str, series: pd.Series) -> bool:
    if pd.api.types.is_float_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_integer_dtype(series):
        return bool(ID_NAME.search(name)) or series.is_monotonic_increasing
    return not _looks_like_datetime(series)


def _looks_like_datetime(series: pd.Series) -> bool:
    """True for text columns whose values parse as dates (e.g. '2016-07-02')."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    sample = series.dropna().astype(str).head(200)
    if sample.empty or not sample.str.contains(r"\d[-/:.]\d|\d[-/]\w", regex=True).all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.95)
