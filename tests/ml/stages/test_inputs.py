"""Input builders of the seed models: flow, keyframe images, RGB + differences (+ optional depth)."""

import numpy as np
import pytest

from ml.models import create_model
from ml.stages.inputs import build_input


def _moving_square(n=12, size=48, start=4, shift_per_frame=0.5):
    """A bright textured square moving right by ``shift_per_frame`` px per frame after frame ``start``."""
    rng = np.random.default_rng(0)
    tex = (rng.random((16, 16)) * 120 + 100).astype(np.float32)
    frames = np.full((n, size, size, 3), 40, np.uint8)
    for i in range(n):
        dx = max(0, i - start) * shift_per_frame
        x0 = round(14 + dx)
        frames[i, 16:32, x0 : x0 + 16] = tex[..., None].astype(np.uint8)
    return frames


def test_flow_input_shape_reference_and_direction():
    model = create_model("ms3d_resnet50_small", image_size=48, num_frames=6)
    crops = _moving_square()
    x = build_input(model.cfg, crops, (4, 11, 11))
    assert x.shape == (3, 6, 48, 48) and x.dtype == np.float32
    # sampled frames 0, 2, 4, 7, 9, 11: frame 4 is the reference (zero flow), frame 11 moved right
    t_ref = 2
    assert np.all(x[:, t_ref] == 0)
    region = x[0, 5, 18:30, 20:34]
    assert region.mean() > 0.3  # u > 0: rightward motion (3.5 px / flow_scale 2)
    assert abs(x[1, 5, 18:30, 20:34].mean()) < 0.5 * region.mean()
    assert np.all(np.abs(x) <= 4.0)


def test_flow_input_without_keyframes_uses_gamdss_selection():
    model = create_model("ms3d_resnet50_small", image_size=48, num_frames=6)
    crops = _moving_square()
    # whole-sequence selection: onset = last frame at rest = 4, same input as with that onset given
    np.testing.assert_array_equal(
        build_input(model.cfg, crops, None), build_input(model.cfg, crops, (4, 11, 11))
    )


def test_gamdss_input_keyframes_first_then_context():
    model = create_model("gamdss_small", image_size=32, context_frames=5)
    crops = np.stack([np.full((40, 40, 3), 10 * i, np.uint8) for i in range(10)])
    x = build_input(model.cfg, crops, (2, 6, 8))
    assert x.shape == (3, 8, 32, 32)
    mean, std = np.asarray(model.cfg.mean), np.asarray(model.cfg.std)
    for t, frame in enumerate((2, 6, 8)):
        np.testing.assert_allclose(x[:, t, 0, 0], (10 * frame / 255.0 - mean) / std, rtol=1e-5)
    assert model.cfg.input_size == (3, 8, 32, 32)


def test_madv_input_channels_and_differences():
    model = create_model("madv_small", image_size=32, num_frames=4)
    crops = np.stack([np.full((32, 32, 3), 20 * i, np.uint8) for i in range(4)])
    x = build_input(model.cfg, crops)
    assert x.shape == (6, 4, 32, 32)
    assert np.all(x[3:, 0] == 0)
    np.testing.assert_allclose(x[3:, 1:], x[:3, 1:] - x[:3, :-1], atol=1e-6)


def test_madv_depth_stream_is_off_by_default_and_explains_what_it_needs():
    from ml.models import madv

    assert create_model("madv").cfg.options["use_depth"] is False
    model = create_model("madv_small", image_size=32, num_frames=4, use_depth=True)
    crops = np.zeros((5, 32, 32, 3), np.uint8)
    madv.set_depth_estimator(None)
    with pytest.raises(ValueError, match="set_depth_estimator"):
        build_input(model.cfg, crops)
    try:
        madv.set_depth_estimator(
            lambda c: np.tile(np.arange(c.shape[0], dtype=np.float32)[:, None, None], (1, 32, 32))
        )
        x = build_input(model.cfg, crops)
        assert x.shape == (8, 4, 32, 32)
        d = x[6, :, 0, 0]  # depth normalised per clip to [0, 1], resampled in time (TIM, not linear)
        assert d[0] == pytest.approx(0.0, abs=1e-5) and d[-1] == pytest.approx(1.0, abs=1e-5)
        assert np.all(np.diff(d) > 0)
        np.testing.assert_allclose(x[7, 1:, 0, 0], np.diff(d), atol=1e-6)
        out = model(__import__("torch").from_numpy(x[None].repeat(2, 0)))
        assert out["emotion_logits"].shape[0] == 2
    finally:
        madv.set_depth_estimator(None)
