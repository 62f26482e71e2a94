"""A live service for browser and end-to-end tests: `automl serve` and `automl worker` as real
processes on the test's AUTOML_HOME."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from automl.jobs import JobStore
from tests.processes import automl_command, free_port, wait_for


@dataclass
class LiveService:
    url: str
    token: str
    store: JobStore


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def live_service(automl_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveService]:
    monkeypatch.delenv("AUTOML_DATABASE_URL", raising=False)
    store = JobStore()
    token = store.create_token("alice")
    port = free_port()
    logs = automl_home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    commands = {
        "serve": automl_command("serve", "--port", str(port)),
        "worker": automl_command("worker", "--lease", "10"),
    }
    processes = [
        subprocess.Popen(
            command,
            env=os.environ.copy(),
            stdout=(logs / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for name, command in commands.items()
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(url), 60, "the server to start")
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
