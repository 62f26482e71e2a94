"""TextModel: a fine-tuned text model as a FittedModel (save, load, predict, the CLI and the
service's download work as for tabular models); predicts from texts or a frame's text column."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pandas as pd

from automl.data import read_table
from automl.exceptions import DataError
from automl.model import BASE_LIBRARIES, FittedModel

TEXT_LIBRARIES = ("torch", "transformers", "peft")


class TextModel(FittedModel):
    """`pipelines` hold one TextPipeline (the best configuration fine-tuned on every row)."""

    problem: ClassVar[str] = "text"

    def _features(self, data: pd.DataFrame | str | Path | Sequence[str]) -> pd.DataFrame:
        """A table (frame or file) with the text column, a .txt file of one text per line,
        or the texts themselves."""
        if isinstance(data, (str, Path)) and Path(data).suffix.lower() == ".txt":
            path = Path(data)
            if not path.is_file():
                raise DataError(f"file not found: {path}")
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            return pd.DataFrame({self.info["text"]: lines})
        if isinstance(data, (pd.DataFrame, str, Path)):
            return read_table(data)
        return pd.DataFrame({self.info["text"]: [str(t) for t in data]})

    def libraries(self) -> tuple[str, ...]:
        return (*BASE_LIBRARIES, *TEXT_LIBRARIES)
