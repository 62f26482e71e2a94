"""Text problems: a target predicted from a column of texts by fine-tuning a pretrained
transformer with LoRA and Chain of LoRA (torch, transformers and PEFT are imported only when
a text search runs)."""

from automl.problems.text.problem import TextProblem

__all__ = ["TextProblem"]
