"""Real data path: synthetic dataset on disk -> loader -> faces -> cache -> au_gcn_small training."""

import shutil

import numpy as np
import pytest
import torch

from ml.cli import main
from ml.datasets import open_dataset
from ml.train import TrainConfig, train_full
from ml.train.data import prepare_data


@pytest.mark.slow
def test_two_epochs_lower_the_loss(tiny_synthetic, tmp_path):
    torch.set_num_threads(2)
    records = open_dataset(tiny_synthetic)
    assert len(records) == 32 and len({r.subject for r in records}) == 4
    cfg = TrainConfig(
        model="au_gcn_small",
        model_kwargs={"image_size": 32, "width": 0.125},
        epochs=2,
        batch_size=8,
        lr=2e-3,
        warmup_epochs=0,
        augment=False,
        device="cpu",
        seed=0,
    )
    _model, summary = train_full(records, cfg, cache_dir=tmp_path / "cache")
    first, last = summary["history"][0]["total"], summary["history"][-1]["total"]
    assert last < first, summary["history"]
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 32  # every clip cached once


def test_cached_inputs_have_model_shape(tiny_synthetic, tmp_path):
    from ml.models import create_model

    records = open_dataset(tiny_synthetic)[:3]
    cfg = create_model("au_gcn_small", image_size=32, width=0.125).cfg
    data = prepare_data(records, cfg, cache_dir=tmp_path / "c", crop_size=64)
    assert data.inputs.shape == (3, 3, 16, 32, 32) and data.inputs.dtype == np.float32
    # timing targets are the sheet's frames over the clip's frames (numbers start at 1 in the layout)
    for rec, t, n in zip(records, data.timing, data.n_frames, strict=True):
        np.testing.assert_allclose(t * (n - 1), [rec.onset - 1, rec.apex - 1, rec.offset - 1], atol=1e-4)


def test_missing_frame_folder(tiny_synthetic, tmp_path, capsys):
    root = tmp_path / "data"
    shutil.copytree(tiny_synthetic, root)
    gone = root / "CASME2_RAW_selected" / "sub02" / "EP01_01"
    if not gone.is_dir():  # pick whichever clip folder sub02 has first
        gone = sorted((root / "CASME2_RAW_selected" / "sub02").iterdir())[0]
    shutil.rmtree(gone)
    out = tmp_path / "run"
    code = main(["train", "--data", str(root), "--protocol", "loso", "--epochs", "1", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert gone.name in err and "sub02" in err
    assert not out.exists()  # nothing written
    import argparse

    from ml.cli.train import load_records

    ns = argparse.Namespace(data=str(root), dataset=None, skip_missing=True)
    with pytest.warns(UserWarning):
        recs = load_records(ns)
    assert len(recs) == 31


def test_clip_shorter_than_4_frames(tiny_synthetic, tmp_path):
    from ml.datasets.frames import read_record
    from ml.train.data import load_crops

    rec = open_dataset(tiny_synthetic)[0]
    short = tmp_path / "short"
    short.mkdir()
    for f in sorted(rec.path.iterdir())[:3]:
        shutil.copy(f, short / f.name)
    import dataclasses

    rec3 = dataclasses.replace(rec, path=short, onset=None, apex=None, offset=None)
    assert read_record(rec3).frames.shape[0] == 3
    with pytest.raises(ValueError, match="at least 4"):
        load_crops(rec3, tmp_path / "cache")
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_evaluate_command(tiny_synthetic, tiny_weights, tmp_path, capsys):
    import json

    out = tmp_path / "eval"
    code = main(
        ["evaluate", "--weights", str(tiny_weights), "--data", str(tiny_synthetic), "--out", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    rep = json.loads((out / "report.json").read_text())
    assert rep["pooled"]["n"] == 32 and np.asarray(rep["pooled"]["confusion"]).sum() == 32
    assert (out / "confusion.png").is_file() and (out / "config.yaml").is_file()
    assert "UF1" in capsys.readouterr().out


def test_evaluate_scores_fitted_or_network_timing(tiny_synthetic, tiny_weights, tmp_path):
    import json

    reports = {}
    for name, extra in (("fitted", []), ("network", ["--network-timing"])):
        out = tmp_path / name
        args = ["evaluate", "--weights", str(tiny_weights), "--data", str(tiny_synthetic), "--out", str(out)]
        assert main([*args, "--cache", str(tmp_path / "cache"), *extra]) == 0
        reports[name] = json.loads((out / "report.json").read_text())
    fitted, network = reports["fitted"], reports["network"]
    assert fitted["timing"].startswith("fitted") and network["timing"] == "network"
    # the head's own error is the same either way; without the fit it is also the reported one
    head = network["pooled"]["timing_error_frames_network"]["mean"]
    assert fitted["pooled"]["timing_error_frames_network"]["mean"] == pytest.approx(head)
    assert network["pooled"]["timing_error_frames"]["mean"] == pytest.approx(head)


def test_evaluate_without_a_cache_aligns_each_clip_once(tiny_synthetic, tiny_weights, monkeypatch):
    from ml.datasets import open_dataset
    from ml.train import data as tdata
    from ml.train.folds import evaluate_weights

    calls = []
    align = tdata._read_and_align

    def counted(record, crop_size):
        calls.append(record.key)
        return align(record, crop_size)

    monkeypatch.setattr(tdata, "_read_and_align", counted)
    records = open_dataset(tiny_synthetic)
    rep = evaluate_weights(records, tiny_weights, cache_dir=None)  # the timing fit reads the crops again
    assert rep["pooled"]["n"] == len(records)
    assert sorted(calls) == sorted(r.key for r in records)
