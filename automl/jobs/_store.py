"""JobStore: users, datasets and jobs on SQLAlchemy, and the queue that workers claim jobs from.

Claiming is a compare-and-set: a worker picks the oldest claimable job (`FOR UPDATE SKIP LOCKED`
on PostgreSQL, so concurrent workers pick different rows) and takes it with an UPDATE that
only matches the state and attempt count it read. On SQLite, where writes are serialised, the
same UPDATE makes a double claim impossible. A claimed job holds a lease that heartbeats renew;
a job whose lease ran out (its worker died) is claimable again.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import optuna
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session, sessionmaker

from automl.exceptions import AutoMLError, ConfigError
from automl.jobs._schema import Job, JobEvent, StoredDataset, Token, User
from automl.jobs._spec import JobSpec
from automl.storage import engine_options, open_storage, resolve_url, use_write_ahead_log

MAX_ATTEMPTS = 3
"""A job whose worker died this many times is failed rather than handed to another worker."""
MIGRATIONS = Path(__file__).parent / "migrations"


class JobNotFound(AutoMLError):
    """No such job, dataset or user (or it belongs to someone else)."""


class JobConflict(AutoMLError):
    """The job is in a state that does not allow this (e.g. cancelling a finished job)."""


@dataclass(frozen=True)
class Heartbeat:
    """A worker's answer from the store: stop if the job was cancelled or the lease was lost."""

    cancel_requested: bool
    lease_lost: bool


class JobStore:
    """The job store at `url` (None: the SQLite file in $AUTOML_HOME), migrated on open unless
    `migrate` is False (a job process, whose worker has migrated already)."""

    def __init__(self, url: str | None = None, migrate: bool = True) -> None:
        self.url = resolve_url(url)
        self.engine = sa.create_engine(self.url, **engine_options(self.url))
        if self.url.startswith("sqlite:"):
            use_write_ahead_log(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.migrate()

    def migrate(self) -> None:
        """Bring the tables to the newest schema (alembic, version table automl_alembic_version)
        one process at a time, so workers starting together do not race; then let Optuna create
        its own tables (a worker that loses that race retries)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            if self.url.startswith("sqlite:"):
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            elif self.engine.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(7262741)"))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        for attempt in range(5):  # Optuna creates its tables on first open; a race retries
            try:
                storage = open_storage(self.url)
                if isinstance(storage, optuna.storages.RDBStorage):
                    storage.engine.dispose()
                return
            except ConfigError:
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    # users and tokens

    def create_token(self, user_name: str) -> str:
        """A new API token for `user_name` (the user is created on first use)."""
        token = secrets.token_urlsafe(32)
        with self.session() as s:
            user = s.scalar(sa.select(User).where(User.name == user_name))
            if user is None:
                user = User(name=user_name, created_at=time.time())
                s.add(user)
                s.flush()
            s.add(Token(user_id=user.id, token_hash=_digest(token), created_at=time.time()))
        return token

    def user_for_token(self, token: str) -> User | None:
        with self.session() as s:
            return s.scalar(sa.select(User).join(Token).where(Token.token_hash == _digest(token)))

    # datasets

    def add_dataset(self, owner_id: int, dataset: StoredDataset) -> StoredDataset:
        dataset.owner_id = owner_id
        with self.session() as s:
            s.add(dataset)
        return dataset

    def get_dataset(self, dataset_id: str, owner_id: int | None = None) -> StoredDataset:
        with self.session() as s:
            found = s.get(StoredDataset, dataset_id)
        if found is None or (owner_id is not None and found.owner_id != owner_id):
            raise JobNotFound(f"no dataset with id '{dataset_id}'; upload one first")
        return found

    def list_datasets(self, owner_id: int) -> list[StoredDataset]:
        with self.session() as s:
            query = sa.select(StoredDataset).where(StoredDataset.owner_id == owner_id)
            return list(s.scalars(query.order_by(StoredDataset.created_at.desc())))

    # jobs, as users see them

    def submit(self, owner_id: int, dataset_id: str, spec: JobSpec) -> Job:
        now = time.time()
        job_id = uuid.uuid4().hex
        job = Job(
            id=job_id,
            owner_id=owner_id,
            dataset_id=dataset_id,
            spec=spec.job_fields(),
            state="queued",
            study_name=f"job-{job_id}",
            created_at=now,
            updated_at=now,
            cancel_requested=False,
            attempts=0,
            elapsed_seconds=0.0,
            progress={},
        )
        with self.session() as s:
            s.add(job)
            s.add(JobEvent(job_id=job_id, at=now, kind="submitted"))
        return job

    def get(self, job_id: str, owner_id: int | None = None) -> Job:
        with self.session() as s:
            job = s.get(Job, job_id)
        if job is None or (owner_id is not None and job.owner_id != owner_id):
            raise JobNotFound(f"no job with id '{job_id}'")
        return job

    def list_jobs(
        self, owner_id: int | None, state: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[Job], int]:
        """(a page of jobs, newest first; the total count) for `owner_id` (None: everyone's)."""
        where = []
        if owner_id is not None:
            where.append(Job.owner_id == owner_id)
        if state is not None:
            where.append(Job.state == state)
        with self.session() as s:
            total = s.scalar(sa.select(sa.func.count()).select_from(Job).where(*where)) or 0
            page = s.scalars(
                sa.select(Job)
                .where(*where)
                .order_by(Job.created_at.desc(), Job.id)
                .limit(limit)
                .offset(offset)
            )
            return list(page), total

    def study_names(self, owner_id: int) -> list[str]:
        """The studies of the user's jobs (what a job of theirs may warm-start from)."""
        with self.session() as s:
            return list(s.scalars(sa.select(Job.study_name).where(Job.owner_id == owner_id)))

    def request_cancel(self, job_id: str, owner_id: int | None = None) -> Job:
        """A queued job is cancelled at once; a running one when its worker next beats."""
        job = self.get(job_id, owner_id)
        now = time.time()
        with self.session() as s:
            if job.state == "queued":
                changed = self._update(s, job, "queued", state="cancelled", finished_at=now)
            elif job.state == "running":
                changed = self._update(s, job, "running", cancel_requested=True)
            else:
                changed = False
            if not changed:
                raise JobConflict(f"job '{job_id}' is {self.get(job_id).state}; nothing to cancel")
            s.add(JobEvent(job_id=job_id, at=now, kind="cancel_requested"))
        return self.get(job_id)

    def resume(self, job_id: str, owner_id: int | None = None) -> Job:
        """Queue a cancelled or failed job again; its study goes on from the trials it has."""
        job = self.get(job_id, owner_id)
        with self.session() as s:
            if job.state not in ("cancelled", "failed") or not self._update(
                s,
                job,
                job.state,
                state="queued",
                attempts=0,
                elapsed_seconds=0.0,
                cancel_requested=False,
                error=None,
                finished_at=None,
                worker_id=None,
                lease_expires_at=None,
            ):
                raise JobConflict(
                    f"job '{job_id}' is {job.state}; only a cancelled or failed job can resume"
                )
            s.add(JobEvent(job_id=job_id, at=time.time(), kind="resumed"))
        return self.get(job_id)

    def delete(self, job_id: str, owner_id: int | None = None) -> Job:
        """Remove the job and its events; the caller removes its files and study."""
        job = self.get(job_id, owner_id)
        if job.state == "running":
            raise JobConflict(f"job '{job_id}' is running; cancel it first")
        with self.session() as s:
            s.execute(sa.delete(JobEvent).where(JobEvent.job_id == job_id))
            s.execute(sa.delete(Job).where(Job.id == job_id, Job.state != "running"))
        return job

    def events(self, job_id: str) -> list[JobEvent]:
        with self.session() as s:
            query = sa.select(JobEvent).where(JobEvent.job_id == job_id)
            return list(s.scalars(query.order_by(JobEvent.id)))

    # the queue, as workers see it

    def claim(self, worker_id: str, lease_seconds: float) -> Job | None:
        """Take the oldest queued job, or one whose worker's lease ran out; None if none."""
        for _ in range(10):  # another worker may win the race for a row: pick again
            now = time.time()
            with self.session() as s:
                claimable = sa.or_(
                    Job.state == "queued",
                    sa.and_(Job.state == "running", Job.lease_expires_at < now),
                )
                row = s.execute(
                    sa.select(Job.id, Job.state, Job.attempts, Job.worker_id)
                    .where(claimable)
                    .order_by(Job.created_at)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
                if row is None:
                    return None
                taken = self._claim_row(s, row, worker_id, now + lease_seconds)
            if taken:
                return self.get(row.id)
        return None

    def _claim_row(self, s: Session, row: Any, worker_id: str, lease_until: float) -> bool:
        now = time.time()
        same = (Job.id == row.id, Job.state == row.state, Job.attempts == row.attempts)
        if row.state == "running" and row.attempts >= MAX_ATTEMPTS:
            error = f"its worker stopped {row.attempts} times (killed or out of memory)"
            s.execute(
                sa.update(Job)
                .where(*same)
                .values(state="failed", error=error, finished_at=now, updated_at=now)
            )
            s.add(JobEvent(job_id=row.id, at=now, kind="failed", detail=error))
            return False
        taken = s.execute(
            sa.update(Job)
            .where(*same)
            .values(
                state="running",
                worker_id=worker_id,
                lease_expires_at=lease_until,
                attempts=row.attempts + 1,
                started_at=sa.func.coalesce(Job.started_at, now),
                updated_at=now,
            )
        )
        if _rowcount(taken) != 1:
            return False
        detail = f"taken over from {row.worker_id}, whose lease ran out" if row.worker_id else None
        s.add(JobEvent(job_id=row.id, at=now, kind="claimed", worker_id=worker_id, detail=detail))
        return True

    def heartbeat(
        self, job_id: str, worker_id: str, lease_seconds: float, elapsed_seconds: float
    ) -> Heartbeat:
        """Renew the lease and record the time spent; tells the worker whether to stop."""
        now = time.time()
        with self.session() as s:
            renewed = s.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == "running")
                .values(
                    lease_expires_at=now + lease_seconds,
                    elapsed_seconds=elapsed_seconds,
                    updated_at=now,
                )
            )
            if _rowcount(renewed) != 1:
                return Heartbeat(cancel_requested=False, lease_lost=True)
            cancel = s.scalar(sa.select(Job.cancel_requested).where(Job.id == job_id))
        return Heartbeat(cancel_requested=bool(cancel), lease_lost=False)

    def record_trial(
        self, job_id: str, worker_id: str, progress: dict[str, Any], detail: str
    ) -> None:
        """Store the job's progress after a trial and a `trial_finished` event."""
        now = time.time()
        with self.session() as s:
            s.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.worker_id == worker_id)
                .values(progress=progress, updated_at=now)
            )
            s.add(
                JobEvent(
                    job_id=job_id, at=now, kind="trial_finished", worker_id=worker_id, detail=detail
                )
            )

    def finish(
        self,
        job_id: str,
        worker_id: str,
        state: str,
        error: str | None = None,
        model_path: str | None = None,
        model: dict[str, Any] | None = None,
    ) -> bool:
        """Move a running job this worker holds to a final state; False if it no longer holds it.
        `model` (members and validation score) is kept with the job's progress."""
        now = time.time()
        values: dict[str, Any] = {"state": state, "finished_at": now, "updated_at": now}
        values.update(error=error, lease_expires_at=None)
        if model_path is not None:
            values["model_path"] = model_path
        with self.session() as s:
            if model is not None:
                progress = s.scalar(sa.select(Job.progress).where(Job.id == job_id)) or {}
                values["progress"] = {**progress, "model": model}
            done = s.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == "running")
                .values(**values)
            )
            if _rowcount(done) != 1:
                return False
            s.add(JobEvent(job_id=job_id, at=now, kind=state, worker_id=worker_id, detail=error))
        return True

    def release(self, job_id: str, worker_id: str, elapsed_seconds: float) -> bool:
        """Hand a running job back to the queue (its worker is shutting down)."""
        now = time.time()
        with self.session() as s:
            done = s.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == "running")
                .values(
                    state="queued",
                    worker_id=None,
                    lease_expires_at=None,
                    elapsed_seconds=elapsed_seconds,
                    updated_at=now,
                )
            )
            if _rowcount(done) != 1:
                return False
            s.add(JobEvent(job_id=job_id, at=now, kind="released", worker_id=worker_id))
        return True

    def _update(self, s: Session, job: Job, expected: str, **values: Any) -> bool:
        """UPDATE the job only if it is still in the `expected` state; True if it was."""
        changed = s.execute(
            sa.update(Job)
            .where(Job.id == job.id, Job.state == expected)
            .values(updated_at=time.time(), **values)
        )
        return _rowcount(changed) == 1


def _rowcount(result: sa.Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed."""
    return cast(sa.CursorResult[Any], result).rowcount


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
