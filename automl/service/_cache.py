"""A small in-memory cache of rendered JSON responses, keyed by the job's last change.

Each key includes the job's `updated_at`, which workers bump after every trial and heartbeat,
so a cached page is at most one heartbeat old and many clients polling one job cost one query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from fastapi import Response

MAX_ENTRIES = 512


class ResponseCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def json(self, key: Hashable, render: Callable[[], bytes]) -> Response:
        """The cached body for `key`, rendering it on a miss."""
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
        if body is None:
            body = render()
            with self._lock:
                self._entries[key] = body
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return Response(content=body, media_type="application/json")
