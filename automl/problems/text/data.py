"""TextData: a text column and a target from a CSV/TSV/Parquet file or a DataFrame, checked
with one-line reasons for unusable input."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.data import Task, labelled_rows, missing_column_message, read_table
from automl.exceptions import DataError

logger = logging.getLogger(__name__)

MIN_ROWS = 20
"""Fewer labelled texts than this cannot be both fine-tuned on and validated."""
MIN_PER_CLASS = 2
"""A class needs rows on both sides of the validation split."""


@dataclass(frozen=True, eq=False)
class TextData:
    """The texts (missing ones as empty strings), the encoded target and its task."""

    texts: list[str]
    y: np.ndarray
    target: str
    text: str
    task: Task
    classes: tuple[Any, ...] | None = None

    @classmethod
    def from_source(
        cls, source: str | Path | pd.DataFrame, target: str, text: str, task: str | Task | None
    ) -> TextData:
        """Read and check; raises DataError naming what is wrong."""
        frame = read_table(source)
        for role, name in (("target", target), ("text", text)):
            if not isinstance(name, str) or name not in frame.columns:
                raise DataError(missing_column_message(name, list(frame.columns), role))
        if text == target:
            raise DataError(f"the text column and the target are both '{text}'")
        kept, (y, resolved, classes) = labelled_rows(frame[[text, target]], target, task)
        texts = _texts(kept[text], text)
        if len(texts) < MIN_ROWS:
            raise DataError(
                f"{len(texts)} labelled rows are too few to fine-tune on and validate;"
                f" give at least {MIN_ROWS}"
            )
        if classes is not None:
            counts = np.bincount(y, minlength=len(classes))
            rare = [str(classes[i]) for i in np.flatnonzero(counts < MIN_PER_CLASS)]
            if rare:
                raise DataError(
                    f"class(es) {', '.join(rare[:5])} of '{target}' have fewer than"
                    f" {MIN_PER_CLASS} rows; drop them or add examples"
                )
        return cls(texts, y, target, text, resolved, classes)

    @property
    def n_rows(self) -> int:
        return len(self.y)

    def fingerprint(self) -> str:
        """A short hash of the texts and targets, to notice a resumed study on other data."""
        digest = hashlib.sha1(repr((self.text, self.target, self.n_rows)).encode())
        for value in self.texts:
            digest.update(value.encode("utf-8", "replace") + b"\0")
        digest.update(np.ascontiguousarray(self.y).tobytes())
        return digest.hexdigest()[:16]

    def describe(self) -> str:
        words = float(np.mean([len(t.split()) for t in self.texts]))
        return (
            f"{self.n_rows} texts in '{self.text}' ({words:.1f} words on average), task"
            f" {self.task.value}" + (f", {len(self.classes)} classes" if self.classes else "")
        )


def _texts(series: pd.Series, name: str) -> list[str]:
    """The column as strings; DataError when it is not text."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        example = series.dropna().iloc[0] if series.notna().any() else None
        raise DataError(
            f"text column '{name}' holds numbers, not text (e.g. {example!r});"
            " name the column that holds the sentences"
        )
    texts = series.fillna("").astype(str).str.strip()
    empty = int((texts == "").sum())
    if empty == len(texts):
        raise DataError(f"text column '{name}' is empty")
    if empty:
        logger.warning("%d rows have no text in '%s'; they are kept as empty texts", empty, name)
    return texts.tolist()
