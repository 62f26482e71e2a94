"""Uploaded datasets: checked as a table, then kept under the data directory by generated id."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

from automl.data._read import PARQUET_SUFFIXES, read_table
from automl.exceptions import DataError
from automl.jobs._schema import StoredDataset
from automl.jobs._store import JobStore
from automl.storage import automl_home

MIN_ROWS = 10
DATASETS = "datasets"


def ingest_dataset(
    store: JobStore, owner_id: int, upload: Path, filename: str, home: Path | None = None
) -> StoredDataset:
    """Check that `upload` reads as a table of at least two columns and MIN_ROWS rows, then move
    it to `<home>/datasets/<id>/` and record it. The client's file name is only a label."""
    label = Path(filename or "upload").name[:255] or "upload"
    suffix = ".parquet" if label.lower().endswith(PARQUET_SUFFIXES) else ".csv"
    checked = upload.with_name(upload.name + suffix)  # the reader picks its format by suffix
    upload.rename(checked)
    try:
        frame = read_table(checked)
    except DataError as exc:
        raise DataError(str(exc).replace(str(checked), f"'{label}'")) from None
    finally:
        checked.rename(upload)
    columns = [str(c) for c in frame.columns]
    if len(columns) < 2:
        raise DataError(
            f"'{label}' has one column ({columns[0][:60]!r}): a dataset needs a target and at"
            " least one feature; is it delimited by commas, semicolons, tabs or pipes?"
        )
    if len(frame) < MIN_ROWS:
        raise DataError(f"'{label}' has {len(frame)} rows; a search needs at least {MIN_ROWS}")
    dataset_id = uuid.uuid4().hex
    relative = Path(DATASETS) / dataset_id / f"data{suffix}"
    destination = (home or automl_home()) / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(upload, destination)
    dataset = StoredDataset(
        id=dataset_id,
        filename=label,
        path=str(relative),
        size_bytes=destination.stat().st_size,
        n_rows=len(frame),
        columns=columns,
        created_at=time.time(),
    )
    return store.add_dataset(owner_id, dataset)
