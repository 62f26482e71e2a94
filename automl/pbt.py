"""Population-based training (Jaderberg et al., 2017) as a scheduler on the one search loop.

A population of members trains for `interval` epochs at a time; each member's each round is
one Optuna trial run by `Search` over any executor. When a round (generation) has finished,
the worst quarter copies the weights and settings of a member of the best quarter (exploit)
and perturbs the settings that may change mid-training (explore: x0.8 or x1.25, or a fresh
draw with probability 1/4). The decision uses the trials' values only. Weights never travel
through the executor: a round saves its checkpoint to `checkpoints.path(trial number)` and the
next round of that member (or of a member that copied it) loads it from there, so the folder
must be shared by the machines that run trials (one machine, or a Ray cluster's shared disk).
Each trial's user attribute `pbt` records the lineage: member, generation, epochs trained, the
trial it continued from and the member it copied, if any.

The work is a `segment(config, report)` whose config holds `params`, `resume_from` (a
checkpoint path, None at first), `save_to` and `epochs`; it returns a `Segment`.
`TrainingSegment` trains a tabular family with `schedule_params` (the torch MLP).
"""

from __future__ import annotations

import logging
import math
import pickle
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import optuna

from automl.budget import Budget
from automl.data import Dataset
from automl.executors import Reporter
from automl.metrics import Metric
from automl.pipeline import build_pipeline
from automl.record import save_lineage
from automl.search import WAIT, Wait
from automl.space import Param, SearchSpace
from automl.storage import automl_home

logger = logging.getLogger(__name__)
T = TypeVar("T")
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
    """What one round of one member gives back (its checkpoint is on disk)."""

    score: float
    epochs: int


class CheckpointDir:
    """Checkpoints by trial number in one folder (removed with `clear`)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, trial_number: int) -> Path:
        return self.directory / f"trial_{trial_number}.pkl"

    def keep_only(self, trial_numbers: set[int]) -> None:
        """Delete the checkpoints no member can continue from any more."""
        for path in self.directory.glob("trial_*.pkl"):
            if int(path.stem.removeprefix("trial_")) not in trial_numbers:
                path.unlink(missing_ok=True)

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class Member:
    """One member of the population: its settings, the trial holding its weights, lineage."""

    id: int
    config: dict[str, Any] | None = None
    checkpoint: int | None = None
    score: float | None = None
    epochs: int = 0
    last_trial: int | None = None
    copied_from: dict[str, int] | None = None


@dataclass
class _Round:
    """A member's trial in flight and the lineage it will record."""

    member: Member
    lineage: dict[str, Any] = field(default_factory=dict)


class PopulationScheduler:
    """Decides each trial of a PBT search from the values of the finished ones.

    `explorable` names the parameters explore may change (the rest, such as the network's
    shape or the preprocessing, stay as the member's first draw or its donor's). A round is
    not started when the budget has less time left than the slowest round so far took.
    """

    def __init__(
        self,
        space: SearchSpace,
        explorable: set[str],
        checkpoints: CheckpointDir,
        budget: Budget,
        maximize: bool,
        settings: PBTSettings | None = None,
        seed: int | None = None,
    ) -> None:
        self.space = space
        self.explorable = explorable
        self.checkpoints = checkpoints
        self.budget = budget
        self.maximize = maximize
        self.settings = settings or PBTSettings()
        self.members = [Member(i) for i in range(self.settings.population)]
        self.generation = -1
        self._random = random.Random(seed)
        self._waiting: list[Member] = []
        self._in_flight: dict[int, _Round] = {}
        self._round_started = 0.0
        self._slowest_round = 0.0

    def propose(self, study: optuna.Study) -> dict[str, Any] | Wait | None:
        """The next member's settings ({} for a fresh draw), WAIT while its round's other
        members still train, None when the rounds or the budget are spent."""
        if not self._waiting:
            if self._in_flight:
                return WAIT
            if not self._next_round():
                return None
        config = self._waiting[0].config
        return dict(config) if config else {}

    def start(self, trial: optuna.Trial, config: dict[str, Any]) -> dict[str, Any]:
        """The segment's work for the member whose settings the trial holds."""
        member = self._waiting.pop(0)
        member.config = config
        self._in_flight[trial.number] = _Round(
            member,
            {
                "member": member.id,
                "generation": self.generation,
                "continued_from": member.last_trial,
                "copied_from": member.copied_from,
            },
        )
        resume = None if member.checkpoint is None else self.checkpoints.path(member.checkpoint)
        return {
            "params": config,
            "resume_from": None if resume is None else str(resume),
            "save_to": str(self.checkpoints.path(trial.number)),
            "epochs": self.settings.interval,
        }

    def finish(self, trial: optuna.Trial, output: Segment | None, interrupted: bool) -> None:
        """Record the round: the member moves on to its new weights, or (it failed) scores
        nothing; interrupted, it keeps its last finished round."""
        round_ = self._in_flight.pop(trial.number)
        member = round_.member
        if output is not None:
            member.score, member.epochs, member.checkpoint = (
                output.score,
                output.epochs,
                trial.number,
            )
        elif not interrupted:
            member.score = None
        save_lineage(trial, {**round_.lineage, "epochs": member.epochs})
        member.last_trial, member.copied_from = trial.number, None

    def best_member(self) -> Member | None:
        """The member with the best score and a checkpoint; None when no round finished."""
        scored = [m for m in self.members if m.score is not None and m.checkpoint is not None]
        if not scored:
            return None
        return max(scored, key=lambda m: self._signed(m.score))

    def take_best(self, load: Callable[[Path], T], notes: list[str]) -> tuple[Member, T] | None:
        """The best member and what `load` makes of its checkpoint; the checkpoints are removed
        after. None (and a note saying why) when no round finished."""
        best = self.best_member()
        try:
            if best is None:
                notes.append(NO_ROUND)
                return None
            assert best.checkpoint is not None and best.config is not None
            return best, load(self.checkpoints.path(best.checkpoint))
        finally:
            self.checkpoints.clear()

    def _next_round(self) -> bool:
        """Close the round that finished (exploit and explore) and open the next, if any."""
        if self.generation >= 0:
            self._slowest_round = max(self._slowest_round, time.monotonic() - self._round_started)
            if self.generation + 1 >= self.settings.generations:
                return False
            self._exploit_and_explore()
            self.checkpoints.keep_only(
                {m.checkpoint for m in self.members if m.checkpoint is not None}
            )
        if self.budget.remaining < max(self._slowest_round, 1.0):
            logger.info("PBT: stopping before round %d, the budget is spent", self.generation + 1)
            return False
        self.generation += 1
        self._waiting = list(self.members)
        self._round_started = time.monotonic()
        return True

    def _signed(self, score: float | None) -> float:
        if score is None or not math.isfinite(score):
            return -math.inf
        return score if self.maximize else -score

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


NO_ROUND = "PBT: no member of the population finished a round (give the search more time)"
MAX_GENERATIONS = 10_000
"""PBT rounds when only a time budget bounds them."""


def population_scheduler(
    space: SearchSpace,
    explorable: set[str],
    budget: Budget,
    maximize: bool,
    seed: int | None,
    interval: int | None = None,
) -> PopulationScheduler:
    """The scheduler for a PBT search: as many rounds as `n_trials` allows (a round is one
    trial per member) or as the time budget allows, `interval` training units per round,
    checkpoints in a fresh folder under the automl home."""

    settings = PBTSettings()
    if interval is not None:
        settings = replace(settings, interval=interval)
    if budget.n_trials is not None:
        settings = replace(settings, generations=max(1, budget.n_trials // settings.population))
    elif budget.time_budget is not None:
        settings = replace(settings, generations=MAX_GENERATIONS)
    folder = automl_home() / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    checkpoints = CheckpointDir(Path(tempfile.mkdtemp(prefix="pbt-", dir=folder)))
    return PopulationScheduler(space, explorable, checkpoints, budget, maximize, settings, seed)


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


class TrainingSegment:
    """One PBT round of a tabular model that trains in segments (the torch MLP): continue (or
    start) training on the train rows for `epochs`, then score the validation rows. The
    checkpoint is the pickled pipeline, so the fitted preprocessing is saved with the weights."""

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
        from automl.pipeline import model_params

        data, params = self.dataset, config["params"]
        features, y = data.features, data.y
        if config["resume_from"] is None:
            pipeline = build_pipeline(params, data.roles, data.task, self.seed)
            X_train = pipeline[:-1].fit_transform(features.iloc[self.train], y[self.train])
            pipeline[-1].start(X_train, y[self.train])
        else:
            pipeline = pickle.loads(Path(config["resume_from"]).read_bytes())
            X_train = pipeline[:-1].transform(features.iloc[self.train])
            family, values = model_params(params)
            pipeline[-1].set_schedule(
                **{name: value for name, value in values.items() if name in family.schedule_params}
            )
        model = pipeline[-1]
        model.train_epochs(X_train, y[self.train], int(config["epochs"]))
        predictions = predict_scores(
            model, pipeline[:-1].transform(features.iloc[self.valid]), data
        )
        score = float(self.metric.score(y[self.valid], predictions))
        report(score, model.epochs_trained_)
        Path(config["save_to"]).write_bytes(pickle.dumps(pipeline))
        return Segment(score, model.epochs_trained_)
