"""The service's commands of the `automl` CLI: serve, worker, token, submit, jobs, job, cancel."""

from __future__ import annotations

import contextlib
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from automl._client import DEFAULT_SERVER, ServiceClient, ServiceError
from automl._console import err, fail, format_score, out
from automl.config import setting_default, setting_help
from automl.space import is_space_file

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
        int | None,
        typer.Option(min=1, help="Trials at once per job (default: one per core; Ray: its CPUs)."),
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
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its migration chatter
    url = os.environ.get("AUTOML_DATABASE_URL")
    try:
        executor = ExecutorSettings.build(n_parallel=parallel, ray_address=ray_address)
    except ConfigError as exc:
        fail(str(exc))
    Worker(url, concurrency, lease, min(2.0, lease / 3), burst, executor).run()


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="User name (created on first use).")],
) -> None:
    """Create an API token; it is printed on the last line."""
    from automl.jobs import JobStore

    name = user.strip()
    if not name or len(name) > 100:
        fail("--user must be 1 to 100 characters")
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
    model_out: Annotated[
        Path | None, typer.Option("--out", help="With --wait: download the model to this file.")
    ] = None,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Upload DATA and submit a search job to the service."""
    client = ServiceClient(server, token)
    if space and is_space_file(space):
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
        fail(str(exc))
        return
    err.print(f"submitted job {created['id']} ({created['state']})")
    print(created["id"])
    if wait:
        finished = _wait(client, created["id"])
        _say_where_the_model_is(client, finished, model_out)


POLL_SECONDS = 1.0


def _wait(client: ServiceClient, job_id: str) -> dict[str, Any]:
    """Poll the job until it ends, showing its progress: a bar redrawn in place on a terminal,
    a plain line per change when stderr is piped (logs, CI). Returns the finished job."""
    bar = Progress(
        TextColumn("{task.fields[state]:9}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%  {task.fields[facts]}"),
        console=err,
    )
    task = bar.add_task("job", total=1.0, state="queued", facts="")
    last_line = ""
    with bar if err.is_terminal else contextlib.nullcontext():
        while True:
            try:
                current = client.request("GET", f"/api/jobs/{job_id}")
            except ServiceError as exc:
                fail(str(exc))
            progress = current["progress"]
            facts = f"trials {progress['trials']}  best {format_score(progress['best_score'])}"
            if err.is_terminal:
                bar.update(
                    task, completed=progress["fraction"], state=current["state"], facts=facts
                )
            else:
                line = f"{current['state']} {progress['fraction']:.0%}  {facts}"
                if line != last_line:
                    err.print(line, highlight=False, soft_wrap=True)
                    last_line = line
            if current["state"] in FINAL:
                return dict(current)
            time.sleep(POLL_SECONDS)


def _say_where_the_model_is(
    client: ServiceClient, job: dict[str, Any], model_out: Path | None
) -> None:
    job_id = job["id"]
    if job["state"] != "succeeded":
        fail(f"job {job_id} {job['state']}: {job.get('error') or 'no error recorded'}")
    if not job["has_model"]:
        fail(f"job {job_id} succeeded without a model (see `automl job {job_id}`)")
    if model_out is not None:
        _download(client, job_id, model_out)
        return
    err.print(
        f"model kept by the service at {client.server}/api/jobs/{job_id}/model;"
        f" download it with: automl job {job_id} --model FILE",
        soft_wrap=True,
    )


def _download(client: ServiceClient, job_id: str, path: Path) -> None:
    try:
        size = client.download(f"/api/jobs/{job_id}/model", path)
    except ServiceError as exc:
        fail(f"{exc}; the model stays with the service: automl job {job_id} --model FILE")
    err.print(f"model saved to {path} ({size / 1e6:.1f} MB)", soft_wrap=True)
    err.print(f"predict with: automl predict {path} DATA", soft_wrap=True)


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
        fail(str(exc))
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
            format_score(progress["best_score"]),
            datetime.fromtimestamp(item["created_at"]).strftime("%Y-%m-%d %H:%M:%S"),
        )
    out.print(table)


def job(
    job_id: Annotated[str, typer.Argument(help="Job id.")],
    model_out: Annotated[
        Path | None, typer.Option("--model", help="Download the job's model to this file.")
    ] = None,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Show one job: state, progress, best score and its best trials; --model downloads its
    model."""
    client = ServiceClient(server, token)
    if model_out is not None:
        _download(client, job_id, model_out)
        return
    try:
        item = client.request("GET", f"/api/jobs/{job_id}")
        best = client.request(
            "GET", f"/api/jobs/{job_id}/trials", query={"sort": "best", "limit": 5}
        )
    except ServiceError as exc:
        fail(str(exc))
        return
    progress = item["progress"]
    out.print(f"job {item['id']}: [bold]{item['state']}[/bold]  ({progress['fraction']:.0%})")
    out.print(
        f"trials {progress['trials']} (complete {progress['complete']}, pruned"
        f" {progress['pruned']}, failed {progress['failed']}); best {format_score(progress['best_score'])};"
        f" CPU {progress['cpu_seconds']:.1f} s; model {'yes' if item['has_model'] else 'no'}"
    )
    if item["error"]:
        out.print(f"[red]error:[/red] {item['error']}", highlight=False)
    for trial in best["items"]:
        model = trial["config"].get("model", "")
        out.print(
            f"  trial {trial['number']:4}  {trial['state']:8} {format_score(trial['score'])}  {model}"
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
        fail(str(exc))
        return
    message = "cancel requested" if item["state"] == "running" else item["state"]
    out.print(f"job {job_id}: {message}")
