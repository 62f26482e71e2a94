"""The `automl` command on text: a search on a TSV file, then predictions for a .txt file of
one text per line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from tests.test_cli import run_cli


def test_search_a_tsv_then_predict_a_text_file(
    sst2: pd.DataFrame, tiny_model_dir: Path, tmp_path: Path, automl_home: Path
) -> None:
    data = tmp_path / "reviews.tsv"
    sst2.head(120).to_csv(data, sep="\t", index=False)
    space = tmp_path / "lora.yaml"
    space.write_text(yaml.safe_dump({"params": {"steps": 8, "batch_size": 16}}))
    model = tmp_path / "reviews.automl"
    done = run_cli(
        "search", str(data), "--target", "label", "--text", "sentence", "--executor", "inprocess",
        "--base-model",
        str(tiny_model_dir), "--space", str(space), "--trials", "1", "--out", str(model),
        home=automl_home,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    texts = tmp_path / "new.txt"
    texts.write_text("a wonderful , moving film\ndull and lifeless\n\nfine\n")
    done = run_cli("predict", str(model), str(texts), home=automl_home)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "predicted_label,proba_0,proba_1" and len(lines) == 5  # 4 texts
    missing = run_cli("predict", str(model), str(tmp_path / "none.txt"), home=automl_home)
    assert missing.returncode != 0 and "file not found" in missing.stderr
