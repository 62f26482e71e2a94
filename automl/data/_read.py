"""Read CSV (plain or gzip), Parquet or a DataFrame into a fresh DataFrame with missing markers as NaN."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from pathlib import Path

import pandas as pd

from automl.exceptions import DataError

MISSING_MARKERS = ("?", "", "NA", "N/A", "NaN", "nan", "null", "NULL", "None")
PARQUET_SUFFIXES = (".parquet", ".pq")


def read_table(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Return a new DataFrame from a path or a DataFrame; the caller's object is never modified."""
    if isinstance(source, pd.DataFrame):
        _check_unique_columns([str(c) for c in source.columns])
        frame = source.copy()
        frame.columns = [str(c) for c in frame.columns]
        return _normalise_missing(frame)
    path = Path(source)
    if not path.exists():
        raise DataError(f"data file not found: {path}")
    if path.is_dir():
        raise DataError(f"expected a data file but got a directory: {path}")
    if path.stat().st_size == 0:
        raise DataError(f"data file is empty: {path}")
    is_parquet = path.name.lower().endswith(PARQUET_SUFFIXES)
    frame = _read_parquet(path) if is_parquet else _read_csv(path)
    if frame.shape[0] == 0:
        raise DataError(f"data file has a header but no rows: {path}")
    return _normalise_missing(frame)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise DataError(f"cannot read {path} as Parquet: {exc}") from None
    _check_unique_columns([str(c) for c in frame.columns])
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    """Sniff the delimiter and check the header on the file's start, then let pandas' C parser
    read the file itself. Measured on a 1,000,000-row, 30-column CSV (205 MB) on 2 cores:
    0.7 s and 735 MB peak, against 1.5 s and 935 MB with pyarrow's reader (its strings are
    converted to pandas' afterwards) and 6.4 s and 1.6 GB reading the text first."""
    gzipped = _is_gzip(path)
    sample = _start_of(path, gzipped)
    if not sample.strip():
        raise DataError(f"data file is empty: {path}")
    delimiter = _sniff_delimiter(sample)
    try:
        header = next(csv.reader(io.StringIO(sample), delimiter=delimiter))
    except csv.Error as exc:
        raise DataError(f"cannot parse {path} as CSV: {exc}") from None
    _check_unique_columns([h.strip() for h in header])
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            na_values=list(MISSING_MARKERS),
            keep_default_na=True,
            skipinitialspace=True,
            encoding="utf-8",
            compression="gzip" if gzipped else None,  # by content: uploads have no suffix
        )
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DataError(f"cannot read {path} as text CSV: {exc}") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"cannot parse {path} as CSV: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


SAMPLE_CHARS = 65536


def _start_of(path: Path, gzipped: bool) -> str:
    """The file's first characters, decoded (gzip or plain UTF-8)."""
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            return str(handle.read(SAMPLE_CHARS))
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DataError(f"cannot read {path} as text CSV: {exc}") from None


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _sniff_delimiter(text: str) -> str:
    sample = text[:20000]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _check_unique_columns(columns: list[str]) -> None:
    duplicated = sorted(name for name, count in Counter(columns).items() if count > 1)
    if duplicated:
        raise DataError(f"duplicate column names: {', '.join(duplicated)}; rename them")


def _normalise_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn textual missing markers into NaN in string columns (CSV readers already do this)."""
    markers = set(MISSING_MARKERS)
    for column in frame.columns:
        series = frame[column]
        if series.dtype == object:
            _check_cell_types(column, series)
        if pd.api.types.is_string_dtype(series) or series.dtype == object:
            stripped = (
                series.str.strip()
                if pd.api.types.is_string_dtype(series)
                else series.map(lambda v: v.strip() if isinstance(v, str) else v)
            )
            frame[column] = stripped.where(~stripped.isin(markers))
    return frame


def _check_cell_types(column: str, series: pd.Series) -> None:
    odd = series.map(lambda v: isinstance(v, (dict, list, set, tuple, bytes)))
    if odd.any():
        example = type(series[odd].iloc[0]).__name__
        raise DataError(
            f"column '{column}' holds {example} values; only numbers, text, booleans and dates are supported"
        )
