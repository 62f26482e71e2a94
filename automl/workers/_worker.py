"""Worker: claims jobs from the store, runs each in its own process, keeps their leases alive,
and stops a job within a heartbeat when a user cancels it.

A worker that dies (even by `kill -9`) takes its job processes with it; its leases run out and
another worker takes the jobs over, failing the trials that were running and resuming the study.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

import optuna

from automl._study import fail_interrupted_trials
from automl.executors import ExecutorSettings
from automl.executors._process import main_module_hidden, prepare_forkserver
from automl.jobs import Job, JobStore
from automl.storage import automl_home, rdb_storage
from automl.workers._runner import run_job

logger = logging.getLogger(__name__)
DEFAULT_LEASE_SECONDS = 30.0
DEFAULT_HEARTBEAT_SECONDS = 2.0
POLL_SECONDS = 0.5


@dataclass
class RunningJob:
    job: Job
    process: Any
    alive: Connection
    """The worker's end of a pipe; the job process exits when it closes."""
    started: float = field(default_factory=time.monotonic)
    last_beat: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        """Seconds the job has run, over all the workers that ran it."""
        return self.job.elapsed_seconds + time.monotonic() - self.started


class Worker:
    """Runs up to `concurrency` jobs at once until stopped (or, with `burst`, until the queue is
    empty). `lease_seconds` is how long a silent worker keeps its jobs before others take them.
    `executor` says where each job's trials run (worker processes here, or a Ray cluster)."""

    def __init__(
        self,
        url: str | None = None,
        concurrency: int = 1,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        burst: bool = False,
        executor: ExecutorSettings | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if heartbeat_seconds >= lease_seconds:
            raise ValueError("heartbeat_seconds must be shorter than lease_seconds")
        self.store = JobStore(url)
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.burst = burst
        self.executor = executor or ExecutorSettings()
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"
        self.running: dict[str, RunningJob] = {}
        self._stopping = False
        self._context = mp.get_context("forkserver")
        prepare_forkserver(["automl.workers._runner"])

    def run(self) -> None:
        """The main loop; SIGTERM or Ctrl-C hand the running jobs back to the queue and return."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        logger.info("worker %s: up to %d jobs at once", self.id, self.concurrency)
        try:
            while not self._stopping:
                self._reap()
                self._beat()
                claimed = self._fill_slots()
                if self.burst and not claimed and not self.running:
                    break
                time.sleep(POLL_SECONDS)
        finally:
            for job_id in list(self.running):
                self._stop_job(job_id, "released")
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.store.close()

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        logger.info("worker %s: stopping (signal %d)", self.id, signum)
        self._stopping = True

    def _fill_slots(self) -> int:
        claimed = 0
        while len(self.running) < self.concurrency:
            job = self.store.claim(self.id, self.lease_seconds)
            if job is None:
                break
            alive_reader, alive = self._context.Pipe(duplex=False)
            process = self._context.Process(
                target=run_job,
                args=(
                    job.id,
                    self.store.url,
                    self.id,
                    str(automl_home()),
                    alive_reader,
                    self.executor,
                ),
                name=f"job-{job.id}",
            )
            with main_module_hidden():
                process.start()
            alive_reader.close()
            self.running[job.id] = RunningJob(job, process, alive)
            logger.info("worker %s: running job %s (attempt %d)", self.id, job.id, job.attempts)
            claimed += 1
        return claimed

    def _reap(self) -> None:
        """Jobs whose process ended: a process that died without recording an outcome fails."""
        for job_id, running in list(self.running.items()):
            if running.process.is_alive():
                continue
            running.process.join()
            running.alive.close()
            del self.running[job_id]
            code = running.process.exitcode
            error = f"the job's search process exited with code {code} (out of memory or killed?)"
            if self.store.finish(job_id, self.id, "failed", error):
                logger.warning("job %s: %s", job_id, error)
            else:
                self._log_outcome(job_id)

    def _log_outcome(self, job_id: str) -> None:
        """One line on how a job ended, as its process recorded it."""
        job = self.store.get(job_id)
        progress = job.progress
        best = progress.get("best_score")
        facts = f"{progress.get('trials', 0)} trials, best " + (
            "-" if best is None else f"{best:.6g}"
        )
        if job.state == "succeeded":
            facts += ", model saved" if job.model_path else ", no model"
        took = (job.finished_at or 0.0) - (job.started_at or 0.0)
        ended = f"after {took:.1f} s" if job.started_at and job.finished_at else ""
        detail = f": {job.error}" if job.error else ""
        logger.info("job %s %s %s (%s)%s", job_id, job.state, ended, facts, detail)

    def _beat(self) -> None:
        now = time.monotonic()
        for job_id, running in list(self.running.items()):
            if now - running.last_beat < self.heartbeat_seconds:
                continue
            running.last_beat = now
            reply = self.store.heartbeat(job_id, self.id, self.lease_seconds, running.elapsed)
            if reply.lease_lost:
                logger.warning("job %s: lease lost; another worker has it", job_id)
                self._kill(running)
                del self.running[job_id]
            elif reply.cancel_requested:
                self._stop_job(job_id, "cancelled")

    def _stop_job(self, job_id: str, outcome: str) -> None:
        """Kill the job's process and fail its running trials; `cancelled`, or `released` back
        to the queue for another worker."""
        running = self.running.pop(job_id)
        self._kill(running)
        self._fail_running_trials(running.job)
        if outcome == "cancelled":
            self.store.finish(job_id, self.id, "cancelled")
        else:
            self.store.release(job_id, self.id, running.elapsed)
        logger.info("job %s %s", job_id, outcome)

    def _fail_running_trials(self, job: Job) -> None:
        storage = rdb_storage(self.store.url)
        try:
            study = optuna.load_study(study_name=job.study_name, storage=storage)
        except KeyError:  # stopped before its study was created
            return
        fail_interrupted_trials(study, storage)

    @staticmethod
    def _kill(running: RunningJob) -> None:
        running.alive.close()
        running.process.kill()
        running.process.join(timeout=10)
