from pathlib import Path

import pytest

from ml.train.config import TrainConfig, load_config, merge_overrides

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_configs_load():
    full = load_config(ROOT / "configs" / "au_gcn.yaml")
    assert full.model == "au_gcn"
    assert full.model_kwargs["image_size"] == 112 and full.model_kwargs["num_frames"] == 16
    small = load_config(ROOT / "configs" / "au_gcn_small.yaml")
    assert small.model == "au_gcn_small"


def test_cli_overrides_yaml(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("model: {name: au_gcn, image_size: 96}\ntrain: {epochs: 7, lr: 0.01}\n")
    cfg = load_config(p)
    assert (cfg.epochs, cfg.lr, cfg.model_kwargs["image_size"]) == (7, 0.01, 96)
    cfg2 = merge_overrides(cfg, epochs=2, lr=None, split="kfold")
    assert (cfg2.epochs, cfg2.lr, cfg2.split) == (2, 0.01, "kfold")
    # another model keeps only generic input settings
    cfg3 = merge_overrides(cfg, model="tiny_test_model")
    assert cfg3.model_kwargs == {"image_size": 96}


def test_bad_config(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("train: {epochz: 3}\n")
    with pytest.raises(ValueError, match="epochz"):
        load_config(p)
    with pytest.raises(FileNotFoundError, match=r"nope\.yaml"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ValueError, match="split"):
        TrainConfig(split="random")
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
