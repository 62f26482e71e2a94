"""Long benchmarks run in parts: each invocation keeps the results file's runs it does not redo."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def kept_runs(path: Path, redone: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """The runs stored in `path` (a JSON list) for which `redone(run)` is false."""
    if not path.is_file():
        return []
    runs = json.loads(path.read_text())
    if not isinstance(runs, list):
        raise SystemExit(f"{path} holds results in an older format: write to another file")
    return [run for run in runs if not redone(run)]
