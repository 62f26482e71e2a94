"""The pruner contract, run against the pruner of every multi-fidelity strategy on every kind
of fidelity plan: a pruner only decides (it writes nothing to the study), the first trials are
never stopped, and a trial far behind the others is stopped on the way."""

from __future__ import annotations

import optuna
import pytest

from automl.fidelity import FidelityPlan
from automl.space import SearchSpace
from automl.strategies import make_strategy, strategy_info, strategy_names

SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0, "high": 1}})
PLANS = {
    "rounds": FidelityPlan("rounds", max_steps=128, sparse=True),
    "fractions": FidelityPlan("data_fraction", (1 / 9, 1 / 3)),
    "custom": None,
}
STRATEGIES = [name for name in strategy_names() if strategy_info(name).multi_fidelity]


def curve(plan: FidelityPlan | None, level: float) -> dict[int, float]:
    """A rising curve that ends near `level`, on the plan's reporting steps."""
    if plan is None:
        steps = list(range(10))
    elif plan.kind == "data_fraction":
        steps = [1, 3]
    else:
        steps = plan.checkpoints()
    return {s: level - 0.2 / (1 + i) for i, s in enumerate(steps)}


@pytest.mark.parametrize("plan_name", list(PLANS))
@pytest.mark.parametrize("name", STRATEGIES)
def test_a_pruner_only_decides_and_stops_a_hopeless_trial(name: str, plan_name: str) -> None:
    plan = PLANS[plan_name]
    strategy = make_strategy(name, SPACE, 0, plan, (0.0, 1.0))
    # a fixed name: Hyperband assigns trials to brackets by hashing the study name
    study = optuna.create_study(study_name="contract", direction="maximize", pruner=strategy.pruner)
    stopped = []
    for number in range(16):
        trial = study.ask()
        level = 0.3 if number % 4 == 3 else 0.9 + 0.001 * number  # every fourth is hopeless
        points = curve(plan, level)
        pruned = False
        for step, value in points.items():
            trial.report(value, step)
            attrs_before = dict(study.trials[-1].user_attrs)
            pruned = trial.should_prune()
            assert dict(study.trials[-1].user_attrs) == attrs_before  # decides, never writes
            if pruned:
                break
        if pruned:
            stopped.append(number)
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, list(points.values())[-1])
    assert 0 not in stopped and 1 not in stopped
    assert any(n % 4 == 3 for n in stopped), stopped
