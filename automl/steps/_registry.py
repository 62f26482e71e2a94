"""The pipeline-step registry: preprocessing steps that register themselves.

A step is one module that subclasses `PipelineStep` and decorates it with `register_step`;
`search_spaces/steps/<name>.yaml` holds its parameters (named `<step>.<param>` in a
configuration) and starting point. Which model families a parameter is searched for is the
step's `searched_for`, decided from the families' properties, never from their names.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from sklearn.base import BaseEstimator

from automl._registry import Registry
from automl.data import ColumnRoles, MetaFeatures
from automl.models import FAMILIES, ModelFamily

BRANCHES = ("numeric", "categorical", "high_cardinality", "crosses")
"""The column groups a step transforms, in the order their outputs are concatenated
(`crosses`: the prepared columns the roles' feature crosses are built from)."""


class PipelineStep:
    """One preprocessing step: its parameters' namespace, where it sits, what it builds.

    `order` places it among the steps of a branch (smaller first); `legacy_names` maps earlier
    parameter names (0.1.0's flat ones, or full names since renamed) to this step's
    parameters, so old configurations and spaces keep working.
    """

    name: ClassVar[str]
    order: ClassVar[int]
    legacy_names: ClassVar[Mapping[str, str]] = {}

    def searched_for(self, param: str, family: ModelFamily) -> bool:
        """Whether `param` is searched when the model is `family` (the condition on the model)."""
        return True

    def transformers(
        self, params: Mapping[str, Any], family: ModelFamily, roles: ColumnRoles, seed: int
    ) -> dict[str, BaseEstimator | str]:
        """Per branch, the transformer this step adds (none: the step does nothing there).
        `params` are this step's values in the configuration, unprefixed (possibly empty:
        not searched for this family); "drop" as a branch's transformer drops its columns."""
        raise NotImplementedError

    def inert_params(self, meta: MetaFeatures) -> frozenset[str]:
        """This step's parameters that change nothing on data with these meta-features (the
        encoding of many-valued columns on a table without any): a configuration found on
        such data holds a value for them that its search never judged."""
        return frozenset()

    def upgrade(self, config: dict[str, Any], family: ModelFamily) -> None:
        """Rename in place this step's values that an older configuration of `family` holds
        under an earlier name (a name that depends on the family, unlike `legacy_names`)."""

    def sparse(self, params: Mapping[str, Any], family: ModelFamily) -> bool:
        """Whether this step's output for these values is a sparse matrix (the model's inputs
        are then one sparse matrix, not a frame)."""
        return False

    def space_file(self, spaces: Path) -> Path:
        return spaces / "steps" / f"{self.name}.yaml"

    def __repr__(self) -> str:
        return f"<pipeline step {self.name}>"


STEPS: Registry[PipelineStep] = Registry("pipeline step")
S = TypeVar("S", bound=type[PipelineStep])


def register_step(cls: S) -> S:
    """Class decorator: add the step to every tabular pipeline and space."""
    STEPS.add(cls.name, cls())
    return cls


def unregister_step(name: str) -> None:
    """Remove a registered step (a test's or a plug-in's) from every later pipeline and space."""
    STEPS.remove(name)


def pipeline_steps() -> tuple[PipelineStep, ...]:
    """The registered steps in pipeline order."""
    return tuple(sorted(STEPS.values(), key=lambda s: (s.order, s.name)))


def step_params(config: Mapping[str, Any], step: PipelineStep) -> dict[str, Any]:
    """The step's values in a configuration, unprefixed."""
    prefix = f"{step.name}."
    return {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}


def legacy_names() -> dict[str, str]:
    """Earlier preprocessing names -> today's `<step>.<param>` names."""
    return {
        old: f"{step.name}.{new}"
        for step in pipeline_steps()
        for old, new in step.legacy_names.items()
    }


def upgrade_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A configuration with earlier preprocessing names renamed (others unchanged): 0.1.0's
    flat names, and each step's names that depend on the model family."""
    renames = legacy_names()
    upgraded = {renames.get(key, key): value for key, value in config.items()}
    family_name = upgraded.get("model")  # the space's MODEL_PARAM (the space imports this)
    if isinstance(family_name, str) and family_name in FAMILIES:
        family = FAMILIES.get(family_name)
        for step in pipeline_steps():
            step.upgrade(upgraded, family)
    return upgraded
