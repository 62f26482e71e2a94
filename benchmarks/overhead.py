"""Framework overhead per trial with a trivial objective, in memory and with SQLite.

    python -m benchmarks.overhead --trials 300

Overhead = wall time of the search / number of trials (the objective itself costs microseconds).
Writes benchmarks/results/overhead.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import automl

RESULTS = Path(__file__).resolve().parent / "results"
SPACE = {"x": {"type": "float", "low": 0, "high": 10}, "n": {"type": "int", "low": 1, "high": 8}}


def trivial(config: dict[str, Any], report: Any) -> float:
    return config["x"] + config["n"]


def measure(storage: str, executor: str, strategy: str, n_trials: int) -> float:
    """Milliseconds per trial for the whole search call."""
    start = time.perf_counter()
    automl.search(
        objective=trivial,
        space=SPACE,
        n_trials=n_trials,
        storage=storage,
        strategy=strategy,
        executor=executor,
        seed=0,
    )
    return 1000 * (time.perf_counter() - start) / n_trials


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=300)
    args = parser.parse_args()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows = []
    measure(":memory:", "process", "random", 2)  # start the worker process server once (about 1 s)
    with tempfile.TemporaryDirectory() as tmp:
        for storage_name in ("memory", "sqlite"):
            for executor in ("inprocess", "process"):
                for strategy in ("random", "tpe"):
                    storage = (
                        ":memory:"
                        if storage_name == "memory"
                        else f"sqlite:///{tmp}/{executor}-{strategy}.db"
                    )
                    ms = measure(storage, executor, strategy, args.trials)
                    rows.append((storage_name, executor, strategy, ms))
                    print(
                        f"{storage_name:7s} {executor:10s} {strategy:7s} {ms:7.2f} ms/trial",
                        flush=True,
                    )
    lines = [
        f"# Overhead per trial, trivial objective, {args.trials} trials",
        "",
        "Targets: at most 5 ms in memory, 30 ms with SQLite. Each figure is the whole search call",
        "(study creation included) divided by the trials; the process executor's one-time start of",
        "its worker server (about 1 s per Python process) is done before measuring.",
        "",
        "| storage | executor | strategy | ms per trial |",
        "|---|---|---|---|",
        *[f"| {s} | {e} | {st} | {ms:.2f} |" for s, e, st, ms in rows],
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "overhead.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
