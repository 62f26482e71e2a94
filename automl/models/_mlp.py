"""A torch multilayer perceptron for tables, as a scikit-learn estimator trained epoch by epoch.

Training can stop and resume (`train_epochs`), and its optimiser settings can change between
epochs (`set_schedule`), which is what population-based training needs: a member copies the
fitted estimator of a better one and carries on with perturbed settings. torch is imported
only here, when the family is used.
"""

from __future__ import annotations

import copy
import io
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from automl.data import Task
from automl.exceptions import ConfigError
from automl.models._registry import ModelFamily, Validation, register_family

PATIENCE = 8
"""Epochs without a better validation loss before early stopping (when fit gets X_val)."""
DEFAULT_EPOCHS = 30
"""Epochs when the space does not set them (the bundled space sets 60)."""
SCHEDULE_PARAMS = ("learning_rate", "weight_decay", "dropout", "batch_size")
"""Settings that may change while a network trains (the rest fix its shape)."""


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ConfigError(
            "the 'mlp' model family needs torch: pip install torch==2.13.0 (CPU build)"
        ) from None
    return torch


class TorchMLP(BaseEstimator):
    """A tabular network (see `torch_nets.Architecture` for its shape parameters), trained
    with AdamW on minibatches.

    `task` is 'binary', 'multiclass' or 'regression' (targets standardised while training).
    `hidden_layers` is the number of blocks. Columns of a frame with the pandas `category`
    dtype are embedded, the others are numeric. `epochs` is the most epochs `fit` runs; with
    validation data it keeps the best epoch's weights and stops after PATIENCE epochs without
    improvement. An ensemble's members are trained on the mean of their losses and predict
    together (mean of their probabilities or values).
    """

    def __init__(
        self,
        task: str = "binary",
        hidden_layers: int = 2,
        width: int = 128,
        dropout: float = 0.1,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-5,
        batch_size: int = 256,
        epochs: int = DEFAULT_EPOCHS,
        random_state: int = 0,
        backbone: str = "plain",
        shape: str = "constant",
        normalization: str = "none",
        activation: str = "relu",
        ensemble_size: int = 16,
        numeric_embedding: str = "none",
        embedding_size: int = 16,
        frequencies: int = 16,
        frequency_scale: float = 0.1,
        bins: int = 16,
        categorical_embedding_size: int = 8,
    ) -> None:
        self.task = task
        self.hidden_layers = hidden_layers
        self.width = width
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.epochs = epochs
        self.random_state = random_state
        self.backbone = backbone
        self.shape = shape
        self.normalization = normalization
        self.activation = activation
        self.ensemble_size = ensemble_size
        self.numeric_embedding = numeric_embedding
        self.embedding_size = embedding_size
        self.frequencies = frequencies
        self.frequency_scale = frequency_scale
        self.bins = bins
        self.categorical_embedding_size = categorical_embedding_size

    @property
    def is_classifier(self) -> bool:
        return self.task != "regression"

    def architecture(self) -> Any:
        """This estimator's network shape, as a `torch_nets.Architecture`."""
        try:
            return _architecture(self.get_params())
        except (TypeError, ValueError) as error:
            raise ConfigError(f"mlp: {error}") from None

    def fit(
        self,
        X: Any,
        y: Any,
        X_val: Any = None,
        y_val: Any = None,
        deadline: float | None = None,
        on_epoch: Callable[[int, float], None] | None = None,
    ) -> TorchMLP:
        """Train from scratch for up to `epochs`, stopping at `deadline` (time.monotonic());
        with validation data, `on_epoch(epoch, validation_loss)` is called after each epoch
        (it may raise to stop the trial)."""
        self.start(X, y)
        if X_val is None:
            for _ in range(int(self.epochs)):
                if not self.train_epochs(X, y, 1, deadline):
                    break
            return self
        best_loss, best_state, waited = np.inf, None, 0
        for epoch in range(1, int(self.epochs) + 1):
            finished = self.train_epochs(X, y, 1, deadline)
            loss = self.validation_loss(X_val, y_val)
            if on_epoch is not None:
                on_epoch(epoch, loss)
            if loss < best_loss - 1e-6:
                best_loss, best_state, waited = loss, copy.deepcopy(self.network_.state_dict()), 0
                self.best_epoch_ = epoch
            else:
                waited += 1
            if waited >= PATIENCE or not finished:
                break
        if best_state is not None:
            self.network_.load_state_dict(best_state)
        return self

    def start(self, X: Any, y: Any) -> None:
        """A fresh network and optimiser for this data (classes, target scale, columns)."""
        torch = _torch()
        threads = os.environ.get("OMP_NUM_THREADS")  # set by the executor when trials share CPUs
        if threads and threads.isdigit():
            torch.set_num_threads(int(threads))
        architecture = self.architecture()
        self.categorical_columns_ = _category_columns(X)
        numeric, _ = self._split(X)
        y = np.asarray(y)
        self.generator_ = torch.Generator().manual_seed(int(self.random_state))
        torch.manual_seed(int(self.random_state))
        if self.is_classifier:
            self.classes_ = np.unique(y)
            outputs = len(self.classes_)
        else:
            y = y.astype(float)
            self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std() or 1.0)
            outputs = 1
        self.n_features_in_ = X.shape[1]
        cardinalities = [len(X[c].cat.categories) for c in self.categorical_columns_]
        network = self._network(architecture, numeric, cardinalities, outputs)
        self.network_ = network.to(_device())
        self.optimizer_ = torch.optim.AdamW(
            self.network_.parameters(),
            lr=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
        )
        self.epochs_trained_ = 0
        self.best_epoch_ = 0

    def set_schedule(self, **settings: Any) -> None:
        """Change learning rate, weight decay, dropout or batch size for the epochs to come."""
        unknown = set(settings) - set(SCHEDULE_PARAMS)
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)} while training")
        self.set_params(**settings)
        if not hasattr(self, "network_"):
            return
        for group in self.optimizer_.param_groups:
            group["lr"] = float(self.learning_rate)
            group["weight_decay"] = float(self.weight_decay)
        for layer in self.network_.modules():
            if isinstance(layer, _torch().nn.Dropout):
                layer.p = float(self.dropout)

    def train_epochs(self, X: Any, y: Any, epochs: int, deadline: float | None = None) -> bool:
        """Continue training for `epochs` passes over (X, y) in shuffled minibatches (a last
        batch of one row is skipped: batch normalisation cannot train on it); False when
        `deadline` (time.monotonic()) came first, checked after every batch so that a wide
        network's long epoch cannot run past it."""
        torch = _torch()
        numeric, codes = self._tensors(X)
        targets = self._targets(y)
        self.network_.train()
        for _ in range(int(epochs)):
            order = torch.randperm(len(numeric), generator=self.generator_)
            for batch in order.split(int(self.batch_size)):
                if len(batch) < 2:
                    continue
                self.optimizer_.zero_grad()
                self._batch_loss(numeric[batch], codes[batch], targets[batch]).backward()
                self.optimizer_.step()
                if deadline is not None and time.monotonic() > deadline:
                    return False
            self.epochs_trained_ += 1
        return True

    def validation_loss(self, X: Any, y: Any) -> float:
        """Log loss of the predicted probabilities, or squared error of the (standardised)
        predictions: of the members' average, as the model predicts."""
        torch = _torch()
        outputs, targets = self._forward(X), self._targets(y)
        if self.is_classifier:
            probabilities = torch.softmax(outputs, dim=-1).mean(dim=1)
            picked = probabilities.gather(1, targets[:, None]).clamp(min=1e-12)
            return float(-picked.log().mean())
        return float(((outputs.mean(dim=1) - targets) ** 2).mean())

    def predict(self, X: Any) -> np.ndarray:
        if self.is_classifier:
            return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])
        predictions = self._forward(X).mean(dim=1).cpu().numpy().ravel()
        return predictions * self.y_scale_ + self.y_mean_

    def predict_proba(self, X: Any) -> np.ndarray:
        torch = _torch()
        outputs = self._forward(X).double()
        probabilities = torch.softmax(outputs, dim=-1).mean(dim=1).cpu().numpy()
        return np.asarray(probabilities / probabilities.sum(axis=1, keepdims=True))

    def describe(self) -> str:
        """The network's shape in one line (leaderboard, dashboard)."""
        return str(self.architecture().describe())

    def _where(self) -> Any:
        """The device the network is on (its inputs go there too)."""
        return next(self.network_.parameters()).device

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with the network and optimiser through torch.save, so that a model trained
        on a GPU loads on a machine without one (see __setstate__)."""
        state = self.__dict__.copy()
        if "network_" in state:
            buffer = io.BytesIO()
            network, optimizer = state.pop("network_"), state.pop("optimizer_")
            _torch().save({"network": network, "optimizer": optimizer.state_dict()}, buffer)
            state["torch_state_"] = buffer.getvalue()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        saved = state.pop("torch_state_", None)
        self.__dict__.update(state)
        if saved is None:
            return
        torch = _torch()
        stored = torch.load(io.BytesIO(saved), map_location=_device(), weights_only=False)
        self.network_ = stored["network"]
        self.optimizer_ = torch.optim.AdamW(
            self.network_.parameters(),
            lr=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
        )
        self.optimizer_.load_state_dict(stored["optimizer"])

    def _network(
        self, architecture: Any, numeric: np.ndarray, cardinalities: list[int], outputs: int
    ) -> Any:
        """The untrained network (a subclass may train another kind, as the supernet does)."""
        from automl.models.torch_nets.network import TabularNetwork

        return TabularNetwork(architecture, numeric, cardinalities, outputs)

    def _batch_loss(self, numeric: Any, codes: Any, targets: Any) -> Any:
        """The loss one optimiser step minimises on a minibatch."""
        return self._member_loss(self.network_(numeric, codes), targets)

    def _forward(self, X: Any) -> Any:
        """The members' outputs, (rows, members, outputs), without gradients."""
        torch = _torch()
        self.network_.eval()
        with torch.no_grad():
            return self.network_(*self._tensors(X))

    def _member_loss(self, outputs: Any, targets: Any) -> Any:
        """The mean of the members' losses (each member learns on its own, as in TabM)."""
        torch = _torch()
        members = outputs.shape[1]
        if self.is_classifier:
            flat = outputs.reshape(-1, outputs.shape[-1])
            return torch.nn.functional.cross_entropy(flat, targets.repeat_interleave(members))
        return torch.nn.functional.mse_loss(outputs[..., 0], targets.expand(-1, members))

    def _split(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Numeric columns as float32 (no missing values) and category codes (0: unseen)."""
        columns = getattr(self, "categorical_columns_", [])
        if not columns:
            return _matrix(X), np.zeros((X.shape[0], 0), dtype=np.int64)
        numeric = X.drop(columns=columns)
        codes = np.column_stack([X[c].cat.codes.to_numpy(np.int64) + 1 for c in columns])
        return _matrix(numeric), codes

    def _tensors(self, X: Any) -> tuple[Any, Any]:
        torch = _torch()
        numeric, codes = self._split(X)
        device = self._where()
        return torch.as_tensor(numeric, device=device), torch.as_tensor(codes, device=device)

    def _targets(self, y: Any) -> Any:
        torch = _torch()
        y = np.asarray(y)
        if self.is_classifier:
            codes = np.searchsorted(self.classes_, y)
            return torch.as_tensor(codes, dtype=torch.long, device=self._where())
        scaled = (y.astype(float) - self.y_mean_) / self.y_scale_
        return torch.as_tensor(scaled, dtype=torch.float32, device=self._where()).reshape(-1, 1)


def _device() -> Any:
    """A GPU when torch sees one (the executor shows a trial only the GPUs it placed it on),
    else the CPU."""
    torch = _torch()
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _category_columns(X: Any) -> list[str]:
    """The columns of a frame that hold pandas categories (embedded by the network)."""
    if not hasattr(X, "dtypes"):
        return []
    return [str(c) for c, dtype in X.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)]


def _matrix(X: Any) -> np.ndarray:
    """A float32 array with no missing values (the pipeline imputes; this is a safety net);
    sparse inputs (discretised bins) are made dense."""
    array = X.toarray() if hasattr(X, "toarray") else X
    array = np.asarray(array, dtype=np.float32)
    return np.nan_to_num(array, nan=0.0, posinf=0.0, neginf=0.0)


@register_family
class MLP(ModelFamily):
    """The tabular networks above (plain, residual or BatchEnsemble backbones, numeric and
    categorical embeddings); reports its validation score after every epoch but the last (a
    finished trial is never pruned). Left out of the default space: torch is optional.
    Categories may reach it as pandas categories, which it embeds (`native_categorical`);
    the piecewise-linear embedding is its discretisation (the sparse bins step is not searched
    for it: a sparse matrix cannot carry categories)."""

    name = "mlp"
    params = frozenset(
        {
            "epochs",
            "hidden_layers",
            "width",
            "dropout",
            "learning_rate",
            "weight_decay",
            "batch_size",
            "backbone",
            "shape",
            "normalization",
            "activation",
            "ensemble_size",
            "numeric_embedding",
            "embedding_size",
            "frequencies",
            "frequency_scale",
            "bins",
            "categorical_embedding_size",
        }
    )
    native_categorical = True
    embeds_categories = True
    iterations_param = "epochs"
    default_iterations = DEFAULT_EPOCHS
    curve_unit = "epochs"
    stops_at_deadline = True
    needs_scaling = True
    schedule_params = frozenset(SCHEDULE_PARAMS)
    libraries = ("torch",)
    install_hint = "pip install torch==2.13.0 (the CPU build)"

    def warm_up(self) -> None:
        from automl.models.torch_nets.warm import warm_up_torch

        warm_up_torch()

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        return TorchMLP(task=task.value, random_state=seed, **params)

    def describe(self, params: dict[str, Any]) -> str | None:
        try:
            return _architecture(params).describe()
        except (TypeError, ValueError):
            return None

    def check_value(self, name: str, value: Any) -> str | None:
        try:
            _architecture({name: value})
        except (TypeError, ValueError) as exc:
            return str(exc)
        return None

    def fit_early_stopped(
        self, estimator: Any, X: Any, y: np.ndarray, validation: Validation
    ) -> int | None:
        probe, X_val = validation.probe, validation.X

        def on_epoch(epoch: int, validation_loss: float) -> None:
            if probe is None or epoch >= int(estimator.epochs) or not probe.wants(epoch):
                return
            if estimator.is_classifier:
                probe(epoch, estimator.predict_proba(X_val), estimator.classes_)
            else:
                probe(epoch, estimator.predict(X_val), None)

        estimator.fit(X, y, X_val, validation.y, validation.deadline, on_epoch)
        return int(estimator.best_epoch_ or estimator.epochs)


def _architecture(params: dict[str, Any]) -> Any:
    """The Architecture record of these family parameters (`hidden_layers` is its `blocks`);
    imported here because it needs no torch."""
    from automl.models.torch_nets.architecture import Architecture

    shape = {k: v for k, v in params.items() if k != "hidden_layers"}
    if "hidden_layers" in params:
        shape["blocks"] = params["hidden_layers"]
    return Architecture.from_params(shape)
