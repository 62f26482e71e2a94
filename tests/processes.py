"""Helpers for tests that run `automl` commands as real processes."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def automl_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "automl.cli", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.3) -> T:
    """Poll `predicate` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
