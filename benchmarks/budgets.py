"""Budgets that hold: does every search end with a model within its time budget + 5%?

    python -m benchmarks.budgets [--budgets 5 10 20 60] [--rows 3000 30000]

For each budget and training-set size (rows of UCI Adult, seed-0 sample; 5,000 other rows held
out for the test score), one default search (`strategy="auto"`) in a fresh process, idle and
while a torch job keeps both cores busy (see `benchmarks/contention.py`). Measured: the whole
`automl.search` call (reading the data frame, worker start-up, trials, refit), whether it
returned a model, completed trials and the test ROC AUC. Writes benchmarks/results/budgets.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from benchmarks.contention import DATA, RESULTS, torch_job

ONE_SEARCH = """
import json, sys, time, logging, pandas as pd, automl
from sklearn.metrics import roc_auc_score
logging.disable(logging.WARNING)
budget, rows = float(sys.argv[2]), int(sys.argv[3])
frame = pd.read_csv(sys.argv[1]).sample(frac=1.0, random_state=0)
test, train = frame.iloc[:5000], frame.iloc[5000:5000 + rows]
start = time.perf_counter()
try:
    result = automl.search(train, target="income", time_budget=budget, storage=":memory:", seed=0)
    seconds, error = time.perf_counter() - start, None
except automl.AutoMLError as exc:
    result, seconds, error = None, time.perf_counter() - start, str(exc)
has_model = result is not None and result.model is not None
auc = None
if has_model:
    proba = result.predict_proba(test.drop(columns="income"))
    auc = roc_auc_score(test["income"] == ">50K", proba[">50K"])
print(json.dumps({"seconds": seconds, "model": has_model, "error": error, "auc": auc,
                  "trials": 0 if result is None else int((result.leaderboard["state"] != "failed").sum())}))
"""


def one_search(budget: float, rows: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", ONE_SEARCH, str(DATA / "adult.csv.gz"), str(budget), str(rows)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budgets", type=float, nargs="+", default=[5, 10, 20, 60])
    parser.add_argument("--rows", type=int, nargs="+", default=[3000, 30000])
    args = parser.parse_args()
    rows_out = []
    for busy in (False, True):
        for rows in args.rows:
            for budget in args.budgets:
                if busy:
                    with torch_job():
                        run = one_search(budget, rows)
                else:
                    run = one_search(budget, rows)
                run.update(budget=budget, rows=rows, busy=busy)
                rows_out.append(run)
                print(json.dumps(run), flush=True)
    write(rows_out)


def write(runs: list[dict]) -> None:
    lines = [
        "# Budgets: a model within the time budget + 5%",
        "",
        "`python -m benchmarks.budgets` on the 2-core development machine: one default search",
        "(`strategy='auto'`, seed 0) per row, in a fresh process; 'busy' runs it while a torch",
        "job with two threads keeps both cores busy. 'call' is the whole `automl.search` call;",
        "'within' compares it with the budget + 5%. Test ROC AUC on 5,000 held-out Adult rows.",
        "",
        "| rows | budget (s) | machine | call (s) | over budget | within +5% | model | trials | test AUC |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        over = r["seconds"] / r["budget"] - 1
        auc = "-" if r["auc"] is None else f"{r['auc']:.4f}"
        model = "yes" if r["model"] else f"no ({r['error']})"
        lines.append(
            f"| {r['rows']:,} | {r['budget']:g} | {'busy' if r['busy'] else 'idle'} "
            f"| {r['seconds']:.1f} | {over:+.1%} | {'yes' if over <= 0.05 else 'NO'} "
            f"| {model} | {r['trials']} | {auc} |"
        )
    held = sum(r["model"] and r["seconds"] <= 1.05 * r["budget"] for r in runs)
    lines += ["", f"{held} of {len(runs)} runs ended with a model within budget + 5%."]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "budgets.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
