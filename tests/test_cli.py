"""The `automl` command as a user runs it: a real process, exit codes, JSON, predictions."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import SMALL_NETWORKS
from tests.processes import wait_for


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOML_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "automl.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture
def adult_csv(adult: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "adult.csv"
    adult.head(1200).to_csv(path, index=False)
    return path


def test_search_json_then_predict(adult_csv: Path, tmp_path: Path, automl_home: Path) -> None:
    model = tmp_path / "model.automl"
    done = run_cli(
        "search",
        str(adult_csv),
        "--target",
        "income",
        "--trials",
        "3",
        "--json",
        "--out",
        str(model),
        "--seed",
        "0",
        "--parallel",
        "2",
        home=automl_home,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["metric"] == "roc_auc" and summary["n_trials"] == 3
    assert 0.7 < summary["best_score"] <= 1 and summary["best_config"]["model"]
    assert (automl_home / "automl.db").exists()  # the default SQLite storage
    predictions = tmp_path / "predictions.csv"
    done = run_cli(
        "predict", str(model), str(adult_csv), "--out", str(predictions), home=automl_home
    )
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(predictions)
    assert list(table.columns) == ["predicted_income", "proba_<=50K", "proba_>50K"]
    assert len(table) == 1200


def test_human_output_has_leaderboard_and_progress(adult_csv: Path, automl_home: Path) -> None:
    # 10 s: start-up (imports, worker processes) took 4.8 s of a 6 s search on a 2-core machine
    done = run_cli("search", str(adult_csv), "--target", "income", "--time", "10", home=automl_home)
    assert done.returncode == 0, done.stderr
    assert "leaderboard" in done.stdout and "best trial roc_auc" in done.stdout
    assert "why it stopped" in done.stdout
    assert "trials" in done.stderr  # the progress line
    assert "model saved to" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "incme", "--trials", "1"], "did you mean 'income'"),
        (
            ["--target", "income", "--strategy", "bayes", "--trials", "1"],
            "unknown strategy 'bayes'",
        ),
        (["--target", "income", "--time", "-1"], "--time must be a positive"),
        (["--target", "income", "--task", "regression", "--trials", "1"], "use --task binary"),
        (["--target", "income", "--executor", "gpu"], "unknown executor 'gpu'"),
        (
            ["--target", "income", "--executor", "process", "--ray-address", "auto"],
            "--ray-address needs --executor ray",
        ),
    ],
)
def test_user_mistakes_exit_2_with_one_line(
    adult_csv: Path, automl_home: Path, args: list[str], message: str
) -> None:
    done = run_cli("search", str(adult_csv), *args, home=automl_home)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr  # one line, even when piped
    assert "Traceback" not in done.stderr
    assert "searching" not in done.stderr  # no progress bar for a search that never started


def test_version_and_help_name_the_defaults_and_choices(automl_home: Path) -> None:
    from automl import __version__

    assert run_cli("--version", home=automl_home).stdout.strip() == f"automl {__version__}"
    help_text = " ".join(run_cli("search", "--help", home=automl_home).stdout.split())
    for shown in ("pbt", "nsga2", "unless --trials is given", "rmse (default)", "f1_macro"):
        assert shown in help_text.replace("│ ", "").replace(" │", ""), shown


def test_missing_files_exit_2(tmp_path: Path, automl_home: Path) -> None:
    done = run_cli("search", str(tmp_path / "none.csv"), "--target", "y", home=automl_home)
    assert done.returncode == 2 and "not found" in done.stderr and "Traceback" not in done.stderr
    done = run_cli(
        "predict", str(tmp_path / "none.automl"), str(tmp_path / "x.csv"), home=automl_home
    )
    assert done.returncode == 2 and "model file not found" in done.stderr


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--parallel", "2"],
        ["--strategy", "pbt", "--parallel", "2", "--space", json.dumps(SMALL_NETWORKS)],
    ],
    ids=["one slot", "two slots", "pbt"],
)
def test_ctrl_c_keeps_finished_trials_and_saves_a_model(
    adult_csv: Path, automl_home: Path, options: list[str]
) -> None:
    import signal

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "automl.cli",
            "search",
            str(adult_csv),
            "--target",
            "income",
            "--time",
            "60",
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "AUTOML_HOME": str(automl_home)},
        # As in a terminal: Ctrl-C's default action. A test run started in the background by
        # a non-interactive shell inherits SIGINT ignored, and Python then never raises
        # KeyboardInterrupt, so the search would not notice the signal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wait_for(lambda: completed_trial_count(automl_home / "automl.db"), 60, "a finished trial")
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "search interrupted" in err and "Traceback" not in err
    assert "model saved to" in out


def completed_trial_count(database: Path) -> int:
    """How many trials of the default SQLite storage have finished (0 before it exists)."""
    try:
        with closing(
            sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1)
        ) as connection:
            query = "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'"
            return int(connection.execute(query).fetchone()[0])
    except sqlite3.Error:  # not created yet, or its tables not yet
        return 0


def test_cross_share_on_the_command_line(adult_csv: Path, automl_home: Path) -> None:
    args = ["search", str(adult_csv), "--target", "income", "--trials", "2", "--seed", "0"]
    done = run_cli(*args, "--cross-share", "0.15", home=automl_home)
    assert done.returncode == 0, done.stderr
    assert "note: cross search:" in done.stderr and "candidates scored" in done.stderr
    done = run_cli(*args, "--cross-share", "0.9", home=automl_home)
    assert done.returncode == 2 and "Traceback" not in done.stderr
