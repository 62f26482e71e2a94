"""Run trials in a worker process that is killed when a trial overruns its time limit.

The worker comes from a `forkserver` (a clean process, so libraries that are not fork-safe,
such as OpenMP in LightGBM, never see a forked state). The work function travels once, by
cloudpickle; afterwards only configs and results cross the pipe.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

import cloudpickle
import optuna

from automl.executors._base import OnReport, Outcome, Report, Reporter, Work, describe_error

PRELOAD = ["automl.evaluation"]
TERMINATE_GRACE_SECONDS = 0.3


def _exit_cleanly(signum: int, frame: Any) -> None:
    """SIGTERM in the worker: exit through Python so that finalizers (semaphores) run."""
    raise SystemExit(128 + signum)


def _worker_main(conn: Connection, payload: bytes) -> None:
    """Worker loop: receive a config, run the work, relay reports, send the result.

    Ctrl-C is ignored here (the search handles it and stops this process); when the search has
    gone away (a closed pipe), the worker exits quietly.
    """
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    work = cloudpickle.loads(payload)

    def send(report: Report) -> bool:
        conn.send(("report", report))
        return bool(conn.recv())

    try:
        while True:
            config, timeout = conn.recv()
            start = time.process_time()
            try:
                result = work(config, Reporter(send, timeout))
                message: tuple[Any, ...] = ("ok", result, None)
            except optuna.TrialPruned:
                message = ("pruned", None, None)
            except Exception as exc:
                message = ("failed", None, describe_error(exc))
            conn.send((*message, time.process_time() - start))
    except (EOFError, OSError):
        return


class ProcessExecutor:
    """One trial at a time in a separate process; a hung or crashed trial cannot take the search down.

    The worker is not a daemon so that scikit-learn may still parallelise inside it; it exits
    by itself when this side's pipe closes.
    """

    def __init__(self, work: Work) -> None:
        self._payload = cloudpickle.dumps(work)
        self._context = mp.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._process: Any = None
        self._conn: Connection | None = None

    def run(self, config: dict[str, Any], timeout: float | None, on_report: OnReport) -> Outcome:
        conn = self._ensure_worker()
        start = time.perf_counter()
        deadline = None if timeout is None else start + timeout
        try:
            conn.send((config, timeout))
            while True:
                remaining = None if deadline is None else max(0.0, deadline - time.perf_counter())
                if not conn.poll(remaining):
                    self._kill()
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
                status, value, error, cpu = message
                return Outcome(status, value, error, cpu, time.perf_counter() - start)
        except (EOFError, OSError, BrokenPipeError):
            code = self._process.exitcode if self._process is not None else None
            self._kill()
            return Outcome(
                "failed",
                error=f"worker process died (exit code {code}); out of memory or a crash in native code?",
                wall_seconds=time.perf_counter() - start,
            )

    def _ensure_worker(self) -> Connection:
        if self._process is None or not self._process.is_alive():
            parent, child = self._context.Pipe()
            process = self._context.Process(
                target=_worker_main, args=(child, self._payload), daemon=False
            )
            with main_module_hidden():
                process.start()
            child.close()
            self._process, self._conn = process, parent
        assert self._conn is not None
        return self._conn

    def _kill(self) -> None:
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
        """Stop the worker: an idle one exits when its pipe closes, a busy one is terminated."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None and self._process.pid is not None:
            self._process.join(timeout=0.5)
        self._kill()


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
