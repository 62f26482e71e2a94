"""Job store fixtures: a fresh store on SQLite (in the test's AUTOML_HOME) and on the real
PostgreSQL server of this machine (a schema of its own per test, dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from automl.jobs import JobStore
from tests.conftest import POSTGRES_URL as POSTGRES


def schema_url() -> Iterator[str]:
    """A URL whose connections use a new PostgreSQL schema (Optuna's tables included)."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.db'}"
    else:
        yield from schema_url()


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    yield from schema_url()


@pytest.fixture
def store(store_url: str) -> Iterator[JobStore]:
    job_store = JobStore(store_url)
    yield job_store
    job_store.close()
