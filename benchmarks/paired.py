"""Two arms of the warm-start benchmark side by side, paired by dataset and seed:

    python -m benchmarks.paired RESULTS:ARM RESULTS:ARM [--cold RESULTS:ARM] [--out NAME]

RESULTS names a `benchmarks.warm_start` results file (benchmarks/results/<RESULTS>.json), or
several joined by `+` (runs of one code on different datasets), so two checkouts of the code can
be compared, each having written its own file on one machine.
Per dataset, the mean held-out score over the seeds both arms ran, the difference (second minus
first) and, with several seeds, its standard error (sd of the per-seed differences over the root
of their count: a table's own run-to-run noise); then the mean difference, its sd over the
datasets, how many datasets each is ahead on (and on how many the second is behind by more than
0.002, issue 17's 60 s target, and on how many by more than that plus two standard errors, so
beyond the table's noise), and, with `--cold`, on how many each is at least as good as the cold
arm (issue 17's 20 s target).
Prints a Markdown table; `--out` also writes it to benchmarks/results/<NAME>.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
Scores = dict[tuple[str, int], float]
FAR_BEHIND = 0.002
"""Issue 17's 60 s target: a warm search never behind cold by more than this."""


def scores(reference: str) -> tuple[str, Scores]:
    """`RESULTS:ARM` -> (its label, the arm's held-out score per dataset and seed)."""
    names, _, arm = reference.rpartition(":")
    if not names or not arm:
        raise SystemExit(f"'{reference}': expected RESULTS:ARM, such as warm_start:portfolio_20")
    found: Scores = {}
    for name in names.split("+"):
        path = RESULTS / f"{name}.json"
        if not path.is_file():
            raise SystemExit(f"no results file {path}")
        runs = json.loads(path.read_text())
        found |= {(r["dataset"], r["seed"]): r[arm]["score"] for r in runs if arm in r}
    if not found:
        raise SystemExit(f"{names} has no runs of the arm '{arm}'")
    return reference, found


def per_dataset(found: Scores, keys: set[tuple[str, int]]) -> dict[str, float]:
    """Mean score per dataset over the (dataset, seed) `keys`."""
    by_dataset: dict[str, list[float]] = {}
    for key in sorted(keys):
        by_dataset.setdefault(key[0], []).append(found[key])
    return {dataset: statistics.mean(values) for dataset, values in by_dataset.items()}


def standard_errors(first: Scores, second: Scores, keys: set[tuple[str, int]]) -> dict[str, float]:
    """Per dataset with at least two seeds, the standard error of the mean paired difference."""
    by_dataset: dict[str, list[float]] = {}
    for key in keys:
        by_dataset.setdefault(key[0], []).append(second[key] - first[key])
    return {
        dataset: statistics.stdev(gaps) / len(gaps) ** 0.5
        for dataset, gaps in by_dataset.items()
        if len(gaps) > 1
    }


def table(first: tuple[str, Scores], second: tuple[str, Scores], cold: Scores | None) -> str:
    """The Markdown comparison of `second` against `first` (and both against `cold`)."""
    keys = set(first[1]) & set(second[1]) & (set(cold) if cold else set(first[1]))
    if not keys:
        raise SystemExit("the two arms have no dataset and seed in common")
    a, b = per_dataset(first[1], keys), per_dataset(second[1], keys)
    c = per_dataset(cold, keys) if cold else {}
    se = standard_errors(first[1], second[1], keys)
    seeds = sorted({seed for _, seed in keys})
    lines = [
        f"`{second[0]}` against `{first[0]}`, mean held-out score over seeds {seeds}",
        "",
        f"| dataset | {first[0]} | {second[0]} | difference | se |{' cold |' if c else ''}",
        f"|---|---|---|---|---|{'---|' if c else ''}",
    ]
    for dataset in a:
        cold_cell = f" {c[dataset]:.4f} |" if c else ""
        difference = b[dataset] - a[dataset]
        error = f"{se[dataset]:.4f}" if dataset in se else ""
        lines.append(
            f"| {dataset} | {a[dataset]:.4f} | {b[dataset]:.4f} | {difference:+.4f} | {error} |"
            + cold_cell
        )
    differences = [b[d] - a[d] for d in a]
    beyond_noise = sum(
        gap + 2 * se[d] < -FAR_BEHIND for d, gap in zip(a, differences, strict=True) if d in se
    )
    spread = statistics.stdev(differences) if len(differences) > 1 else 0.0
    lines += [
        "",
        f"- mean difference {statistics.mean(differences):+.4f} (sd {spread:.4f} over"
        f" {len(a)} datasets); ahead on {sum(d > 0 for d in differences)},"
        f" behind on {sum(d < 0 for d in differences)}"
        f" (by more than {FAR_BEHIND}: {sum(d < -FAR_BEHIND for d in differences)};"
        f" by more than that plus two standard errors, where several seeds give one: {beyond_noise})",
    ]
    if c:
        at_least = [sum(s[d] >= c[d] for d in a) for s in (a, b)]
        lines.append(f"- at least the cold score: {at_least[0]} and {at_least[1]} of {len(a)}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", help="RESULTS:ARM, such as warm_start:portfolio_20")
    parser.add_argument("second", help="RESULTS:ARM compared with the first")
    parser.add_argument("--cold", help="RESULTS:ARM both are judged against")
    parser.add_argument("--out", help="also write benchmarks/results/<OUT>.md")
    args = parser.parse_args()
    cold = scores(args.cold)[1] if args.cold else None
    text = table(scores(args.first), scores(args.second), cold)
    print(text, end="")
    if args.out:
        (RESULTS / f"{args.out}.md").write_text(text)


if __name__ == "__main__":
    main()
