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


def test_energy_ranks_count_the_singular_values_that_hold_the_share(tiny_model_dir: Path) -> None:
    import torch
    from peft import get_peft_model

    from automl.problems.text.train import energy_ranks

    backbone = Backbone.resolve(str(tiny_model_dir))
    model = backbone.classifier(2, regression=False)
    linear = {n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    choice = LoraChoice(rank=4, targets="query_value")
    peft_model = get_peft_model(model, peft_config(choice, 4, linear, 2, ["classifier"]))
    with torch.no_grad():  # B @ A with singular values 4, 2, 1, 0 (energy shares 16/21, 20/21, 1)
        for module in peft_model.modules():
            if hasattr(module, "lora_A") and "default" in module.lora_A:
                a, b = module.lora_A["default"].weight, module.lora_B["default"].weight
                a.copy_(torch.linalg.qr(torch.randn(a.shape[1], 4))[0].T)
                b.copy_(torch.linalg.qr(torch.randn(b.shape[0], 4))[0] * torch.tensor([4, 2, 1, 0]))
    ranks = energy_ranks(peft_model, 0.9, cap=4)
    assert ranks and all(name.endswith(("query", "value")) for name in ranks)
    assert set(ranks.values()) == {2}
    assert set(energy_ranks(peft_model, 0.7, cap=4).values()) == {1}
    assert set(energy_ranks(peft_model, 1.0, cap=2).values()) == {2}
    # the next link gets those ranks (and alpha = alpha_ratio x its rank) per layer
    merged = peft_model.merge_and_unload()
    ranks["bert.encoder.layer.1.attention.self.query"] = 3
    link = get_peft_model(merged, peft_config(choice, 4, linear, 2, ["classifier"], ranks))
    for name, module in link.base_model.model.named_modules():
        if name in ranks:
            assert module.lora_A["default"].weight.shape[0] == ranks[name], name
            assert module.lora_alpha["default"] == 2 * ranks[name]


def test_an_energy_rank_schedule_chain_gives_later_links_their_own_ranks(
    tiny_model_dir: Path,
) -> None:
    backbone = Backbone.resolve(str(tiny_model_dir))
    texts, labels = toy_texts(96, 3)
    train = Encoded(encode(backbone.tokenizer(), texts), labels, 0, False)
    choice = LoraChoice(
        rank=8, targets="all_linear", learning_rate=3e-3, batch_size=16, steps=12, links=3,
        rank_schedule="energy", energy=0.5,
    )  # fmt: skip
    chain = train_chain(backbone.classifier(2, regression=False), choice, train, None)
    assert chain.knots == [4, 8, 12] and len(chain.ranks) == 3
    assert all(1 <= rank <= 8 for rank in chain.ranks)
    assert not any("lora" in n for n, _ in chain.model.named_parameters())


@pytest.mark.parametrize("targets", ["query_value", "attention", "all_linear"])
def test_top_layers_adapt_only_the_top_layers(tiny_model_dir: Path, targets: str) -> None:
    import torch
    from peft import get_peft_model

    model = Backbone.resolve(str(tiny_model_dir)).classifier(2, regression=False)
    linear = {n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    head = ["bert.pooler.dense", "classifier"]
    choice = LoraChoice(rank=4, targets=targets, top_layers=1)
    adapted = get_peft_model(model, peft_config(choice, 4, linear, 2, head))
    names = {n for n, m in adapted.base_model.model.named_modules() if hasattr(m, "lora_A")}
    assert names and all(".layer.1." in n for n in names), names
    if targets == "all_linear":
        assert len(names) == 6  # every linear layer of the top block


def test_a_space_with_the_chain_fixed_keeps_only_the_settings_that_can_be_active() -> None:
    from automl.problems.text.space import lora_space, lora_spec

    def space_with(**fixed: object) -> dict[str, dict[str, object]]:
        raw = lora_spec(None)
        return lora_space({"params": {**raw["params"], **fixed}}).to_dict()

    plain = space_with(links=1)  # no chain settings (their condition could never hold)
    assert not {"lora.split", "lora.rank_schedule", "lora.energy"} & set(plain)
    chain = space_with(links=3, rank_schedule="energy")  # always a chain: no conditions left
    assert "condition" not in chain["lora.split"] and "condition" not in chain["lora.energy"]
    narrowed = space_with(links={"type": "categorical", "choices": [1, 4]})
    assert narrowed["lora.split"]["condition"] == {"lora.links": [4]}
    per_variant = space_with(variant="dora")  # one learning rate, always active
    assert [n for n in per_variant if n.startswith("lora.learning_rate")] == [
        "lora.learning_rate.dora"
    ]
    assert "condition" not in per_variant["lora.learning_rate.dora"]
