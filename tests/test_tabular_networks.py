"""The `mlp` family's architectures: every backbone and embedding trains and predicts on real
rows, categories are embedded, the supernet's children are the standalone networks, and a
saved model predicts the same after loading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score, roc_auc_score

torch = pytest.importorskip("torch")

from automl.data import Dataset  # noqa: E402
from automl.exceptions import SpaceError  # noqa: E402
from automl.fidelity.supernet import SupernetMLP, child_widths  # noqa: E402
from automl.model import FittedModel, load  # noqa: E402
from automl.models import get_family  # noqa: E402
from automl.models._mlp import TorchMLP  # noqa: E402
from automl.models.torch_nets.architecture import Architecture  # noqa: E402
from automl.models.torch_nets.embeddings import (  # noqa: E402
    PiecewiseLinearEmbedding,
    quantile_bin_edges,
)
from automl.pipeline import build_pipeline  # noqa: E402
from automl.space import tabular_space  # noqa: E402
from tests.conftest import dataset_path  # noqa: E402

TRAIN, TEST = np.arange(1200), np.arange(1200, 1600)


@pytest.fixture(scope="module")
def adult() -> Dataset:
    return Dataset.from_frame(pd.read_csv(dataset_path("adult.csv.gz"), nrows=1600), "income", None)


def fitted(config: dict[str, Any], data: Dataset, epochs: int = 4) -> Any:
    pipeline = build_pipeline({**config, "mlp.epochs": epochs}, data.roles, data.task, 0)
    X = pipeline[:-1].fit_transform(data.features.iloc[TRAIN], data.y[TRAIN])
    get_family("mlp").fit(pipeline[-1], X, data.y[TRAIN])
    return pipeline


def auc(pipeline: Any, data: Dataset) -> float:
    scores = pipeline.predict_proba(data.features.iloc[TEST])[:, 1]
    return float(roc_auc_score(data.y[TEST], scores))


@pytest.mark.parametrize("backbone", ["plain", "residual", "batch_ensemble"])
@pytest.mark.parametrize("embedding", ["none", "periodic", "piecewise_linear"])
def test_every_backbone_and_numeric_embedding_learns(
    backbone: str, embedding: str, adult: Dataset
) -> None:
    config = {
        "model": "mlp",
        "mlp.backbone": backbone,
        "mlp.numeric_embedding": embedding,
        "mlp.hidden_layers": 2,
        "mlp.width": 64,
        "mlp.ensemble_size": 4,
        "mlp.normalization": "layer" if backbone == "residual" else "batch",
        "mlp.activation": "gelu",
        "mlp.shape": "funnel",
    }
    pipeline = fitted(config, adult)
    assert auc(pipeline, adult) > 0.8  # well above chance after 4 epochs on 1,200 rows
    assert pipeline[-1].predict_proba(pipeline[:-1].transform(adult.features.iloc[:5])).shape == (
        5,
        2,
    )


def test_starting_points_train_and_regression_predicts_on_scale() -> None:
    housing = pd.read_csv(dataset_path("california_housing.csv.gz"), nrows=1600)
    data = Dataset.from_frame(housing, "median_house_value", None)
    for point in tabular_space({"models": ["mlp"]}).starting_points:
        pipeline = fitted(dict(point), data, epochs=3)
        predicted = pipeline.predict(data.features.iloc[TEST])
        r2 = r2_score(data.y[TEST], predicted)
        assert r2 > 0.3, (point, r2)


def test_categories_reach_the_network_as_embeddings(adult: Dataset) -> None:
    config = {
        "model": "mlp",
        "encode.native": "native",
        "mlp.categorical_embedding_size": 6,
        "mlp.hidden_layers": 1,
        "mlp.width": 32,
    }
    pipeline = fitted(config, adult, epochs=2)
    network = pipeline[-1].network_
    assert pipeline[-1].categorical_columns_ == [str(c) for c in adult.roles.categorical]
    assert network.inputs.categories is not None
    assert [t.embedding_dim for t in network.inputs.categories.tables] == [6] * len(
        adult.roles.categorical
    )
    unseen = adult.features.iloc[:3].copy()
    unseen[adult.roles.categorical[0]] = "a value never seen"
    assert np.isfinite(pipeline.predict_proba(unseen)).all()


def test_piecewise_linear_encoding_places_values_in_their_bins() -> None:
    values = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    edges = quantile_bin_edges(values, 4)  # edges 0, 1, 2, 3, 4
    embedding = PiecewiseLinearEmbedding(edges, 2)
    x = torch.tensor([[-1.0], [0.5], [2.5], [9.0]])
    inside = (x[..., None] - embedding.left) / embedding.width
    inside = torch.where(embedding.clip_below, inside.clamp(min=0.0), inside)
    inside = torch.where(embedding.clip_above, inside.clamp(max=1.0), inside)
    assert inside[:, 0].tolist() == [
        [-1.0, 0.0, 0.0, 0.0],  # left of the first bin: the first extends without limit
        [0.5, 0.0, 0.0, 0.0],
        [1.0, 1.0, 0.5, 0.0],
        [1.0, 1.0, 1.0, 6.0],  # right of the last bin: the last extends without limit
    ]


@pytest.mark.parametrize("backbone", ["plain", "residual"])
@pytest.mark.parametrize("normalization", ["none", "layer"])
def test_a_supernet_child_is_the_standalone_network(
    backbone: str, normalization: str, adult: Dataset
) -> None:
    config = {
        "model": "mlp",
        "encode.native": "native",
        "mlp.backbone": backbone,
        "mlp.normalization": normalization,
        "mlp.numeric_embedding": "piecewise_linear",
        "mlp.hidden_layers": 3,
        "mlp.width": 128,
    }
    pipeline = build_pipeline({**config, "mlp.epochs": 1}, adult.roles, adult.task, 0)
    X = pipeline[:-1].fit_transform(adult.features.iloc[TRAIN], adult.y[TRAIN])
    supernet = SupernetMLP(**pipeline[-1].get_params()).fit(X, adult.y[TRAIN])
    assert child_widths(128) == [32, 64, 128]
    assert len(supernet.children_shapes()) == 9
    rows = X.iloc[:50]
    numeric, codes = supernet._tensors(rows)
    supernet.network_.eval()
    for blocks, width in [(1, 32), (2, 64), (3, 128)]:
        child = supernet.child(blocks, width)
        assert isinstance(child, TorchMLP)
        assert child.hidden_layers == blocks and child.width == width
        with torch.no_grad():
            shared = supernet.network_(numeric, codes, blocks, width)
        standalone = child._forward(rows)
        assert torch.allclose(shared, standalone, atol=1e-5)
        assert np.isfinite(child.predict_proba(rows)).all()


def test_a_supernet_refuses_what_it_cannot_share(adult: Dataset) -> None:
    from automl.models.torch_nets.supernet import SuperNetwork

    numeric = np.zeros((10, 3))
    with pytest.raises(ValueError, match="batch normalisation"):
        SuperNetwork(Architecture(normalization="batch"), numeric, [], 2)
    with pytest.raises(ValueError, match="constant width"):
        SuperNetwork(Architecture(backbone="batch_ensemble"), numeric, [], 2)


def test_a_saved_network_predicts_the_same_after_loading(adult: Dataset, tmp_path: Path) -> None:
    point = dict(tabular_space({"models": ["mlp"]}).starting_points[1])  # TabM-mini
    pipeline = fitted({**point, "mlp.width": 64, "mlp.ensemble_size": 4}, adult, epochs=2)
    model = FittedModel(
        [pipeline], [1.0], adult.task, adult.target, adult.classes, point, "m", families=("mlp",)
    )
    again = load(model.save(tmp_path / "model.automl"))
    rows = adult.features.iloc[TEST[:30]]
    assert np.allclose(again.predict_proba(rows).to_numpy(), model.predict_proba(rows).to_numpy())


def test_a_wrong_architecture_value_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="backbone must be one of plain, residual, batch_ensemble"):
        TorchMLP(backbone="transformer").architecture()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"backbone": {"type": "categorical", "choices": ["plain", "transformer"]}}, "transformer"),
        ({"hidden_layers": {"type": "int", "low": 0, "high": 3}}, "blocks must be at least 1"),
        ({"dropout": 1.5}, "dropout must be in"),
    ],
)
def test_a_space_with_an_impossible_architecture_is_refused_when_built(
    spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpaceError, match=message):
        tabular_space({"models": {"mlp": spec}})


def test_the_dashboard_reads_a_trials_architecture_in_one_line() -> None:
    from automl.jobs._trials import model_summary

    config = {
        "model": "mlp",
        "mlp.backbone": "batch_ensemble",
        "mlp.ensemble_size": 16,
        "mlp.hidden_layers": 3,
        "mlp.width": 256,
        "mlp.shape": "funnel",
        "mlp.normalization": "layer",
        "mlp.numeric_embedding": "piecewise_linear",
        "mlp.bins": 48,
        "mlp.embedding_size": 16,
    }
    assert model_summary(config) == (
        "TabM k=16 256x128x64, relu, layer norm, dropout 0.1,"
        " piecewise-linear embeddings (48 bins, d=16)"
    )
    assert model_summary({"model": "lightgbm", "lightgbm.num_leaves": 31}) is None
    assert model_summary({"model": "mlp", "mlp.backbone": "transformer"}) is None


def test_a_supernet_chooses_the_first_network_shapes_within_its_share(adult: Dataset) -> None:
    import automl

    frame = pd.read_csv(dataset_path("adult.csv.gz"), nrows=1500)
    budget, share = 20.0, 0.25  # the share is of the time budget; two trials show the order
    result = automl.search(
        frame, target="income", space={"models": ["mlp"]}, time_budget=budget,
        supernet_share=share, storage=":memory:", seed=0, n_parallel=1, n_trials=2,
    )  # fmt: skip
    note = next(n for n in result.notes if n.startswith("supernet:"))
    assert "network shapes judged with shared weights" in note
    first = result.study.trials[0].params
    shown = note.split("tried first: ")[1].split(", ")[0]
    assert shown == f"{first['mlp.hidden_layers']} blocks x {first['mlp.width']}"
    assert first["mlp.width"] <= 512 and first["mlp.shape"] == "constant"
    screened = float(note.split(" in ")[1].split("s;")[0])
    assert screened <= share * budget + 2.0  # the supernet stops at its share (one epoch late)


def test_a_supernet_share_out_of_range_is_refused() -> None:
    import automl
    from automl.exceptions import ConfigError

    frame = pd.read_csv(dataset_path("adult.csv.gz"), nrows=100)
    with pytest.raises(ConfigError, match=r"supernet_share must be a number from 0 to 0\.5"):
        automl.search(frame, target="income", n_trials=1, supernet_share=0.9)


WARM_FIRST_FIT = """
import sys
import numpy as np
import pandas as pd
from automl.data import Task
from automl.models import get_family
family = get_family("mlp")
family.warm_up()
before = set(sys.modules)
X = pd.DataFrame({"a": np.linspace(0, 1, 64), "b": np.linspace(1, 0, 64)})
family.build({"epochs": 1}, Task("binary"), 0).fit(X, np.arange(64) % 2)
print(sorted(name for name in set(sys.modules) - before if name.startswith("torch._")))
"""


def test_the_warm_up_leaves_no_torch_internals_for_a_trials_first_fit() -> None:
    # torch's first optimiser imports its compiler (about 1 s, and more on a busy machine):
    # inside a trial that came before the first deadline check, so a 3 s trial of a wide
    # network ran past its limit; the family's warm-up, run before any trial's clock, takes it
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", WARM_FIRST_FIT], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
