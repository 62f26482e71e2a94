"""LoRA on SST-2: a frozen encoder, the default LoRA, a Chain of LoRA, full fine-tuning and the
searched configuration, scored on the 872 dev sentences (CPU, MiniLM-L6 from its package).

    python -m benchmarks.lora [--train-rows 2000 --seeds 0 1 2 --steps 62 --budget 600
                               --methods frozen default_lora chain full searched_lora
                                         searched_chain]

`frozen`: the encoder's mean-pooled sentence vectors and logistic regression. `default_lora`:
r=8, alpha=16 on query and value, lr 2e-4, batch 32. `chain`: three links of r=8 LoRA on every
linear layer at 1e-3, batch 32, the same steps in all. `full`: every weight trained, lr 5e-5.
All of these train `--steps` steps (62: one epoch of 2,000 sentences). `searched_lora` and
`searched_chain`: `automl.search(..., text="sentence", time_budget=--budget)` (strategy `auto`)
on the bundled space with its steps set to `--steps` and one link (plain LoRA) or 2-4 links,
its model (the best configuration fine-tuned on all 2,000 sentences) scored on dev. Writes
benchmarks/results/lora.md and .json (`--name` for another name).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.problems.text.backbone import Backbone, encode
from automl.problems.text.lora import LoraChoice
from automl.problems.text.train import Encoded, predict, train_chain
from benchmarks.datasets import SHARED

RESULTS = Path(__file__).parent / "results"


def sst2(train_rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    train = pd.read_csv(SHARED / "sst2_train.tsv.gz", sep="\t")
    dev = pd.read_csv(SHARED / "sst2_dev.tsv.gz", sep="\t")
    return train.sample(train_rows, random_state=seed).reset_index(drop=True), dev


def _encoded(backbone: Backbone, frame: pd.DataFrame) -> Encoded:
    tokenizer = backbone.tokenizer()
    ids = encode(tokenizer, frame["sentence"].astype(str).tolist())
    return Encoded(ids, frame["label"].to_numpy(), tokenizer.pad_token_id or 0, False)


def lora_accuracy(choice: LoraChoice, train: pd.DataFrame, dev: pd.DataFrame, seed: int) -> float:
    backbone = Backbone.resolve(None)
    model = backbone.classifier(2, regression=False)
    chain = train_chain(model, choice, _encoded(backbone, train), None, seed=seed)
    valid = _encoded(backbone, dev)
    return float((predict(chain.model, valid).argmax(axis=1) == valid.y).mean())


def full_accuracy(steps: int, train: pd.DataFrame, dev: pd.DataFrame, seed: int) -> float:
    import torch

    torch.manual_seed(seed)
    backbone = Backbone.resolve(None)
    model = backbone.classifier(2, regression=False).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    batches = _encoded(backbone, train).shuffled_batches(32, seed)
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = 5e-5 * min(1.0, (step + 1) / max(1, steps // 10)) * (1 - step / steps)
        model(**next(batches)).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    valid = _encoded(backbone, dev)
    return float((predict(model, valid).argmax(axis=1) == valid.y).mean())


def frozen_accuracy(train: pd.DataFrame, dev: pd.DataFrame) -> float:
    import torch
    from sklearn.linear_model import LogisticRegression

    backbone = Backbone.resolve(None)
    encoder = backbone.encoder().eval()

    def vectors(frame: pd.DataFrame) -> np.ndarray:
        data = _encoded(backbone, frame)
        parts = []
        with torch.no_grad():
            for start in range(0, len(data), 128):
                batch = data.batch(list(range(start, min(start + 128, len(data)))))
                batch.pop("labels")
                hidden = encoder(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).float()
                parts.append(((hidden * mask).sum(1) / mask.sum(1)).numpy())
        return np.concatenate(parts)

    clf = LogisticRegression(max_iter=2000).fit(vectors(train), train["label"])
    return float((clf.predict(vectors(dev)) == dev["label"]).mean())


SEARCHED_LINKS = {"searched_lora": 1, "searched_chain": {"type": "int", "low": 2, "high": 4}}
"""The bundled space with one link (plain LoRA searched) or with 2-4 links (chains only)."""


def searched_accuracy(
    method: str, train: pd.DataFrame, dev: pd.DataFrame, seed: int, steps: int, budget: float
) -> tuple[float, dict[str, Any]]:
    """The `auto` search's model on dev, and what the search did: trials by state, the steps
    all its trials trained, its best validation score, the best configuration."""
    import automl
    from automl.record import TrialRecord
    from automl.space import load_yaml
    from automl.space._tabular import spaces_dir

    space = load_yaml(spaces_dir() / "lora.yaml")
    space["params"]["steps"] = steps
    space["params"]["links"] = SEARCHED_LINKS[method]
    result = automl.search(
        train, target="label", text="sentence", space=space, time_budget=budget,
        storage=":memory:", seed=seed,
    )  # fmt: skip
    assert result.model is not None, result.notes
    predicted = result.model.predict(dev)
    trials = result.study.get_trials(deepcopy=False)
    records = [TrialRecord.of(t) for t in trials]
    search = {
        "trials": len(trials),
        "completed": len(result.completed),
        "pruned": sum(t.state.name == "PRUNED" for t in trials),
        "steps_trained": sum(
            (r.iterations or max((p.step for p in r.curve), default=0)) for r in records
        ),
        "best_validation": round(result.best_score, 4),
        "best_config": result.best_config,
    }
    return float((predicted == dev["label"].to_numpy()).mean()), search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train-rows", type=int, default=2000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=62)
    parser.add_argument("--budget", type=float, default=600, help="seconds per search")
    parser.add_argument("--name", default="lora", help="results/<name>.md and .json")
    parser.add_argument(
        "--methods",
        nargs="+",
        default=["frozen", "default_lora", "chain", "full", "searched_lora", "searched_chain"],
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    default = LoraChoice(rank=8, alpha_ratio=2.0, targets="query_value", learning_rate=2e-4,
                         batch_size=32, steps=args.steps)  # fmt: skip
    chain = LoraChoice(rank=8, targets="all_linear", learning_rate=1e-3, batch_size=32,
                       steps=args.steps, links=3)  # fmt: skip
    runs: list[dict[str, Any]] = []
    for seed in args.seeds:
        train, dev = sst2(args.train_rows, seed)
        for method in args.methods:
            began = time.perf_counter()
            extra: dict[str, Any] = {}
            if method == "frozen":
                accuracy = frozen_accuracy(train, dev)
            elif method == "default_lora":
                accuracy = lora_accuracy(default, train, dev, seed)
            elif method == "chain":
                accuracy = lora_accuracy(chain, train, dev, seed)
            elif method == "full":
                accuracy = full_accuracy(args.steps, train, dev, seed)
            else:
                accuracy, extra = searched_accuracy(
                    method, train, dev, seed, args.steps, args.budget
                )
            run = {"method": method, "seed": seed, "accuracy": round(accuracy, 4),
                   "seconds": round(time.perf_counter() - began, 1), **extra}  # fmt: skip
            logging.info("%s", run)
            runs.append(run)
            write(runs, args)  # after every run: a long benchmark keeps what it measured


def write(runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(runs, indent=1, default=str))
    lines = [
        f"# SST-2, {args.train_rows} training sentences, {args.steps} steps, dev accuracy (872)",
        "",
        "| method | seed | accuracy | seconds | search |",
        "|---|---|---|---|---|",
        *(
            f"| {r['method']} | {r['seed']} | {r['accuracy']:.4f} | {r['seconds']} |"
            f" {_search_summary(r)} |"
            for r in runs
        ),
        "",
        "Means over seeds:",
        "",
    ]
    for method in dict.fromkeys(r["method"] for r in runs):
        scores = [r["accuracy"] for r in runs if r["method"] == method]
        lines.append(
            f"- {method}: {statistics.mean(scores):.4f} (max - min"
            f" {max(scores) - min(scores):.4f}, {len(scores)} seeds)"
        )
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")


def _search_summary(run: dict[str, Any]) -> str:
    if "trials" not in run:
        return ""
    return (
        f"{run['trials']} trials ({run['completed']} completed, {run['pruned']} pruned),"
        f" {run['steps_trained']} steps, best validation {run['best_validation']}"
    )


if __name__ == "__main__":
    main()
