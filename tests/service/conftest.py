"""Fixtures of the service tests: a data directory, a job store, a small real dataset, and a
live server with a worker in real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest

from automl.jobs import JobStore
from tests.conftest import dataset_path

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh AUTOML_HOME (SQLite job store inside) for this test and its subprocesses."""
    monkeypatch.setenv("AUTOML_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AUTOML_DATABASE_URL", raising=False)
    return tmp_path / "home"


@pytest.fixture
def adult_csv(tmp_path: Path) -> Path:
    """600 rows of the adult census data (binary target `income`)."""
    frame = pd.read_csv(dataset_path("adult.csv.gz")).sample(600, random_state=0)
    path = tmp_path / "adult_small.csv"
    frame.to_csv(path, index=False)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def automl_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "automl.cli", *args]


@dataclass
class LiveService:
    url: str
    token: str
    store: JobStore

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )


@pytest.fixture
def live_service(home: Path) -> Iterator[LiveService]:
    """`automl serve` and `automl worker` as real processes on the test's AUTOML_HOME."""
    store = JobStore()
    token = store.create_token("alice")
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    processes = [
        subprocess.Popen(
            automl_command("serve", "--port", str(port)),
            env=env,
            stdout=(logs / "serve.log").open("w"),
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            automl_command("worker", "--lease", "10"),
            env=env,
            stdout=(logs / "worker.log").open("w"),
            stderr=subprocess.STDOUT,
        ),
    ]
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        pytest.fail("the server did not start: " + (logs / "serve.log").read_text()[-2000:])
    try:
        yield LiveService(url, token, store)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        store.close()


def wait_for(predicate, timeout: float, message: str, interval: float = 0.3):  # type: ignore[no-untyped-def]
    """Poll `predicate` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {message}")
