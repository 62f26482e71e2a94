"""A text job through the service: submitted over REST, run by a worker, its trials' curves
with their knots in the overview, its model downloaded and used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import automl
from automl.service import Settings, create_app
from automl.workers import Worker
from tests.service.test_api import auth, upload


@pytest.fixture
def client(automl_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(home=automl_home))) as test_client:
        yield test_client


def test_a_text_job_runs_and_serves_its_model(
    client: TestClient, sst2: pd.DataFrame, tiny_model_dir: Path, tmp_path: Path
) -> None:
    headers = auth(client)
    content = sst2.head(150).to_csv(sep="\t", index=False).encode()
    dataset = upload(client, headers, "reviews.tsv", content)["id"]
    space = {"batch_size": 16, "steps": 16, "learning_rate": 3e-3, "links": 2}
    job = client.post(
        "/api/jobs",
        json={"dataset_id": dataset, "target": "label", "text": "sentence", "n_trials": 2,
              "base_model": str(tiny_model_dir), "space": space, "seed": 0},
        headers=headers,
    ).json()  # fmt: skip
    assert "id" in job, job
    Worker(concurrency=1, burst=True).run()

    done = client.get(f"/api/jobs/{job['id']}", headers=headers).json()
    assert done["state"] == "succeeded" and done["has_model"], done
    overview = client.get(f"/api/jobs/{job['id']}/overview", headers=headers).json()
    assert overview["metric"] == "accuracy" and overview["axis"]["kind"] == "steps"
    assert all(curve["knots"] == [8.0] for curve in overview["curves"]), overview["curves"]
    model = client.get(f"/api/jobs/{job['id']}/model", headers=headers)
    (tmp_path / "text.automl").write_bytes(model.content)
    fitted = automl.load(tmp_path / "text.automl")
    assert set(fitted.predict(["a wonderful , moving film", "dull and lifeless"])) <= {0, 1}
