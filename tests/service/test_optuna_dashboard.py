"""One database holds jobs and Optuna's studies: optuna-dashboard, started on the same SQLite
file, lists the study of a job the service ran."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from automl.jobs import JobSpec, JobStore, ingest_dataset
from automl.workers import Worker
from tests.processes import free_port, wait_for


def _studies(url: str) -> list[str] | None:
    try:
        response = httpx.get(f"{url}/api/studies", timeout=2)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    return [s["study_name"] for s in response.json()["study_summaries"]]


@pytest.mark.slow
def test_optuna_dashboard_lists_the_study_of_a_job(
    automl_home: Path, adult_csv: Path, tmp_path: Path
) -> None:
    store = JobStore()
    owner = store.user_for_token(store.create_token("alice"))
    assert owner is not None
    shutil.copy(adult_csv, tmp_path / "upload.bin")
    dataset = ingest_dataset(store, owner.id, tmp_path / "upload.bin", "adult.csv")
    job = store.submit(owner.id, dataset.id, JobSpec(target="income", n_trials=2))
    Worker(burst=True).run()
    assert store.get(job.id).state == "succeeded", store.get(job.id).error

    port = free_port()
    dashboard = subprocess.Popen(
        [str(Path(sys.executable).parent / "optuna-dashboard"), store.url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        names = wait_for(lambda: _studies(f"http://127.0.0.1:{port}"), 60, "optuna-dashboard")
        assert job.study_name in names
    finally:
        dashboard.terminate()
        dashboard.wait(timeout=10)
