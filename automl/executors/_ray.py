"""Run trials as Ray tasks: many in flight across a cluster while the Optuna study stays with
the search (ask/tell on the driver, against the shared storage).

A task reports intermediate values straight to the storage and asks the study's pruner there,
so pruning works across machines; with in-memory storage the reports travel back with the
result instead (no pruning mid-trial). A worker process that dies mid-trial is retried by Ray
(`retries` times) and then recorded as failed with the reason. A trial's time limit counts
from its submission, so the budget holds; a task also stops itself at its first report past
the limit. A trial killed at its limit costs the next one a fresh worker process (about a
second to start and import automl), so very short limits suit the process executor better.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import optuna

from automl.exceptions import ConfigError
from automl.executors._base import OnReport, Outcome, Report, Resources, TrialAddress, Work
from automl.executors._inprocess import InProcessExecutor
from automl.executors._process import limit_threads

logger = logging.getLogger(__name__)
DEFAULT_RETRIES = 1
INSTALL_HINT = "executor='ray' needs Ray: pip install 'automl[ray]'"


_connected_to: list[str | None] = []
"""The address this process joined (None: the local Ray it started), once it has."""


def connect(address: str | None) -> None:
    """Join the Ray cluster at `address` ('auto', 'host:port' or 'ray://...'), or start a local
    one when None. Ray then stays up until the process exits, so later searches start at once
    (stopping it would also cost the budget a second or two); a different address reconnects.
    A Ray the caller started with `ray.init` is used as it is when no address is given."""
    try:
        import ray
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    if ray.is_initialized():
        if address in (None, "auto") or _connected_to == [address]:
            return
        ray.shutdown()
    try:
        ray.init(
            address=address or "local",  # None means this machine, not a cluster found on it
            include_dashboard=False,
            logging_level=logging.WARNING,
            configure_logging=False,
        )
    except (ConnectionError, ValueError, RuntimeError) as exc:
        where = f"at {address}" if address else "locally"
        raise ConfigError(f"cannot start or reach a Ray cluster {where}: {exc}") from None
    _connected_to[:] = [address]


_studies: dict[tuple[str, str], tuple[optuna.Study, optuna.storages.BaseStorage]] = {}
"""Studies this Ray worker process has opened, by (storage URL, study name)."""


def _storage_reporter(address: TrialAddress) -> OnReport:
    """In the worker: report to the trial in the storage and ask the study's pruner."""
    from automl.fidelity import ask_pruner
    from automl.storage import rdb_storage

    key = (address.storage_url, address.study_name)
    if key not in _studies:
        storage = rdb_storage(address.storage_url)
        _studies[key] = (optuna.load_study(study_name=address.study_name, storage=storage), storage)
    study, storage = _studies[key]
    study.pruner = address.pruner
    study_id = storage.get_study_id_from_name(address.study_name)
    trial = optuna.Trial(
        study, storage.get_trial_id_from_study_id_trial_number(study_id, address.trial_number)
    )

    def send(report: Report) -> bool:
        trial.report(report.value, report.step)
        return ask_pruner(trial, report.fidelity)

    return send


_works: dict[str, Work] = {}
"""Work functions this Ray worker process has loaded, by object id: a search's data is
deserialised once per worker, not once per trial."""


def _load_work(packed: list[Any]) -> Work:
    import ray

    [ref] = packed
    key = ref.hex()
    if key not in _works:
        _works.clear()
        _works[key] = ray.get(ref)
    return _works[key]


def run_trial_task(
    packed_work: list[Any],
    config: dict[str, Any],
    timeout: float | None,
    address: TrialAddress | None,
    threads: int,
) -> Outcome:
    """The Ray task: run the work like the in-process executor, keeping its reports.
    `packed_work` holds the work's object ref in a list, so that Ray does not resolve it."""
    work = _load_work(packed_work)
    limit_threads(threads)
    reports: list[Report] = []
    to_storage = _storage_reporter(address) if address is not None else None

    def on_report(report: Report) -> bool:
        reports.append(report)
        return to_storage(report) if to_storage is not None else False

    outcome = InProcessExecutor(work).run(config, timeout, on_report)
    outcome.reports, outcome.reported = reports, to_storage is not None
    return outcome


class RayExecutor:
    """Trials as Ray tasks with per-trial CPU/GPU/memory requests.

    `slots` (trials in flight) defaults to the cluster's CPUs divided by each trial's CPUs.
    Ray is started locally when `address` is None and no Ray runs in this process yet.
    """

    def __init__(
        self,
        work: Work,
        slots: int | None = None,
        resources: Resources | None = None,
        address: str | None = None,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        connect(address)
        import ray

        self._ray = ray
        self._in_flight: set[Any] = set()
        self._lock = threading.Lock()
        resources = resources or Resources()
        cpus = 1.0 if resources.cpus is None else resources.cpus
        total = ray.cluster_resources()
        _check_fits(resources, cpus, total)
        self.slots = slots or max(1, int(total.get("CPU", 1) // cpus))
        self.retries = retries
        self._threads = max(1, int(cpus))
        self._work = ray.put(work)
        options: dict[str, Any] = {
            "num_cpus": cpus,
            "num_gpus": resources.gpus,
            "max_retries": retries,
            "retry_exceptions": False,
        }
        if resources.memory_mb is not None:
            options["memory"] = int(resources.memory_mb) * 2**20
        self._task = ray.remote(run_trial_task).options(**options)
        logger.info(
            "trials run on Ray (%s): %d at once, %g CPUs each",
            address or "local",
            self.slots,
            cpus,
        )

    def run(
        self,
        config: dict[str, Any],
        timeout: float | None,
        on_report: OnReport,
        address: TrialAddress | None = None,
        ends_by: float | None = None,
    ) -> Outcome:
        ray = self._ray
        start = time.perf_counter()
        ref = self._task.remote([self._work], config, timeout, address, self._threads)
        with self._lock:
            self._in_flight.add(ref)
        try:
            outcome: Outcome = ray.get(ref, timeout=timeout)
        except ray.exceptions.GetTimeoutError:
            # Only killing the worker stops a task for sure (a polite cancel does not interrupt
            # sleeping or native code); Ray starts a fresh worker for the next task.
            ray.cancel(ref, force=True)
            return Outcome(
                "timeout",
                error=f"trial ran past its time limit of {timeout:.1f}s",
                wall_seconds=time.perf_counter() - start,
            )
        except ray.exceptions.RayError as exc:
            return Outcome(
                "failed",
                error=_lost_worker_message(exc, self.retries),
                wall_seconds=time.perf_counter() - start,
            )
        finally:
            with self._lock:
                self._in_flight.discard(ref)
        outcome.wall_seconds = time.perf_counter() - start
        return outcome

    def close(self) -> None:
        """Cancel the trials still in flight (Ray itself stays up: see `connect`)."""
        with self._lock:
            in_flight = list(self._in_flight)
        for ref in in_flight:
            self._ray.cancel(ref, force=True)


def _check_fits(resources: Resources, cpus: float, total: dict[str, float]) -> None:
    """Refuse requests no node can meet, instead of waiting for them forever."""
    if cpus > total.get("CPU", 0):
        raise ConfigError(
            f"a trial asks for {cpus:g} CPUs but the Ray cluster has {total.get('CPU', 0):g}"
        )
    if resources.gpus > total.get("GPU", 0):
        raise ConfigError(
            f"a trial asks for {resources.gpus:g} GPUs but the Ray cluster has {total.get('GPU', 0):g}"
        )


def _lost_worker_message(exc: Exception, retries: int) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    tries = f"retried {retries} time{'s' if retries != 1 else ''}, " if retries else ""
    return f"Ray worker lost mid-trial ({tries}{type(exc).__name__}): {first_line}"[:500]
