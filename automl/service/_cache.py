"""An in-memory cache of rendered JSON responses, keyed by the job's last change.

Each key includes the job's `updated_at`, which workers bump after every trial and heartbeat,
so a cached page is at most one heartbeat old and many clients polling one job cost one render.
Hits are answered on the event loop; a miss renders in a worker thread, once: concurrent
requests for the same key wait for that render (a dashboard opened by 50 people would otherwise
render the same page 50 times).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable

from fastapi import Response
from starlette.concurrency import run_in_threadpool

MAX_BYTES = 64 * 1024 * 1024


class ResponseCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._rendering: dict[Hashable, asyncio.Lock] = {}

    async def json(self, key: Hashable, render: Callable[[], bytes]) -> Response:
        """The cached body for `key`, rendering it once on a miss."""
        body = self._get(key)
        if body is None:
            lock = self._rendering.setdefault(key, asyncio.Lock())
            async with lock:
                body = self._get(key)  # rendered by another request while this one waited
                if body is None:
                    body = await run_in_threadpool(render)
                    self._put(key, body)
            self._rendering.pop(key, None)
        return Response(content=body, media_type="application/json")

    def _get(self, key: Hashable) -> bytes | None:
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
        return body

    def _put(self, key: Hashable, body: bytes) -> None:
        self._entries[key] = body
        self._size += len(body)
        while self._size > self.max_bytes and len(self._entries) > 1:
            _, evicted = self._entries.popitem(last=False)
            self._size -= len(evicted)
