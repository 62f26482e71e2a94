"""In-memory caches of the service: rendered JSON responses, sorted trial ids, job rows.

A response is cached per resource (a job's trial page, its overview) and version (the job's
`updated_at`, which workers bump after every trial and heartbeat), so many clients polling one
job cost one render per change. Hits are answered on the event loop; a miss renders in a worker
thread, once: concurrent requests for it wait for that render, except that while a newer version
renders, requests get the previous one at once (stale by at most one change), so a live job's
dashboards never stall on a big render.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from fastapi import Response
from starlette.concurrency import run_in_threadpool

from automl.jobs import Job

MAX_BYTES = 64 * 1024 * 1024


class ResponseCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[Hashable, bytes, float]] = OrderedDict()
        self._size = 0
        self._rendering: dict[Hashable, asyncio.Lock] = {}

    async def json(
        self,
        resource: Hashable,
        version: Hashable,
        render: Callable[[], bytes],
        min_interval: float = 0.0,
    ) -> Response:
        """The body of `resource` at `version`, rendering it once on a miss. With
        `min_interval`, a body rendered less than that many seconds ago is still served (for
        costly aggregates of a live job: at most one render per interval)."""
        entry = self._get(resource)
        if entry is not None and time.monotonic() - entry[2] < min_interval:
            return _json(entry[1])
        if entry is None or entry[0] != version:
            lock = self._rendering.setdefault(resource, asyncio.Lock())
            if lock.locked() and entry is not None:
                return _json(entry[1])  # a newer version is rendering: serve the last one
            async with lock:
                entry = self._get(resource)  # rendered by another request while this one waited
                if entry is None or entry[0] != version:
                    entry = (version, await run_in_threadpool(render), time.monotonic())
                    self._put(resource, entry)
        return _json(entry[1])

    def _get(self, resource: Hashable) -> tuple[Hashable, bytes, float] | None:
        entry = self._entries.get(resource)
        if entry is not None:
            self._entries.move_to_end(resource)
        return entry

    def _put(self, resource: Hashable, entry: tuple[Hashable, bytes, float]) -> None:
        old = self._entries.pop(resource, None)
        if old is not None:
            self._size -= len(old[1])
        self._entries[resource] = entry
        self._size += len(entry[1])
        while self._size > self.max_bytes and len(self._entries) > 1:
            _, evicted = self._entries.popitem(last=False)
            self._size -= len(evicted[1])


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


class Memo:
    """A small thread-safe LRU of computed values (the sorted trial ids of a job)."""

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = compute()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value


class JobRows:
    """Job rows for up to `ttl` seconds, so polling clients do not read the job store on every
    request. A change made through this process is seen at once (`forget`); one made elsewhere
    (a worker, another server process) within `ttl`."""

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self._rows: dict[str, tuple[Job, float]] = {}

    def get(self, job_id: str) -> Job | None:
        hit = self._rows.get(job_id)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def put(self, job: Job) -> None:
        if len(self._rows) > 10_000:
            self._rows.clear()
        self._rows[job.id] = (job, time.monotonic() + self.ttl)

    def forget(self, job_id: str) -> None:
        self._rows.pop(job_id, None)
