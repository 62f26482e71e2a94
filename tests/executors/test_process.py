"""The process executor: parallel worker processes, hard memory limits, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import automl
from automl.exceptions import ConfigError
from automl.executors import ExecutorSettings, ProcessExecutor, Resources
from tests.processes import wait_for

SPACE = {"x": {"type": "float", "low": 0, "high": 1}}


def nap(config: dict[str, Any], report: Any) -> float:
    time.sleep(0.4)
    return config["x"]


def most_at_once(trials: list[Any]) -> int:
    """The largest number of trials that were running at the same moment."""
    events = sorted(
        [(t.datetime_start, 1) for t in trials] + [(t.datetime_complete, -1) for t in trials]
    )
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def test_two_slots_run_two_trials_at_once() -> None:
    result = automl.search(
        objective=nap, space=SPACE, n_trials=8, storage=":memory:", executor="process", n_parallel=2
    )
    assert (result.leaderboard["state"] == "complete").sum() == 8
    assert most_at_once(result.study.trials) == 2


def leaks(config: dict[str, Any], report: Any) -> float:
    if config["x"] < 0.3:
        hoard = [bytearray(50 * 2**20) for _ in range(100)]  # 5 GB, far past the limit
        return float(len(hoard))
    return config["x"]


def test_a_trial_over_its_memory_limit_fails_and_the_search_goes_on() -> None:
    result = automl.search(
        objective=leaks,
        space=SPACE,
        n_trials=10,
        storage=":memory:",
        seed=1,
        executor="process",
        trial_resources={"memory_mb": 1024},
    )
    board = result.leaderboard
    errors = board["error"].dropna()
    assert errors.str.contains("memory limit of 1024 MB").any()
    assert (board["state"] == "complete").sum() >= 3
    assert result.best_score >= 0.3


def test_executor_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="n_parallel"):
        ExecutorSettings.build("process", n_parallel=0)
    with pytest.raises(ConfigError, match="at most 256"):
        ExecutorSettings.build("process", n_parallel=100_000)
    with pytest.raises(ConfigError, match="unknown trial resource"):
        ExecutorSettings.build("process", resources={"ram": 3})
    with pytest.raises(ConfigError, match="memory_mb"):
        ExecutorSettings.build("process", resources={"memory_mb": -1})
    with pytest.raises(ConfigError, match="needs executor='ray'"):
        ExecutorSettings.build("process", ray_address="127.0.0.1:6379")
    with pytest.raises(ConfigError, match="needs trials in worker processes"):
        ExecutorSettings.build("inprocess", resources={"gpus": 1})
    assert ExecutorSettings.build(ray_address="auto").name == "ray"


def threads_seen(config: dict[str, Any], report: Any) -> float:
    from threadpoolctl import threadpool_info

    return float(max(pool["num_threads"] for pool in threadpool_info()))


def gpus_seen(config: dict[str, Any], report: Any) -> str:
    return os.environ.get("CUDA_VISIBLE_DEVICES", "")


def test_each_local_slot_gets_its_own_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    # the GPUs a machine shows (CUDA_VISIBLE_DEVICES here), split between the worker processes
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3,5,7")
    executor = ProcessExecutor(gpus_seen, 2, Resources(gpus=2))
    try:
        assert sorted(w.run({}, 10, lambda r: False).value for w in executor.workers) == [
            "2,3",
            "5,7",
        ]
    finally:
        executor.close()
    assert Resources(gpus=1).default_slots(1.0) <= 4
    with pytest.raises(ConfigError, match="need 6 GPUs; this machine shows 4"):
        Resources(gpus=2).gpu_sets(3)
    with pytest.raises(ConfigError, match="whole GPUs"):
        Resources(gpus=0.5).gpu_sets(1)


def test_parallel_trials_share_the_cpus() -> None:
    executor = ProcessExecutor(threads_seen, slots=2, resources=Resources(cpus=1))
    try:
        outcome = executor.run({}, 30, lambda report: False)
    finally:
        executor.close()
    assert outcome.status == "ok" and outcome.value == 1.0


def test_trial_workers_exit_with_their_search(tmp_path: Path) -> None:
    """Killing the search process (kill -9) ends the trial it was running, too."""
    pid_file = tmp_path / "worker.pid"
    script = (
        "import os, time, automl\n"
        f"PID = {str(pid_file)!r}\n"
        "def hang(config, report):\n"
        "    open(PID, 'w').write(str(os.getpid()))\n"
        "    time.sleep(600)\n"
        "automl.search(objective=hang, space={'x': {'type': 'float', 'low': 0, 'high': 1}},\n"
        "              n_trials=1, storage=':memory:', executor='process')\n"
    )
    driver = subprocess.Popen(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        worker_pid = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), 60, "trial"))
        driver.send_signal(signal.SIGKILL)
        driver.wait(10)
        wait_for(lambda: not _alive(worker_pid), 10, "the orphaned trial worker to exit")
    finally:
        driver.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def test_a_closed_executor_fails_new_trials_instead_of_raising() -> None:
    # Ctrl-C closes the executor while another slot may be starting its trial: that trial
    # fails (and is recorded as interrupted), nothing raises and no worker is started again.
    executor = ProcessExecutor(nap)
    assert executor.run({"x": 1.0}, 10.0, lambda report: False).status == "ok"
    executor.close()
    outcome = executor.run({"x": 1.0}, 10.0, lambda report: False)
    assert outcome.status == "failed" and "closed" in (outcome.error or "")
    assert all(worker.pid is None for worker in executor.workers)


class SlowToLoad:
    """Work whose one-off warm-up (a library import, say) takes longer than a trial may."""

    def warm_up(self) -> None:
        time.sleep(1.5)

    def __call__(self, config: dict[str, Any], report: Any) -> float:
        return config["x"]


def test_a_worker_warms_up_before_the_trial_clock_starts() -> None:
    result = automl.search(
        objective=SlowToLoad(),
        space=SPACE,
        n_trials=2,
        storage=":memory:",
        executor="process",
        trial_time_limit=1,
    )
    assert (result.leaderboard["state"] == "complete").sum() == 2
