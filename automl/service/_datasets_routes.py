"""Routes under /api/datasets: upload a table (CSV, gzip CSV or Parquet) and list yours."""

from __future__ import annotations

import uuid
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, Path, Request, UploadFile

from automl.jobs import ingest_dataset
from automl.service._auth import Store, User
from automl.service._errors import ERRORS, reject_unknown_query
from automl.service._schemas import DatasetPublic, ErrorOut

router = APIRouter(
    prefix="/api/datasets",
    tags=["datasets"],
    responses=ERRORS,
    dependencies=[Depends(reject_unknown_query)],
)
CHUNK = 1024 * 1024


@router.post(
    "",
    status_code=201,
    summary="Upload a dataset (multipart field `file`)",
    responses={413: {"model": ErrorOut, "description": "The file is over the size limit."}},
)
def upload_dataset(
    request: Request,
    file: Annotated[UploadFile, File(description="CSV, gzip CSV or Parquet.")],
    store: Store,
    user: User,
) -> DatasetPublic:
    settings = request.app.state.settings
    uploads = settings.home / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    temporary = uploads / uuid.uuid4().hex
    try:
        _save_limited(file, temporary, settings.max_upload_bytes)
        dataset = ingest_dataset(store, user.id, temporary, file.filename or "", settings.home)
    finally:
        temporary.unlink(missing_ok=True)
    return DatasetPublic.of(dataset)


@router.get("", summary="Your datasets, newest first")
def list_datasets(store: Store, user: User) -> list[DatasetPublic]:
    return [DatasetPublic.of(d) for d in store.list_datasets(user.id)]


@router.get("/{dataset_id}", summary="One dataset's columns and size")
def get_dataset(
    dataset_id: Annotated[str, Path(min_length=1, max_length=64)], store: Store, user: User
) -> DatasetPublic:
    return DatasetPublic.of(store.get_dataset(dataset_id, user.id))


def _save_limited(file: UploadFile, destination: FilePath, limit: int) -> None:
    written = 0
    with destination.open("wb") as out:
        while chunk := file.file.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise HTTPException(413, over_limit(limit))
            out.write(chunk)
    if written == 0:
        raise HTTPException(400, f"'{file.filename}' is empty; upload a CSV or Parquet file")


def over_limit(limit: int) -> str:
    return (
        f"the file is over the upload limit of {limit / 1024 / 1024:g} MB"
        " (the server's AUTOML_MAX_UPLOAD_MB)"
    )
