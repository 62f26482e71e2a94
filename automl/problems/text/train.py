"""Fine-tune a sequence-classification transformer with a chain of LoRAs (COLA: Xia, Qin &
Hazan, 2024): train a LoRA, merge it into the weights (a knot), start a fresh one; one link is
plain LoRA. Only PEFT's public API: LoraConfig, get_peft_model, merge_and_unload."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from automl.problems.text.lora import HEAD_NAMES, LoraChoice, peft_config

EVALUATIONS = 8
"""Evaluations on the validation rows over a chain's steps, besides one at every knot."""
STOP_MARGIN = 1.1
"""A trial stops training when the time left is less than this many times one step plus one
evaluation (it keeps what it learnt, is scored and marked cut short)."""


@dataclass
class Encoded:
    """Token ids of each text (truncated, not padded) and the targets, batched on demand."""

    ids: list[list[int]]
    y: np.ndarray
    pad_id: int
    regression: bool

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, rows: np.ndarray) -> Encoded:
        return Encoded([self.ids[i] for i in rows], self.y[rows], self.pad_id, self.regression)

    def batch(self, rows: np.ndarray | list[int]) -> dict[str, Any]:
        """Padded tensors for `rows` (input_ids, attention_mask, labels)."""
        import torch

        width = max(len(self.ids[i]) for i in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for k, i in enumerate(rows):
            tokens = self.ids[i]
            ids[k, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
            mask[k, : len(tokens)] = 1
        labels = torch.tensor(
            self.y[np.asarray(rows)], dtype=torch.float32 if self.regression else torch.long
        )
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}

    def shuffled_batches(self, batch_size: int, seed: int) -> Iterator[dict[str, Any]]:
        """Batches of a fresh permutation each epoch, for ever."""
        rng = np.random.default_rng(seed)
        size = min(batch_size, len(self))
        while True:
            order = rng.permutation(len(self))
            for start in range(0, len(order) - size + 1, size):
                yield self.batch(order[start : start + size])


def device_of(model: Any) -> Any:
    return next(model.parameters()).device


def _on(batch: dict[str, Any], device: Any) -> dict[str, Any]:
    return {name: tensor.to(device) for name, tensor in batch.items()}


def _autocast(device: Any) -> Any:
    """bf16 autocast on a GPU that supports it (fp16 otherwise); nothing on CPU."""
    import contextlib

    import torch

    if device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast("cuda", dtype=dtype)


def predict(model: Any, data: Encoded, batch_size: int = 128) -> np.ndarray:
    """Class probabilities (n, k), or values for regression, in the rows' order (batched by
    length, so padding stays short)."""
    import torch

    device = device_of(model)
    was_training = model.training
    model.eval()
    order = np.argsort([len(ids) for ids in data.ids], kind="stable")
    parts: list[np.ndarray] = []
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            batch = data.batch(order[start : start + batch_size])
            batch.pop("labels")
            with _autocast(device):
                logits = model(**_on(batch, device)).logits.float()
            out = logits[:, 0] if data.regression else torch.softmax(logits, dim=-1)
            parts.append(out.cpu().numpy())
    model.train(was_training)
    result = np.empty((len(order), *parts[0].shape[1:]), dtype=float)
    result[order] = np.concatenate(parts)
    return result


@dataclass
class ChainResult:
    """What training ended with: the model (every link merged), the steps it trained, whether
    the deadline cut it short, the seconds it took, and (step, score) at each evaluation."""

    model: Any
    steps: int
    cut_short: bool
    seconds: float
    curve: list[tuple[int, float]] = field(default_factory=list)
    knots: list[int] = field(default_factory=list)
    ranks: list[float] = field(default_factory=list)
    """With the energy rank schedule: the mean rank the next link got at each knot."""
    trainable: int = 0
    """The most parameters any link trained (its LoRA weights and the head)."""


Evaluate = Callable[[Any], float]
Report = Callable[[float, int], None]


def train_chain(
    model: Any,
    choice: LoraChoice,
    train: Encoded,
    evaluate: Evaluate | None,
    report: Report | None = None,
    deadline: float | None = None,
    seed: int = 0,
) -> ChainResult:
    """Train `choice.links` LoRAs one after another on `train`, merging each into `model`.

    `evaluate(model) -> score` is called at evaluation points and at every knot (None: never,
    as in the final fit on all rows); `report(score, step)` receives each score (it may raise
    optuna.TrialPruned to stop the trial). Training stops before `deadline` (time.monotonic())
    with what it has learnt. It runs on the GPU when torch sees one (bf16 where supported)."""
    import torch

    torch.manual_seed(seed)
    start = time.monotonic()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = model.to(device)
    linear_names = {n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    head_linear = [n for n in linear_names if _in_head(n)]
    n_layers = getattr(model.config, "num_hidden_layers", None)
    head = [p for n, p in model.named_parameters() if _in_head(n)]
    links = choice.link_steps()
    total = sum(links)
    every = max(1, math.ceil(total / EVALUATIONS))
    batches = train.shuffled_batches(choice.batch_size, seed)
    result = ChainResult(model, 0, False, 0.0)
    optimizer: Any = None
    step_seconds = 0.0
    pattern: dict[str, int] = {}
    for link, link_steps in enumerate(links):
        peft_model = _attach(
            model, choice, link, linear_names, head_linear, n_layers, head, pattern
        )
        optimizer = _optimizer(peft_model, choice, head, optimizer)
        result.trainable = max(
            result.trainable, sum(p.numel() for p in peft_model.parameters() if p.requires_grad)
        )
        peft_model.train()
        for local in range(link_steps):
            if deadline is not None and deadline - time.monotonic() < STOP_MARGIN * step_seconds:
                result.cut_short = True
                break
            began = time.monotonic()
            _set_rate(optimizer, choice, _rate_factor(choice, links, link, local))
            with _autocast(device):
                loss = peft_model(**_on(next(batches), device)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(
                [p for g in optimizer.param_groups for p in g["params"]], 1.0
            )
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            result.steps += 1
            if evaluate and result.steps % every == 0 and local < link_steps - 1:
                _evaluate(peft_model, evaluate, report, result)
            step_seconds = max(step_seconds, time.monotonic() - began)
        if choice.rank_schedule == "energy":
            pattern = energy_ranks(peft_model, choice.energy, choice.rank)
            result.ranks.append(sum(pattern.values()) / max(1, len(pattern)))
        model = peft_model.merge_and_unload()
        result.model = model
        result.knots.append(result.steps)
        if evaluate and result.steps and (not result.curve or result.curve[-1][0] != result.steps):
            _evaluate(model, evaluate, report, result)
        if result.cut_short:
            break
    result.seconds = time.monotonic() - start
    return result


def _in_head(name: str) -> bool:
    return any(part in HEAD_NAMES for part in name.split("."))


def _attach(
    model: Any,
    choice: LoraChoice,
    link: int,
    linear_names: set[str],
    head_linear: list[str],
    n_layers: int | None,
    head: list[Any],
    pattern: dict[str, int],
) -> Any:
    """A fresh LoRA on `model` (per-layer ranks from `pattern` where it names a layer); the
    head (new, randomly initialised weights) trains fully."""
    from peft import get_peft_model

    config = peft_config(
        choice, choice.link_rank(link), linear_names, n_layers, head_linear, pattern
    )
    with warnings.catch_warnings():  # PEFT asks transformers about a renamed attribute
        warnings.simplefilter("ignore", FutureWarning)
        peft_model = get_peft_model(model, config)
    for parameter in head:
        parameter.requires_grad_(True)
    return peft_model


def energy_ranks(peft_model: Any, share: float, cap: int) -> dict[str, int]:
    """Per adapted layer (named as in the model without PEFT's wrapper), how many singular
    values of the link's update B @ A hold `share` of its squared norm, at most `cap`: the
    next link's rank. The singular values come from the two small R factors of QR, so no
    full-size matrix is formed."""
    import torch
    from peft.tuners.lora import LoraLayer

    ranks: dict[str, int] = {}
    with torch.no_grad():
        for name, module in peft_model.base_model.model.named_modules():
            if not isinstance(module, LoraLayer) or "default" not in module.lora_A:
                continue
            a = module.lora_A["default"].weight.float()
            b = module.lora_B["default"].weight.float()
            values = torch.linalg.svdvals(torch.linalg.qr(b)[1] @ torch.linalg.qr(a.T)[1].T)
            energy = torch.cumsum(values**2, 0) / (values**2).sum().clamp_min(1e-30)
            ranks[name] = max(1, min(cap, int((energy < share - 1e-9).sum()) + 1))
    return ranks


def _optimizer(peft_model: Any, choice: LoraChoice, head: list[Any], previous: Any) -> Any:
    """AdamW over the link's LoRA weights and the head; with `partial` reset the head keeps
    its moments from the previous link (the LoRA weights are new at every knot)."""
    import torch

    head_ids = {id(p) for p in head}
    lora = [p for p in peft_model.parameters() if p.requires_grad and id(p) not in head_ids]
    optimizer = torch.optim.AdamW(
        [{"params": lora}, {"params": head}],
        lr=choice.learning_rate,
        weight_decay=choice.weight_decay,
    )
    if previous is not None and choice.optimizer_reset == "partial":
        for parameter in head:
            if parameter in previous.state:
                optimizer.state[parameter] = previous.state[parameter]
    return optimizer


def _rate_factor(choice: LoraChoice, links: list[int], link: int, local: int) -> float:
    """Linear warm-up then linear decay to zero: over each link (`rewarm`), or once over the
    whole chain (`continue`)."""
    if choice.knot_schedule == "rewarm":
        step, total = local, links[link]
    else:
        step, total = sum(links[:link]) + local, sum(links)
    warm = max(1, round(choice.warmup * total))
    if step < warm:
        return (step + 1) / warm
    return max(0.0, (total - step) / max(1, total - warm))


def _set_rate(optimizer: Any, choice: LoraChoice, factor: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = choice.learning_rate * factor


def _evaluate(model: Any, evaluate: Evaluate, report: Report | None, result: ChainResult) -> None:
    score = evaluate(model)
    result.curve.append((result.steps, score))
    if report is not None:
        report(score, result.steps)
