"""FittedModel: the refit best pipeline with its label mapping; save() and load() with a version check."""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from automl.data import Task, read_table
from automl.exceptions import ModelFileError

FORMAT = "automl-model"
FORMAT_VERSION = 1
PROBLEM = "tabular"
"""A model's search problem when its header does not say (headers before 0.2: tabular)."""
PROBLEMS = ("tabular", "text")
"""The search problems whose models this version loads."""
BASE_LIBRARIES = ("sklearn",)
"""Always recorded; each model family adds the libraries it needs (lightgbm, torch)."""


@dataclass
class FittedModel:
    """Pipelines fitted on all training rows, averaged with `weights` (one pipeline when the
    ensemble is a single model); predicts labels, probabilities or values. `families` are the
    members' model families: their libraries' versions are recorded when saving."""

    pipelines: list[Any]
    weights: list[float]
    task: Task
    target: str
    classes: tuple[Any, ...] | None
    config: dict[str, Any]
    metric: str
    info: dict[str, Any] = field(default_factory=dict)
    families: tuple[str, ...] = ()
    problem: ClassVar[str] = PROBLEM

    def predict(self, data: pd.DataFrame | str | Path) -> np.ndarray:
        """Class labels (original values) or regression values for each row."""
        X = self._features(data)
        if not self.task.is_classification:
            parts = [
                w * np.asarray(p.predict(X), dtype=float)
                for w, p in zip(self.weights, self.pipelines, strict=True)
            ]
            return np.sum(parts, axis=0)
        return np.asarray(self.classes, dtype=object)[self._proba(X).argmax(axis=1)]

    def predict_proba(self, data: pd.DataFrame | str | Path) -> pd.DataFrame:
        """Class probabilities, one column per class label."""
        if not self.task.is_classification:
            raise TypeError("predict_proba is only available for classification models")
        X = self._features(data)
        assert self.classes is not None
        return pd.DataFrame(self._proba(X), columns=list(self.classes), index=X.index)

    def _proba(self, X: pd.DataFrame) -> np.ndarray:
        assert self.classes is not None
        total = np.zeros((len(X), len(self.classes)))
        for weight, pipeline in zip(self.weights, self.pipelines, strict=True):
            proba = np.asarray(pipeline.predict_proba(X), dtype=float)
            total[:, np.asarray(pipeline.classes_, dtype=int)] += weight * proba
        return total

    def _features(self, data: pd.DataFrame | str | Path) -> pd.DataFrame:
        return read_table(data)

    def save(self, path: str | Path) -> Path:
        """Write a one-line JSON header (format and library versions), then the pickled model."""
        path = Path(path)
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "problem": self.problem,
            "versions": library_versions(self.libraries()),
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(json.dumps(header).encode() + b"\n")
                pickle.dump(self, handle, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:
            raise ModelFileError(
                f"cannot write the model to {path}: {exc.strerror or exc}"
            ) from None
        return path

    def libraries(self) -> tuple[str, ...]:
        """What loading this model needs: scikit-learn and its families' libraries (models
        saved before families were recorded used LightGBM)."""
        from automl.models import family_libraries

        if not self.families:
            return (*BASE_LIBRARIES, "lightgbm")
        return (*BASE_LIBRARIES, *family_libraries(self.families))


def library_versions(names: tuple[str, ...]) -> dict[str, str]:
    """automl's version and those of `names` (importable modules)."""
    import automl

    versions = {"automl": automl.__version__}
    for name in names:
        module = __import__(name)
        versions[name] = module.__version__
    return versions


def load(path: str | Path) -> FittedModel:
    """Load a model saved by `save`; refuses files from another format or library minor version.

    Only load files you trust: like every pickle, a model file can run code when loaded.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    with open(path, "rb") as handle:
        try:
            header = json.loads(handle.readline())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ModelFileError(f"{path} is not an automl model file") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ModelFileError(f"{path} is not an automl model file")
        _check_compatible(path, header)
        try:
            model = pickle.load(handle)
        except Exception as exc:
            raise ModelFileError(f"{path} is damaged and cannot be loaded: {exc}") from None
    if not isinstance(model, FittedModel):
        raise ModelFileError(f"{path} does not hold an automl model")
    return model


def _check_compatible(path: Path, header: dict[str, Any]) -> None:
    if header.get("problem", PROBLEM) not in PROBLEMS:
        raise ModelFileError(
            f"{path} holds a {header.get('problem')} model; this automl loads"
            f" {' and '.join(PROBLEMS)} models"
        )
    if header.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses model format {header.get('format_version')}, this automl reads format"
            f" {FORMAT_VERSION}; re-run the search with this version"
        )
    saved = header.get("versions", {})
    needed = tuple(name for name in saved if name != "automl")
    try:
        current = library_versions(needed)
    except ImportError as exc:
        raise ModelFileError(
            f"{path} needs {exc.name}, which is not installed:"
            f" pip install {exc.name}=={saved.get(exc.name, '')}"
        ) from None
    for name, version in current.items():
        if _minor(saved.get(name, "")) != _minor(version):
            raise ModelFileError(
                f"{path} was saved with {name} {saved.get(name, 'unknown')}, this environment has"
                f" {name} {version}; install {name}=={saved.get(name)} or re-run the search"
            )


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])
