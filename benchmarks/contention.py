"""A busy machine: how much slower trials get when other work shares the cores.

    python -m benchmarks.contention

Three measurements, each in fresh processes on the 2-core development machine:
- one LightGBM fit (default settings, 2,400 Adult rows, median of 5) idle and while a torch job
  keeps both cores busy, with two OpenMP threads under libgomp's default wait policy (spin, then
  sleep), two threads that sleep at once (OMP_WAIT_POLICY=PASSIVE) and one thread;
- a search (12 random trials on 3,000 Adult rows, seed 0, no ensemble) alone, then two identical
  ones at once: the slower of the two against the one alone, before (one trial at a time using
  all cores, `n_parallel=1`) and after (the default: one single-threaded trial per core);
- the same search while the torch job runs.
Writes benchmarks/results/contention.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DATA = Path(
    os.environ.get("AUTOML_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets")
)

TORCH_JOB = """
import time, torch
torch.set_num_threads(2)
a = torch.randn(800, 800)
while True:
    a = torch.tanh(a @ a / 800)
"""

ONE_FIT = """
import sys, time, statistics, pandas as pd, lightgbm
frame = pd.read_csv(sys.argv[1], nrows=2400)
y = (frame.pop("income") == ">50K").astype(int)
for column in frame.columns[frame.dtypes == "str"]:
    frame[column] = frame[column].astype("category")
threads = None if sys.argv[2] == "default" else int(sys.argv[2])
seconds = []
for _ in range(5):
    start = time.perf_counter()
    lightgbm.LGBMClassifier(verbose=-1, n_jobs=threads).fit(frame, y)
    seconds.append(time.perf_counter() - start)
print(statistics.median(seconds))
"""

ONE_SEARCH = """
import sys, time, logging, pandas as pd, automl
logging.disable(logging.WARNING)
frame = pd.read_csv(sys.argv[1], nrows=3000)
parallel = None if sys.argv[2] == "default" else int(sys.argv[2])
start = time.perf_counter()
automl.search(frame, target="income", n_trials=12, strategy="random", storage=":memory:",
              seed=0, ensemble=False, n_parallel=parallel)
print(time.perf_counter() - start)
"""

DEFAULT_POLICY: dict[str, str] = {}
PASSIVE = {"OMP_WAIT_POLICY": "PASSIVE"}
POLICIES = {
    "before: 1 trial at a time, all cores": "1",
    "after: 1 thread per trial, 1 per core": "default",
}


def _python(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _seconds(process: subprocess.Popen[str]) -> float:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"benchmark step failed with exit code {process.returncode}")
    return float(out.strip().splitlines()[-1])


@contextmanager
def torch_job() -> Iterator[None]:
    """A torch job with two threads, keeping both cores busy while the block runs."""
    job = _python(TORCH_JOB)
    time.sleep(3)  # let it import torch and start computing
    try:
        yield
    finally:
        job.kill()
        job.wait()


def fit_seconds(threads: str, env: dict[str, str]) -> float:
    return _seconds(_python(ONE_FIT, str(DATA / "adult.csv.gz"), threads, env=env))


def search_seconds(parallel: str, at_once: int = 1) -> float:
    """Wall seconds of the slowest of `at_once` identical searches started together."""
    runs = [_python(ONE_SEARCH, str(DATA / "adult.csv.gz"), parallel) for _ in range(at_once)]
    return max(_seconds(run) for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=2, help="runs of each search measurement")
    args = parser.parse_args()
    fits = {
        "2 threads, default wait (spin)": ("default", DEFAULT_POLICY),
        "2 threads, passive wait": ("default", PASSIVE),
        "1 thread": ("1", DEFAULT_POLICY),
    }
    fit_rows = []
    for name, (threads, env) in fits.items():
        idle = fit_seconds(threads, env)
        with torch_job():
            busy = fit_seconds(threads, env)
        fit_rows.append((name, idle, busy))
        print(f"fit, {name}: idle {idle:.3f} s, busy {busy:.3f} s ({busy / idle:.1f}x)", flush=True)

    def repeated(parallel: str, at_once: int = 1) -> list[float]:
        return [search_seconds(parallel, at_once) for _ in range(args.repeats)]

    search_rows = []
    for name, parallel in POLICIES.items():
        alone, pair = repeated(parallel), repeated(parallel, 2)
        with torch_job():
            shared = repeated(parallel)
        search_rows.append((name, alone, pair, shared))
        print(f"search, {name}: alone {alone}, two at once {pair}, with torch {shared}", flush=True)
    write(fit_rows, search_rows, args.repeats)


def _mean(values: list[float]) -> str:
    spread = f" ± {statistics.stdev(values):.1f}" if len(values) > 1 else ""
    return f"{statistics.mean(values):.1f}{spread}"


def write(
    fit_rows: list[tuple[str, float, float]],
    search_rows: list[tuple[str, list[float], list[float], list[float]]],
    repeats: int,
) -> None:
    lines = [
        "# A busy machine: trials sharing the cores",
        "",
        "`python -m benchmarks.contention` on the 2-core development machine; 'torch job' is a",
        "torch process with two threads multiplying matrices, started 3 s before and killed after.",
        "",
        "## One LightGBM fit (2,400 Adult rows, default settings, median of 5 fits)",
        "",
        "| threads | idle (s) | with a torch job (s) | slower |",
        "|---|---|---|---|",
        *[f"| {n} | {i:.3f} | {b:.3f} | {b / i:.1f}x |" for n, i, b in fit_rows],
        "",
        f"## A search (12 random trials, 3,000 Adult rows), mean ± sd of {repeats} runs",
        "",
        "| trial workers | alone (s) | two at once, slower (s) | ratio | with a torch job (s) | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name, alone, pair, busy in search_rows:
        base = statistics.mean(alone)
        lines.append(
            f"| {name} | {_mean(alone)} | {_mean(pair)} | {statistics.mean(pair) / base:.2f}x "
            f"| {_mean(busy)} | {statistics.mean(busy) / base:.2f}x |"
        )
    lines += [
        "",
        "Targets (issue 14): two identical searches at once at most 2.2x one alone (a fair share",
        "of two cores is 2.0x); with a torch job on the machine, no fit more than 3x slower than idle.",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "contention.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
