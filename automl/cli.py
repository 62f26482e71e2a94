"""The `automl` command: search a CSV/Parquet file from the shell, predict with a saved model."""

from __future__ import annotations

import json
import logging
import math
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import optuna
import typer
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn
from rich.table import Table
from rich.text import Text

from automl import __version__
from automl._console import err, fail, format_score, out, score_decimals
from automl._service_cli import register as register_service_commands
from automl.budget import DEFAULT_TEXT_TIME_BUDGET, DEFAULT_TIME_BUDGET
from automl.config import SearchSettings, setting_default, setting_help
from automl.exceptions import AutoMLError
from automl.metrics import metric_names
from automl.storage import automl_home
from automl.strategies import strategy_names

app = typer.Typer(add_completion=False, no_args_is_help=True, help="AutoML search on Optuna.")
LEADERBOARD_ROWS = 10
TIME_HELP = (
    f"{setting_help('time_budget')} Default: {DEFAULT_TIME_BUDGET:g} unless --trials is given."
)
METRIC_HELP = f"{setting_help('metric')} {metric_names()}."


def _version(value: bool) -> None:
    if value:
        out.print(f"automl {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """AutoML search on Optuna."""


class TimeLeftColumn(ProgressColumn):
    """Seconds left of the time budget (the task's total is the budget in seconds)."""

    def render(self, task: Task) -> Text:
        left = max(0.0, (task.total or 0) - (task.elapsed or 0))
        return Text(f"{left:5.0f}s left", style="cyan")


@app.command("search")
def search_command(
    data: Annotated[Path, typer.Argument(help="CSV (optionally .gz) or Parquet file.")],
    target: Annotated[str, typer.Option("--target", "-t", help=setting_help("target"))],
    time: Annotated[float | None, typer.Option("--time", help=TIME_HELP)] = None,
    trials: Annotated[int | None, typer.Option("--trials", help=setting_help("n_trials"))] = None,
    strategy: Annotated[
        str, typer.Option(help=f"{setting_help('strategy')} {', '.join(strategy_names())}.")
    ] = setting_default("strategy"),
    metric: Annotated[str | None, typer.Option(help=METRIC_HELP)] = None,
    task: Annotated[str | None, typer.Option(help=setting_help("task"))] = None,
    space: Annotated[str | None, typer.Option(help=setting_help("space"))] = None,
    storage: Annotated[str | None, typer.Option(help=setting_help("storage"))] = None,
    study: Annotated[str | None, typer.Option("--study", help=setting_help("study_name"))] = None,
    seed: Annotated[int | None, typer.Option(help=setting_help("seed"))] = None,
    evaluation: Annotated[str, typer.Option(help=setting_help("evaluation"))] = setting_default(
        "evaluation"
    ),
    model_out: Annotated[
        Path | None, typer.Option("--out", help="Where to save the best model.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of tables.")
    ] = False,
    executor: Annotated[str, typer.Option(help=setting_help("executor"))] = setting_default(
        "executor"
    ),
    parallel: Annotated[
        int | None, typer.Option("--parallel", min=1, help=setting_help("n_parallel"))
    ] = None,
    ray_address: Annotated[str | None, typer.Option(help=setting_help("ray_address"))] = None,
    trial_cpus: Annotated[
        float | None, typer.Option(min=0.01, help="CPUs (threads) per trial.")
    ] = None,
    trial_gpus: Annotated[float, typer.Option(min=0, help="GPUs per trial (Ray).")] = 0.0,
    trial_memory: Annotated[
        int | None, typer.Option(min=16, help="Memory limit per trial in MB.")
    ] = None,
    text: Annotated[str | None, typer.Option(help=setting_help("text"))] = None,
    base_model: Annotated[str | None, typer.Option(help=setting_help("base_model"))] = None,
    cross_share: Annotated[
        float, typer.Option(min=0.0, max=0.5, help=setting_help("cross_share"))
    ] = setting_default("cross_share"),
    warm_start: Annotated[
        bool, typer.Option("--warm-start/--no-warm-start", help=setting_help("warm_start"))
    ] = True,
    portfolio: Annotated[str, typer.Option(help=setting_help("portfolio"))] = setting_default(
        "portfolio"
    ),
    final_model: Annotated[str, typer.Option(help=setting_help("final_model"))] = (
        setting_default("final_model")
    ),
    supernet_share: Annotated[
        float, typer.Option(min=0.0, max=0.5, help=setting_help("supernet_share"))
    ] = setting_default("supernet_share"),
) -> None:
    """Search models and preprocessing for DATA and save the best model (with --text: fine-tune
    a pretrained transformer on a column of texts)."""
    default_time = DEFAULT_TEXT_TIME_BUDGET if text else DEFAULT_TIME_BUDGET
    settings = SearchSettings(
        target=target,
        text=text,
        base_model=base_model,
        task=task,
        metric=metric,
        time_budget=time if time is not None or trials is not None else default_time,
        n_trials=trials,
        strategy=strategy,
        space=space,
        storage=storage,
        study_name=study,
        seed=seed,
        evaluation=_evaluation(evaluation),
        executor=executor,
        n_parallel=parallel,
        ray_address=ray_address,
        trial_resources={"cpus": trial_cpus, "gpus": trial_gpus, "memory_mb": trial_memory},
        cross_share=cross_share,
        warm_start=warm_start,
        portfolio=portfolio,
        final_model=final_model,
        supernet_share=supernet_share,
    )
    _run_search(data, settings, model_out, as_json)


def _run_search(
    data: Path, settings: SearchSettings, model_out: Path | None, as_json: bool
) -> None:
    """Search with a live progress bar, save the model, print the leaderboard or JSON."""
    from automl.api import search

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    budget_seconds = settings.time_budget
    progress = _progress(budget_seconds, settings.n_trials, quiet=as_json)
    state: dict[str, Any] = {"done": 0, "best": None}

    def on_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        state["done"] += 1
        if trial.values:
            maximize = study.directions[0] == optuna.study.StudyDirection.MAXIMIZE
            best, value = state["best"], trial.values[0]
            state["best"] = value if best is None else (max if maximize else min)(best, value)
        _advance(progress, state, budget_seconds)

    phase = _PhaseStatus(progress)
    try:
        with progress, phase:
            ticker = _tick(progress, budget_seconds)
            try:
                result = search(data, **asdict(settings), on_trial=on_trial)
            except AutoMLError:
                # a bad setting or dataset: the one-line error alone, not an empty progress bar
                progress.live.transient = True
                raise
            finally:
                ticker.set()
        path = model_out or automl_home() / "models" / f"{result.study_name}.automl"
        saved = result.save(path) if result.model is not None else None
    except AutoMLError as exc:
        fail(str(exc))
        return
    except KeyboardInterrupt:
        err.print(
            "[yellow]interrupted[/yellow]: finished trials are kept in the storage;"
            " run again with the same --study to resume"
        )
        raise typer.Exit(code=130) from None
    _show(result, saved, as_json)


def _show(result: Any, saved: Path | None, as_json: bool) -> None:
    if as_json:
        out.print_json(
            json.dumps(
                {**result.summary(), "model_path": str(saved) if saved else None}, default=str
            )
        )
        return
    _print_leaderboard(result)
    out.print(
        f"best trial {result.metric}: [bold]{format_score(result.best_score)}[/bold]"
        f" (trial {result.best_trial.number}; {result.n_trials} trials, {result.elapsed:.1f}s,"
        f" study '{result.study_name}')",
        soft_wrap=True,
    )
    model_line = _model_line(result)
    if model_line:
        out.print(model_line, soft_wrap=True)
    for note in result.notes:
        err.print(f"[yellow]note:[/yellow] {note}", soft_wrap=True)
    if saved:
        out.print(f"model saved to {saved}", soft_wrap=True)
        out.print(f"predict with: automl predict {saved} DATA", soft_wrap=True)
    else:  # the trials are in the storage, but nothing could be refit in the time left
        fail("no model: " + ("; ".join(result.notes) or "no configuration could be refit"))


def _model_line(result: Any) -> str | None:
    """What the saved model is: the best trial alone, or an ensemble with its own score."""
    model = result.model
    members = (model.info.get("ensemble") or {}) if model is not None else {}
    if len(members) < 2:
        return None
    parts = ", ".join(f"{number} ({weight:.0%})" for number, weight in members.items())
    score = model.info.get("validation_score")
    scored = f"; validation {result.metric} {format_score(score)}" if score is not None else ""
    return f"model: ensemble of trials {parts}{scored}"


def _evaluation(value: str) -> str | int:
    return int(value) if value.isdigit() else value


def _progress(budget: float | None, trials: int | None, quiet: bool) -> Progress:
    columns: list[ProgressColumn] = [
        TextColumn("[bold]searching"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
    ]
    if budget is not None:
        columns.append(TimeLeftColumn())
    progress = Progress(*columns, console=err, disable=quiet, transient=False)
    total = budget if budget is not None else float(trials or 1)
    progress.add_task("search", total=total, status="0 trials")
    return progress


class _PhaseStatus(logging.Handler):
    """While in use, what the search does before its first trial (the cross search's steps)
    is the progress bar's status, instead of log lines."""

    LOGGER = "automl.steps.cross_search"

    def __init__(self, progress: Progress) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        self.progress.update(self.progress.task_ids[0], status=record.getMessage())

    def __enter__(self) -> _PhaseStatus:
        logger = logging.getLogger(self.LOGGER)
        logger.addHandler(self)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        return self

    def __exit__(self, *_: object) -> None:
        logger = logging.getLogger(self.LOGGER)
        logger.removeHandler(self)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


def _advance(progress: Progress, state: dict[str, Any], budget: float | None) -> None:
    best = state["best"]
    status = f"{state['done']} trials" + (f", best {best:.5g}" if best is not None else "")
    task_id = progress.task_ids[0]
    if budget is None:
        progress.update(task_id, completed=state["done"], status=status)
    else:
        progress.update(task_id, status=status)


def _tick(progress: Progress, budget: float | None) -> threading.Event:
    """Move a time-budget bar forward twice a second while trials run."""
    stop = threading.Event()
    if budget is None:
        return stop
    task_id = progress.task_ids[0]

    def run() -> None:
        while not stop.wait(0.5):
            elapsed = progress.tasks[0].elapsed or 0.0
            progress.update(task_id, completed=min(budget, elapsed))

    threading.Thread(target=run, daemon=True).start()
    return stop


def _print_leaderboard(result: Any) -> None:
    board = result.leaderboard.head(LEADERBOARD_ROWS)
    scores = board[result.metric].tolist()
    decimals = score_decimals(scores)
    table = Table(title=f"leaderboard (top {len(board)} of {result.n_trials})")
    for column in ("rank", "trial", "model", result.metric, "seconds", "state", "why it stopped"):
        table.add_column(column, justify="right" if column in ("rank", "trial") else "left")
    for rank, row in enumerate(board.to_dict("records"), start=1):
        seconds = row.get("seconds")
        table.add_row(
            str(rank),
            str(row["trial"]),
            str(row.get("model") or "-"),
            format_score(row.get(result.metric), decimals),
            "-" if seconds is None or math.isnan(seconds) else f"{seconds:.2f}",
            str(row["state"]),
            row["stopped"] if isinstance(row.get("stopped"), str) else "",
        )
    out.print(table)
    summary = result.summary()
    if summary["n_pruned"]:
        out.print(
            f"{summary['n_pruned']} of {result.n_trials} trials stopped early (their score is the"
            f" last one at low fidelity); {summary['cpu_seconds']:.0f} CPU seconds in all trials",
            soft_wrap=True,
        )


@app.command("predict")
def predict_command(
    model: Annotated[Path, typer.Argument(help="A model file saved by `automl search`.")],
    data: Annotated[
        Path,
        typer.Argument(
            help="CSV, TSV or Parquet file with the feature columns (for a text model also a"
            " .txt file: one text per line)."
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--out", help="Write predictions here (CSV).")
    ] = None,
) -> None:
    """Predict with a saved model; prints CSV to stdout unless --out is given."""
    from automl.model import load

    for path, what in ((model, "model file"), (data, "data file")):
        if not path.is_file():  # checked before loading the model, which can take seconds
            fail(f"{what} not found: {path}")
    try:
        fitted = load(model)
        frame = fitted.predict_proba(data) if fitted.task.is_classification else None
        predictions = fitted.predict(data)
    except AutoMLError as exc:
        fail(str(exc))
        return
    import pandas as pd

    table = pd.DataFrame({f"predicted_{fitted.target}": predictions})
    if frame is not None:
        for label in frame.columns:
            table[f"proba_{label}"] = frame[label].to_numpy()
    if output is None:
        table.to_csv(sys.stdout, index=False)
    else:
        table.to_csv(output, index=False)
        err.print(f"{len(table)} predictions written to {output}")


register_service_commands(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
