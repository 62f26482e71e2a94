"""Population-based training (Jaderberg et al., 2017) on checkpoints, over any executor.

A population of members trains in parallel for `interval` epochs at a time. After each round
the worst quarter copies the checkpoint and settings of a member of the best quarter (exploit)
and perturbs the settings that may change mid-training (explore: x0.8 or x1.25, or a fresh
draw with probability 1/4). Every member's every round is one Optuna trial; its user attribute
`pbt` records the lineage: member, generation, epochs trained, the trial it continued from and
the member it copied, if any.

The work is a `segment(config, report)` whose config holds `params`, `checkpoint` (None at
first) and `epochs`; it returns a `Segment`. `MLPSegment` trains the tabular torch MLP.
"""

from __future__ import annotations

import logging
import math
import pickle
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from automl.budget import Budget
from automl.data import Dataset
from automl.executors import Executor, Reporter
from automl.metrics import Metric
from automl.pipeline import build_pipeline
from automl.record import TrialRecord, save_lineage
from automl.space import Param, SearchSpace

logger = logging.getLogger(__name__)
PERTURB_FACTORS = (0.8, 1.25)
RESAMPLE_PROBABILITY = 0.25


@dataclass(frozen=True)
class PBTSettings:
    """Population size, epochs per round, the most rounds, and the share replaced each round
    (0: none, which makes the population a random search with the same compute)."""

    population: int = 8
    interval: int = 3
    generations: int = 10
    quantile: float = 0.25


@dataclass
class Segment:
    """What one round of one member gives back."""

    score: float
    checkpoint: bytes
    epochs: int


@dataclass
class Member:
    """One member of the population: its current settings, weights and lineage."""

    id: int
    config: dict[str, Any] | None = None
    checkpoint: bytes | None = None
    score: float | None = None
    epochs: int = 0
    last_trial: int | None = None
    copied_from: dict[str, int] | None = None


class PopulationSearch:
    """Runs PBT rounds until `settings.generations` or the budget is spent.

    `explorable` names the parameters explore may change (the rest, such as the network's
    shape or the preprocessing, stay as the member's first draw or its donor's).
    """

    def __init__(
        self,
        study: optuna.Study,
        space: SearchSpace,
        executor: Executor,
        budget: Budget,
        explorable: set[str],
        settings: PBTSettings | None = None,
        seed: int | None = None,
        on_trial: Callable[[optuna.Study, FrozenTrial], None] | None = None,
    ) -> None:
        self.study = study
        self.space = space
        self.executor = executor
        self.budget = budget
        self.explorable = explorable
        self.settings = settings or PBTSettings()
        self.on_trial = on_trial
        self.members = [Member(i) for i in range(self.settings.population)]
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
        self.interrupted = False

    def run(self) -> None:
        """Train the population round by round. Ctrl-C stops the rounds in flight (recorded as
        failed) and starts no more; members keep their last finished round."""
        if not self.budget.started:
            self.budget.start()
        slowest_round = 0.0
        with ThreadPoolExecutor(max(1, self.executor.slots)) as pool:
            try:
                for generation in range(self.settings.generations):
                    if self.budget.remaining < max(slowest_round, 1.0):
                        logger.info(
                            "PBT: stopping before round %d, the budget is spent", generation
                        )
                        break
                    started = time.monotonic()
                    list(pool.map(self._train, self.members, [generation] * len(self.members)))
                    slowest_round = max(slowest_round, time.monotonic() - started)
                    if generation < self.settings.generations - 1:
                        self._exploit_and_explore()
            except KeyboardInterrupt:
                self.interrupted = True
                self.executor.close()
                logger.warning("search interrupted; keeping the finished trials")

    def best_member(self) -> Member:
        scored = [m for m in self.members if m.score is not None]
        if not scored:
            raise RuntimeError("no member of the population finished a round")
        return max(scored, key=lambda m: self._signed(m.score))

    def _signed(self, score: float | None) -> float:
        if score is None or not math.isfinite(score):
            return -math.inf
        return score if self._maximize else -score

    def _train(self, member: Member, generation: int) -> None:
        if self.interrupted:
            return
        with self._lock:
            if member.config is not None:
                self.study.enqueue_trial(member.config)
            trial = self.study.ask()
            member.config = self.space.sample(trial)
        work = {
            "params": member.config,
            "checkpoint": member.checkpoint,
            "epochs": self.settings.interval,
        }
        outcome = self.executor.run(work, self.budget.trial_timeout(), lambda report: False)
        lineage = {
            "member": member.id,
            "generation": generation,
            "continued_from": member.last_trial,
            "copied_from": member.copied_from,
        }
        record = TrialRecord(
            config=member.config,
            wall_seconds=round(outcome.wall_seconds, 4),
            cpu_seconds=round(outcome.cpu_seconds, 4),
        )
        with self._lock:
            if outcome.status == "ok":
                segment: Segment = outcome.value
                member.checkpoint, member.score, member.epochs = (
                    segment.checkpoint,
                    segment.score,
                    segment.epochs,
                )
                save_lineage(trial, {**lineage, "epochs": segment.epochs})
                record.save(trial)
                frozen: FrozenTrial = self.study.tell(trial, segment.score)
            else:
                if self.interrupted:  # the member keeps its last finished round
                    record.error = "interrupted by the user"
                else:
                    member.score = None
                    record.error = outcome.error or outcome.status
                save_lineage(trial, {**lineage, "epochs": member.epochs})
                record.save(trial)
                frozen = self.study.tell(trial, state=TrialState.FAIL)
            member.last_trial, member.copied_from = frozen.number, None
            if self.on_trial is not None:
                self.on_trial(self.study, frozen)

    def _exploit_and_explore(self) -> None:
        if self.settings.quantile <= 0:
            return  # no exploitation: independent members (random search at equal compute)
        ranked = sorted(self.members, key=lambda m: self._signed(m.score), reverse=True)
        count = max(1, int(len(ranked) * self.settings.quantile))
        top, bottom = ranked[:count], ranked[-count:]
        for member in bottom:
            if member in top:
                continue
            donor = self._random.choice(top)
            if donor.config is None or donor.checkpoint is None:
                continue
            member.checkpoint, member.epochs = donor.checkpoint, donor.epochs
            member.last_trial = donor.last_trial
            member.copied_from = {"member": donor.id, "trial": int(donor.last_trial or 0)}
            member.config = explore(donor.config, self.space, self.explorable, self._random)


def explore(
    config: dict[str, Any], space: SearchSpace, explorable: set[str], rng: random.Random
) -> dict[str, Any]:
    """A copy of `config` with its explorable settings perturbed, inside the space's bounds:
    numbers x0.8 or x1.25 (or redrawn with probability 1/4), choices redrawn with probability
    1/4."""
    explored = dict(config)
    for param in space.params:
        if param.name not in explorable or param.name not in config:
            continue
        if param.type in ("float", "int"):
            explored[param.name] = _perturb(param, float(config[param.name]), rng)
        elif param.type == "categorical" and rng.random() < RESAMPLE_PROBABILITY:
            explored[param.name] = rng.choice(list(param.choices))
    return explored


def _perturb(param: Param, value: float, rng: random.Random) -> float | int:
    assert param.low is not None and param.high is not None
    low, high = float(param.low), float(param.high)
    if rng.random() < RESAMPLE_PROBABILITY:
        value = (
            math.exp(rng.uniform(math.log(low), math.log(high)))
            if param.log
            else rng.uniform(low, high)
        )
    else:
        value *= rng.choice(PERTURB_FACTORS)
    value = min(high, max(low, value))
    return round(value) if param.type == "int" else value


class MLPSegment:
    """One PBT round of the tabular torch MLP: continue (or start) training on the train rows
    for `epochs`, then score the validation rows. The checkpoint is the pickled pipeline, so
    the fitted preprocessing travels with the weights."""

    def __init__(
        self, dataset: Dataset, train: np.ndarray, valid: np.ndarray, metric: Metric, seed: int
    ) -> None:
        self.dataset = dataset
        self.train = train
        self.valid = valid
        self.metric = metric
        self.seed = seed

    def __call__(self, config: dict[str, Any], report: Reporter) -> Segment:
        from automl.evaluation import predict_scores
        from automl.models._mlp import SCHEDULE_PARAMS

        data, params = self.dataset, config["params"]
        features, y = data.features, data.y
        if config["checkpoint"] is None:
            pipeline = build_pipeline(params, data.roles, data.task, self.seed)
            X_train = pipeline[:-1].fit_transform(features.iloc[self.train], y[self.train])
            pipeline[-1].start(X_train, y[self.train])
        else:
            pipeline = pickle.loads(config["checkpoint"])
            X_train = pipeline[:-1].transform(features.iloc[self.train])
            schedule = {
                name: params[f"mlp.{name}"] for name in SCHEDULE_PARAMS if f"mlp.{name}" in params
            }
            pipeline[-1].set_schedule(**schedule)
        model = pipeline[-1]
        model.train_epochs(X_train, y[self.train], int(config["epochs"]))
        predictions = predict_scores(
            model, pipeline[:-1].transform(features.iloc[self.valid]), data
        )
        score = float(self.metric.score(y[self.valid], predictions))
        report(score, model.epochs_trained_)
        return Segment(score, pickle.dumps(pipeline), model.epochs_trained_)
