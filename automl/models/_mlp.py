"""A torch multilayer perceptron for tables, as a scikit-learn estimator trained epoch by epoch.

Training can stop and resume (`train_epochs`), and its optimiser settings can change between
epochs (`set_schedule`), which is what population-based training needs: a member copies the
fitted estimator of a better one and carries on with perturbed settings. torch is imported
only here, when the family is used.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
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
    """Fully connected ReLU network with dropout, trained with AdamW on minibatches.

    `task` is 'binary', 'multiclass' or 'regression' (targets standardised while training).
    `epochs` is the most epochs `fit` runs; with validation data it keeps the best epoch's
    weights and stops after PATIENCE epochs without improvement.
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

    @property
    def is_classifier(self) -> bool:
        return self.task != "regression"

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
                if deadline is not None and time.monotonic() > deadline:
                    break
                self.train_epochs(X, y, 1)
            return self
        best_loss, best_state, waited = np.inf, None, 0
        for epoch in range(1, int(self.epochs) + 1):
            self.train_epochs(X, y, 1)
            loss = self.validation_loss(X_val, y_val)
            if on_epoch is not None:
                on_epoch(epoch, loss)
            if loss < best_loss - 1e-6:
                best_loss, best_state, waited = loss, copy.deepcopy(self.network_.state_dict()), 0
                self.best_epoch_ = epoch
            else:
                waited += 1
            if waited >= PATIENCE or (deadline is not None and time.monotonic() > deadline):
                break
        if best_state is not None:
            self.network_.load_state_dict(best_state)
        return self

    def start(self, X: Any, y: Any) -> None:
        """A fresh network and optimiser for this data (classes, target scale, input width)."""
        torch = _torch()
        threads = os.environ.get("OMP_NUM_THREADS")  # set by the executor when trials share CPUs
        if threads and threads.isdigit():
            torch.set_num_threads(int(threads))
        X = _matrix(X)
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
        layers: list[Any] = []
        width_in = X.shape[1]
        for _ in range(int(self.hidden_layers)):
            layers += [
                torch.nn.Linear(width_in, int(self.width)),
                torch.nn.ReLU(),
                torch.nn.Dropout(float(self.dropout)),
            ]
            width_in = int(self.width)
        layers.append(torch.nn.Linear(width_in, outputs))
        self.network_ = torch.nn.Sequential(*layers)
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
        for layer in self.network_:
            if hasattr(layer, "p"):
                layer.p = float(self.dropout)

    def train_epochs(self, X: Any, y: Any, epochs: int) -> None:
        """Continue training for `epochs` passes over (X, y) in shuffled minibatches."""
        torch = _torch()
        inputs = torch.as_tensor(_matrix(X))
        targets = self._targets(y)
        loss_of = self._loss()
        self.network_.train()
        for _ in range(int(epochs)):
            order = torch.randperm(len(inputs), generator=self.generator_)
            for batch in order.split(int(self.batch_size)):
                self.optimizer_.zero_grad()
                loss_of(self.network_(inputs[batch]), targets[batch]).backward()
                self.optimizer_.step()
            self.epochs_trained_ += 1

    def validation_loss(self, X: Any, y: Any) -> float:
        torch = _torch()
        with torch.no_grad():
            return float(self._loss()(self._forward(X), self._targets(y)))

    def predict(self, X: Any) -> np.ndarray:
        if self.is_classifier:
            return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])
        return self._forward(X).numpy().ravel() * self.y_scale_ + self.y_mean_

    def predict_proba(self, X: Any) -> np.ndarray:
        torch = _torch()
        probabilities = torch.softmax(self._forward(X).double(), dim=1).numpy()
        return np.asarray(probabilities / probabilities.sum(axis=1, keepdims=True))

    def _forward(self, X: Any) -> Any:
        torch = _torch()
        self.network_.eval()
        with torch.no_grad():
            return self.network_(torch.as_tensor(_matrix(X)))

    def _targets(self, y: Any) -> Any:
        torch = _torch()
        y = np.asarray(y)
        if self.is_classifier:
            return torch.as_tensor(np.searchsorted(self.classes_, y), dtype=torch.long)
        scaled = (y.astype(float) - self.y_mean_) / self.y_scale_
        return torch.as_tensor(scaled, dtype=torch.float32).reshape(-1, 1)

    def _loss(self) -> Any:
        torch = _torch()
        return torch.nn.CrossEntropyLoss() if self.is_classifier else torch.nn.MSELoss()


def _matrix(X: Any) -> np.ndarray:
    """A float32 array with no missing values (the pipeline imputes; this is a safety net);
    sparse inputs (discretised bins) are made dense."""
    array = X.toarray() if hasattr(X, "toarray") else X
    array = np.asarray(array, dtype=np.float32)
    return np.nan_to_num(array, nan=0.0, posinf=0.0, neginf=0.0)


@register_family
class MLP(ModelFamily):
    """The torch MLP above; reports its validation score after every epoch but the last (a
    finished trial is never pruned). Left out of the default space: torch is optional."""

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
        }
    )
    iterations_param = "epochs"
    default_iterations = DEFAULT_EPOCHS
    curve_unit = "epochs"
    stops_at_deadline = True
    needs_scaling = True
    schedule_params = frozenset(SCHEDULE_PARAMS)
    libraries = ("torch",)
    install_hint = "pip install torch==2.13.0 (the CPU build)"

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        return TorchMLP(task=task.value, random_state=seed, **params)

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
