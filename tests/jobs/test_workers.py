"""Workers as real processes against the real PostgreSQL server: many workers share a queue
without running a job twice; a worker killed with SIGKILL loses no finished trial; a running
job stops within seconds of being cancelled."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from automl.jobs import JobSpec, JobStore, ingest_dataset
from automl.storage import open_storage
from tests.processes import automl_command, wait_for

pytestmark = pytest.mark.slow


def upload(store: JobStore, csv: Path, tmp_path: Path) -> tuple[int, str]:
    owner = store.user_for_token(store.create_token("alice"))
    assert owner is not None
    copy = tmp_path / "upload.bin"
    shutil.copy(csv, copy)
    return owner.id, ingest_dataset(store, owner.id, copy, csv.name).id


def start_worker(url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AUTOML_DATABASE_URL": url}
    return subprocess.Popen(automl_command("worker", *args), env=env, stderr=subprocess.DEVNULL)


def finished_trials(url: str, study_name: str) -> dict[int, tuple[TrialState, float | None]]:
    study = optuna.load_study(study_name=study_name, storage=open_storage(url))
    return {
        t.number: (t.state, t.value if t.state == TrialState.COMPLETE else None)
        for t in study.get_trials(deepcopy=False)
        if t.state.is_finished()
    }


def test_four_workers_run_eight_jobs_exactly_once(
    pg_url: str, adult_csv: Path, tmp_path: Path
) -> None:
    store = JobStore(pg_url)
    owner, dataset = upload(store, adult_csv, tmp_path)
    spec = JobSpec(target="income", n_trials=1, space={"models": ["linear"]})
    jobs = [store.submit(owner, dataset, spec).id for _ in range(8)]
    workers = [start_worker(pg_url, "--burst", "--lease", "10") for _ in range(4)]
    for worker in workers:
        assert worker.wait(timeout=400) == 0
    runners = set()
    for job_id in jobs:
        job = store.get(job_id)
        assert job.state == "succeeded", job.error
        claims = [e for e in store.events(job_id) if e.kind == "claimed"]
        assert len(claims) == 1
        runners.add(claims[0].worker_id)
        trials = finished_trials(pg_url, job.study_name)
        assert [state for state, _ in trials.values()] == [TrialState.COMPLETE]
        assert Path(job.model_path or "").exists()
    assert len(runners) == 4  # every worker took part


def test_a_worker_killed_mid_job_loses_nothing_finished(
    pg_url: str, adult_csv: Path, tmp_path: Path
) -> None:
    store = JobStore(pg_url)
    owner, dataset = upload(store, adult_csv, tmp_path)
    spec = JobSpec(target="income", time_budget=12, space={"models": ["linear", "knn"]})
    job = store.submit(owner, dataset, spec)
    first = start_worker(pg_url, "--lease", "4")
    wait_for(lambda: store.get(job.id).progress.get("complete", 0) >= 3, 90, "3 finished trials")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    time.sleep(1.5)  # the job's process notices its worker is gone and exits
    before = finished_trials(pg_url, job.study_name)
    time.sleep(2.0)
    assert finished_trials(pg_url, job.study_name) == before  # nothing runs the job now

    second = start_worker(pg_url, "--lease", "4", "--burst")
    assert second.wait(timeout=120) == 0
    finished = store.get(job.id)
    assert finished.state == "succeeded", finished.error
    after = finished_trials(pg_url, job.study_name)
    for number, outcome in before.items():
        assert after[number] == outcome  # every trial finished before the kill is kept
    assert len(after) > len(before)  # and the search went on
    claims = [e for e in store.events(job.id) if e.kind == "claimed"]
    assert len(claims) == 2 and "taken over" in (claims[1].detail or "")
    study = optuna.load_study(study_name=job.study_name, storage=open_storage(pg_url))
    assert not study.get_trials(states=(TrialState.RUNNING,))


def test_cancelling_a_running_job_stops_it_within_seconds(
    automl_home: Path, adult_csv: Path, tmp_path: Path
) -> None:
    store = JobStore()
    owner, dataset = upload(store, adult_csv, tmp_path)
    job = store.submit(owner, dataset, JobSpec(target="income", time_budget=120))
    worker = start_worker(store.url, "--lease", "6")
    try:
        wait_for(lambda: store.get(job.id).progress.get("trials", 0) >= 1, 90, "a trial")
        store.request_cancel(job.id)
        asked = time.monotonic()
        wait_for(lambda: store.get(job.id).state == "cancelled", 10, "the job to stop")
        assert time.monotonic() - asked < 5
        study = optuna.load_study(study_name=job.study_name, storage=open_storage(store.url))
        assert not study.get_trials(states=(TrialState.RUNNING,))
    finally:
        worker.terminate()
        worker.wait(timeout=20)
