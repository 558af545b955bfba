import numpy as np
import pytest
import torch

from ml.datasets.schema import ClipRecord
from ml.models import create_model
from ml.runtime import predict
from ml.train import data as tdata
from ml.train.config import TrainConfig
from ml.train.data import CachedClip, au_targets, load_crops, resize_crops, timing_targets
from ml.train.dist import DistEnv
from ml.train.loop import _batches, _lr_factor, fit


def test_timing_targets_hand_computed():
    # 41 frames: index 10 -> 0.25, 20 -> 0.5, 40 -> 1
    np.testing.assert_allclose(timing_targets((10, 20, 40), 41), [0.25, 0.5, 1.0])
    # apex before onset (a coding slip) is lifted to keep the order
    np.testing.assert_allclose(timing_targets((10, 5, 30), 41), [0.25, 0.25, 0.75])
    np.testing.assert_allclose(timing_targets(None, 41), [0.0, 0.5, 1.0])


def test_au_targets_fold_sides():
    recs = [
        ClipRecord("x", "s1", "a", "happiness", aus=("AU12R", "AU6")),
        ClipRecord("x", "s1", "b", "others", aus=("AU4", "AU25")),
    ]
    y = au_targets(recs, ("AU4", "AU6", "AU12"))
    np.testing.assert_array_equal(y, [[0, 1, 1], [1, 0, 0]])


def test_resize_crops_shape_and_mean():
    crops = np.full((5, 112, 112, 3), 100, np.uint8)
    out = resize_crops(crops, 48)
    assert out.shape == (5, 48, 48, 3) and out.dtype == np.uint8 and int(out.mean()) == 100
    assert resize_crops(crops, 112) is crops


def test_lr_schedule():
    assert _lr_factor(0, 100, 10) == pytest.approx(0.1)
    assert _lr_factor(10, 100, 10) == pytest.approx(1.0)
    assert _lr_factor(100, 100, 10) == pytest.approx(0.0, abs=1e-12)


def test_batches_cover_all_and_avoid_singletons():
    seen = torch.cat(list(_batches(17, 8, 0, 0, DistEnv())))
    # 17 = 8 + 8 + 1: the single trailing clip is dropped (batch norm needs >= 2)
    assert len(seen) == 16 and len(set(seen.tolist())) == 16


def test_fit_lowers_loss_and_is_reproducible(prepared):
    cfg = TrainConfig(model="tiny_test_model", epochs=4, batch_size=8, lr=0.05, seed=3)
    states = []
    for _ in range(2):
        torch.manual_seed(0)
        model = create_model("tiny_test_model")
        res = fit(model, prepared, cfg)
        assert res.history[-1]["total"] < res.history[0]["total"]
        states.append({k: v.clone() for k, v in model.state_dict().items()})
    for k in states[0]:
        torch.testing.assert_close(states[0][k], states[1][k])
    pred = predict(model, prepared.inputs)
    assert np.allclose(pred.emotion_probs.sum(1), 1.0)
    assert np.all(np.diff(pred.timing, axis=1) >= -1e-6)


def test_fit_refuses_empty(prepared):
    from ml.train.folds import _subset

    model = create_model("tiny_test_model")
    with pytest.raises(ValueError, match="at least 2"):
        fit(model, _subset(prepared, []), TrainConfig(model="tiny_test_model", epochs=1))


def test_validation_split_keeps_best_epoch(prepared):
    from ml.train.folds import _subset

    torch.manual_seed(0)
    model = create_model("tiny_test_model")
    cfg = TrainConfig(model="tiny_test_model", epochs=3, batch_size=8, lr=0.05)
    res = fit(model, _subset(prepared, range(16)), cfg, val=_subset(prepared, range(16, 24)))
    vals = [h["val_total"] for h in res.history]
    assert res.best_epoch == int(np.argmin(vals))


def test_crop_cache_is_reused(tmp_path, monkeypatch):
    calls = []

    def fake(record, crop_size):
        calls.append(record.key)
        crops = np.random.default_rng(0).integers(0, 255, (6, crop_size, crop_size, 3), dtype=np.uint8)
        return CachedClip(crops=crops, keyframes=(1, 3, 5), fps=200.0)

    monkeypatch.setattr(tdata, "_read_and_align", fake)
    folder = tmp_path / "frames"
    folder.mkdir()
    rec = ClipRecord("synthetic", "sub01", "EP01", "happiness", path=folder)
    a = load_crops(rec, tmp_path / "cache", 16)
    b = load_crops(rec, tmp_path / "cache", 16)
    assert calls == [rec.key]  # second call read the cache
    np.testing.assert_array_equal(a.crops, b.crops)
    assert b.keyframes == (1, 3, 5) and b.fps == 200.0
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    load_crops(rec, tmp_path / "cache", 32)  # other settings: another entry
    assert len(calls) == 2


def test_crop_cache_is_not_reused_after_the_alignment_changes(tmp_path, monkeypatch):
    import ml.stages.face

    calls = []

    def fake(record, crop_size):
        calls.append(record.key)
        return CachedClip(crops=np.zeros((6, crop_size, crop_size, 3), np.uint8), keyframes=None, fps=30.0)

    monkeypatch.setattr(tdata, "_read_and_align", fake)
    folder = tmp_path / "frames"
    folder.mkdir()
    rec = ClipRecord("synthetic", "sub01", "EP01", "happiness", path=folder)
    load_crops(rec, tmp_path / "cache", 16)
    monkeypatch.setattr(ml.stages.face, "ALIGNMENT_VERSION", ml.stages.face.ALIGNMENT_VERSION + "-next")
    load_crops(rec, tmp_path / "cache", 16)  # crops of the old alignment must not come back
    assert len(calls) == 2


def test_prepare_rejects_unknown_emotion_and_empty(monkeypatch):
    from ml.train.data import prepare_data

    cfg = create_model("tiny_test_model").cfg
    with pytest.raises(ValueError, match="empty split"):
        prepare_data([], cfg, cache_dir=None)
    rec = ClipRecord("x", "s1", "a", "joy")
    with pytest.raises(ValueError, match="joy"):
        prepare_data([rec], cfg, cache_dir=None)


def test_clip_delta_input_closed_form():
    from ml.stages.inputs import build_input

    cfg = create_model(
        "tiny_test_model", input_kind="clip_delta", num_frames=8, image_size=16, std=(0.05, 0.05, 0.05)
    ).cfg
    still = np.full((8, 16, 16, 3), 100, np.uint8)
    np.testing.assert_allclose(build_input(cfg, still), 0.0, atol=1e-5)
    flicker = still.copy()
    flicker[4:] += 20  # the whole face brighter: lighting, not motion
    np.testing.assert_allclose(build_input(cfg, flicker), 0.0, atol=1e-4)
    moved = still.copy()
    moved[-1, :4, :4] = 100 + 51  # a 4 x 4 patch (1/16 of the crop) changes by 0.2 on the last frame
    x = build_input(cfg, moved)
    assert x.shape == (3, 8, 16, 16)
    np.testing.assert_allclose(x[:, 0], 0.0, atol=1e-5)
    # patch: 0.2 minus the frame mean 0.2/16, over 0.05; elsewhere -0.2/16/0.05
    np.testing.assert_allclose(x[:, -1, 0, 0], (0.2 - 0.2 / 16) / 0.05, rtol=1e-3)
    np.testing.assert_allclose(x[:, -1, 8, 8], -0.2 / 16 / 0.05, rtol=1e-3)


def test_clip_delta_input_ignores_gain_and_offset_of_a_textured_face():
    from ml.stages.inputs import build_input

    cfg = create_model(
        "tiny_test_model", input_kind="clip_delta", num_frames=8, image_size=16, std=(0.05, 0.05, 0.05)
    ).cfg
    rng = np.random.default_rng(0)
    face = rng.uniform(40, 200, (16, 16, 3))
    gains = np.array([1.0, 1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 1.02])  # flicker: contrast and brightness
    offsets = np.array([0.0, 8.0, -5.0, 3.0, 0.0, 10.0, -8.0, 0.0])
    clip = np.stack([face * g + o for g, o in zip(gains, offsets, strict=True)])
    # only rounding to uint8 is left: half a grey level in a frame and in the first one, 0.08 at most
    assert np.abs(build_input(cfg, np.rint(clip).astype(np.uint8))).max() < 0.1
    moved = clip.copy()
    moved[-1, 2:6, 2:6] += 30.0  # an expression on top of the flicker
    x = build_input(cfg, np.rint(np.clip(moved, 0, 255)).astype(np.uint8))
    assert x[:, -1, 2:6, 2:6].mean() > 30 / 255 / 0.05 * 0.8  # the local change survives (~2.35)


def test_flow_delta_input_measures_a_shift_in_112_px_units():
    import cv2

    from ml.stages.inputs import build_input, input_traits

    rng = np.random.default_rng(3)
    face = cv2.GaussianBlur(rng.uniform(0, 255, (56, 56)).astype(np.float32), (0, 0), 2.0)
    face = (face - face.min()) / (face.max() - face.min()) * 200 + 20
    frames = []
    for t in range(8):  # the whole face slides right by up to 1 px of this 56 px crop
        m = np.float32([[1, 0, t / 7.0], [0, 1, 0]])
        frames.append(cv2.warpAffine(face, m, (56, 56), borderMode=cv2.BORDER_REFLECT))
    crops = np.repeat(np.rint(np.stack(frames))[..., None], 3, axis=3).astype(np.uint8)
    cfg = create_model(
        "tiny_test_model", input_kind="flow_delta", num_frames=8, image_size=8, mean=(0, 0, 0), std=(1, 1, 1)
    ).cfg
    x = build_input(cfg, crops)
    assert x.shape == (3, 8, 8, 8)
    np.testing.assert_allclose(x[:, 0], 0.0, atol=1e-6)  # the first frame has not moved
    centre = x[:, -1, 2:6, 2:6].mean(axis=(1, 2))
    # 1 px of a 56 px crop is 2 px of a 112 px crop: u = 2, v = 0, magnitude = 2
    np.testing.assert_allclose(centre, [2.0, 0.0, 2.0], atol=0.25)
    traits = input_traits("flow_delta")
    assert traits.full_size and traits.mirror_negate == (0,) and not traits.pixels
    assert input_traits("clip").pixels and not input_traits("clip_delta").pixels
    # only the paper models' inputs read keyframes (inference selects them for those)
    assert not traits.keyframes and not input_traits("clip").keyframes
    assert all(input_traits(k).keyframes for k in ("flow", "gamdss", "madv"))


def test_auto_au_pos_weight_by_hand():
    from ml.train.folds import auto_au_pos_weight

    recs = [
        ClipRecord("x", "s1", str(i), "happiness", aus=aus)
        for i, aus in enumerate([("AU12",), ("AU12", "AU6"), (), (), (), (), (), ()])
    ]
    # AU12: 2 of 8 -> sqrt(6 / 2); AU6: 1 of 8 -> sqrt(7); AU4: never -> 1
    w = auto_au_pos_weight(recs, ["AU12", "AU6", "AU4"])
    np.testing.assert_allclose(w, [np.sqrt(3.0), np.sqrt(7.0), 1.0], atol=1e-4)
