"""The service's commands as a user runs them against a live server and worker: submit and
wait (progress as plain lines when piped, then where the model is), download the model, and
one-line errors in the CLI's words."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

import automl
from tests.processes import automl_command
from tests.service.conftest import LiveService


def cli(service: LiveService, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOML_SERVER": service.url, "AUTOML_TOKEN": service.token}
    return subprocess.run(
        automl_command(*args), capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.slow
def test_submit_wait_then_download_the_model(
    live_service: LiveService, adult_csv: Path, tmp_path: Path
) -> None:
    done = cli(
        live_service, "submit", str(adult_csv), "--target", "income", "--trials", "4", "--wait"
    )
    assert done.returncode == 0, done.stderr
    job_id = done.stdout.strip()
    lines = done.stderr.splitlines()
    assert "\r" not in done.stderr  # piped: plain lines, no redrawn bar
    assert any(line.startswith("running ") and "trials" in line for line in lines)
    assert lines[-1].endswith(f"automl job {job_id} --model FILE")

    model = tmp_path / "income.automl"
    fetched = cli(live_service, "job", job_id, "--model", str(model))
    assert fetched.returncode == 0, fetched.stderr
    assert f"model saved to {model}" in fetched.stderr
    assert automl.load(model).target == "income"

    shown = cli(live_service, "job", job_id)
    assert "succeeded" in shown.stdout and "model yes" in shown.stdout

    refused = cli(live_service, "submit", str(adult_csv), "--target", "income", "--time", "-1")
    assert (
        refused.returncode == 2
        and "--time" in refused.stderr
        and "time_budget" not in refused.stderr
    )
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    missing = cli(live_service, "job", "0123abcd", "--model", str(tmp_path / "x.automl"))
    assert missing.returncode == 2 and "no job with id" in missing.stderr
    assert not (tmp_path / "x.automl").exists()


@pytest.mark.slow
def test_submit_wait_redraws_a_bar_in_a_terminal(
    live_service: LiveService, adult_csv: Path
) -> None:
    env = {**os.environ, "AUTOML_SERVER": live_service.url, "AUTOML_TOKEN": live_service.token}
    env.pop("COLUMNS", None)
    command = automl_command("submit", str(adult_csv), "--target", "income", "--trials", "3")
    main, terminal = pty.openpty()  # stderr is a terminal: the bar is redrawn in place
    process = subprocess.Popen(
        [*command, "--wait"], stdout=subprocess.PIPE, stderr=terminal, env=env, text=True
    )
    os.close(terminal)
    shown = _read_all(main)
    assert process.wait(timeout=300) == 0, shown
    assert "\x1b[2K" in shown  # the bar is erased and redrawn in place, not printed per poll
    assert "--model FILE" in " ".join(shown.split())


def _read_all(fd: int) -> str:
    """Everything written to a pseudo-terminal until the process closes it."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode(errors="replace")
