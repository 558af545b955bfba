"""``microexpr train --model NAME`` trains each seed model on a tiny synthetic set and lowers its loss."""

import json

import pytest
import yaml

TINY_KW = {
    "ms3d_resnet50_small": {"image_size": 32, "num_frames": 6, "width": 0.0625},
    "gamdss_small": {"image_size": 32, "context_frames": 6, "width": 0.125},
    "madv_small": {"image_size": 32, "num_frames": 6, "width": 0.125},
}


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    from ml.datasets.synthetic import write_dataset

    root = tmp_path_factory.mktemp("seedsyn")
    return write_dataset(root / "data", subjects=3, clips=12, seed=5, size=(128, 128))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TINY_KW))
def test_train_cli_lowers_the_loss(name, tiny_dataset, tmp_path):
    from ml.cli import main

    config = tmp_path / "cfg.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "model": {"name": name, **TINY_KW[name]},
                "train": {"epochs": 6, "batch_size": 4, "lr": 0.003, "augment": False, "amp": "none"},
            }
        )
    )
    out = tmp_path / "run"
    rc = main(
        [
            "train",
            "--config", str(config),
            "--data", str(tiny_dataset),
            "--protocol", "kfold", "--k", "3", "--max-folds", "1",
            "--device", "cpu", "--threads", "1",
            "--cache", str(tmp_path.parent / "seedsyn_cache"),
            "--out", str(out),
        ]
    )  # fmt: skip
    assert rc == 0
    report = json.loads((out / "report.json").read_text())
    assert report["model"] == name
    fold = report["folds"][0]
    assert fold["final_loss"] < fold["first_loss"], fold
    assert set(report["pooled"]) >= {"uf1", "uar", "au_f1_macro", "timing_error_frames"}
