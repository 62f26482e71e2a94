"""Shared fixtures: real datasets from ../shared/datasets (small slices), an isolated AUTOML_HOME."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pandas as pd
import pytest

DATASETS = Path(
    os.environ.get("AUTOML_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets")
)
POSTGRES_URL = os.environ.get(
    "AUTOML_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

SMALL_NETWORKS = {
    "models": {
        "mlp": {
            "hidden_layers": {"type": "int", "low": 1, "high": 2},
            "width": {"type": "int", "low": 64, "high": 256, "log": True},
            "dropout": {"type": "float", "low": 0.0, "high": 0.3},
            "learning_rate": {"type": "float", "low": 2e-3, "high": 1e-2, "log": True},
        }
    }
}
"""An MLP space of small networks for PBT tests: the bundled one can draw 4 x 1,000-wide
residual stacks, which took 10-22 s a round on two cores (these: 0.1 s, 0.65-0.77 accuracy on
1,500 rows of Letter after 2 rounds)."""


def dataset_path(name: str) -> Path:
    path = DATASETS / name
    if not path.exists():
        pytest.fail(f"dataset {path} is missing: set AUTOML_DATASETS to the shared datasets folder")
    return path


@pytest.fixture(autouse=True)
def automl_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("AUTOML_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    """2,000 rows of UCI Adult (binary, categoricals, '?' as missing)."""
    return pd.read_csv(dataset_path("adult.csv.gz"), nrows=2000)


@pytest.fixture(scope="session")
def housing() -> pd.DataFrame:
    """1,500 rows of California housing (regression, missing values, one categorical)."""
    return pd.read_csv(dataset_path("california_housing.csv.gz")).sample(1500, random_state=0)


@pytest.fixture(scope="session")
def letter() -> pd.DataFrame:
    """1,500 rows of Letter (26 classes)."""
    return pd.read_csv(dataset_path("letter.csv.gz"), nrows=1500)


@pytest.fixture
def study_name() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    import sqlalchemy

    engine = sqlalchemy.create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # the server must run on this machine and on CI
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}")
    finally:
        engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def adult_csv(tmp_path: Path) -> Path:
    """600 rows of UCI Adult as a CSV file (binary target `income`)."""
    frame = pd.read_csv(dataset_path("adult.csv.gz")).sample(600, random_state=0)
    path = tmp_path / "adult_small.csv"
    frame.to_csv(path, index=False)
    return path
