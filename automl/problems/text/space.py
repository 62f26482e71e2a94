"""The LoRA search space of a text search: search_spaces/lora.yaml, or the user's mapping or
YAML file of the same parameters (named without their `lora.` prefix).

A parameter may be searched separately for each value of a categorical parent with
`per: <parent>` (the learning rate per LoRA variant: Lee et al. 2026 find the variants within
1-2% of each other once each has its own tuned rate): it becomes one parameter
`<name>.<value>` per value, active when the parent took that value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from automl.exceptions import ConfigError
from automl.problems.text.lora import PREFIX, LoraChoice
from automl.space import SearchSpace, load_yaml
from automl.space._params import Param, parse_param
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


def _params(raw: dict[str, Any]) -> dict[str, Any]:
    params = raw.get("params", raw)
    if not isinstance(params, dict):
        raise ConfigError("'params' of a text search space must be a mapping")
    return params


def per_parents(raw: dict[str, Any]) -> dict[str, tuple[str, tuple[Any, ...]]]:
    """{name: (parent, the parent's values)} of the parameters searched per parent value."""
    params = _params(raw)
    found = {}
    for name, spec in params.items():
        if not isinstance(spec, dict) or "per" not in spec:
            continue
        parent = spec["per"]
        if "condition" in spec:
            raise ConfigError(f"lora.{name}: 'per' and 'condition' cannot be combined")
        if parent not in params or parent == name:
            raise ConfigError(f"lora.{name}: per: {parent} needs '{parent}' in the space")
        parsed = parse_param(parent, params[parent])
        if parsed.type not in ("categorical", "fixed"):
            raise ConfigError(f"lora.{name}: per: {parent} needs a categorical '{parent}'")
        found[name] = (parent, parsed.choices)
    return found


def lora_space(raw: dict[str, Any]) -> SearchSpace:
    """The typed space, every name and condition prefixed `lora.`, `per:` parameters
    expanded; ConfigError for a name LoraChoice does not have."""
    params = _params(raw)
    known = set(LoraChoice.__dataclass_fields__)
    unknown = sorted(set(params) - known)
    if unknown:
        raise ConfigError(
            f"unknown LoRA parameter '{unknown[0]}'; known: {', '.join(sorted(known))}"
        )
    per = per_parents(raw)
    prefixed = {}
    for name, spec in params.items():
        if name in per:
            parent, values = per[name]
            base = {k: v for k, v in spec.items() if k != "per"}
            for value in values:
                prefixed[f"{PREFIX}{name}.{value}"] = {
                    **base, "condition": {PREFIX + parent: [value]}
                }  # fmt: skip
            continue
        if isinstance(spec, dict) and isinstance(spec.get("condition"), dict):
            spec = {**spec, "condition": {PREFIX + k: v for k, v in spec["condition"].items()}}
        prefixed[PREFIX + name] = spec
    return SearchSpace.from_dict(_never_active_left_out(prefixed))


def _never_active_left_out(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with their conditions narrowed to what their parent can take, and
    without those that can never be active (`links: 1` leaves out the chain's settings,
    `links: 3` makes them unconditional)."""
    kept: dict[str, Any] = {}
    parsed: dict[str, Param] = {}
    for name, spec in params.items():
        condition = spec.get("condition") if isinstance(spec, dict) else None
        if condition:
            ((parent_name, values),) = condition.items()
            parent = parsed.get(parent_name)
            if parent is None:
                if parent_name in params:
                    continue  # its parent was left out
            else:
                values = values if isinstance(values, list) else [values]
                possible = [v for v in values if parent.contains(v)]
                if not possible:
                    continue
                if parent.type == "fixed":
                    spec = {k: v for k, v in spec.items() if k != "condition"}
                else:
                    spec = {**spec, "condition": {parent_name: possible}}
        kept[name] = spec
        parsed[name] = parse_param(name, spec)
    return kept


def starting_points(raw: dict[str, Any], space: SearchSpace) -> list[dict[str, Any]]:
    """The spec's starting points, prefixed (a `per:` parameter named for its parent's value
    in the point, or the parent's default), keeping their active, in-range values."""
    by_name = {p.name: p for p in space.params}
    per = per_parents(raw)
    points = []
    for point in raw.get("starting_points") or []:
        named = {}
        for key, value in point.items():
            if key in per:
                parent = per[key][0]
                key = f"{key}.{point.get(parent, getattr(LoraChoice, parent))}"
            named[PREFIX + key] = value
        active = space.active(named)
        points.append({k: v for k, v in active.items() if by_name[k].contains(v)})
    return points
