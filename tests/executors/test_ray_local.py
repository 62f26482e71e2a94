"""The Ray executor with no address: it starts Ray on this machine (in a module of its own, so
that the two-node cluster of test_ray.py is gone by then)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import automl


def test_a_local_ray_runs_a_tabular_search(adult: Any, tmp_path: Path) -> None:
    """No address and no Ray yet: the executor starts Ray on this machine (and keeps it for the
    next search of this process)."""
    import ray

    result = automl.search(
        adult.head(600),
        target="income",
        n_trials=6,
        storage=f"sqlite:///{tmp_path / 'tabular.db'}",
        seed=0,
        executor="ray",
        trial_resources={"cpus": 1},
    )
    assert result.best_score > 0.75
    assert result.model is not None and len(result.predict(adult.tail(50))) == 50
    assert ray.is_initialized() and len(ray.nodes()) == 1
    ray.shutdown()
