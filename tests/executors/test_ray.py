"""The Ray executor on a real two-node Ray cluster on this machine (`ray start --head` plus a
second `ray start --address` node): parallel trials, pruning through the storage, killed
workers, a killed and restarted driver."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

import automl
from automl.exceptions import ConfigError
from automl.jobs import JobSpec, JobStore
from automl.record import TrialRecord, lineage_of
from automl.storage import automl_home
from tests.conftest import SMALL_NETWORKS
from tests.executors.test_process import most_at_once
from tests.processes import free_port, wait_for

SPACE = {"x": {"type": "float", "low": 0, "high": 1}}
ROOT = Path(__file__).resolve().parents[2]


def _ray(*args: str, env: dict[str, str], check: bool = True) -> None:
    """Run the `ray` command of this virtualenv."""
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or "ray"
    subprocess.run([ray, *args], env=env, check=check, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A head node with 2 CPUs and a worker node with 1 CPU; yields the head's address.

    Ray 2.60 authenticates with a token: the cluster uses the one at ~/.ray/auth_token (made if
    missing), the same one a local `ray.init()` uses, because a process keeps the first token it
    saw."""
    auth = {"RAY_AUTH_MODE": "token"}
    saved = {name: os.environ.get(name) for name in auth}
    os.environ.update(auth)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    _ray("get-auth-token", "--generate", env=env)
    address = f"127.0.0.1:{free_port()}"
    try:
        _ray("start", "--head", f"--port={address.split(':')[1]}", "--num-cpus=2",
             "--include-dashboard=false", env=env)  # fmt: skip
        _ray("start", f"--address={address}", "--num-cpus=1", env=env)
        yield address
    finally:
        import ray

        ray.shutdown()  # the searches leave this process connected
        _ray("stop", "--force", env=env, check=False)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def node_logging(seen: Path) -> Any:
    """An objective with a 6-step curve that leaves a file named after the Ray node it ran on."""

    def objective(config: dict[str, Any], report: Any) -> float:
        import ray

        (seen / ray.get_runtime_context().get_node_id()).touch()
        for step in range(6):
            time.sleep(0.05)
            report(config["x"] * (step + 1) / 6, step)
        return config["x"]

    return objective


def test_trials_spread_over_both_nodes_and_prune_through_the_storage(
    cluster: str, tmp_path: Path
) -> None:
    seen = tmp_path / "nodes"
    seen.mkdir()
    result = automl.search(
        objective=node_logging(seen),
        space=SPACE,
        n_trials=24,
        strategy="asha",
        storage=f"sqlite:///{tmp_path / 'ray.db'}",
        seed=0,
        ray_address=cluster,
    )
    trials = result.study.trials
    states = [t.state for t in trials]
    assert len(trials) == 24 and TrialState.FAIL not in states
    assert states.count(TrialState.COMPLETE) >= 1  # how many depends on the order of reports
    assert states.count(TrialState.PRUNED) >= 3, "ASHA decided in the workers, via the storage"
    assert all(t.intermediate_values for t in trials if t.state == TrialState.PRUNED)
    assert most_at_once(trials) == 3, "slots = the cluster's 3 CPUs / 1 CPU per trial"
    assert len(list(seen.iterdir())) == 2, "both nodes ran trials"


def killed_once(folder: Path) -> Any:
    """An objective whose first attempt hangs (after leaving its pid) until the test kills it."""

    def objective(config: dict[str, Any], report: Any) -> float:
        if not (folder / "killed").exists():
            (folder / "pid").write_text(str(os.getpid()))
            time.sleep(60)
        return config["x"]

    return objective


def test_a_ray_worker_killed_mid_trial_is_retried(cluster: str, tmp_path: Path) -> None:
    def kill_the_worker() -> None:
        pid = int(wait_for(lambda: (tmp_path / "pid").exists() and (tmp_path / "pid").read_text(),
                           60, "the first attempt"))  # fmt: skip
        (tmp_path / "killed").touch()
        os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    result = automl.search(
        objective=killed_once(tmp_path),
        space=SPACE,
        n_trials=1,
        storage=":memory:",
        ray_address=cluster,
        trial_time_limit=50,
    )
    killer.join()
    [trial] = result.study.trials
    assert trial.state == TrialState.COMPLETE, trial.user_attrs
    assert (tmp_path / "killed").exists()


def always_dies(config: dict[str, Any], report: Any) -> float:
    if config["x"] < 0.5:
        os.kill(os.getpid(), signal.SIGKILL)
    return config["x"]


def test_a_trial_whose_worker_keeps_dying_fails_with_the_reason(cluster: str) -> None:
    result = automl.search(
        objective=always_dies,
        space=SPACE,
        n_trials=8,
        strategy="random",
        storage=":memory:",
        seed=0,
        ray_address=cluster,
    )
    board = result.leaderboard
    errors = board["error"].dropna()
    assert len(errors) >= 1 and errors.str.contains("Ray worker lost mid-trial").all()
    assert errors.str.contains("retried 1 time").all()
    assert (board["state"] == "complete").sum() >= 1


DRIVER = """
import time, automl
def slow(config, report):
    time.sleep(0.3)
    return config["x"]
automl.search(objective=slow, space={"x": {"type": "float", "low": 0, "high": 1}},
              n_trials=200, storage=STORAGE, study_name="restart", ray_address=ADDRESS)
"""


def test_a_killed_driver_resumes_from_the_storage(cluster: str, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'restart.db'}"
    script = f"STORAGE = {storage!r}\nADDRESS = {cluster!r}\n{DRIVER}"
    driver = subprocess.Popen(
        [sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path
    )

    def finished() -> list[optuna.trial.FrozenTrial]:
        try:
            study = optuna.load_study(study_name="restart", storage=storage)
        except KeyError:
            return []
        done = study.get_trials(states=(TrialState.COMPLETE,))
        return done if len(done) >= 6 else []

    try:
        wait_for(finished, 90, "six finished trials")
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(10)
    before = {t.number: t.value for t in finished()}
    result = automl.search(
        objective=lambda config, report: config["x"],
        space=SPACE,
        n_trials=len(before) + 5,
        storage=storage,
        study_name="restart",
        ray_address=cluster,
    )
    trials = {t.number: t for t in result.study.trials}
    assert {n: trials[n].value for n in before} == before, "no finished trial lost"
    stale = [t for t in trials.values() if t.state == TrialState.FAIL]
    assert all("interrupted" in (TrialRecord.of(t).error or "") for t in stale)
    assert len([t for t in trials.values() if t.state == TrialState.COMPLETE]) >= len(before) + 1


def test_requests_no_node_can_meet_are_refused(cluster: str) -> None:
    with pytest.raises(ConfigError, match="asks for 1 GPUs but the Ray cluster has 0"):
        automl.search(
            objective=always_dies,
            space=SPACE,
            n_trials=1,
            storage=":memory:",
            ray_address=cluster,
            trial_resources={"gpus": 1},
        )


def test_a_service_worker_runs_its_jobs_trials_on_ray(
    cluster: str, adult_csv: Path, tmp_path: Path
) -> None:
    """`automl worker --ray-address`: the job's trials run as Ray tasks that write to the
    job store's PostgreSQL database."""
    from tests.jobs.conftest import schema_url
    from tests.jobs.test_workers import finished_trials, start_worker, upload

    for url in schema_url():
        store = JobStore(url)
        owner, dataset = upload(store, adult_csv, tmp_path)
        job = store.submit(owner, dataset, JobSpec(target="income", n_trials=4, seed=0))
        worker = start_worker(url, "--burst", "--ray-address", cluster, "--parallel", "2")
        assert worker.wait(timeout=300) == 0
        done = store.get(job.id)
        assert done.state == "succeeded", done.error
        trials = finished_trials(url, done.study_name)
        assert [state for state, _ in trials.values()].count(TrialState.COMPLETE) >= 3
        log = (automl_home() / "jobs" / job.id / "search.log").read_text()
        assert f"trials run on Ray ({cluster}): 2 at once" in log
        store.close()


def sleepy(config: dict[str, Any], report: Any) -> float:
    time.sleep(30 if config["x"] < 0.25 else 0.1)
    return config["x"]


def test_time_limits_hold_on_ray(cluster: str) -> None:
    """A trial killed at its limit leaves the next one a fresh Ray worker to start (seconds on
    a busy 2-core machine), so the limit here leaves room for that."""
    start = time.monotonic()
    result = automl.search(
        objective=sleepy,
        space=SPACE,
        time_budget=12,
        trial_time_limit=5,
        strategy="random",
        storage=":memory:",
        seed=0,
        ray_address=cluster,
    )
    assert time.monotonic() - start < 12 * 1.05
    board = result.leaderboard
    timed_out = board[board["error"].fillna("").str.contains("time limit")]
    assert len(timed_out) >= 1 and (timed_out["seconds"] < 5.5).all()
    assert (board["state"] == "complete").sum() >= 3


def test_population_based_training_on_ray(cluster: str, letter: pd.DataFrame) -> None:
    """PBT's rounds run as Ray tasks; checkpoints travel with them between members."""
    result = automl.search(
        letter,
        target="Letter",
        strategy="pbt",
        n_trials=16,
        space=SMALL_NETWORKS,
        metric="accuracy",
        storage=":memory:",
        seed=0,
        ray_address=cluster,
    )
    lineage = [lineage_of(t) for t in result.study.trials]
    assert [entry["generation"] for entry in lineage].count(1) == 8
    assert sum(1 for entry in lineage if entry["copied_from"]) == 2
    assert result.best_score > 0.5
