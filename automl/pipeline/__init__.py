"""From a configuration to a scikit-learn pipeline."""

from automl.pipeline._build import build_pipeline, model_params
from automl.pipeline._prepare import CategoryEncoder, FramePreparer

__all__ = ["CategoryEncoder", "FramePreparer", "build_pipeline", "model_params"]
