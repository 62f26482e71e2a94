"""The tabular search space: model choice, each family's parameters and preprocessing, jointly."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import automl
from automl.data import Task
from automl.exceptions import SpaceError
from automl.models import default_families, get_family
from automl.space._names import DEFAULT_SPACE, is_space_file, resolve_space
from automl.space._params import Condition, Param, parse_param
from automl.space._preprocessing import MODEL_PARAM, preprocessing_params
from automl.space._space import SearchSpace, load_yaml
from automl.steps import upgrade_config


def spaces_dir() -> Path:
    """search_spaces/ inside an installed wheel, else the one at the repository root."""
    package = Path(automl.__file__).resolve().parent
    inside = package / "search_spaces"
    return inside if inside.is_dir() else package.parent / "search_spaces"


@dataclass(frozen=True)
class TabularSpace:
    """A SearchSpace over `model` plus namespaced family and preprocessing parameters.

    `starting_points` are full configurations worth trying first, in priority order.
    """

    space: SearchSpace
    families: tuple[str, ...]
    starting_points: tuple[dict[str, Any], ...]

    def without_step(self, step: str) -> TabularSpace:
        """This space with a pipeline step's parameters left out (a step with nothing to do
        on this data, such as crosses when none were kept)."""
        prefix = f"{step}."
        kept = [p for p in self.space.params if not p.name.startswith(prefix)]
        points = tuple(
            {k: v for k, v in point.items() if not k.startswith(prefix)}
            for point in self.starting_points
        )
        return TabularSpace(SearchSpace(kept), self.families, points)


def tabular_space(
    spec: Mapping[str, Any] | str | Path | None = None,
    rows: int | None = None,
    portfolio: Portfolio | None = None,
    many_valued: bool = False,
) -> TabularSpace:
    """Build from a user spec (`{models: ..., preprocessing: ...}`, a YAML path, a name such as
    'lightgbm,linear' or inline YAML/JSON text) or the bundled one (for data of `rows` rows,
    when given: see `default_families`; `many_valued`: it has many-valued columns, such as IDs,
    which the points marked `many_valued` are for). Starting points: the points for data this
    large or with such columns (`min_rows`, `many_valued`), then the `portfolio`'s configurations
    (see `load_portfolio`; those whose family the space does not search are left out): on data
    no larger than its tables (`Portfolio.leads`) the portfolio alone, since it was chosen on
    such tables from every family's candidates (the family bandit gives the others trials);
    on larger data its first configuration, each family's first hand-picked point (its library
    defaults, so that every family has a score early), then the rest of it; without one, the
    families' hand-picked points."""
    if isinstance(spec, Path) or (isinstance(spec, str) and is_space_file(spec)):
        raw = load_yaml(spec)
    else:
        raw = resolve_space(spec) if isinstance(spec, str) else spec
    if raw is not None and not isinstance(raw, Mapping):
        raise SpaceError(
            "a tabular search space must be a mapping with 'models' (and optionally 'preprocessing')"
        )
    settings: dict[str, Any] = dict(raw or {})
    unknown = set(settings) - {"models", "preprocessing"}
    if unknown:
        raise SpaceError(
            f"unknown top-level key '{sorted(unknown)[0]}' in the search space;"
            " a tabular space has 'models' and optionally 'preprocessing'"
        )
    models = _normalise_models(settings.get("models", [DEFAULT_SPACE]), rows)
    params: list[Param] = [
        parse_param(MODEL_PARAM, {"type": "categorical", "choices": list(models)})
    ]
    starts: dict[str, list[dict[str, Any]]] = {}
    for_data: list[dict[str, Any]] = []  # points for data like this: tried before all others
    for family, family_spec in models.items():
        bundled = family_spec is None
        file_spec: dict[str, Any] = _bundled_family(family) if bundled else {"params": family_spec}
        family_params = _family_params(family, file_spec.get("params") or {})
        params.extend(family_params)
        if bundled:
            for_this, starts[family] = _starting_points(
                family, file_spec.get("starting_points", []), rows, many_valued
            )
            for_data.extend({MODEL_PARAM: family, **point} for point in for_this)
    pre_params, pre_start = preprocessing_params(
        settings.get("preprocessing"), tuple(models), spaces_dir()
    )
    params.extend(pre_params)
    space = SearchSpace(params)
    portfolio = portfolio or Portfolio()
    learned = [
        _vetted(space, {**pre_start, **point})
        for point in portfolio.points
        if point.get(MODEL_PARAM) in starts  # a family the space searches with bundled ranges
    ]
    leads = bool(learned) and portfolio.leads(rows)
    if leads:  # the portfolio alone
        starts = {}
    elif learned:  # each family's library defaults, once, after the portfolio's first point
        starts = {f: own[:1] for f, own in starts.items()}
    rounds = max((len(p) for p in starts.values()), default=0)
    hand_picked = [
        # round-robin over families: every family early, for a diverse ensemble
        _vetted(space, {MODEL_PARAM: family, **pre_start, **starts[family][i]})
        for i in range(rounds)
        for family in models
        if i < len(starts.get(family, []))
    ]
    lead = len(learned) if leads else 1
    points = (
        [_vetted(space, {**pre_start, **point}) for point in for_data]
        + learned[:lead]
        + hand_picked
        + learned[lead:]
    )
    return TabularSpace(space, tuple(models), tuple(points))


PORTFOLIO_FILE = "portfolio.json"
LEARNED, NO_PORTFOLIO = "learned", "none"
"""The `portfolio` setting's named values: the bundled learned portfolio, or none (the
families' hand-picked starting points); any other value is a portfolio JSON file's path."""


def portfolio_file(portfolio: str | Path) -> Path | None:
    """The JSON file a `portfolio` setting names (None for 'none'); refuses a missing file."""
    if str(portfolio) == NO_PORTFOLIO:
        return None
    path = spaces_dir() / PORTFOLIO_FILE if str(portfolio) == LEARNED else Path(portfolio)
    if not path.is_file():
        raise SpaceError(
            f"portfolio must be '{LEARNED}', '{NO_PORTFOLIO}' or a portfolio JSON file"
            f" (as `python -m benchmarks.portfolio build` writes); no file at {path}"
        )
    return path


@dataclass(frozen=True)
class Portfolio:
    """A learned portfolio's configurations for one kind of task, best first, and the most rows
    of the tables it was learned on (`collected_with.max_rows` in its file; None: not recorded)."""

    points: tuple[dict[str, Any], ...] = ()
    learned_on_rows: int | None = None

    def leads(self, rows: int | None) -> bool:
        """Whether its points are the only starting points, all tried first: on data no larger
        than the tables it was learned on, where its scores and fit times were measured. On
        larger data (letter's 16,000 rows of 26 classes: its small-leaved LightGBM points took
        most of a 60 s search) only its first point goes before the families' library defaults."""
        limit = self.learned_on_rows
        return limit is not None and rows is not None and rows <= limit


def load_portfolio(task: Task, portfolio: str | Path = LEARNED) -> Portfolio:
    """A portfolio's configurations for this kind of task (classification or regression), best
    first: by default the learned one bundled as `search_spaces/portfolio.json`, built by
    `python -m benchmarks.portfolio`."""
    path = portfolio_file(portfolio)
    if path is None:
        return Portfolio()
    try:
        content = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SpaceError(f"cannot read the portfolio {path}: {error}") from None
    kind = "classification" if task.is_classification else "regression"
    points = content.get(kind) if isinstance(content, Mapping) else None
    if not isinstance(points, list):
        raise SpaceError(f"the portfolio {path} has no list of '{kind}' configurations")
    collected = content.get("collected_with")
    rows = collected.get("max_rows") if isinstance(collected, Mapping) else None
    if rows is not None and not _is_row_count(rows, at_least=1):
        raise SpaceError(
            f"the portfolio {path} has collected_with.max_rows {rows!r}; it must be a whole"
            " number of rows (the most rows of the tables it was learned on), or left out"
        )
    return Portfolio(
        tuple(upgrade_config(point) for point in points if isinstance(point, Mapping)), rows
    )


MIN_ROWS_KEY = "min_rows"
"""A starting point holding this key is tried only on data of at least that many rows."""
MANY_VALUED_KEY = "many_valued"
"""A starting point holding this key (true) is tried only on data with many-valued columns."""


def _starting_points(
    family: str, points: list[Mapping[str, Any]], rows: int | None, many_valued: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A family's bundled starting points as full parameter names (a plain key is the family's
    own parameter, a dotted one a pipeline step's, e.g. `encode.native`, which overrides the
    steps' own starting choice for this point): those for data like this (`min_rows` rows or
    more, `many_valued` columns: tried first), and the others."""
    for_data: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for point in points:
        min_rows, for_ids = _data_condition(family, point)
        if (min_rows and (rows is None or rows < min_rows)) or (for_ids and not many_valued):
            continue
        named = {(k if "." in k else f"{family}.{k}"): v for k, v in point.items()}
        named.pop(MIN_ROWS_KEY, None)
        named.pop(MANY_VALUED_KEY, None)
        (for_data if min_rows or for_ids else others).append(named)
    return for_data, others


def _is_row_count(value: Any, at_least: int) -> bool:
    """Whether a number of rows read from YAML or JSON is a whole number (not a bool, a quoted
    number or a float), at least `at_least`."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= at_least


def _data_condition(family: str, point: Mapping[str, Any]) -> tuple[int, bool]:
    """A starting point's `min_rows` (a whole number, 0 when absent) and `many_valued` (true or
    false): checked, since a quoted "false" or "5000" in a family's YAML would silently mean
    something else."""
    min_rows = point.get(MIN_ROWS_KEY, 0)
    many_valued = point.get(MANY_VALUED_KEY, False)
    if not _is_row_count(min_rows, at_least=0):
        raise SpaceError(
            f"a starting point of {family!r} has {MIN_ROWS_KEY}: {min_rows!r};"
            " it must be a whole number of rows, 0 or more"
        )
    if not isinstance(many_valued, bool):
        raise SpaceError(
            f"a starting point of {family!r} has {MANY_VALUED_KEY}: {many_valued!r};"
            " it must be true or false (unquoted)"
        )
    return min_rows, many_valued


def _normalise_models(models: Any, rows: int | None) -> dict[str, Mapping[str, Any] | None]:
    """Accept a list of family names or a mapping of family -> params (empty/null = bundled);
    the name `default` stands for the default space's families for `rows` rows (so that
    `default,catboost` adds a family to them)."""
    if isinstance(models, str):
        models = [models]
    if isinstance(models, list):
        models = {name: None for name in models}
    if not isinstance(models, Mapping) or not models:
        raise SpaceError(
            "'models' must be a non-empty list of model names or a mapping of model -> params"
        )
    if DEFAULT_SPACE in models:
        if models[DEFAULT_SPACE] is not None:
            raise SpaceError(
                f"'{DEFAULT_SPACE}' in 'models' stands for families; it takes no params"
            )
        defaults = {name: None for name in default_families(rows)}
        models = {**defaults, **{k: v for k, v in models.items() if k != DEFAULT_SPACE}}
    result: dict[str, Mapping[str, Any] | None] = {}
    for name, params in models.items():
        family = get_family(str(name))  # raises SpaceError naming the closest family
        missing = family.missing_library()
        if missing is not None:
            hint = family.install_hint or f"pip install {missing}"
            raise SpaceError(f"model '{name}' needs {missing}, which is not installed: {hint}")
        if params is not None and not isinstance(params, Mapping):
            raise SpaceError(f"model '{name}': expected a mapping of parameters, got {params!r}")
        result[str(name)] = params or None
    return result


def _bundled_family(name: str) -> dict[str, Any]:
    path = get_family(name).space_file(spaces_dir())
    if not path.is_file():
        raise SpaceError(
            f"model '{name}' has no bundled search space ({path.name}); give its parameters,"
            f" e.g. models: {{{name}: {{param: [values]}}}}"
        )
    return _bundled_file(path)


def _bundled_file(path: Path) -> dict[str, Any]:
    name = path.stem
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise SpaceError(f"bundled space {name}.yaml is malformed")
    return data


def _family_params(family: str, spec: Mapping[str, Any]) -> list[Param]:
    allowed = get_family(family).params
    result = []
    for name, value in spec.items():
        if name not in allowed:
            close = difflib.get_close_matches(str(name), sorted(allowed), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SpaceError(
                f"model '{family}' has no parameter '{name}'{hint}; known: {', '.join(sorted(allowed))}"
            )
        param = parse_param(f"{family}.{name}", value)
        if name == get_family(family).iterations_param:
            _check_iteration_count(param)
        _check_family_values(family, name, param)
        cond = param.condition
        if cond is None:
            cond = Condition(MODEL_PARAM, (family,))
        elif cond.parent in spec:
            cond = Condition(f"{family}.{cond.parent}", cond.values)
        result.append(_with_condition(param, cond))
    return result


def _check_iteration_count(param: Param) -> None:
    """An iteration count (boosting rounds, epochs) must be a positive integer, whatever the
    space lets it take: it is also full fidelity for the multi-fidelity strategies."""
    values = [param.low] if param.low is not None else list(param.choices)
    counts = [
        float(v)
        for v in values
        if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer()
    ]
    if len(counts) < len(values) or min(counts) < 1:
        shown = values[0] if len(values) == 1 else values
        raise SpaceError(f"{param.name} must be a positive integer, got {shown!r}")


def _check_family_values(family: str, name: str, param: Param) -> None:
    """Refuse a value the family cannot use (a range is judged by its ends)."""
    for candidate in param.grid(2):
        reason = get_family(family).check_value(name, candidate)
        if reason:
            raise SpaceError(f"model parameter '{param.name}' cannot be {candidate!r}: {reason}")


def _with_condition(param: Param, condition: Condition) -> Param:
    return replace(param, condition=condition)


def _vetted(space: SearchSpace, point: dict[str, Any]) -> dict[str, Any]:
    """Keep the active, in-range values of a starting point; the sampler fills the rest."""
    by_name = {p.name: p for p in space.params}
    active = space.active(point)
    return {k: v for k, v in active.items() if by_name[k].contains(v)}
