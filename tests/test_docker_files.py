"""There is no Docker engine here: check the Docker and worker deployment files by reading them. The image runs as a
non-root user with a health check; compose has the API, two workers, PostgreSQL and a Ray head,
each with a health check, and the workers share the API's database and data volume."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[1] / "docker"


def test_the_image_runs_as_a_non_root_user_with_a_health_check() -> None:
    lines = [line.strip() for line in (DOCKER / "Dockerfile").read_text().splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert any("torch==2.13.0" in line for line in lines)  # the CPU build, pinned
    for line in lines:
        if line.startswith("COPY "):
            source = line.split()[1]
            assert (DOCKER.parent / source).exists(), f"COPY of a missing path: {source}"


def test_compose_has_api_two_workers_postgres_and_ray_with_health_checks() -> None:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"api", "worker", "postgres", "ray-head"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
    assert services["worker"]["deploy"]["replicas"] == 2
    api, worker = services["api"], services["worker"]
    assert api["environment"] == worker["environment"]  # one database, one data directory
    assert "postgres" in api["environment"]["AUTOML_DATABASE_URL"]
    assert api["volumes"] == worker["volumes"]
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert api["build"]["dockerfile"] == "docker/Dockerfile"
    assert set(compose["volumes"]) >= {"automl-data", "postgres-data"}


def test_workers_run_their_trials_on_the_ray_head_built_from_the_automl_image() -> None:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    worker, head = compose["services"]["worker"], compose["services"]["ray-head"]
    assert worker["command"][-2:] == ["--ray-address", "ray-head:6379"]
    assert worker["depends_on"]["ray-head"]["condition"] == "service_healthy"
    assert head["build"]["dockerfile"] == "docker/Dockerfile"  # Ray's tasks import automl
    assert head["environment"]["RAY_AUTH_TOKEN"] == worker["environment"]["RAY_AUTH_TOKEN"]
    assert 'pip install ".[service,postgres,ray]"' in (DOCKER / "Dockerfile").read_text()


WORKERS = DOCKER.parent / "workers"


def _options_of(command_name: str) -> set[str]:
    import typer

    from automl.cli import app

    group = typer.main.get_command(app)
    command = group.commands[command_name]  # type: ignore[attr-defined]
    return {opt for param in command.params for opt in param.opts}


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((WORKERS / name).read_text())
    return unit


def test_the_worker_unit_runs_automl_worker_with_options_it_has() -> None:
    unit = _unit("automl-worker.service")
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    command = shlex.split(unit["Service"]["ExecStart"])
    assert command[0].endswith("/automl") and command[1] == "worker"
    env = dict(
        line.split("=", 1)
        for line in (WORKERS / "automl.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert unit["Service"]["EnvironmentFile"] == "/etc/automl/automl.env"
    assert "postgresql" in env["AUTOML_DATABASE_URL"] and env["AUTOML_HOME"]
    options = [word for word in command + env["AUTOML_WORKER_ARGS"].split() if word[:2] == "--"]
    assert options and set(options) <= _options_of("worker")
    assert _unit("ray-node.service")["Service"]["ExecStart"].split()[1:3] == [
        "start",
        "--address=${RAY_HEAD}",
    ]


def test_the_ray_cluster_config_installs_pinned_torch_before_automl() -> None:
    config = yaml.safe_load((WORKERS / "ray-cluster.yaml").read_text())
    assert config["provider"]["type"] == "local" and config["provider"]["worker_ips"]
    setup = config["setup_commands"]
    torch_at = next(i for i, c in enumerate(setup) if "torch==2.13.0" in c)
    automl_at = next(i for i, c in enumerate(setup) if '"automl[ray]"' in c)
    assert torch_at < automl_at
    assert any("--head --port=6379" in c for c in config["head_start_ray_commands"])
    guide = (WORKERS / "README.md").read_text()
    for path in WORKERS.iterdir():
        if path.name != "README.md":
            assert path.name in guide, f"workers/README.md does not explain {path.name}"
