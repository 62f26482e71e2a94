"""The LoRA search space of a text search: search_spaces/lora.yaml, or the user's mapping or
YAML file of the same parameters (named without their `lora.` prefix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from automl.exceptions import ConfigError
from automl.problems.text.lora import PREFIX, LoraChoice
from automl.space import SearchSpace, load_yaml
from automl.space._tabular import spaces_dir


def lora_spec(spec: Any) -> dict[str, Any]:
    """The space's file contents (`params`, optional `starting_points`): the bundled one for
    None or 'default'."""
    if spec in (None, "default"):
        spec = spaces_dir() / "lora.yaml"
    raw = load_yaml(spec) if isinstance(spec, (str, Path)) else spec
    if not isinstance(raw, dict):
        raise ConfigError("a text search space is a mapping of LoRA parameters or a YAML file")
    return raw


def lora_space(raw: dict[str, Any]) -> SearchSpace:
    """The typed space, every name and condition prefixed `lora.`; ConfigError for a name
    LoraChoice does not have."""
    params = raw.get("params", raw)
    known = set(LoraChoice.__dataclass_fields__)
    unknown = sorted(set(params) - known)
    if unknown:
        raise ConfigError(
            f"unknown LoRA parameter '{unknown[0]}'; known: {', '.join(sorted(known))}"
        )
    prefixed = {}
    for name, spec in params.items():
        if isinstance(spec, dict) and isinstance(spec.get("condition"), dict):
            spec = {**spec, "condition": {PREFIX + k: v for k, v in spec["condition"].items()}}
        prefixed[PREFIX + name] = spec
    return SearchSpace.from_dict(prefixed)


def starting_points(raw: dict[str, Any], space: SearchSpace) -> list[dict[str, Any]]:
    """The spec's starting points, prefixed, keeping their active, in-range values."""
    by_name = {p.name: p for p in space.params}
    points = []
    for point in raw.get("starting_points") or []:
        active = space.active({PREFIX + k: v for k, v in point.items()})
        points.append({k: v for k, v in active.items() if by_name[k].contains(v)})
    return points
