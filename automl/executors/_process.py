"""Run trials in worker processes that are killed when a trial overruns its time limit.

Each worker comes from a `forkserver` (a clean process, so libraries that are not fork-safe,
such as OpenMP in LightGBM, never see a forked state). The work function travels once, by
cloudpickle; afterwards only configs and results cross the pipe. A worker holds a hard memory
limit (RLIMIT_DATA: a trial that allocates past it gets a MemoryError and the worker is
replaced), caps its threads when several trials share the machine, and exits when the search
process that started it is gone.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import queue
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

import cloudpickle
import optuna

from automl.executors._base import (
    OnReport,
    Outcome,
    Report,
    Reporter,
    Resources,
    TrialAddress,
    Work,
    describe_error,
    usable_cpus,
    warm_up,
)

logger = logging.getLogger(__name__)
TERMINATE_GRACE_SECONDS = 0.3
PARENT_CHECK_SECONDS = 1.0
WORKER_START_SECONDS = 600.0
"""The longest a new worker may take to load the work (its data) and warm up before its
first trial; that time is not charged to the trial."""


def _preload_modules(work: Work) -> list[str]:
    """Modules the fork server imports once, so each worker starts warm: the module defining
    the work's class when it is part of automl (a user's script is never imported)."""
    module = type(work).__module__
    return [module] if module.split(".")[0] == "automl" else ["automl"]


def _exit_cleanly(signum: int, frame: Any) -> None:
    """SIGTERM in the worker: exit through Python so that finalizers (semaphores) run."""
    raise SystemExit(128 + signum)


def _exit_with_parent(parent_pid: int) -> None:
    """A daemon thread: end this worker (and its trial) once the search process is gone."""

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, daemon=True, name="automl-parent-watch").start()


_thread_limit: list[int] = []
"""The cap this process applied last (applying one costs milliseconds)."""


def thread_cap() -> int:
    """Threads a fit in this process may use: the cap applied here, else every usable CPU."""
    return _thread_limit[0] if _thread_limit else usable_cpus()


def limit_threads(threads: int | None) -> None:
    """Cap the thread pools (OpenMP, BLAS, joblib) of this process at `threads`."""
    if threads is None or _thread_limit == [threads]:
        return
    from threadpoolctl import threadpool_limits

    _thread_limit[:] = [threads]
    for name in (
        "OMP_NUM_THREADS",
        "LOKY_MAX_CPU_COUNT",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
    ):
        os.environ[name] = str(threads)
    threadpool_limits(threads)


def _limit_memory(memory_mb: int | None) -> None:
    if memory_mb is not None:
        limit = int(memory_mb) * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _worker_main(
    conn: Connection,
    parent_pid: int,
    threads: int | None,
    memory_mb: int | None,
    gpus: str | None = None,
) -> None:
    """Worker loop: receive a config, run the work, relay reports, send the result.

    Ctrl-C is ignored here (the search handles it and stops this process); when the search has
    gone away (a closed pipe), the worker exits quietly. After a MemoryError it exits too: its
    heap may be left in no state to run another trial.
    """
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent_pid)
    if gpus is not None:  # before anything initialises CUDA
        os.environ["CUDA_VISIBLE_DEVICES"] = gpus
    limit_threads(threads)
    payload = conn.recv_bytes()  # not a process argument: it would stay referenced all along
    work = cloudpickle.loads(payload)
    del payload
    _limit_memory(memory_mb)
    with contextlib.suppress(Exception):  # a trial that needs what failed to load says so
        warm_up(work)
    conn.send(("ready",))

    def send(report: Report) -> bool:
        conn.send(("report", report))
        return bool(conn.recv())

    try:
        while True:
            config, timeout = conn.recv()
            start = time.process_time()
            out_of_memory = False
            try:
                result = work(config, Reporter(send, timeout))
                message: tuple[Any, ...] = ("ok", result, None)
            except optuna.TrialPruned as exc:
                message = ("pruned", None, str(exc) or None)
            except MemoryError:
                out_of_memory = True
                message = ("failed", None, f"trial exceeded its memory limit of {memory_mb} MB")
            except Exception as exc:
                message = ("failed", None, describe_error(exc))
            conn.send((*message, time.process_time() - start, out_of_memory))
            if out_of_memory:
                return
    except (EOFError, OSError):
        return


class _StartFailed(Exception):
    """A new worker process could not load the work."""


class _WorkerProcess:
    """One worker process and its pipe, started on first use and again after it died; never
    again once closed (Ctrl-C closes the executor while other slots may be starting trials)."""

    def __init__(
        self,
        context: Any,
        payload: bytes,
        threads: int | None,
        memory_mb: int | None,
        gpus: str | None = None,
    ) -> None:
        self._context = context
        self._payload = payload
        self._args = (os.getpid(), threads, memory_mb, gpus)
        self._memory_mb = memory_mb
        self._process: Any = None
        self._conn: Connection | None = None
        self._closed = False
        self._starting = threading.Lock()

    def run(
        self,
        config: dict[str, Any],
        timeout: float | None,
        on_report: OnReport,
        ends_by: float | None = None,
    ) -> Outcome:
        try:
            conn = self._ensure_started()
        except _StartFailed as exc:
            return Outcome("failed", error=str(exc))
        if ends_by is not None:  # the worker's start-up may have used part of what was left
            left = max(0.0, ends_by - time.monotonic())
            timeout = left if timeout is None else min(timeout, left)
        if conn is None:
            return Outcome("failed", error="the executor was closed before the trial started")
        start = time.perf_counter()
        deadline = None if timeout is None else start + timeout
        try:
            conn.send((config, timeout))
            while True:
                remaining = None if deadline is None else max(0.0, deadline - time.perf_counter())
                if not conn.poll(remaining):
                    self.kill()
                    limit = f"{timeout:.1f}s" if timeout is not None else "its limit"
                    return Outcome(
                        "timeout",
                        error=f"trial ran past its time limit of {limit}",
                        cpu_seconds=time.perf_counter() - start,
                        wall_seconds=time.perf_counter() - start,
                    )
                message = conn.recv()
                if message[0] == "report":
                    conn.send(bool(on_report(message[1])))
                    continue
                status, value, error, cpu, exiting = message
                if exiting:
                    self.kill()
                return Outcome(status, value, error, cpu, time.perf_counter() - start)
        except (EOFError, OSError, BrokenPipeError):
            code = self._process.exitcode if self._process is not None else None
            self.kill()
            return Outcome(
                "failed",
                error=f"worker process died (exit code {code}); {self._likely_cause()}",
                wall_seconds=time.perf_counter() - start,
            )

    def _likely_cause(self) -> str:
        if self._memory_mb is not None:
            return f"over its memory limit of {self._memory_mb} MB, or a crash in native code?"
        return "out of memory, killed, or a crash in native code?"

    def _ensure_started(self) -> Connection | None:
        """The pipe to a live worker (started if need be); None once the worker is closed."""
        with self._starting:
            if self._closed:
                return None
            if self._process is None or not self._process.is_alive():
                self.kill()
                parent, child = self._context.Pipe()
                process = self._context.Process(
                    target=_worker_main, args=(child, *self._args), daemon=False
                )
                with main_module_hidden():
                    process.start()
                child.close()
                self._process, self._conn = process, parent
                self._wait_until_ready(parent)
            return self._conn

    def _wait_until_ready(self, conn: Connection) -> None:
        """Send the new worker the work, then block until it has loaded it and warmed up (not
        trial time)."""
        try:
            conn.send_bytes(self._payload)
            if conn.poll(WORKER_START_SECONDS) and conn.recv() == ("ready",):
                return
            reason = f"did not load the search's data within {WORKER_START_SECONDS:.0f}s"
        except (EOFError, OSError):
            code = self._process.exitcode if self._process is not None else None
            reason = f"died while loading the search's data (exit code {code}); " + (
                self._likely_cause()
            )
        self.kill()
        raise _StartFailed(f"worker process {reason}")

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def kill(self) -> None:
        """Stop the worker: politely first (so it releases its semaphores), then for sure."""
        process = self._process
        if process is not None and process.pid is not None and process.is_alive():
            process.terminate()
            process.join(timeout=TERMINATE_GRACE_SECONDS)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn = None, None

    def close(self) -> None:
        """An idle worker exits when its pipe closes; a busy one is terminated."""
        with self._starting:
            self._closed = True
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None and self._process.pid is not None:
            self._process.join(timeout=0.5)
        self.kill()


class ProcessExecutor:
    """Up to `slots` trials at once, each in its own worker process: a trial that hangs, leaks
    memory or crashes cannot take the search down.

    Workers are not daemons so that scikit-learn may still parallelise inside them.
    """

    def __init__(
        self, work: Work, slots: int | None = 1, resources: Resources | None = None
    ) -> None:
        resources = resources or Resources()
        context = mp.get_context("forkserver")
        prepare_forkserver(_preload_modules(work))
        payload = cloudpickle.dumps(work)
        if slots is None:
            slots = resources.default_slots(len(payload) / 2**20)
        threads = resources.threads(slots)
        logger.info(
            "%d trial%s at once, %s",
            slots,
            "s" if slots > 1 else "",
            "all cores each" if threads is None else f"{threads} thread{'s' * (threads > 1)} each",
        )
        self.slots = slots
        self.workers = [
            _WorkerProcess(context, payload, threads, resources.memory_mb, gpus)
            for gpus in resources.gpu_sets(slots)
        ]
        self._idle: queue.SimpleQueue[_WorkerProcess] = queue.SimpleQueue()
        for worker in self.workers:
            self._idle.put(worker)

    def run(
        self,
        config: dict[str, Any],
        timeout: float | None,
        on_report: OnReport,
        address: TrialAddress | None = None,
        ends_by: float | None = None,
    ) -> Outcome:
        worker = self._idle.get()
        try:
            return worker.run(config, timeout, on_report, ends_by)
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        for worker in self.workers:
            worker.close()


def prepare_forkserver(modules: list[str]) -> None:
    """Start this process's fork server now (once), importing `modules` for every worker,
    rather than when the first worker starts."""
    from multiprocessing import forkserver

    mp.get_context("forkserver").set_forkserver_preload(modules)
    with main_module_hidden():
        forkserver.ensure_running()


@contextmanager
def main_module_hidden() -> Iterator[None]:
    """Start workers without re-importing the caller's `__main__` script in them.

    multiprocessing re-runs the main script in every new process (hence the usual
    `if __name__ == "__main__":` guard, and a crash for `python - < script`). The work is sent
    with cloudpickle, which copies functions defined in `__main__` by value, so the worker never
    needs the script: hide its path while the worker starts.
    """
    main = sys.modules["__main__"]
    saved: dict[str, Any] = {
        name: main.__dict__.pop(name) for name in ("__file__", "__spec__") if name in main.__dict__
    }
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        del main.__dict__["__spec__"]
        main.__dict__.update(saved)
