"""Model families and pipeline steps registered from outside automl, carried with the work an
executor sends to another process (importing automl there registers only automl's own)."""

from __future__ import annotations

from dataclasses import dataclass, field

from automl.models import FAMILIES, ModelFamily
from automl.steps import STEPS, PipelineStep


@dataclass(frozen=True)
class Plugins:
    families: tuple[ModelFamily, ...] = ()
    steps: tuple[PipelineStep, ...] = field(default_factory=tuple)

    @classmethod
    def current(cls) -> Plugins:
        """The plug-ins registered in this process now."""
        return cls(FAMILIES.plugins(), STEPS.plugins())

    def install(self) -> None:
        """Register the carried plug-ins this process does not know yet."""
        FAMILIES.ensure(self.families, lambda family: family.name)
        STEPS.ensure(self.steps, lambda step: step.name)
