"""One text trial: fine-tune the backbone with the trial's LoRA chain on the training rows,
scored on the validation rows at evaluation points; and the final fit on all rows."""

from __future__ import annotations

import pickle
import time
from functools import cached_property
from typing import Any

import numpy as np

from automl.evaluation import TrialResult
from automl.exceptions import DataError
from automl.executors import Reporter, thread_cap
from automl.metrics import Metric
from automl.problems.text.backbone import MAX_LENGTH, Backbone, encode
from automl.problems.text.data import TextData
from automl.problems.text.lora import LoraChoice
from automl.problems.text.train import Encoded, predict, train_chain

KEEP_LIMIT_BYTES = 1 << 30
"""A trial's fine-tuned model up to this size travels back to the search (MiniLM-L6: 90 MB),
so the best trial's model, as validated, can be the search's model."""
DEADLINE_MARGIN = 1.0
"""Seconds before the trial's limit by which training ends, to score what it has."""


class TargetScale:
    """Regression targets standardised for training (a head starts near zero), undone when
    predicting; identity for classification."""

    def __init__(self, y: np.ndarray, regression: bool) -> None:
        self.mean = float(np.mean(y)) if regression else 0.0
        self.std = (float(np.std(y)) or 1.0) if regression else 1.0

    def forward(self, y: np.ndarray) -> np.ndarray:
        return (y - self.mean) / self.std

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return values * self.std + self.mean


class TextPipeline:
    """A fine-tuned model and its tokenizer: predicts from a frame's text column (the
    interface FittedModel expects of a pipeline)."""

    def __init__(
        self, model: Any, tokenizer: Any, data: TextData, scale: TargetScale, max_length: int
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.text = data.text
        self.regression = not data.task.is_classification
        self.classes_ = None if self.regression else np.arange(len(data.classes or ()))
        self.scale = scale
        self.max_length = max_length

    def outputs_of(self, X: Any) -> np.ndarray:
        if self.text not in getattr(X, "columns", ()):
            raise DataError(f"text column '{self.text}' not found in the data to predict")
        texts = X[self.text].fillna("").astype(str).tolist()
        ids = encode(self.tokenizer, texts, self.max_length)
        pad = self.tokenizer.pad_token_id or 0
        return predict(self.model, Encoded(ids, np.zeros(len(ids)), pad, self.regression))

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.outputs_of(X)

    def predict(self, X: Any) -> np.ndarray:
        outputs = self.outputs_of(X)
        if self.regression:
            return self.scale.inverse(outputs)
        return outputs.argmax(axis=1)


class SplitTraining:
    """What a text trial and a PBT round share: the data and one holdout split, encoded once
    per worker, the metric, and a fresh classifier on the backbone for each call."""

    def __init__(
        self,
        data: TextData,
        split: tuple[np.ndarray, np.ndarray],
        metric: Metric,
        backbone: Backbone,
        seed: int,
        max_length: int = MAX_LENGTH,
    ) -> None:
        self.data = data
        self.split = split
        self.metric = metric
        self.backbone = backbone
        self.seed = seed
        self.max_length = max_length
        self.regression = not data.task.is_classification

    @cached_property
    def _encoded(self) -> tuple[Any, Encoded, Encoded, TargetScale]:
        """The tokenizer, the training and the validation rows encoded, the target scale."""
        train, valid = self.split
        tokenizer, everything, scale = encode_rows(self.backbone, self.data, train, self.max_length)
        return tokenizer, everything.subset(train), everything.subset(valid), scale

    def _fresh_model(self) -> Any:
        """The backbone with a new head; torch held to the trial's threads."""
        import torch

        torch.set_num_threads(thread_cap())
        return self.backbone.classifier(outputs_of(self.data), self.regression)

    def _validate(self, model: Any) -> tuple[float, np.ndarray]:
        """The metric on the validation rows and the predictions it scored."""
        _, _, valid, scale = self._encoded
        outputs = predict(model, valid)
        predictions = scale.inverse(outputs) if self.regression else outputs
        return float(self.metric.score(self.data.y[self.split[1]], predictions)), predictions


class TextObjective(SplitTraining):
    """`work(config, report)` for a text search: one holdout split (`train`, `valid` rows)."""

    def __init__(
        self,
        data: TextData,
        split: tuple[np.ndarray, np.ndarray],
        metric: Metric,
        backbone: Backbone,
        seed: int,
        full_steps: int,
        max_length: int = MAX_LENGTH,
    ) -> None:
        super().__init__(data, split, metric, backbone, seed, max_length)
        self.full_steps = full_steps

    def warm_up(self) -> None:
        """Import torch, transformers and PEFT and tokenise, before the first trial's clock."""
        import peft  # noqa: F401

        from automl.models.torch_nets.warm import warm_up_torch

        warm_up_torch()

        _ = self._encoded

    def __call__(self, config: dict[str, Any], report: Reporter) -> TrialResult:
        choice = LoraChoice.from_config(config)
        _, train, _, scale = self._encoded
        model = self._fresh_model()
        last: dict[str, np.ndarray] = {}

        def evaluate(fitted: Any) -> float:
            score, last["predictions"] = self._validate(fitted)
            return score

        def on_score(score: float, step: int) -> None:
            report(score, step, min(1.0, step / self.full_steps))

        deadline = None if report.deadline is None else report.deadline - DEADLINE_MARGIN
        began = time.monotonic()
        chain = train_chain(model, choice, train, evaluate, on_score, deadline, self.seed)
        # a trial stopped before its first step is scored as it stands (an untrained head)
        score = chain.curve[-1][1] if chain.curve else evaluate(chain.model)
        return TrialResult(
            score=score,
            fold_scores=[score],
            indices=self.split[1],
            predictions=last["predictions"],
            rounds=chain.steps,
            fit_seconds=time.monotonic() - began,
            threads=thread_cap(),
            cut_short=chain.cut_short,
            fold_models=self._kept(chain.model, scale),
            # the last knot is the end of training
            extra={"knots": chain.knots[:-1], "trainable": chain.trainable},
        )

    def _kept(self, model: Any, scale: TargetScale) -> bytes | None:
        """The trained model as a pickled TextPipeline, to be the search's model if this trial
        is the best (None for a model over KEEP_LIMIT_BYTES: it is fine-tuned again instead)."""
        size = sum(p.numel() * p.element_size() for p in model.parameters())
        if size > KEEP_LIMIT_BYTES:
            return None
        tokenizer = self._encoded[0]
        pipeline = TextPipeline(model.to("cpu"), tokenizer, self.data, scale, self.max_length)
        return pickle.dumps(pipeline)


def outputs_of(data: TextData) -> int:
    """The model's outputs: one per class, or one value for regression."""
    return 1 if not data.task.is_classification else len(data.classes or ())


def encode_rows(
    backbone: Backbone, data: TextData, scale_rows: np.ndarray, max_length: int
) -> tuple[Any, Encoded, TargetScale]:
    """The tokenizer, every text encoded with its (scaled) target, and the target scale fitted
    on `scale_rows` (the rows trained on)."""
    regression = not data.task.is_classification
    tokenizer = backbone.tokenizer()
    scale = TargetScale(data.y[scale_rows], regression)
    y = scale.forward(data.y.astype(float)) if regression else data.y
    ids = encode(tokenizer, data.texts, max_length)
    return tokenizer, Encoded(ids, y, tokenizer.pad_token_id or 0, regression), scale


def fit_text_model(
    config: dict[str, Any],
    data: TextData,
    backbone: Backbone,
    seed: int,
    deadline: float | None = None,
    max_length: int = MAX_LENGTH,
) -> TextPipeline:
    """Fine-tune `config` on every row (no validation), ending by `deadline` if given."""
    import torch

    torch.set_num_threads(thread_cap())
    regression = not data.task.is_classification
    rows = np.arange(data.n_rows)
    tokenizer, encoded, scale = encode_rows(backbone, data, rows, max_length)
    model = backbone.classifier(outputs_of(data), regression)
    chain = train_chain(model, LoraChoice.from_config(config), encoded, None, None, deadline, seed)
    return TextPipeline(chain.model.to("cpu"), tokenizer, data, scale, max_length)
