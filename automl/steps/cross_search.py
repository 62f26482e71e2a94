"""Choose feature crosses once per search, before its trials, in a share of its time budget.

AutoCross's beam search (Luo et al., KDD 2019) scored as OpenFE's FeatureBoost does (Zhang et
al., ICML 2023): every row gets a base margin from an additive model (boosted stumps, fitted
out of fold: main effects, no interactions); a candidate cross is worth the loss a small
LightGBM removes on rows it did not see, starting from the base margins, fitted on the cross
encoded as the base model's mean residual per cross value (out of fold), so crosses of
thousands of values are scored as well as small ones. Candidates are halved on growing blocks of rows (successive halving); the best pairs are
extended one field at a time up to `max_order`, an extension kept only if it beats the cross
it extends (otherwise the search goes on from the next best). Last, the no-harm gate: each
chosen cross must lower the loss on rows held out from all of the above by more than twice
the standard error of the per-row change, or it is dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from automl.data import Cross, Task
from automl.steps._cross import bucket_edges

logger = logging.getLogger(__name__)

SHRINK = 20.0
"""A cross value's mean residual counts as if it had this many more rows with residual 0."""
ENCODING_FOLDS = 5
GATE_OVERRUN = 5.0
"""Seconds the gate may run past the cross search's deadline (it fits one model per cross)."""


@dataclass(frozen=True)
class CrossSearchSettings:
    """`beam_width` crosses extended per order, up to `max_order` fields, at most
    `max_crosses` kept; rows sampled up to `max_rows`, `gate_share` of them held out for the
    gate; a kept cross lowers the held-out loss by `gate_z` standard errors or more."""

    beam_width: int = 4
    max_order: int = 3
    max_crosses: int = 8
    max_rows: int = 50_000
    gate_share: float = 0.3
    gate_z: float = 2.0
    first_block: int = 2_000


@dataclass
class CrossSearchReport:
    """What the cross search kept, each cross's held-out gain (loss removed per row) and what
    it cost."""

    crosses: tuple[Cross, ...] = ()
    gains: dict[str, float] = field(default_factory=dict)
    scored: int = 0
    seconds: float = 0.0
    out_of_time: bool = False

    def describe(self) -> str:
        kept = ", ".join(f"{c.name} ({self.gains[c.name]:+.4f})" for c in self.crosses)
        stop = "; stopped at its time limit" if self.out_of_time else ""
        return (
            f"cross search: {self.scored} candidates scored in {self.seconds:.1f}s{stop};"
            f" kept {len(self.crosses)}{': ' + kept if kept else ''}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "crosses": [c.to_dict() for c in self.crosses],
            "gains": {k: round(v, 6) for k, v in self.gains.items()},
            "scored": self.scored,
            "seconds": round(self.seconds, 2),
            "out_of_time": self.out_of_time,
        }


class _OutOfTime(Exception):
    """The cross search's deadline passed: stop choosing, gate what was found."""


class CrossSearch:
    """One cross search over a prepared frame (see `search_crosses`)."""

    def __init__(
        self,
        frame: pd.DataFrame,
        y: np.ndarray,
        task: Task,
        numeric: Sequence[str],
        categorical: Sequence[str],
        seed: int,
        deadline: float | None,
        settings: CrossSearchSettings,
    ) -> None:
        self.task = task
        self.seed = seed
        self.deadline = deadline
        self.settings = settings
        self.numeric = tuple(numeric)
        self.fields = tuple(categorical) + self.numeric
        rng = np.random.default_rng(seed)
        rows = rng.permutation(len(frame))[: settings.max_rows]
        self.y = np.asarray(y)[rows]
        self.codes = _field_codes(frame.iloc[rows], categorical, self.numeric)
        n_gate = int(len(rows) * settings.gate_share)
        n_valid = int((len(rows) - n_gate) * 0.3)
        self.gate = np.arange(n_gate)
        self.valid = np.arange(n_gate, n_gate + n_valid)
        self.fit_rows = np.arange(n_gate + n_valid, len(rows))
        self.margins = self._base_margins()
        self.residuals = _residuals(task, self.y, self.margins)
        self.scored = 0

    def run(self) -> CrossSearchReport:
        began = time.monotonic()
        report = CrossSearchReport()
        pool: dict[tuple[str, ...], float] = {}
        try:
            pairs: list[tuple[str, ...]] = [
                pair
                for pair in combinations(self.fields, 2)
                if not all(name in self.numeric for name in pair)
            ]
            logger.info(
                "cross search: scoring %d pairs of %d columns", len(pairs), len(self.fields)
            )
            frontier = self._best(self._halve(pairs), pool)
            for order in range(3, self.settings.max_order + 1):
                if not frontier:
                    break
                extensions = {
                    tuple(sorted((*cross, name), key=self.fields.index)): cross
                    for cross in frontier
                    for name in self.fields
                    if name not in cross
                }
                logger.info("cross search: scoring %d crosses of %d", len(extensions), order)
                changes = self._halve(list(extensions))
                better = {
                    cross: change
                    for cross, change in changes.items()
                    if self._beats(change, frontier[extensions[cross]])
                }
                frontier = self._best(better, pool)
        except _OutOfTime:
            report.out_of_time = True
        chosen = sorted(pool, key=lambda c: -pool[c])[: self.settings.max_crosses]
        report.crosses, report.gains = self._gated(chosen)
        report.scored = self.scored
        report.seconds = time.monotonic() - began
        return report

    def _beats(self, change: np.ndarray, than: np.ndarray) -> bool:
        """Whether per-row loss changes `change` are larger than `than` (on the same rows)
        beyond their noise: an extension must earn its extra field."""
        difference = change - than
        error = difference.std(ddof=1) / np.sqrt(len(difference))
        return bool(difference.mean() > self.settings.gate_z * error)

    def _best(
        self, changes: dict[tuple[str, ...], np.ndarray], pool: dict[tuple[str, ...], float]
    ) -> dict[tuple[str, ...], np.ndarray]:
        """Add the crosses that removed some loss to the pool; the beam's next frontier."""
        useful = {c: change for c, change in changes.items() if change.mean() > 0}
        pool.update({c: float(change.mean()) for c, change in useful.items()})
        ranked = sorted(useful, key=lambda c: -useful[c].mean())[: self.settings.beam_width]
        return {c: useful[c] for c in ranked}

    def _halve(self, candidates: list[tuple[str, ...]]) -> dict[tuple[str, ...], np.ndarray]:
        """Successive halving: score on a block of training rows, keep the better half,
        double the block; the survivors' per-row loss changes after training on all rows."""
        block = min(self.settings.first_block, len(self.fit_rows))
        changes: dict[tuple[str, ...], np.ndarray] = {}
        while candidates:
            rows = self.fit_rows[:block]
            changes = {c: self._loss_change(c, rows, self.valid) for c in candidates}
            if block >= len(self.fit_rows):
                break
            keep = max(self.settings.beam_width, len(candidates) // 2)
            candidates = sorted(candidates, key=lambda c: -changes[c].mean())[:keep]
            block = min(2 * block, len(self.fit_rows))
        return changes

    def _gated(
        self, chosen: Iterable[tuple[str, ...]]
    ) -> tuple[tuple[Cross, ...], dict[str, float]]:
        """The chosen crosses that lower the loss on the gate's rows beyond their noise, and
        beyond each chosen cross of fewer of their fields (fitted on all the choosing rows)."""
        trained_on = np.concatenate([self.fit_rows, self.valid])
        changes: dict[tuple[str, ...], np.ndarray] = {}
        for fields in chosen:
            if self.deadline is not None and time.monotonic() > self.deadline + GATE_OVERRUN:
                break
            changes[fields] = self._loss_change(fields, trained_on, self.gate, check_time=False)
        zero = np.zeros(len(self.gate))
        kept: list[Cross] = []
        gains: dict[str, float] = {}
        for fields, change in sorted(changes.items(), key=lambda item: -item[1].mean()):
            smaller = [c for other, c in changes.items() if set(other) < set(fields)]
            if self._beats(change, zero) and all(self._beats(change, c) for c in smaller):
                cross = Cross(fields, tuple(f for f in fields if f in self.numeric))
                kept.append(cross)
                gains[cross.name] = float(change.mean())
        return tuple(kept), gains

    def _loss_change(
        self,
        fields: tuple[str, ...],
        fit_rows: np.ndarray,
        eval_rows: np.ndarray,
        check_time: bool = True,
    ) -> np.ndarray:
        """Per evaluated row, the loss the cross's small model removes from the base margin."""
        if check_time and self.deadline is not None and time.monotonic() > self.deadline:
            raise _OutOfTime
        self.scored += 1
        codes = _combine([self.codes[name] for name in fields])
        X_fit, X_eval = _residual_encoding(codes, self.residuals, fit_rows, eval_rows)
        model = _booster(self.task, self.seed, rounds=20, leaves=16)
        model.fit(X_fit, self.y[fit_rows], init_score=self.margins[fit_rows])
        base = self.margins[eval_rows]
        boosted = base + model.predict(X_eval, raw_score=True)
        truth = self.y[eval_rows]
        return _loss(self.task, truth, base) - _loss(self.task, truth, boosted)

    def _base_margins(self) -> np.ndarray:
        """Out-of-fold margins of boosted stumps on every field (main effects only)."""
        from sklearn.model_selection import KFold, StratifiedKFold

        X = pd.DataFrame(self.codes)
        categorical = [name for name in self.fields if name not in self.numeric]
        splitter = (
            StratifiedKFold(3, shuffle=True, random_state=self.seed)
            if self.task.is_classification
            else KFold(3, shuffle=True, random_state=self.seed)
        )
        n_classes = len(np.unique(self.y)) if self.task is Task.MULTICLASS else 1
        margins = np.zeros((len(self.y), n_classes) if n_classes > 1 else len(self.y))
        for train, held in splitter.split(X, self.y):
            stumps = _booster(self.task, self.seed, rounds=100, leaves=2)
            stumps.fit(X.iloc[train], self.y[train], categorical_feature=categorical)
            margins[held] = stumps.predict(X.iloc[held], raw_score=True)
        return margins


def search_crosses(
    frame: pd.DataFrame,
    y: np.ndarray,
    task: Task,
    numeric: Sequence[str],
    categorical: Sequence[str],
    seed: int = 0,
    deadline: float | None = None,
    settings: CrossSearchSettings | None = None,
) -> CrossSearchReport:
    """The crosses of `categorical` x `categorical` and `categorical` x bucketed `numeric`
    columns of a prepared `frame` worth offering a search's trials, chosen by `deadline` (on
    time.monotonic(); the gate may take a few seconds more)."""
    if len(categorical) < 1 or len(categorical) + len(numeric) < 2 or len(frame) < 200:
        return CrossSearchReport()
    if deadline is not None:
        logger.info("cross search: up to %.0fs", max(0.0, deadline - time.monotonic()))
    search = CrossSearch(
        frame, y, task, numeric, categorical, seed, deadline, settings or CrossSearchSettings()
    )
    return search.run()


def _field_codes(
    frame: pd.DataFrame, categorical: Sequence[str], numeric: Sequence[str]
) -> dict[str, np.ndarray]:
    """Each field as small integer codes: categories factorised, numbers bucketed (0: missing)."""
    codes: dict[str, np.ndarray] = {}
    for name in categorical:
        codes[name] = pd.factorize(frame[name])[0].astype(np.int64)
    for name in numeric:
        values = frame[name].to_numpy(dtype=float)
        buckets = np.searchsorted(bucket_edges(frame[name]), values, side="right") + 1
        codes[name] = np.where(np.isnan(values), 0, buckets).astype(np.int64)
    return codes


def _combine(columns: Sequence[np.ndarray]) -> np.ndarray:
    """One code per distinct combination of the columns' codes."""
    combined = columns[0]
    for column in columns[1:]:
        combined = pd.factorize(combined * (int(column.max()) + 1) + column)[0].astype(np.int64)
    return combined


def _residuals(task: Task, y: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """What the base model leaves to explain, one column per output: y - p (binary), one-hot
    y - softmax (multiclass), y - prediction (regression)."""
    if task is Task.REGRESSION:
        return (y - margin)[:, None]
    if task is Task.MULTICLASS:
        shifted = np.exp(margin - margin.max(axis=1, keepdims=True))
        onehot = np.eye(margin.shape[1])[y.astype(int)]
        return onehot - shifted / shifted.sum(axis=1, keepdims=True)
    return (y - 1.0 / (1.0 + np.exp(-margin)))[:, None]


def _residual_encoding(
    codes: np.ndarray, residuals: np.ndarray, fit_rows: np.ndarray, eval_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's cross value as the base model's mean residual among the rows with that value,
    shrunk towards 0 (by SHRINK rows): out of fold on the fitting rows, from all of them on the
    evaluated rows. A cross of thousands of values (user x genre) becomes a few numbers."""
    size = int(codes.max()) + 1

    def table(rows: np.ndarray) -> np.ndarray:
        counts = np.bincount(codes[rows], minlength=size)[:, None]
        sums = np.stack(
            [
                np.bincount(codes[rows], weights=column[rows], minlength=size)
                for column in residuals.T
            ],
            axis=1,
        )
        return sums / (counts + SHRINK)

    fold = np.arange(len(fit_rows)) % ENCODING_FOLDS  # the rows come in random order
    fitted = np.empty((len(fit_rows), residuals.shape[1]))
    for k in range(ENCODING_FOLDS):
        inside = fold == k
        fitted[inside] = table(fit_rows[~inside])[codes[fit_rows[inside]]]
    return fitted, table(fit_rows)[codes[eval_rows]]


def _loss(task: Task, y: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """Per-row log loss from margins (classification) or squared error (regression)."""
    if task is Task.REGRESSION:
        return (y - margin) ** 2
    if task is Task.MULTICLASS:
        top = margin.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(margin - top).sum(axis=1))
        return log_norm - margin[np.arange(len(y)), y.astype(int)]
    return np.logaddexp(0.0, margin) - y * margin


def _booster(task: Task, seed: int, rounds: int, leaves: int) -> Any:
    """A small single-threaded LightGBM: stumps (2 leaves) for the base margins, a few
    16-leaf trees to score a candidate."""
    import lightgbm as lgb

    params: dict[str, Any] = dict(
        n_estimators=rounds, learning_rate=0.2, num_leaves=leaves, min_child_samples=20,
        n_jobs=1, random_state=seed, verbose=-1,
    )  # fmt: skip
    return lgb.LGBMRegressor(**params) if task is Task.REGRESSION else lgb.LGBMClassifier(**params)
