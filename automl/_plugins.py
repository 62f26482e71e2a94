"""Model families and pipeline steps registered from outside automl, carried with the work an
executor sends to another process (importing automl there registers only automl's own)."""

from __future__ import annotations

from dataclasses import dataclass, field

from automl.models import ModelFamily, ensure_registered, plugin_families
from automl.steps import PipelineStep, ensure_steps, plugin_steps


@dataclass(frozen=True)
class Plugins:
    families: tuple[ModelFamily, ...] = ()
    steps: tuple[PipelineStep, ...] = field(default_factory=tuple)

    @classmethod
    def current(cls) -> Plugins:
        """The plug-ins registered in this process now."""
        return cls(plugin_families(), plugin_steps())

    def install(self) -> None:
        """Register the carried plug-ins this process does not know yet."""
        ensure_registered(self.families)
        ensure_steps(self.steps)
