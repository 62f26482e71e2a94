"""Nested, stratified subsamples: the data-fraction fidelity."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from automl.data import Dataset
from automl.fidelity import NestedSubsamples, data_fraction_plan


def test_each_smaller_sample_is_a_subset_of_the_larger_one(adult: pd.DataFrame) -> None:
    data = Dataset.from_source(adult, "income")
    rows = np.arange(0, data.n_rows, 2)  # a training split: every other row
    samples = NestedSubsamples(rows, data.y, seed=3)
    taken = [samples.take(f) for f in (1 / 27, 1 / 9, 1 / 3, 1.0)]
    for small, large in itertools.pairwise(taken):
        assert set(small) < set(large)
    assert set(taken[-1]) == set(rows)
    assert [len(t) for t in taken] == sorted(len(t) for t in taken)


def test_classes_keep_their_share_and_a_floor_of_rows(letter: pd.DataFrame) -> None:
    data = Dataset.from_source(letter, "Letter")
    samples = NestedSubsamples(np.arange(data.n_rows), data.y, seed=0, min_per_class=5)
    small = samples.take(1 / 27)  # about 2 rows per class without the floor
    counts = np.bincount(data.y[small], minlength=len(data.classes or ()))
    assert counts.min() >= 5
    third = samples.take(1 / 3)
    share_all = np.bincount(data.y) / data.n_rows
    share_third = np.bincount(data.y[third], minlength=len(share_all)) / len(third)
    assert np.abs(share_all - share_third).max() < 0.01


def test_same_seed_same_sample_and_bad_fraction_is_refused() -> None:
    y = np.array([0, 1] * 50)
    a = NestedSubsamples(np.arange(100), y, seed=1).take(0.3)
    b = NestedSubsamples(np.arange(100), y, seed=1).take(0.3)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="data fraction"):
        NestedSubsamples(np.arange(100), None, seed=1).take(1.5)


def test_ladder_depth_follows_the_number_of_training_rows() -> None:
    assert data_fraction_plan(8_000) is None  # 8,000 / 3 rows is below the floor of 3,000
    assert data_fraction_plan(12_000).fractions == (1 / 3,)
    deep = data_fraction_plan(40_000)  # never below 1/9: 1/27 ranks configurations poorly
    assert deep.fractions == (1 / 9, 1 / 3)
    assert [deep.step_of(f) for f in (*deep.fractions, 1.0)] == [1, 3, 9]
