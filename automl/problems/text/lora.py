"""One trial's LoRA / Chain-of-LoRA choices, read from its config, and PEFT's LoraConfig for
each link of the chain."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

PREFIX = "lora."
"""Every parameter of a text search is `lora.<field>` (see search_spaces/lora.yaml)."""

VARIANTS = ("lora", "rslora", "dora", "pissa", "olora")
TARGETS = ("query_value", "attention", "all_linear")
SPLITS = ("equal", "geometric")
RANK_SCHEDULES = ("constant", "step_down", "energy")
OPTIMIZER_RESETS = ("fresh", "partial")
KNOT_SCHEDULES = ("rewarm", "continue")

ATTENTION_NAMES = (
    # (query, key, value, attention output): BERT-style, DistilBERT, OPT / Llama-style
    ("query", "key", "value", "attention.output.dense"),
    ("q_lin", "k_lin", "v_lin", "out_lin"),
    ("q_proj", "k_proj", "v_proj", "o_proj"),
    ("q_proj", "k_proj", "v_proj", "out_proj"),
)
HEAD_NAMES = ("classifier", "score", "pooler", "pre_classifier")
"""Modules a sequence-classification model adds on top of the pretrained encoder (a module
whose dotted name holds one of these parts): trained fully, never given a LoRA."""


@dataclass(frozen=True)
class LoraChoice:
    """What one trial trains: the adapter (rank, alpha = alpha_ratio * rank, dropout, which
    modules, the top `top_layers` layers or all when 0, the variant), the optimiser (AdamW with
    linear warm-up over a `warmup` share of the steps, then linear decay), and the chain: `links`
    LoRAs one after another, each merged into the weights at its end (a knot), the steps split
    equally or halving link by link, the rank constant or halved at each knot, the optimiser's
    state all fresh at a knot or kept for the head (`partial`), the learning rate warmed up
    again at each knot or one schedule over the whole chain (`continue`). With the `energy`
    rank schedule each layer's next rank is the number of singular values of the link just
    merged that hold an `energy` share of its squared norm (at most `rank`)."""

    rank: int = 8
    alpha_ratio: float = 2.0
    dropout: float = 0.05
    targets: str = "query_value"
    top_layers: int = 0
    variant: str = "lora"
    learning_rate: float = 5e-4
    weight_decay: float = 0.0
    warmup: float = 0.1
    batch_size: int = 32
    steps: int = 200
    links: int = 1
    split: str = "equal"
    rank_schedule: str = "constant"
    energy: float = 0.9
    optimizer_reset: str = "fresh"
    knot_schedule: str = "rewarm"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LoraChoice:
        """The trial's `lora.*` values over the defaults (a parameter left out of the space,
        or inactive, keeps its default)."""
        known = {f.name for f in fields(cls)}
        values = {}
        for key, value in config.items():
            name = key[len(PREFIX) :].split(".")[0]  # `learning_rate.dora`: searched per variant
            if key.startswith(PREFIX) and name in known and value is not None:
                values[name] = value
        choice = cls(**values)
        choice.check()
        return choice

    def check(self) -> None:
        """ValueError naming the first value out of its choices."""
        for name, allowed in (
            ("targets", TARGETS),
            ("variant", VARIANTS),
            ("split", SPLITS),
            ("rank_schedule", RANK_SCHEDULES),
            ("optimizer_reset", OPTIMIZER_RESETS),
            ("knot_schedule", KNOT_SCHEDULES),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"lora.{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}"
                )
        if not 0.0 < self.energy <= 1.0:
            raise ValueError(f"lora.energy must be in (0, 1], got {self.energy}")
        if self.rank < 1 or self.links < 1 or self.steps < 1 or self.batch_size < 1:
            raise ValueError("lora.rank, lora.links, lora.steps and lora.batch_size must be >= 1")

    def link_steps(self, total: int | None = None) -> list[int]:
        """Training steps of each link: equal shares, or each link half the one before; the
        rounding goes to the last link, and every link trains at least one step."""
        total = self.steps if total is None else total
        links = min(self.links, total)
        weights = [1.0] * links if self.split == "equal" else [0.5**i for i in range(links)]
        steps = [max(1, int(total * w / sum(weights))) for w in weights]
        steps[-1] += total - sum(steps)
        return steps

    def link_rank(self, link: int) -> int:
        """The rank of link `link` (0-based); with the `energy` schedule, the rank of the layers
        the pattern passed to peft_config does not name."""
        if self.rank_schedule == "step_down":
            return max(1, self.rank >> link)
        return self.rank


def target_modules(linear_names: set[str], targets: str) -> list[str] | str:
    """PEFT's `target_modules` for the model whose linear layers are `linear_names` (full
    dotted names): the attention's query and value, all of the attention, or every linear
    layer but the head."""
    if targets == "all_linear":
        return "all-linear"
    for query, key, value, output in ATTENTION_NAMES:
        if _has(linear_names, query) and _has(linear_names, value):
            chosen = (query, value) if targets == "query_value" else (query, key, value, output)
            return [name for name in chosen if _has(linear_names, name)]
    raise ValueError(
        "cannot tell the attention layers of this model apart (no query/value or q_proj/v_proj"
        " linear layers); use lora.targets: all_linear"
    )


def _has(names: set[str], suffix: str) -> bool:
    return any(name == suffix or name.endswith("." + suffix) for name in names)


def peft_config(
    choice: LoraChoice,
    rank: int,
    linear_names: set[str],
    n_layers: int | None,
    head_linear: list[str],
    rank_pattern: dict[str, int] | None = None,
) -> Any:
    """PEFT's LoraConfig for one link of rank `rank` (per-layer ranks in `rank_pattern`, keyed by
    module name); `head_linear` are the head's linear layers (left to train fully)."""
    from peft import LoraConfig

    layers = None
    if choice.top_layers and n_layers and choice.top_layers < n_layers:
        layers = list(range(n_layers - choice.top_layers, n_layers))
    init: Any = True
    if choice.variant == "pissa":
        init = "pissa_niter_4"  # fast randomised SVD
    elif choice.variant == "olora":
        init = "olora"
    pattern = {re.escape(name): r for name, r in (rank_pattern or {}).items()}
    modules = target_modules(linear_names, choice.targets)
    if layers is not None and modules == "all-linear":  # PEFT wants names with layers_to_transform
        modules = sorted({n.rsplit(".", 1)[-1] for n in linear_names - set(head_linear)})
    return LoraConfig(
        r=rank,
        lora_alpha=max(1, round(choice.alpha_ratio * rank)),
        rank_pattern=pattern,
        alpha_pattern={name: max(1, round(choice.alpha_ratio * r)) for name, r in pattern.items()},
        lora_dropout=choice.dropout,
        target_modules=modules,
        exclude_modules=head_linear or None,
        layers_to_transform=layers,
        use_rslora=choice.variant == "rslora",
        use_dora=choice.variant == "dora",
        init_lora_weights=init,
    )
