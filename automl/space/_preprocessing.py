"""The preprocessing part of a tabular space: the registered steps' parameters, each active
for the model families the step searches it for."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from automl.data import MetaFeatures
from automl.exceptions import SpaceError
from automl.models import get_family
from automl.space._params import Condition, Param, parse_param
from automl.space._space import load_yaml
from automl.steps import PipelineStep, legacy_names, pipeline_steps

MODEL_PARAM = "model"


def preprocessing_params(
    spec: Mapping[str, Any] | None, families: Sequence[str], spaces: Path
) -> tuple[list[Param], dict[str, Any]]:
    """The steps' parameters and starting point. With no `spec`, every step's bundled YAML;
    otherwise only the user's parameters: `<step>.<param>` keys, a step name mapping to its
    parameters, or automl 0.1.0's flat names (`scaler`, `categorical_encoder`...)."""
    if spec is not None and not isinstance(spec, Mapping):
        raise SpaceError("'preprocessing' must be a mapping of step parameters")
    params: list[Param] = []
    start: dict[str, Any] = {}
    given = _by_step(spec) if spec is not None else None
    for step in pipeline_steps():
        if given is None:
            bundled = _bundled(step, spaces)
            step_spec = bundled.get("params") or {}
            start.update(
                {f"{step.name}.{k}": v for k, v in (bundled.get("starting_point") or {}).items()}
            )
        else:
            step_spec = given.get(step.name, {})
        bundled_params = (_bundled(step, spaces).get("params") or {}) if given else {}
        for name, value in step_spec.items():
            param = parse_param(f"{step.name}.{name}", value)
            if name in bundled_params:
                _check_values(param, parse_param(param.name, bundled_params[name]))
            conditioned = _conditioned(param, step, name, families)
            if conditioned is not None:
                params.append(conditioned)
    return params, start


def _by_step(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The user's preprocessing spec grouped by step, every name checked."""
    steps = {step.name: step for step in pipeline_steps()}
    renames = legacy_names()
    known = [f"{s}.{p}" for s in steps for p in _bundled(steps[s], None).get("params", {})]
    grouped: dict[str, dict[str, Any]] = {}
    for key, value in spec.items():
        key = renames.get(str(key), str(key))
        if key in steps and isinstance(value, Mapping) and "type" not in value:
            items = [(f"{key}.{name}", v) for name, v in value.items()]
        else:
            items = [(key, value)]
        for full, param_spec in items:
            if full not in known:
                close = difflib.get_close_matches(full, known + list(renames), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise SpaceError(
                    f"unknown preprocessing parameter '{full}'{hint}; known: {', '.join(known)}"
                )
            step_name, _, name = full.partition(".")
            grouped.setdefault(step_name, {})[name] = param_spec
    return grouped


def _check_values(param: Param, bundled: Param) -> None:
    """A step reads only the values its bundled YAML allows, so a user's value outside them is
    refused here, when the space is built, rather than failing every trial that draws it."""
    values = param.grid(2)
    wrong = [v for v in values if not bundled.contains(v)]
    if not wrong:
        return
    if bundled.type in ("categorical", "fixed"):
        allowed = "one of " + ", ".join(map(repr, bundled.choices))
    elif bundled.type == "bool":
        allowed = "true or false"
    else:
        allowed = f"{bundled.type} values from {bundled.low:g} to {bundled.high:g}"
    raise SpaceError(
        f"preprocessing parameter '{param.name}' cannot be {wrong[0]!r}; it takes {allowed}"
    )


def _conditioned(
    param: Param, step: PipelineStep, name: str, families: Sequence[str]
) -> Param | None:
    """Active for the space's families the step searches it for (None: for none of them);
    unconditional when the step searches it for every family of the space. A condition the user wrote is
    kept, narrowed to the space's families."""
    if param.condition is not None:
        if param.condition.parent != MODEL_PARAM:
            return param
        kept = tuple(v for v in param.condition.values if v in families)
        return replace(param, condition=Condition(MODEL_PARAM, kept)) if kept else None
    if all(step.searched_for(name, get_family(f)) for f in families):
        return param
    wanted = tuple(f for f in families if step.searched_for(name, get_family(f)))
    return replace(param, condition=Condition(MODEL_PARAM, wanted)) if wanted else None


def settle_inert_choices(config: Mapping[str, Any], meta: MetaFeatures) -> dict[str, Any]:
    """The configuration with the step choices that changed nothing on the data it was found
    on (described by `meta`) set to the steps' starting choices (left out where a step has
    none). A search on a table without many-valued columns drew their encoding at random;
    carried to a table of IDs, that draw ("drop") would decide the result."""
    settled = dict(config)
    for step in pipeline_steps():
        start = _starting_choices(step)
        for param in step.inert_params(meta):
            name = f"{step.name}.{param}"
            if name not in settled:
                continue
            if param in start:
                settled[name] = start[param]
            else:
                del settled[name]
    return settled


@functools.cache
def _starting_choices(step: PipelineStep) -> Mapping[str, Any]:
    """A step's bundled starting point, read once per step (settling runs per configuration)."""
    return MappingProxyType(dict(_bundled(step, None).get("starting_point") or {}))


def _bundled(step: PipelineStep, spaces: Path | None) -> dict[str, Any]:
    from automl.space._tabular import spaces_dir

    path = step.space_file(spaces or spaces_dir())
    if not path.is_file():
        return {}
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise SpaceError(f"bundled space {path.name} is malformed")
    return data
