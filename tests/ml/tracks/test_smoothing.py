"""ml.tracks.smoothing: the flow and the landmarks smoothed over time at the skin's own pace."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml.tracks.smoothing import smooth_over_time, smoothing_reach


def test_the_kernel_reaches_four_of_its_widths():
    assert smoothing_reach(200.0) == 12  # sigma 3 frames, cut at 4 sigma
    assert smoothing_reach(30.0) == 2  # sigma 0.45 frames: int(1.8 + 0.5)
    assert smoothing_reach(10.0) == 1


def test_a_one_frame_spike_keeps_the_gaussians_centre_weight():
    spike = np.zeros(101)
    spike[50] = 1.0
    # 200 fps: sigma 3 frames, centre weight about 1 / (sigma sqrt(2 pi)) = 0.1330
    peak = 1.0 / (3.0 * math.sqrt(2.0 * math.pi))
    assert smooth_over_time(spike, 200.0)[50] == pytest.approx(peak, abs=1e-3)
    # 30 fps: sigma 0.45 frames, weights over -2..2 frames: 1 / (1 + 2 exp(-1 / 0.405) + 2 exp(-4 / 0.405))
    centre = 1.0 / (1.0 + 2.0 * math.exp(-1.0 / 0.405) + 2.0 * math.exp(-4.0 / 0.405))
    assert smooth_over_time(spike, 30.0)[50] == pytest.approx(centre, abs=1e-3)
    assert smooth_over_time(spike, 200.0).sum() == pytest.approx(1.0, abs=1e-6)  # nothing lost or added


def test_white_noise_at_200_fps_falls_to_the_kernels_share():
    noise = np.random.default_rng(0).normal(size=(20000, 2))
    # sd of a Gaussian-weighted mean of white noise: 1 / sqrt(2 sigma sqrt(pi)) = 0.307 at sigma 3 frames
    ratio = smooth_over_time(noise, 200.0)[20:-20].std() / noise.std()
    assert ratio == pytest.approx(1.0 / math.sqrt(2.0 * 3.0 * math.sqrt(math.pi)), rel=0.03)


def test_a_steady_movement_passes_unchanged():
    ramp = np.linspace(0.0, 1.0, 200)[:, None, None] * np.array([[1.0, -2.0]])  # (N, 1, 2), like regions
    out = smooth_over_time(ramp, 200.0)
    assert out.shape == ramp.shape
    assert np.allclose(out[12:-12], ramp[12:-12], atol=1e-9)  # a symmetric kernel keeps a straight line
    held = np.full(50, 0.4)
    assert np.allclose(smooth_over_time(held, 200.0), 0.4)  # the ends too: only frames that exist count


def test_frames_without_a_face_stay_empty_and_pull_nothing():
    values = np.array([1.0] * 20 + [np.nan] * 13 + [5.0] * 20)  # a gap longer than the kernel's reach
    out = smooth_over_time(values, 200.0)
    assert np.isnan(out[20:33]).all()
    assert np.allclose(out[:20], 1.0) and np.allclose(out[33:], 5.0)  # not towards 0, nor across the gap


def test_an_empty_clip_is_empty():
    assert smooth_over_time(np.zeros((0, 478, 2)), 200.0).shape == (0, 478, 2)
