"""Latency of the service's trial table and job-page data for a 10,000-trial job under many
concurrent clients, measured with wrk against `automl serve`.

    python -m benchmarks.service --trials 10000 --clients 50 --seconds 20

Builds a finished job whose study holds `--trials` trials with configs, learning curves and
forecasts (a fresh SQLite file, or `--database` URL), starts the server, and runs wrk (Debian
package `wrk`) for each scenario. Writes benchmarks/results/service.md.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import optuna
import sqlalchemy as sa
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from automl.jobs import Job, JobSpec, JobStore
from automl.record import CurvePoint, StudyMeta, TrialRecord, forecast_attrs, stop_attrs
from automl.storage import open_storage

RESULTS = Path(__file__).resolve().parent / "results"
WARM_UP_SECONDS = 3
HEARTBEAT_SECONDS = 2.0
FAMILIES = ["lightgbm", "linear", "random_forest", "extra_trees", "knn", "hist_gradient_boosting"]
DISTRIBUTIONS = {
    "model": CategoricalDistribution(FAMILIES),
    "learning_rate": FloatDistribution(0.01, 0.3, log=True),
    "num_leaves": IntDistribution(4, 256, log=True),
    "scale.method": CategoricalDistribution(["standard", "robust", "none"]),
}


def build_job(url: str, n_trials: int, seed: int = 0) -> tuple[str, str]:
    """A finished job with `n_trials` synthetic but realistic trials; returns (job id, token)."""
    store = JobStore(url)
    token = store.create_token("bench")
    owner = store.user_for_token(token)
    assert owner is not None
    job = store.submit(owner.id, "bench-dataset", JobSpec(target="y", n_trials=n_trials))
    store.claim("bench", lease_seconds=3600)
    study = optuna.create_study(
        study_name=job.study_name, storage=open_storage(url), direction="maximize"
    )
    axis = {"kind": "rounds", "label": "lightgbm rounds", "x": "step", "full": 2000}
    StudyMeta("tabular", ("maximize",), metric="roc_auc", fidelity=axis).save(study)
    rng = random.Random(seed)
    trials = [_trial(rng, number) for number in range(n_trials)]
    for start in range(0, n_trials, 500):
        study.add_trials(trials[start : start + 500])
    progress = {"trials": n_trials, "complete": n_trials, "pruned": 0, "failed": 0}
    store.record_trial(job.id, "bench", {**progress, "best_score": 0.93, "cpu_seconds": 1.0}, "")
    store.finish(job.id, "bench", "succeeded")
    store.close()
    return job.id, token


def _trial(rng: random.Random, number: int) -> optuna.trial.FrozenTrial:
    params = {
        "model": rng.choice(FAMILIES),
        "learning_rate": 10 ** rng.uniform(-2, -0.53),
        "num_leaves": rng.randint(4, 256),
        "scale.method": rng.choice(["standard", "robust", "none"]),
    }
    final = 0.85 + 0.08 * rng.random()
    pruned = rng.random() < 0.3
    steps = [16, 23, 32, 45, 64, 91, 128, 181][: 3 if pruned else 8]
    curve = [CurvePoint(s, final - 0.05 / (1 + i), s / 2000, 0.01 * s) for i, s in enumerate(steps)]
    record = TrialRecord(
        config=params,
        wall_seconds=0.5,
        cpu_seconds=0.01 * steps[-1],
        fidelity=steps[-1] / 2000 if pruned else 1.0,
        curve=curve,
    )
    attrs = record.to_attrs()
    if pruned:
        attrs |= forecast_attrs({"mean": final - 0.01, "std": 0.01, "p_better": 0.02})
        text = f"score {curve[-1].value:.4g} at step {steps[-1]}: rank 5 of 9"
        attrs |= stop_attrs({"rule": "asha", "step": steps[-1], "text": text, "short": text})
    return optuna.trial.create_trial(
        state=optuna.trial.TrialState.PRUNED if pruned else optuna.trial.TrialState.COMPLETE,
        value=None if pruned else final,
        params=params,
        distributions=DISTRIBUTIONS,
        user_attrs=attrs,
        intermediate_values={p.step: p.value for p in curve},
    )


def run_wrk(
    base: str, token: str, paths: list[str], clients: int, seconds: int
) -> dict[str, float]:
    """p50/p99 latency (ms) and requests/s of wrk rotating over `paths`."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    listed = ", ".join(f'"{p}"' for p in paths)
    script.write_text(
        f"local paths = {{{listed}}}\n"
        "request = function()\n"
        "  local path = paths[math.random(#paths)]\n"
        f'  return wrk.format("GET", path, {{["Authorization"] = "Bearer {token}"}})\n'
        "end\n"
    )
    output = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink()
    return {
        "p50_ms": _latency(output, "50%"),
        "p99_ms": _latency(output, "99%"),
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "non_2xx": float(m.group(1)) if (m := re.search(r"Non-2xx.*?:\s+(\d+)", output)) else 0.0,
    }


def _latency(output: str, percentile: str) -> float:
    match = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)", output)
    assert match, output
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def page_load(base: str, token: str, job_id: str) -> float:
    """Seconds to fetch what the job page needs on first open: the page, the overview and the
    first trial page (each from a cold cache)."""
    headers = {"Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        client.get("/").raise_for_status()
        client.get(f"/api/jobs/{job_id}/overview").raise_for_status()
        client.get(f"/api/jobs/{job_id}/trials?limit=50&offset=0&sort=-number").raise_for_status()
    return time.perf_counter() - start


def browser_load(base: str, token: str, job_id: str) -> tuple[float, float, float] | None:
    """Seconds from opening the job page in headless Chromium until the numbers and trial table
    are drawn, until the four charts of the first screen are, and from scrolling to the parallel
    coordinates (drawn when they come into view) until they are; None without Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path("/usr/bin/chromium").exists():
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(f"{base}/health")
        page.evaluate(f"localStorage.setItem('automl-token', '{token}')")
        start = time.perf_counter()
        page.goto(f"{base}/#/jobs/{job_id}")
        page.wait_for_selector("#trial-table tr.trial-row")
        table = time.perf_counter() - start
        for chart in ("best-time", "best-compute", "curves", "importance"):
            page.wait_for_selector(f"#{chart} .main-svg")
        charts = time.perf_counter() - start
        scrolled = time.perf_counter()
        page.locator("#parallel").scroll_into_view_if_needed()
        page.wait_for_selector("#parallel .main-svg")
        parallel = time.perf_counter() - scrolled
        browser.close()
    return table, charts, parallel


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--database", help="SQLAlchemy URL (default: an SQLite file in --home)")
    parser.add_argument("--home", type=Path, help="data directory; reuses a job built there")
    parser.add_argument("--out", default="service.md", help="file name in benchmarks/results")
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="automl-bench-"))
    url = args.database or f"sqlite:///{home / 'automl.db'}"
    job_id, token = _reuse_job(url, args.trials) or _build(url, args.trials)
    port = 8790
    env = {**os.environ, "AUTOML_HOME": str(home), "AUTOML_DATABASE_URL": url}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "automl.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base)
        cold = page_load(base, token, job_id)
        in_browser = browser_load(base, token, job_id)
        jobs = f"/api/jobs/{job_id}"
        scenarios = {
            "trials, first page (what every open job page polls)": [
                f"{jobs}/trials?limit=50&offset=0&sort=-number"
            ],
            "trials, any of 200 pages x 4 sorts": [
                f"{jobs}/trials?limit=50&offset={offset}&sort={sort}"
                for offset in range(0, args.trials, 50)
                for sort in ("number", "-number", "best", "worst")
            ],
            "job page data (overview)": [f"{jobs}/overview"],
            "job (state and progress)": [jobs],
        }
        rows = []
        for name, paths in scenarios.items():
            run_wrk(base, token, paths, args.clients, WARM_UP_SECONDS)  # not counted
            result = run_wrk(base, token, paths, args.clients, args.seconds)
            rows.append((name, result))
            print(name, result)
        live = [f"{jobs}/trials?limit=50&offset=0&sort=-number", f"{jobs}/overview", jobs]
        with _job_changing(url, job_id):
            result = run_wrk(base, token, live, args.clients, args.seconds)
        name = "live job: first page, overview and job, the job changing every 2 s"
        rows.append((name, result))
        print(name, result)
    finally:
        server.terminate()
        server.wait(timeout=30)
    _write(args, cold, in_browser, rows, url.split(":")[0])


@contextmanager
def _job_changing(url: str, job_id: str) -> Iterator[None]:
    """Mark the job running and bump its `updated_at` every 2 s, as a running job's heartbeats
    and trials do, so every cached page goes stale and is rendered again."""
    store = JobStore(url)
    stop = threading.Event()
    with store.session() as s:
        s.execute(sa.update(Job).where(Job.id == job_id).values(state="running"))

    def bump() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            with store.session() as s:
                s.execute(sa.update(Job).where(Job.id == job_id).values(updated_at=time.time()))

    thread = threading.Thread(target=bump, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        with store.session() as s:
            s.execute(sa.update(Job).where(Job.id == job_id).values(state="succeeded"))
        store.close()


def _build(url: str, n_trials: int) -> tuple[str, str]:
    started = time.perf_counter()
    built = build_job(url, n_trials)
    print(f"built a {n_trials}-trial job in {time.perf_counter() - started:.0f} s")
    return built


def _reuse_job(url: str, n_trials: int) -> tuple[str, str] | None:
    """A job with `n_trials` trials built by an earlier run on the same database, if any."""
    store = JobStore(url)
    try:
        jobs, _ = store.list_jobs(None, state="succeeded", limit=100)
        job = next((j for j in jobs if j.progress.get("trials") == n_trials), None)
        return None if job is None else (job.id, store.create_token("bench"))
    finally:
        store.close()


def _wait_healthy(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def _write(
    args: argparse.Namespace,
    cold: float,
    in_browser: tuple[float, float, float] | None,
    rows: list[tuple[str, dict[str, float]]],
    db: str,
) -> None:
    lines = [
        "# Service latency",
        "",
        f"`python -m benchmarks.service --trials {args.trials} --clients {args.clients}"
        f" --seconds {args.seconds} --workers {args.workers}` on this 2-core machine ({db}"
        f"{'' if args.database is None else ' on this machine'};"
        " wrk, one thread, shares the cores with the server). Each scenario runs"
        f" {WARM_UP_SECONDS} s of warm-up first (not counted); the cold case is the first line.",
        "",
        f"Job page, first open (page + overview + first trial page, cold cache): {cold:.2f} s",
        "",
        "Job page in headless Chromium (first visit, software WebGL), from navigation: "
        + (
            "not measured"
            if in_browser is None
            else f"numbers and trial table {in_browser[0]:.2f} s, the four charts of the first"
            f" screen {in_browser[1]:.2f} s (plotly.js, 4.6 MB, is parsed after the table is"
            f" shown); parallel coordinates {in_browser[2]:.2f} s after scrolling to them (WebGL"
            " set-up without a GPU; drawn only once in view)"
        ),
        "",
        "| scenario | p50 ms | p99 ms | requests/s | non-2xx |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['requests_per_s']:.0f} | {r['non_2xx']:.0f} |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
