"""Loading data: formats, missing markers, never mutating the caller's frame, clear DataErrors."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl.data import Dataset, Task, choose_evaluation, read_table
from automl.exceptions import DataError
from tests.conftest import dataset_path


def test_reads_gzip_csv_and_treats_question_mark_as_missing() -> None:
    frame = read_table(dataset_path("adult.csv.gz"))
    assert frame.shape == (48841, 15)
    assert frame["workclass"].isna().sum() > 1000  # '?' in the original file
    assert "?" not in set(frame["workclass"].dropna())


def test_gzip_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    unnamed = tmp_path / "upload-3f2a"  # as the service stores an upload
    unnamed.write_bytes(dataset_path("adult.csv.gz").read_bytes())
    assert read_table(unnamed).shape == (48841, 15)


def test_reads_parquet_and_plain_csv(tmp_path: Path, adult: pd.DataFrame) -> None:
    adult.to_parquet(tmp_path / "a.parquet")
    adult.to_csv(tmp_path / "a.csv", index=False)
    for name in ("a.parquet", "a.csv"):
        data = Dataset.from_source(tmp_path / name, "income")
        assert data.n_rows == len(adult)
        assert data.task is Task.BINARY


def test_semicolon_csv_is_sniffed(tmp_path: Path, adult: pd.DataFrame) -> None:
    adult.head(200).to_csv(tmp_path / "semi.csv", sep=";", index=False)
    assert read_table(tmp_path / "semi.csv").shape == (200, 15)


def test_dataframe_is_not_mutated(adult: pd.DataFrame) -> None:
    frame = adult.head(300).copy()
    frame.loc[0, "workclass"] = "?"
    before = frame.copy()
    Dataset.from_source(frame, "income")
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("a,b,target\n", "no rows"),
        ("a,a,target\n1,2,3\n", "duplicate column names: a"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        Dataset.from_source(path, "target")


def test_binary_garbage_and_missing_file(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(DataError, match="cannot read"):
        Dataset.from_source(garbage, "x")
    bad_gzip = tmp_path / "bad.csv.gz"
    bad_gzip.write_bytes(gzip.compress(b"a,b\n1,2\n")[:12])
    with pytest.raises(DataError):
        Dataset.from_source(bad_gzip, "a")
    with pytest.raises(DataError, match="not found"):
        Dataset.from_source(tmp_path / "nope.csv", "x")
    stray_return = tmp_path / "stray_return.csv"  # found by fuzzing the upload route
    stray_return.write_bytes(b"\r0")
    with pytest.raises(DataError, match="cannot parse"):
        Dataset.from_source(stray_return, "x")


def test_misspelled_target_suggests_closest(adult: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="did you mean 'income'"):
        Dataset.from_source(adult, "incme")
    with pytest.raises(DataError, match="did you mean 'income'"):
        Dataset.from_source(adult, "INCOME")


def test_target_problems(adult: pd.DataFrame) -> None:
    frame = adult.head(100).copy()
    frame["const"] = "x"
    with pytest.raises(DataError, match="constant"):
        Dataset.from_source(frame, "const")
    frame["empty"] = np.nan
    with pytest.raises(DataError, match="all missing"):
        Dataset.from_source(frame, "empty")
    with pytest.raises(DataError, match="regression needs a numeric target"):
        Dataset.from_source(frame, "income", task="regression")
    with pytest.raises(DataError, match="unknown task"):
        Dataset.from_source(frame, "income", task="clustering")


def test_rows_with_missing_target_are_dropped(adult: pd.DataFrame) -> None:
    frame = adult.head(100).copy()
    frame.loc[:9, "income"] = None
    assert Dataset.from_source(frame, "income").n_rows == 90


def test_too_few_rows_for_evaluation(adult: pd.DataFrame) -> None:
    frame = adult.head(200).copy()
    frame.loc[:2, "income"] = "rare"
    data = Dataset.from_source(frame, "income")
    with pytest.raises(DataError, match="smallest class has 3 row"):
        choose_evaluation(data.y, data.task, "cv")
    assert choose_evaluation(data.y, data.task, "holdout").n_folds == 1
    assert choose_evaluation(data.y, data.task, "auto").n_folds == 3  # as many as it can
    frame.loc[:1, "income"] = "rarer"  # a class of one row: no evaluation can stratify it
    with pytest.raises(DataError, match="smallest class has 1 row"):
        choose_evaluation(Dataset.from_source(frame, "income").y, data.task, "auto")
    tiny = Dataset.from_source(adult.head(6), "age")
    with pytest.raises(DataError, match="too few rows"):
        choose_evaluation(tiny.y, tiny.task, "auto")


def test_task_inference(housing: pd.DataFrame, letter: pd.DataFrame, adult: pd.DataFrame) -> None:
    assert Dataset.from_source(housing, "median_house_value").task is Task.REGRESSION
    assert Dataset.from_source(letter, "Letter").task is Task.MULTICLASS
    assert Dataset.from_source(adult, "income").task is Task.BINARY
    assert Dataset.from_source(adult, "education_num").task is Task.REGRESSION
    overridden = Dataset.from_source(adult, "education_num", task="multiclass")
    assert overridden.task is Task.MULTICLASS


def test_automatic_evaluation_by_size() -> None:
    small = np.arange(5000) % 2
    large = np.arange(20000) % 2
    assert choose_evaluation(small, Task.BINARY).n_folds == 5
    assert choose_evaluation(large, Task.BINARY).n_folds == 1
    assert choose_evaluation(large, Task.BINARY, 3).n_folds == 3


def test_infinite_values(housing: pd.DataFrame) -> None:
    frame = housing.head(200).copy()
    frame.loc[frame.index[0], "median_house_value"] = np.inf
    with pytest.raises(DataError, match="infinite values"):
        Dataset.from_source(frame, "median_house_value")


def test_unhashable_cells_are_refused(adult: pd.DataFrame) -> None:
    frame = adult.head(50).astype({"workclass": object})
    frame.at[frame.index[0], "workclass"] = {"a": 1}
    with pytest.raises(DataError, match="holds dict values"):
        Dataset.from_source(frame, "income")
