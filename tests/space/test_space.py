"""Search spaces as data: parsing, validation errors, conditions, sampling through Optuna."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import optuna
import pandas as pd
import pytest

from automl.exceptions import SpaceError
from automl.models import default_families
from automl.space import SearchSpace, resolve_space, spaces_dir, tabular_space

ISSUE_SPACE = {
    "x": {"type": "float", "low": 0, "high": 10, "log": False},
    "n": {"type": "int", "low": 1, "high": 8},
    "kind": {"type": "categorical", "choices": ["a", "b"]},
}


def test_sample_respects_types_and_ranges() -> None:
    space = SearchSpace.from_dict(ISSUE_SPACE)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        config = space.sample(study.ask())
        assert 0 <= config["x"] <= 10 and isinstance(config["n"], int) and 1 <= config["n"] <= 8
        assert config["kind"] in ("a", "b")


def test_conditions_activate_children_only_for_their_parent_choice() -> None:
    space = SearchSpace.from_dict(
        {
            "depth": {"type": "int", "low": 1, "high": 4, "condition": {"kind": "tree"}},
            "kind": ["tree", "linear"],
            "c": {
                "type": "float",
                "low": 1e-3,
                "high": 1,
                "log": True,
                "condition": {"kind": ["linear"]},
            },
            "fixed": 3,
        }
    )
    assert space.names[0] == "kind"  # parents are ordered before children
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = set()
    for _ in range(20):
        config = space.sample(study.ask())
        seen.add(config["kind"])
        assert ("depth" in config) == (config["kind"] == "tree")
        assert ("c" in config) == (config["kind"] == "linear")
        assert config["fixed"] == 3
    assert seen == {"tree", "linear"}
    assert SearchSpace.from_dict(space.to_dict()).to_dict() == space.to_dict()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"x": {"type": "flaot", "low": 0, "high": 1}},
            "unknown type 'flaot'.*did you mean 'float'",
        ),
        ({"x": {"type": "float", "low": 2, "high": 1}}, "low .2. is greater than high .1."),
        ({"x": {"type": "float", "low": 0, "high": 1, "log": True}}, "log scale needs low > 0"),
        ({"x": {"type": "int", "low": 0.5, "high": 3}}, "must be an integer"),
        ({"x": {"type": "float", "low": 0, "hgh": 1}}, "unknown key 'hgh'.*did you mean 'high'"),
        ({"x": {"type": "categorical", "choices": []}}, "non-empty list"),
        (
            {"x": {"type": "float", "low": 0, "high": 1, "condition": {"y": "a"}}},
            "unknown parameter 'y'",
        ),
        ({"k": ["a"], "x": {"type": "bool", "condition": {"k": "b"}}}, "not a choice of 'k'"),
        ({"x": {"type": "float", "low": "0", "high": 1}}, "finite number"),
        ({}, "no parameters"),
    ],
)
def test_invalid_spaces_are_rejected_up_front(spec: dict, message: str) -> None:
    with pytest.raises(SpaceError, match=message):
        SearchSpace.from_dict(spec)


def test_yaml_tags_that_build_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("x: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(SpaceError, match="cannot parse"):
        SearchSpace.from_yaml(path)


def test_bundled_tabular_space_covers_required_families() -> None:
    space = tabular_space()
    families = set(space.families)
    assert families >= {
        "lightgbm",
        "linear",
        "random_forest",
        "extra_trees",
        "knn",
        "hist_gradient_boosting",
    }
    assert {
        "impute.strategy",
        "scale.method",
        "encode.categorical",
        "encode.high_cardinality",
    } <= set(space.space.names)
    assert space.starting_points[0]["model"] == "lightgbm"
    for yaml_file in spaces_dir().glob("**/*.yaml"):
        assert yaml_file.stat().st_size > 0


def test_user_tabular_space_from_yaml() -> None:
    space = tabular_space(spaces_dir() / "example_custom.yaml")
    assert space.families == ("lightgbm", "linear")
    assert "lightgbm.num_leaves" in space.space.names
    assert "knn.n_neighbors" not in space.space.names
    assert "scale.method" in space.space.names  # linear needs it


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"models": {"lightgbn": {}}}, "unknown model 'lightgbn'.*did you mean 'lightgbm'"),
        (
            {"models": {"lightgbm": {"num_leafs": 3}}},
            "no parameter 'num_leafs'.*did you mean 'num_leaves'",
        ),
        ({"model": ["lightgbm"]}, "unknown top-level key 'model'"),
        ({"models": []}, "non-empty"),
        ({"models": {"mlp": {"epochs": 0}}}, "mlp.epochs must be a positive integer, got 0"),
        (
            {"models": {"lightgbm": {"n_estimators": "many"}}},
            "lightgbm.n_estimators must be a positive integer",
        ),
    ],
)
def test_invalid_tabular_spaces(spec: dict, message: str) -> None:
    with pytest.raises(SpaceError, match=message):
        tabular_space(spec)


def test_preprocessing_is_namespaced_by_step_and_0_1_0_names_still_work() -> None:
    nested = tabular_space(
        {"models": ["linear"], "preprocessing": {"scale": {"method": ["robust"]}}}
    )
    flat = tabular_space({"models": ["linear"], "preprocessing": {"scale.method": ["robust"]}})
    legacy = tabular_space({"models": ["linear"], "preprocessing": {"scaler": ["robust"]}})
    assert nested.space.to_dict() == flat.space.to_dict() == legacy.space.to_dict()
    # a step parameter is active only for the families the step searches it for
    both = tabular_space({"models": ["lightgbm", "linear"]})
    conditions = {p.name: p.condition for p in both.space.params}
    assert conditions["scale.method"].values == ("linear",)  # type: ignore[union-attr]
    assert conditions["encode.native"].values == ("lightgbm",)  # type: ignore[union-attr]
    assert conditions["encode.high_cardinality"].values == ("linear",)  # type: ignore[union-attr]
    # families with native categoricals may also take many-valued columns (IDs) as categories
    assert conditions["encode.high_cardinality_native"].values == ("lightgbm",)  # type: ignore[union-attr]
    with pytest.raises(SpaceError, match=r"did you mean 'scale\.method'"):
        tabular_space({"models": ["linear"], "preprocessing": {"scale.methd": ["robust"]}})


@pytest.mark.parametrize(
    ("preprocessing", "message"),
    [
        (
            {"discretise": {"granularity": ["banana", 8]}},
            r"cannot be 'banana'; it takes one of 'none', 4",
        ),
        ({"scale.method": "minmax"}, r"'scale.method' cannot be 'minmax'"),
        ({"impute.indicator": ["yes"]}, r"cannot be 'yes'; it takes true or false"),
        ({"discretise.granularity": {"type": "int", "low": 4, "high": 9}}, r"cannot be 9"),
    ],
)
def test_a_step_value_its_yaml_does_not_allow_is_refused_when_the_space_is_built(
    preprocessing: dict[str, object], message: str
) -> None:
    # otherwise every trial that draws it fails, the search ending with nothing to show
    with pytest.raises(SpaceError, match=message):
        tabular_space({"models": ["linear"], "preprocessing": preprocessing})
    assert tabular_space(
        {"models": ["linear"], "preprocessing": {"discretise.granularity": [8, 64]}}
    )


def test_the_default_space_leaves_knn_out_on_large_data() -> None:
    # k-NN compares every validation row with every training row: hopeless on large tables
    assert "knn" in default_families(50_000) and "knn" not in default_families(200_000)
    assert "knn" not in tabular_space(None, rows=200_000).families
    assert "knn" in tabular_space("default", rows=50_000).families
    assert tabular_space({"models": ["knn"]}, rows=200_000).families == ("knn",)  # on request


def test_large_data_starts_from_large_trees_with_their_own_encoding() -> None:
    # a starting point with min_rows is tried first on data that large, never on smaller data,
    # and its dotted keys (a pipeline step's choice) override the steps' own starting choice
    small = tabular_space({"models": ["lightgbm"]}, rows=50_000).starting_points
    large = tabular_space({"models": ["lightgbm"]}, rows=200_000).starting_points
    unknown = tabular_space({"models": ["lightgbm"]}).starting_points
    assert large[0]["lightgbm.num_leaves"] == 255
    assert large[0]["encode.high_cardinality_native"] == "drop"
    assert large[1:] == small == unknown
    assert all(p["encode.high_cardinality_native"] == "target" for p in small)
    # on data with many-valued columns (IDs), LightGBM's defaults with them as categories first
    with_ids = tabular_space({"models": ["lightgbm"]}, rows=50_000, many_valued=True)
    first, *rest = with_ids.starting_points
    assert first["encode.high_cardinality_native"] == "native"
    assert first["lightgbm.num_leaves"] == 31 and tuple(rest) == small
    assert all("many_valued" not in key for key in first)
    assert all("min_rows" not in key for p in large for key in p)


@pytest.mark.parametrize(
    ("key", "value"), [("many_valued", "false"), ("min_rows", "5000"), ("min_rows", -1)]
)
def test_a_starting_points_data_condition_must_be_typed(key: str, value: object) -> None:
    # a quoted "false" would count as true and a quoted "5000" fail on comparison: both refused
    from automl.space._tabular import _starting_points

    with pytest.raises(SpaceError, match=f"{key}: {value!r}"):
        _starting_points("lightgbm", [{"num_leaves": 31, key: value}], rows=1000)
    for_data, _ = _starting_points("lightgbm", [{key: 0 if key == "min_rows" else False}], 1000)
    assert for_data == []


def test_default_among_the_families_adds_one_to_the_default_space() -> None:
    # 'default,xgboost' is the default space's families for this many rows, plus XGBoost
    added = tabular_space("default,xgboost", rows=200_000).families
    assert added == (*default_families(200_000), "xgboost") and "knn" not in added
    tuned = tabular_space({"models": {"default": None, "linear": {"regularization": [2.0]}}})
    assert tuned.families == default_families()
    (regularization,) = (p for p in tuned.space.params if p.name == "linear.regularization")
    assert regularization.choices == (2.0,)
    with pytest.raises(SpaceError, match="'default' in 'models' stands for families"):
        tabular_space({"models": {"default": {"regularization": [2.0]}}})


def test_empty_names_in_a_list_of_families_are_skipped() -> None:
    # a trailing or doubled comma, as typed on a command line, is not a family called ''
    assert resolve_space("default,catboost,") == {"models": ["default", "catboost"]}
    assert resolve_space("lightgbm,,linear") == {"models": ["lightgbm", "linear"]}
    assert resolve_space("default,") is None
    with pytest.raises(SpaceError, match="names no model family"):
        resolve_space(" , ")


def test_inline_json_longer_than_a_file_name_is_read_as_a_space() -> None:
    # the file system refuses names over 255 bytes with an error: such text is a space
    width = {"type": "int", "low": 64, "high": 256, "log": True}
    decay = {"type": "float", "low": 1e-6, "high": 1e-2, "log": True}
    batch = {"type": "categorical", "choices": [64, 128, 256, 512]}
    mlp = {"width": width, "weight_decay": decay, "batch_size": batch, "learning_rate": 0.003}
    spec = {"models": {"mlp": mlp}}
    text = json.dumps({**spec, "preprocessing": {"scale": {"method": ["standard", "robust"]}}})
    assert len(text.encode()) > 255
    space = tabular_space(text)
    assert space.families == ("mlp",)
    assert {p.name for p in space.space.params} >= {"mlp.width", "scale.method"}


def test_a_family_whose_library_is_missing_is_refused_or_left_out() -> None:
    from automl.models import FAMILIES, ModelFamily, default_families, register_family

    @register_family
    class Missing(ModelFamily):
        name = "needs_a_missing_library"
        params = frozenset()
        libraries = ("no_such_library_here",)
        install_hint = "pip install 'automl[nothing]'"
        default_rank = 99

    try:
        assert "needs_a_missing_library" not in default_families()  # the default space skips it
        with pytest.raises(
            SpaceError,
            match=r"needs no_such_library_here, which is not installed: pip install 'automl\[nothing\]'",
        ):
            tabular_space({"models": ["needs_a_missing_library"]})
    finally:
        FAMILIES.remove("needs_a_missing_library")


def test_the_portfolio_alone_on_tables_like_its_own_else_its_first_point_then_defaults(
    tmp_path: Path,
) -> None:
    import json

    from automl.data import Task
    from automl.space import load_portfolio

    learned = {
        "collected_with": {"seconds": 60, "max_rows": 1000},
        "classification": [
            {"model": "lightgbm", "lightgbm.learning_rate": 0.07, "lightgbm.num_leaves": 40},
            {"model": "knn", "knn.n_neighbors": 9},  # not in the space below: skipped
            {"model": "linear", "linear.regularization": 3.0},
        ],
        "regression": [],
    }
    mine = tmp_path / "my_portfolio.json"
    mine.write_text(json.dumps(learned))
    spec = {"models": ["lightgbm", "linear", "random_forest"]}
    portfolio = load_portfolio(Task.BINARY, str(mine))
    assert portfolio.learned_on_rows == 1000
    # on data no larger than the portfolio's tables: the portfolio alone (it was chosen there)
    points = tabular_space(spec, 1000, portfolio).starting_points
    models = [p["model"] for p in points]
    assert models == ["lightgbm", "linear"]
    assert points[1]["linear.regularization"] == 3.0
    # on larger data (or of unknown size): its first point, the defaults, then the rest
    for rows in (1001, None):
        points = tabular_space(spec, rows, portfolio).starting_points
        models = [p["model"] for p in points]
        assert models == ["lightgbm", "lightgbm", "linear", "random_forest", "linear"]
        assert points[0]["lightgbm.learning_rate"] == 0.07
        assert points[1]["lightgbm.num_leaves"] == 31  # LightGBM's library defaults
        assert points[4]["linear.regularization"] == 3.0
    # a portfolio file that does not say what it was learned on never leads
    del learned["collected_with"]
    mine.write_text(json.dumps(learned))
    unsized = load_portfolio(Task.BINARY, str(mine))
    assert unsized.learned_on_rows is None and not unsized.leads(10)
    # no portfolio for the task (or none at all): the hand-picked points, round-robin
    hand_picked = tabular_space(spec).starting_points
    assert load_portfolio(Task.REGRESSION, str(mine)).points == ()
    assert load_portfolio(Task.BINARY, "none").points == ()
    assert len(hand_picked) > 3
    # the bundled one is learned for both kinds of task, on tables of up to 10,000 rows
    bundled = load_portfolio(Task.MULTICLASS)
    assert bundled.points and load_portfolio(Task.REGRESSION).points
    assert bundled.learned_on_rows == 10_000


def test_a_portfolio_that_cannot_be_read_is_refused_with_a_message(tmp_path: Path) -> None:
    from automl.config import SearchSettings
    from automl.data import Task
    from automl.exceptions import ConfigError
    from automl.space import load_portfolio

    with pytest.raises(
        ConfigError, match="portfolio must be 'learned', 'none' or a portfolio JSON"
    ):
        SearchSettings(target="y", portfolio="no_such_file.json").check()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SpaceError, match="cannot read the portfolio"):
        load_portfolio(Task.BINARY, str(broken))
    broken.write_text('{"classification": {"model": "lightgbm"}}')
    with pytest.raises(SpaceError, match="no list of 'classification' configurations"):
        load_portfolio(Task.BINARY, str(broken))
    broken.write_text('{"classification": [], "collected_with": {"max_rows": "5000"}}')
    with pytest.raises(SpaceError, match=r"collected_with\.max_rows '5000'; it must be a whole"):
        load_portfolio(Task.BINARY, str(broken))


def test_a_configuration_saved_before_native_many_valued_columns_keeps_its_meaning() -> None:
    from automl.data import Task
    from automl.space import load_portfolio
    from automl.steps import upgrade_config

    # a boosting family's `encode.high_cardinality` (the learned portfolio's points, past
    # studies, saved models) is now its `high_cardinality_native`; other families keep theirs
    boosting = upgrade_config({"model": "lightgbm", "encode.high_cardinality": "drop"})
    assert boosting == {"model": "lightgbm", "encode.high_cardinality_native": "drop"}
    linear = {"model": "linear", "encode.high_cardinality": "drop"}
    assert upgrade_config(linear) == linear
    network = upgrade_config({"model": "mlp", "encode.high_cardinality_embedded": "native"})
    assert network == {"model": "mlp", "encode.high_cardinality_native": "native"}
    assert all(
        "encode.high_cardinality" not in point
        for task in (Task.BINARY, Task.REGRESSION)
        for point in load_portfolio(task).points
        if point["model"] == "lightgbm"
    )


def test_a_choice_that_changed_nothing_on_its_table_is_settled_to_the_starting_choice(
    adult: pd.DataFrame,
) -> None:
    from automl.data import Dataset, meta_features
    from automl.space import settle_inert_choices

    # Adult has categorical columns but none of more than 50 values: a search there drew the
    # encoding of many-valued columns at random, and "drop" would drop a new table's IDs
    adult_meta = meta_features(Dataset.from_frame(adult, "income", None))
    assert adult_meta.categorical > 0 and adult_meta.high_cardinality == 0
    found = {
        "model": "lightgbm",
        "encode.native": "ordinal",
        "encode.high_cardinality_native": "drop",
    }
    settled = settle_inert_choices(found, adult_meta)
    assert settled == {**found, "encode.high_cardinality_native": "target"}
    # on a numeric-only table the categorical encoding is settled too; a linear model's
    # names likewise
    numeric_only = replace(adult_meta, categorical=0, numeric_share=1.0)
    linear = {"model": "linear", "encode.categorical": "ordinal", "encode.high_cardinality": "drop"}
    assert settle_inert_choices(linear, numeric_only) == {
        "model": "linear", "encode.categorical": "onehot", "encode.high_cardinality": "target"
    }  # fmt: skip
