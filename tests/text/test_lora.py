"""LoRA and Chain of LoRA on a tiny random BERT: knots keep the model's function, the chain's
arithmetic, the choice of target modules, and a chain that learns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from automl.problems.text.backbone import Backbone, encode
from automl.problems.text.lora import LoraChoice, peft_config, target_modules
from automl.problems.text.train import Encoded, predict, train_chain

BERT_LINEAR = {
    "bert.encoder.layer.0.attention.self.query",
    "bert.encoder.layer.0.attention.self.key",
    "bert.encoder.layer.0.attention.self.value",
    "bert.encoder.layer.0.attention.output.dense",
    "bert.encoder.layer.0.intermediate.dense",
    "bert.encoder.layer.0.output.dense",
    "bert.pooler.dense",
    "classifier",
}


def toy_texts(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Sentences whose label is whether they hold a positive word (learnable from one token)."""
    rng = np.random.default_rng(seed)
    filler = ["the", "film", "was", "a", "story", "of", "an", "actor", "and", "plot"]
    texts, labels = [], rng.integers(0, 2, n)
    for label in labels:
        words = list(rng.choice(filler, 6))
        words.insert(int(rng.integers(0, 6)), "wonderful" if label else "terrible")
        texts.append(" ".join(words))
    return texts, labels


def test_link_steps_and_ranks() -> None:
    chain = LoraChoice(steps=100, links=3, rank=16, rank_schedule="step_down")
    assert chain.link_steps() == [33, 33, 34]
    assert [chain.link_rank(i) for i in range(3)] == [16, 8, 4]
    geometric = LoraChoice(steps=70, links=3, split="geometric")
    assert geometric.link_steps() == [40, 20, 10]
    assert LoraChoice(steps=2, links=4).link_steps() == [1, 1]  # never a link without a step
    with pytest.raises(ValueError, match=r"lora\.variant must be one of"):
        LoraChoice.from_config({"lora.variant": "qlora"})


def test_target_modules_for_bert_and_llama_style_names() -> None:
    assert target_modules(BERT_LINEAR, "query_value") == ["query", "value"]
    assert target_modules(BERT_LINEAR, "attention") == [
        "query",
        "key",
        "value",
        "attention.output.dense",
    ]
    assert target_modules(BERT_LINEAR, "all_linear") == "all-linear"
    llama = {f"model.layers.0.self_attn.{n}" for n in ("q_proj", "k_proj", "v_proj", "o_proj")}
    assert target_modules(llama, "query_value") == ["q_proj", "v_proj"]
    with pytest.raises(ValueError, match=r"use lora\.targets: all_linear"):
        target_modules({"mlp.fc1"}, "attention")


@pytest.mark.parametrize("variant", ["lora", "rslora", "dora", "pissa", "olora"])
def test_a_knot_leaves_the_model_outputs_unchanged(tiny_model_dir: Path, variant: str) -> None:
    import torch
    from peft import get_peft_model

    backbone = Backbone.resolve(str(tiny_model_dir))
    model = backbone.classifier(2, regression=False)
    linear = {n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    choice = LoraChoice(rank=4, variant=variant, targets="all_linear", dropout=0.0)
    peft_model = get_peft_model(model, peft_config(choice, 4, linear, 2, ["classifier"]))
    with torch.no_grad():  # move the adapters away from their (identity) initialisation
        for name, parameter in peft_model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.5)
    peft_model.eval()
    texts, _ = toy_texts(16, 0)
    batch = Encoded(encode(backbone.tokenizer(), texts), np.zeros(16), 0, False).batch(range(16))
    batch.pop("labels")
    with torch.no_grad():
        before = peft_model(**batch).logits
        merged = peft_model.merge_and_unload()
        after = merged(**batch).logits
    assert not any("lora" in n for n, _ in merged.named_parameters())
    assert torch.allclose(before, after, atol=1e-5), (before - after).abs().max()


def test_a_three_link_chain_learns_and_reports_at_every_knot(tiny_model_dir: Path) -> None:
    backbone = Backbone.resolve(str(tiny_model_dir))
    tokenizer = backbone.tokenizer()
    texts, labels = toy_texts(400, 1)
    train = Encoded(encode(tokenizer, texts[:300]), labels[:300], 0, False)
    valid = Encoded(encode(tokenizer, texts[300:]), labels[300:], 0, False)
    choice = LoraChoice(
        rank=8, targets="all_linear", learning_rate=3e-3, batch_size=16, steps=90, links=3,
        optimizer_reset="partial",
    )  # fmt: skip
    reports: list[tuple[float, int]] = []

    def accuracy(model: object) -> float:
        return float((predict(model, valid).argmax(axis=1) == valid.y).mean())

    model = backbone.classifier(2, regression=False)
    chain = train_chain(model, choice, train, accuracy, lambda s, k: reports.append((s, k)))
    assert chain.knots == [30, 60, 90] and chain.steps == 90 and not chain.cut_short
    assert {30, 60, 90} <= {step for _, step in reports}
    assert reports[-1][0] >= 0.9, reports  # one token decides the label
    assert not any("lora" in n for n, _ in chain.model.named_parameters())


def test_training_stops_at_its_deadline_and_keeps_the_model(tiny_model_dir: Path) -> None:
    import time

    backbone = Backbone.resolve(str(tiny_model_dir))
    texts, labels = toy_texts(64, 2)
    train = Encoded(encode(backbone.tokenizer(), texts), labels, 0, False)
    model = backbone.classifier(2, regression=False)
    began = time.monotonic()
    chain = train_chain(
        model, LoraChoice(steps=100_000), train, None, deadline=time.monotonic() + 1.5
    )
    assert chain.cut_short and 0 < chain.steps < 100_000
    assert time.monotonic() - began < 3.0
