from pathlib import Path

import pytest

from ml.train.config import TrainConfig, load_config, merge_overrides

ROOT = Path(__file__).resolve().parents[3]


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


def test_train_cli_members_and_mirror_reach_the_config(tmp_path, monkeypatch):
    import ml.train
    from ml.cli import main
    from ml.cli import train as train_cmd

    seen = []

    def fake_run_protocol(records, cfg, **kw):
        seen.append(cfg)
        raise _StoppedError

    monkeypatch.setattr(train_cmd, "load_records", lambda args: [])
    monkeypatch.setattr(ml.train, "run_protocol", fake_run_protocol)
    config = tmp_path / "cfg.yaml"
    config.write_text("model:\n  name: au_gcn_small\ntrain:\n  members: 3\n  mirror_average: true\n")
    base = ["train", "--config", str(config), "--data", str(tmp_path), "--out", str(tmp_path / "o")]
    # the stand-in stops the run: the command line's boundary reports it as an internal error (exit 1)
    assert main(base) == 1
    assert main([*base, "--members", "2", "--no-mirror-average"]) == 1
    assert (seen[0].members, seen[0].mirror_average) == (3, True)  # from the file
    assert (seen[1].members, seen[1].mirror_average) == (2, False)  # the command line wins


class _StoppedError(Exception):
    """Raised by a stand-in for the fold harness once it has seen its arguments."""


def test_train_cli_refuses_an_existing_report_before_any_work(tmp_path, monkeypatch, capsys):
    import ml.train
    from ml.cli import main
    from ml.cli import train as train_cmd

    calls = []
    monkeypatch.setattr(train_cmd, "load_records", lambda args: calls.append("load") or [])
    monkeypatch.setattr(ml.train, "run_protocol", lambda *a, **kw: calls.append("run") or {})
    out = tmp_path / "o"
    out.mkdir()
    (out / "report.json").write_text('{"kept": true}')
    assert main(["train", "--data", str(tmp_path), "--out", str(out)]) != 0
    assert "report.json already exists; pass --overwrite" in capsys.readouterr().err
    assert calls == []
    assert (out / "report.json").read_text() == '{"kept": true}'
