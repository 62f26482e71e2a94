"""The service's commands of the `automl` CLI: serve, worker, token, submit, jobs, job, cancel."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from automl._client import DEFAULT_SERVER, ServiceClient, ServiceError
from automl.config import setting_default, setting_help

out = Console()
err = Console(stderr=True)
token_app = typer.Typer(no_args_is_help=True, help="API tokens of the search service.")
Server = Annotated[
    str,
    typer.Option("--server", envvar="AUTOML_SERVER", help="Service URL ($AUTOML_SERVER)."),
]
Token = Annotated[
    str | None,
    typer.Option("--token", envvar="AUTOML_TOKEN", help="API token ($AUTOML_TOKEN)."),
]
FINAL = ("succeeded", "failed", "cancelled")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(token_app, name="token")
    app.command("submit")(submit)
    app.command("jobs")(jobs)
    app.command("job")(job)
    app.command("cancel")(cancel)


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code=2)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes.")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Run the REST API and dashboard (settings from AUTOML_* environment variables)."""
    import uvicorn

    from automl.service import create_app

    create_app()  # migrate the database and fail early on a bad AUTOML_DATABASE_URL
    uvicorn.run("automl.service:create_app", factory=True, host=host, port=port, workers=workers)


def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at once.")] = 1,
    lease: Annotated[
        float, typer.Option(min=3, help="Seconds before a silent worker's jobs are taken over.")
    ] = 30.0,
    burst: Annotated[bool, typer.Option(help="Exit when the queue is empty.")] = False,
    parallel: Annotated[
        int | None, typer.Option(min=1, help="Trials at once per job (default 1; Ray: its CPUs).")
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(help="Run the jobs' trials on the Ray cluster at this address."),
    ] = None,
) -> None:
    """Claim jobs from the job store ($AUTOML_DATABASE_URL) and run their searches."""
    import logging

    from automl.exceptions import ConfigError
    from automl.executors import ExecutorSettings
    from automl.workers import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    url = os.environ.get("AUTOML_DATABASE_URL")
    try:
        executor = ExecutorSettings.build(n_parallel=parallel, ray_address=ray_address)
    except ConfigError as exc:
        _fail(str(exc))
    Worker(url, concurrency, lease, min(2.0, lease / 3), burst, executor).run()


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="User name (created on first use).")],
) -> None:
    """Create an API token; it is printed on the last line."""
    from automl.jobs import JobStore

    name = user.strip()
    if not name or len(name) > 100:
        _fail("--user must be 1 to 100 characters")
    token = JobStore(os.environ.get("AUTOML_DATABASE_URL")).create_token(name)
    err.print(f"API token for '{name}' (shown once; send it as 'Authorization: Bearer ...'):")
    print(token)


def submit(
    data: Annotated[Path, typer.Argument(help="CSV (optionally .gz) or Parquet file.")],
    target: Annotated[str, typer.Option("--target", "-t", help=setting_help("target"))],
    time_budget: Annotated[
        float | None, typer.Option("--time", help=setting_help("time_budget"))
    ] = None,
    trials: Annotated[int | None, typer.Option("--trials", help=setting_help("n_trials"))] = None,
    strategy: Annotated[str, typer.Option(help=setting_help("strategy"))] = setting_default(
        "strategy"
    ),
    metric: Annotated[str | None, typer.Option(help=setting_help("metric"))] = None,
    task: Annotated[str | None, typer.Option(help=setting_help("task"))] = None,
    space: Annotated[str | None, typer.Option(help=setting_help("space"))] = None,
    seed: Annotated[int | None, typer.Option(help=setting_help("seed"))] = None,
    wait: Annotated[bool, typer.Option(help="Wait for the job and show progress.")] = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Upload DATA and submit a search job to the service."""
    client = ServiceClient(server, token)
    if space and Path(space).is_file():
        space = Path(space).read_text()
    body: dict[str, Any] = {
        "target": target,
        "time_budget": time_budget,
        "n_trials": trials,
        "strategy": strategy,
        "metric": metric,
        "task": task,
        "space": space,
        "seed": seed,
    }
    try:
        dataset = client.upload(data)
        body["dataset_id"] = dataset["id"]
        created = client.request(
            "POST", "/api/jobs", {k: v for k, v in body.items() if v is not None}
        )
    except ServiceError as exc:
        _fail(str(exc))
        return
    err.print(f"submitted job {created['id']} ({created['state']})")
    print(created["id"])
    if wait:
        _wait(client, created["id"])


def _wait(client: ServiceClient, job_id: str) -> None:
    state = ""
    while state not in FINAL:
        try:
            current = client.request("GET", f"/api/jobs/{job_id}")
        except ServiceError as exc:
            _fail(str(exc))
            return
        state = current["state"]
        progress = current["progress"]
        err.print(
            f"\r{state:9} {progress['fraction']:4.0%}  trials {progress['trials']}"
            f"  best {_score(progress['best_score'])}",
            end="",
        )
        time.sleep(1.0)
    err.print()
    if state != "succeeded":
        _fail(f"job {job_id} {state}: {current.get('error') or ''}")


def jobs(
    state: Annotated[str | None, typer.Option(help="Only jobs in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """List your jobs, newest first."""
    try:
        page = ServiceClient(server, token).request(
            "GET", "/api/jobs", query={"state": state, "limit": limit}
        )
    except ServiceError as exc:
        _fail(str(exc))
        return
    table = Table(title=f"{page['total']} jobs")
    table.add_column("id", no_wrap=True)
    for column in ("state", "target", "progress", "trials", "best", "submitted"):
        table.add_column(column)
    for item in page["items"]:
        progress = item["progress"]
        table.add_row(
            item["id"],
            item["state"],
            item["spec"]["target"],
            f"{progress['fraction']:.0%}",
            str(progress["trials"]),
            _score(progress["best_score"]),
            datetime.fromtimestamp(item["created_at"]).strftime("%Y-%m-%d %H:%M:%S"),
        )
    out.print(table)


def job(
    job_id: Annotated[str, typer.Argument(help="Job id.")],
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Show one job: state, progress, best score and its best trials."""
    client = ServiceClient(server, token)
    try:
        item = client.request("GET", f"/api/jobs/{job_id}")
        best = client.request(
            "GET", f"/api/jobs/{job_id}/trials", query={"sort": "best", "limit": 5}
        )
    except ServiceError as exc:
        _fail(str(exc))
        return
    progress = item["progress"]
    out.print(f"job {item['id']}: [bold]{item['state']}[/bold]  ({progress['fraction']:.0%})")
    out.print(
        f"trials {progress['trials']} (complete {progress['complete']}, pruned"
        f" {progress['pruned']}, failed {progress['failed']}); best {_score(progress['best_score'])};"
        f" CPU {progress['cpu_seconds']:.1f} s; model {'yes' if item['has_model'] else 'no'}"
    )
    if item["error"]:
        out.print(f"[red]error:[/red] {item['error']}", highlight=False)
    for trial in best["items"]:
        model = trial["config"].get("model", "")
        out.print(
            f"  trial {trial['number']:4}  {trial['state']:8} {_score(trial['score'])}  {model}"
        )


def cancel(
    job_id: Annotated[str, typer.Argument(help="Job id.")],
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Cancel a queued or running job."""
    try:
        item = ServiceClient(server, token).request("POST", f"/api/jobs/{job_id}/cancel")
    except ServiceError as exc:
        _fail(str(exc))
        return
    message = "cancel requested" if item["state"] == "running" else item["state"]
    out.print(f"job {job_id}: {message}")


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.5g}"
