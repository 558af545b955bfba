"""The fold harness end to end on stand-in crops (the face pipeline is replaced by a deterministic fake)."""

import json

import numpy as np
import pytest
import torch

from ml.datasets.schema import ClipRecord
from ml.train import data as tdata
from ml.train.config import TrainConfig
from ml.train.data import CachedClip
from ml.train.folds import run_protocol
from ml.train.report import write_outputs

EMOTIONS = ("happiness", "disgust", "repression", "surprise", "others")
AUS = {
    "happiness": ("AU12",),
    "disgust": ("AU4", "AU9"),
    "repression": ("AU17",),
    "surprise": ("AU1", "AU2"),
    "others": ("AU4",),
}


def _records(subjects=4, per=5):
    recs = []
    for s in range(subjects):
        for c in range(per):
            emo = EMOTIONS[(s + c) % 5]
            recs.append(
                ClipRecord(
                    "synthetic",
                    f"sub{s + 1:02d}",
                    f"EP{c:02d}",
                    emo,
                    aus=AUS[emo],
                    onset=1,
                    apex=5,
                    offset=9,
                    path=None,
                )
            )
    return recs


@pytest.fixture
def fake_faces(monkeypatch):
    def fake(record, crop_size):
        k = EMOTIONS.index(record.emotion)
        rng = np.random.default_rng(abs(hash(record.key)) % 2**32)
        crops = np.clip(40 + 40 * k + rng.normal(0, 5, (12, crop_size, crop_size, 3)), 0, 255).astype(
            np.uint8
        )
        return CachedClip(crops=crops, keyframes=(2, 5, 9), fps=200.0)

    monkeypatch.setattr(tdata, "_read_and_align", fake)


def test_loso_report_written(tmp_path, fake_faces):
    recs = _records()
    cfg = TrainConfig(
        model="tiny_test_model",
        epochs=2,
        batch_size=4,
        lr=0.05,
        crop_size=16,
        model_kwargs={"image_size": 8, "num_frames": 4},
    )
    rep = run_protocol(recs, cfg, cache_dir=tmp_path / "run" / "cache", progress=False)
    write_outputs(rep, cfg.to_dict(), tmp_path / "run", overwrite=False)
    pooled = rep["pooled"]
    assert rep["n_folds_run"] == 4 and pooled["n"] == 20
    cm = np.asarray(pooled["confusion"])
    assert cm.shape == (5, 5) and cm.sum() == 20
    # every clip predicted exactly once, by the fold that held its subject out
    assert sorted(p["clip"] for p in rep["predictions"]) == sorted(r.key for r in recs)
    for fold in rep["folds"]:
        assert fold["n_train"] + fold["n_test"] == 20 and fold["n_test"] == 5
    assert set(pooled["timing_error_frames"]) >= {"onset", "apex", "offset", "mean"}
    # reported timing is the network's fitted to each clip's motion; the head's own error is kept beside it
    assert rep["timing"].startswith("fitted") and set(pooled["timing_error_frames_network"]) >= {"mean"}
    assert all(len(p["timing_network"]) == 3 for p in rep["predictions"])
    for name in ("report.json", "config.yaml", "confusion.png"):
        assert (tmp_path / "run" / name).is_file()
    saved = json.loads((tmp_path / "run" / "report.json").read_text())
    assert saved["pooled"]["n"] == 20
    assert list((tmp_path / "run" / "cache").glob("*.npz"))
    # an existing report is not replaced without overwrite
    with pytest.raises(FileExistsError, match="overwrite"):
        write_outputs(rep, cfg.to_dict(), tmp_path / "run", overwrite=False)
    assert json.loads((tmp_path / "run" / "report.json").read_text()) == saved


def test_cooccurrence_from_training_split_only(tmp_path, fake_faces, monkeypatch):
    from ml.models import create_model

    tiny_cls = type(create_model("tiny_test_model"))
    seen = []
    monkeypatch.setattr(tiny_cls, "set_cooccurrence", lambda self, c: seen.append(np.asarray(c)))
    recs = _records(subjects=2, per=5)
    # subject 2 alone has "others"/AU4 on top of AU17 etc.; counts must come from the other subject only
    cfg = TrainConfig(
        model="tiny_test_model",
        epochs=1,
        batch_size=4,
        crop_size=16,
        model_kwargs={"image_size": 8, "num_frames": 4},
    )
    run_protocol(recs, cfg)
    from ml.datasets.stats import au_cooccurrence

    au_names = ("AU1", "AU2", "AU4", "AU6", "AU7", "AU9", "AU10", "AU12", "AU14", "AU15", "AU17")
    sub1 = [r for r in recs if r.subject == "sub01"]
    sub2 = [r for r in recs if r.subject == "sub02"]
    # seen[0] is the probe model built without records (not called); fold 1 trains on sub02, fold 2 on sub01
    assert len(seen) == 2
    np.testing.assert_array_equal(seen[0], au_cooccurrence(sub2, au_names))
    np.testing.assert_array_equal(seen[1], au_cooccurrence(sub1, au_names))
    # hand check: in sub01's 5 clips (emotions 0..4) AU4 appears twice (disgust, others), AU9 once with AU4
    a4, a9 = au_names.index("AU4"), au_names.index("AU9")
    assert seen[1][a4, a4] == 2 and seen[1][a4, a9] == 1


def test_empty_and_single_subject_split(fake_faces):
    cfg = TrainConfig(model="tiny_test_model", epochs=1, model_kwargs={"image_size": 8, "num_frames": 4})
    with pytest.raises(ValueError, match="no clips"):
        run_protocol([], cfg)
    one = [r for r in _records(subjects=1)]
    with pytest.raises(ValueError, match="at least 2 subjects"):
        run_protocol(one, cfg)


def test_kfold(fake_faces):
    cfg = TrainConfig(
        model="tiny_test_model",
        split="kfold",
        k=2,
        epochs=1,
        batch_size=4,
        crop_size=16,
        model_kwargs={"image_size": 8, "num_frames": 4},
    )
    rep = run_protocol(_records(), cfg)
    assert rep["n_folds_run"] == 2 and rep["pooled"]["n"] == 20


def test_first_fold_selects_a_slice(fake_faces):
    cfg = TrainConfig(
        model="tiny_test_model",
        epochs=1,
        batch_size=4,
        crop_size=16,
        first_fold=2,
        max_folds=1,
        model_kwargs={"image_size": 8, "num_frames": 4},
    )
    rep = run_protocol(_records(), cfg)
    assert [f["test_subjects"] for f in rep["folds"]] == [["sub03"]]
    assert rep["pooled"]["n"] == 5
    assert all(p["clip"].startswith("synthetic/sub03/") for p in rep["predictions"])
    assert all(len(p["au_probs"]) == 11 for p in rep["predictions"])


def _tiny_cfg(**kw):
    base = {
        "model": "tiny_test_model",
        "epochs": 2,
        "batch_size": 4,
        "lr": 0.05,
        "crop_size": 16,
        "model_kwargs": {"image_size": 8, "num_frames": 4},
        "refine_timing": False,
    }
    return TrainConfig(**{**base, **kw})


def _au_probs(report):
    return {p["clip"]: np.asarray(p["au_probs"]) for p in report["predictions"]}


def test_members_average_the_single_runs_of_their_seeds(fake_faces):
    recs = _records(subjects=3, per=5)
    # member m of fold i is seeded seed + i + 1000 m: the same networks as two single runs
    one = _au_probs(run_protocol(recs, _tiny_cfg(seed=0)))
    other = _au_probs(run_protocol(recs, _tiny_cfg(seed=1000)))
    rep = run_protocol(recs, _tiny_cfg(seed=0, members=2))
    both = _au_probs(rep)
    assert not all(np.allclose(one[c], other[c], atol=1e-3) for c in one)  # the seeds do differ
    for clip, probs in both.items():
        np.testing.assert_allclose(probs, (one[clip] + other[clip]) / 2, atol=2e-4)
    assert all(f["members"] == 2 for f in rep["folds"])


def test_a_fold_run_alone_trains_as_in_the_full_run(fake_faces):
    recs = _records(subjects=3, per=5)
    full = _au_probs(run_protocol(recs, _tiny_cfg()))
    alone = _au_probs(run_protocol(recs, _tiny_cfg(first_fold=2, max_folds=1)))
    assert alone and all(c.startswith("synthetic/sub03/") for c in alone)
    for clip, probs in alone.items():
        np.testing.assert_allclose(probs, full[clip], atol=1e-6)


def test_mirror_average_needs_augmentation_and_members_positive():
    with pytest.raises(ValueError, match="mirror_average needs augment"):
        _tiny_cfg(mirror_average=True, augment=False)
    with pytest.raises(ValueError, match="members must be >= 1"):
        _tiny_cfg(members=0)


def test_train_full_with_members_returns_their_average(fake_faces):
    from ml.models.averaged import AveragedModel
    from ml.train.folds import train_full

    model, summary = train_full(_records(subjects=2, per=5), _tiny_cfg(members=2, mirror_average=True))
    assert isinstance(model, AveragedModel) and model.mirror and len(model.members) == 2
    assert len(summary["member_histories"]) == 2 and summary["history"] == summary["member_histories"][0]
    w0, w1 = (m.conv.weight for m in model.members)
    assert not torch.equal(w0, w1)  # differently seeded copies
