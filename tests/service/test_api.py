"""The REST API in-process (FastAPI's TestClient) on a real SQLite job store: uploads and their
errors, job submission and validation, auth and ownership, paging, the job life cycle, trials,
the job page's aggregates and the model download."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import automl
from automl.service import Settings, create_app
from automl.workers import Worker


@pytest.fixture
def app_client(automl_home: Path) -> Iterator[TestClient]:
    app = create_app(Settings(home=automl_home, max_upload_mb=0.5))
    with TestClient(app) as client:
        yield client


def auth(client: TestClient, user: str = "alice") -> dict[str, str]:
    token = client.app.state.store.create_token(user)  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}"}


def upload(client: TestClient, headers: dict[str, str], name: str, content: bytes) -> dict:  # type: ignore[type-arg]
    response = client.post("/api/datasets", files={"file": (name, content)}, headers=headers)
    return {"status": response.status_code, **response.json()}


def csv_bytes(path: Path) -> bytes:
    return path.read_bytes()


def test_health_needs_no_token_and_everything_else_does(app_client: TestClient) -> None:
    assert app_client.get("/health").json() == {"status": "ok"}
    docs = app_client.get("/docs")  # Swagger UI served locally, no CDN
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert app_client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert "/api/jobs" in app_client.get("/openapi.json").json()["paths"]
    for method, path in [("get", "/api/jobs"), ("post", "/api/jobs"), ("get", "/api/datasets")]:
        response = getattr(app_client, method)(path)
        assert response.status_code == 401
        assert "automl token create" in response.json()["detail"]
    bad = app_client.get("/api/jobs", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["detail"] == "invalid API token"


def test_uploads_of_csv_gzip_and_parquet_are_stored_by_generated_id(
    app_client: TestClient, adult_csv: Path, automl_home: Path
) -> None:
    headers = auth(app_client)
    frame = pd.read_csv(adult_csv)
    parquet = io.BytesIO()
    frame.to_parquet(parquet)
    for name, content in [
        ("../../etc/adult.csv", csv_bytes(adult_csv)),
        ("adult.csv.gz", gzip.compress(csv_bytes(adult_csv))),
        ("adult.parquet", parquet.getvalue()),
    ]:
        stored = upload(app_client, headers, name, content)
        assert stored["status"] == 201, stored
        assert stored["n_rows"] == 600 and stored["columns"][-1] == "income"
        assert list((automl_home / "datasets" / stored["id"]).iterdir())
    assert not (automl_home.parent / "etc").exists()  # the client's path is only a label
    assert len(app_client.get("/api/datasets", headers=headers).json()) == 3


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("empty.csv", b"", 400, "is empty"),
        ("garbage.csv", bytes(range(256)) * 20, 400, "cannot read"),
        ("one.csv", b"a\n" + b"1\n" * 50, 400, "one column"),
        ("colons.csv", b"a:b:c\n" + b"1:2:3\n" * 50, 400, "delimited by commas"),
        ("short.csv", b"a,b\n1,2\n", 400, "at least 10"),
        ("dup.csv", b"a,a\n" + b"1,2\n" * 20, 400, "duplicate column names"),
        ("big.csv", b"a,b\n" + b"1,2\n" * 200_000, 413, "over the upload limit"),
        ("bad.parquet", b"PAR1 not really", 400, "as Parquet"),
    ],
)
def test_malformed_uploads_get_a_clear_4xx(
    app_client: TestClient, name: str, content: bytes, status: int, message: str
) -> None:
    response = upload(app_client, auth(app_client), name, content)
    assert response["status"] == status
    assert message in response["detail"]


def test_submission_is_validated_against_the_dataset(
    app_client: TestClient, adult_csv: Path
) -> None:
    headers = auth(app_client)
    dataset = upload(app_client, headers, "adult.csv", csv_bytes(adult_csv))["id"]

    def submit(**body: object) -> tuple[int, str]:
        response = app_client.post(
            "/api/jobs", json={"dataset_id": dataset, **body}, headers=headers
        )
        return response.status_code, str(response.json().get("detail", ""))

    assert submit(target="incme", time_budget=5) == (
        400,
        submit(target="incme", time_budget=5)[1],
    )
    assert "did you mean 'income'" in submit(target="incme", time_budget=5)[1]
    assert "time_budget (seconds) and/or n_trials" in submit(target="income")[1]
    assert "did you mean 'tpe'" in submit(target="income", n_trials=1, strategy="tpee")[1]
    assert "unknown metric" in submit(target="income", n_trials=1, metric="auc")[1]
    assert (
        "unknown search space 'lightgbn'"
        in submit(target="income", n_trials=1, space="lightgbn")[1]
    )
    assert "not valid JSON or YAML" in submit(target="income", n_trials=1, space="models: [")[1]
    assert submit(target="income", time_budget=-3)[0] == 422
    assert "extra" in submit(target="income", n_trials=1, colour="red")[1].lower()
    missing = app_client.post(
        "/api/jobs", json={"dataset_id": "nope", "target": "x", "n_trials": 1}, headers=headers
    )
    assert missing.status_code == 404 and "upload one first" in missing.json()["detail"]
    status, _ = submit(target="income", n_trials=1, space="models:\n  linear: {}\n")
    assert status == 201


def test_jobs_are_private_paged_and_follow_their_life_cycle(
    app_client: TestClient, adult_csv: Path
) -> None:
    alice, bob = auth(app_client, "alice"), auth(app_client, "bob")
    dataset = upload(app_client, alice, "adult.csv", csv_bytes(adult_csv))["id"]
    ids = [
        app_client.post(
            "/api/jobs",
            json={"dataset_id": dataset, "target": "income", "n_trials": 1},
            headers=alice,
        ).json()["id"]
        for _ in range(5)
    ]
    page = app_client.get("/api/jobs?limit=2&offset=1", headers=alice).json()
    assert page["total"] == 5 and [j["id"] for j in page["items"]] == ids[::-1][1:3]
    assert app_client.get("/api/jobs", headers=bob).json()["total"] == 0
    assert app_client.get(f"/api/jobs/{ids[0]}", headers=bob).status_code == 404
    assert app_client.post(f"/api/jobs/{ids[0]}/cancel", headers=bob).status_code == 404
    assert app_client.get(f"/api/datasets/{dataset}", headers=bob).status_code == 404

    cancelled = app_client.post(f"/api/jobs/{ids[0]}/cancel", headers=alice).json()
    assert cancelled["state"] == "cancelled"
    again = app_client.post(f"/api/jobs/{ids[0]}/cancel", headers=alice)
    assert again.status_code == 409 and "nothing to cancel" in again.json()["detail"]
    filtered = app_client.get("/api/jobs?state=cancelled", headers=alice).json()
    assert [j["id"] for j in filtered["items"]] == [ids[0]]
    assert app_client.post(f"/api/jobs/{ids[0]}/resume", headers=alice).json()["state"] == "queued"
    no_model = app_client.get(f"/api/jobs/{ids[0]}/model", headers=alice)
    assert no_model.status_code == 404 and "queued" in no_model.json()["detail"]
    assert app_client.delete(f"/api/jobs/{ids[1]}", headers=alice).status_code == 204
    assert app_client.get(f"/api/jobs/{ids[1]}", headers=alice).status_code == 404
    assert app_client.get("/api/jobs?state=finished", headers=alice).status_code == 422


def test_a_finished_job_serves_trials_overview_and_its_model(
    app_client: TestClient, adult_csv: Path, tmp_path: Path
) -> None:
    headers = auth(app_client)
    dataset = upload(app_client, headers, "adult.csv", csv_bytes(adult_csv))["id"]
    job = app_client.post(
        "/api/jobs",
        json={"dataset_id": dataset, "target": "income", "n_trials": 6, "seed": 0},
        headers=headers,
    ).json()
    Worker(concurrency=1, burst=True).run()

    done = app_client.get(f"/api/jobs/{job['id']}", headers=headers).json()
    assert done["state"] == "succeeded" and done["has_model"]
    assert done["progress"]["trials"] == 6 and done["progress"]["fraction"] == 1.0
    trials = app_client.get(
        f"/api/jobs/{job['id']}/trials?sort=best&limit=3", headers=headers
    ).json()
    assert trials["total"] == 6 and len(trials["items"]) == 3
    scores = [t["score"] for t in trials["items"] if t["score"] is not None]
    assert scores == sorted(scores, reverse=True)  # ROC AUC: best is highest
    assert scores[0] == pytest.approx(done["progress"]["best_score"])
    assert all(t["config"].get("model") for t in trials["items"])
    every = app_client.get(f"/api/jobs/{job['id']}/trials", headers=headers).json()["items"]
    first = min(every, key=lambda t: t["number"])  # `auto` tries its starting points first
    assert first["origin"] == "starting point", first
    assert all("model_summary" in t for t in every)  # the dashboard shows it beside the family
    boosted = [
        t
        for t in app_client.get(f"/api/jobs/{job['id']}/trials", headers=headers).json()["items"]
        if t["curve"]
    ]
    assert boosted, "LightGBM trials report a learning curve"
    one = app_client.get(
        f"/api/jobs/{job['id']}/trials/{boosted[0]['number']}", headers=headers
    ).json()
    assert [(p["step"], p["value"]) for p in one["curve"]] == [
        (p["step"], p["value"]) for p in boosted[0]["curve"]
    ]
    assert one["axis"]["label"] and all(p["x"] is not None for p in one["curve"])
    assert app_client.get(f"/api/jobs/{job['id']}/trials/99", headers=headers).status_code == 404

    overview = app_client.get(f"/api/jobs/{job['id']}/overview", headers=headers).json()
    assert overview["metric"] == "roc_auc" and overview["maximize"] is True
    assert (
        overview["counts"]["complete"] + overview["counts"]["pruned"] + overview["counts"]["fail"]
        == 6
    )
    assert overview["best_over_time"][-1]["best"] == pytest.approx(done["progress"]["best_score"])
    assert overview["importance"] and abs(sum(overview["importance"].values()) - 1) < 0.01
    assert "main effects" in overview["importance_note"]
    assert overview["scored"]["rows"] and overview["scored"]["params"]
    assert len(overview["history"]["score"]) == overview["counts"]["complete"]
    assert done["model"]["members"] and 0.5 < done["model"]["validation_score"] <= 1
    assert overview["compute"]["cpu_seconds"] > 0
    events = [
        e["kind"] for e in app_client.get(f"/api/jobs/{job['id']}/events", headers=headers).json()
    ]
    assert events[:2] == ["submitted", "claimed"] and events[-1] == "succeeded"
    assert events.count("trial_finished") == 6

    model = app_client.get(f"/api/jobs/{job['id']}/model", headers=headers)
    assert model.status_code == 200
    (tmp_path / "model.automl").write_bytes(model.content)
    fitted = automl.load(tmp_path / "model.automl")
    predictions = fitted.predict(pd.read_csv(adult_csv).drop(columns=["income"]).head(20))
    assert set(predictions) <= {"<=50K", ">50K"}
