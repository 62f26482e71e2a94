"""Screenshots of the dashboard on real jobs, for reviewing it as a user sees it.

    python -m benchmarks.dashboard --seconds 60 --out benchmarks/results/dashboard

Starts `automl serve` and `automl worker` on a fresh AUTOML_HOME, submits a search on UCI Adult
(`--seconds` budget) and a small job whose k-NN trials fail (a Minkowski power scikit-learn
refuses), then drives headless Chromium: the job page while running and when finished, a trial stopped
early, and a failed trial; then optuna-dashboard on the same database, on the same study (its
study page, analytics and trial list), for the side-by-side comparison in README. Also records
the browser console's errors (there should be none) and what every chart holds. Needs Debian's
Chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "adult.csv.gz"
CHROMIUM = "/usr/bin/chromium"
FAILING_SPACE = {"models": {"linear": {}, "knn": {"p": 0}}}
"""k-NN with a Minkowski power of 0, which scikit-learn refuses when fitting: failed trials to
show (k-NN with more neighbours than rows no longer fails: it uses every row)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="the Adult job's budget")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/dashboard"))
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("AUTOML_ADULT", DATA)))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        os.environ["AUTOML_HOME"] = home
        os.environ.pop("AUTOML_DATABASE_URL", None)
        report = capture(args.data, args.seconds, args.out, Path(home))
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


def capture(data: Path, seconds: float, out: Path, home: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from automl.jobs import JobStore

    token = JobStore().create_token("reviewer")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    logs = [(home / f"{name}.log").open("w") for name in ("serve", "worker")]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "automl.cli", *command], stdout=log, stderr=subprocess.STDOUT
        )
        for command, log in zip(
            (["serve", "--port", str(port)], ["worker", "--concurrency", "1"]), logs, strict=True
        )
    ]
    report: dict[str, Any] = {"console_errors": []}
    try:
        _wait(lambda: _healthy(url), 60)
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
        adult = _submit(client, data.read_bytes(), data.name, time_budget=seconds)
        small = pd.read_csv(data).head(300).to_csv(index=False).encode()
        failing = _submit(
            client, small, "adult_small.csv", n_trials=6, strategy="random", space=FAILING_SPACE
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on(
                "console",
                lambda m: report["console_errors"].append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: report["console_errors"].append(str(e)))
            page.goto(url)
            page.fill("#token-input", token)
            page.click("#login-button")
            page.wait_for_selector("#jobs-view:not([hidden])")
            page.goto(f"{url}/#/jobs/{adult}")
            time.sleep(min(25.0, seconds / 2))
            page.locator("#parallel").scroll_into_view_if_needed()
            time.sleep(2.0)
            page.screenshot(path=str(out / "job_running.png"), full_page=True)
            _wait(lambda: _state(client, adult) in ("succeeded", "failed"), seconds + 120)
            time.sleep(3 * 2.5)  # a few polls: the page catches up by itself
            page.locator("#parallel").scroll_into_view_if_needed()  # drawn once in view
            page.wait_for_selector("#parallel .y-axis", timeout=20_000)
            page.screenshot(path=str(out / "job_finished.png"), full_page=True)
            report["finished"] = _charts(page)
            for chart in ("curves", "importance", "slice", "parallel"):
                card = page.locator(f"#{chart}").locator("xpath=..")
                card.screenshot(path=str(out / f"chart_{chart}.png"))
            report["pruned_reason"] = _trial_panel(page, "pruned", out / "trial_pruned.png")
            _wait(lambda: _state(client, failing) in ("succeeded", "failed"), 180)
            page.goto(f"{url}/#/jobs/{failing}")
            report["failed_reason"] = _trial_panel(page, "fail", out / "trial_failed.png")
            _optuna_dashboard(page, client.get(f"/api/jobs/{adult}").json()["study_name"], out)
            browser.close()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
        for log in logs:
            log.close()
    report["worker_log"] = (home / "worker.log").read_text().splitlines()[-6:]
    return report


def _trial_panel(page: Any, state: str, path: Path) -> str:
    """Open the first trial in `state` on the job page, screenshot its panel; its reason."""
    page.select_option("#trial-state", state)
    page.wait_for_selector(f"#trial-table tr.trial-row:has(.trial-state.{state})")
    page.locator("#trial-table tr.trial-row").first.click()
    page.wait_for_selector("#trial-detail:not([hidden])")
    time.sleep(2.5)  # its curve is drawn after the panel shows
    page.locator("#trial-detail").screenshot(path=str(path))
    return str(page.inner_text("#trial-reason"))


def _optuna_dashboard(page: Any, study_name: str, out: Path) -> None:
    """Screenshots of optuna-dashboard's pages for the same study, from the same database."""
    from automl.jobs import JobStore
    from automl.storage import open_storage

    url = JobStore().url
    storage = open_storage(url)
    assert storage is not None
    study_id = storage.get_study_id_from_name(study_name)
    port = _free_port()
    command = [str(Path(sys.executable).parent / "optuna-dashboard"), url, "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _healthy(f"http://127.0.0.1:{port}", "/api/studies"), 60)
        for tab in ("", "/analytics", "/trials"):
            page.goto(f"http://127.0.0.1:{port}/dashboard/studies/{study_id}{tab}")
            time.sleep(8.0)  # it draws its plots after fetching the study
            name = tab.strip("/") or "history"
            page.screenshot(path=str(out / f"optuna_dashboard_{name}.png"), full_page=True)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _charts(page: Any) -> dict[str, Any]:
    """What each chart of the job page shows: its number of drawn points or bars, and notes."""
    count = "(id) => document.querySelectorAll(`#${id} .point, #${id} .bars path`).length"
    return {
        "history_points": page.evaluate(count, "best-time"),
        "curve_points": page.evaluate(count, "curves"),
        "importance_bars": page.evaluate(count, "importance"),
        "slice_points": page.evaluate(count, "slice"),
        "parallel_axes": page.evaluate(
            "() => document.querySelectorAll('#parallel .y-axis').length"
        ),
        "curves_x_axis": page.text_content("#curves .xtitle"),
        "importance_note": page.inner_text("#importance-note"),
        "facts": page.inner_text("#job-facts"),
        "model": page.inner_text("#model-summary"),
        "events": page.locator("#events-table tbody tr").count(),
    }


def _submit(client: httpx.Client, body: bytes, name: str, **settings: Any) -> str:
    dataset = client.post("/api/datasets", files={"file": (name, body)}).json()
    job = client.post(
        "/api/jobs", json={"dataset_id": dataset["id"], "target": "income", **settings}
    )
    job.raise_for_status()
    return str(job.json()["id"])


def _state(client: httpx.Client, job_id: str) -> str:
    return str(client.get(f"/api/jobs/{job_id}").json()["state"])


def _healthy(url: str, path: str = "/health") -> bool:
    try:
        return httpx.get(f"{url}{path}", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s")
        time.sleep(0.5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
