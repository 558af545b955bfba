"""B-spline smoothing: closed forms, noise removal, clamping, bad input."""

import numpy as np
import pytest

from curves.spline import smooth_activations, smooth_track


def test_cubic_polynomial_is_reproduced_exactly():
    fps = 50.0
    t = np.arange(40) / fps
    y = 0.1 + 0.5 * t - 0.3 * t**2 + 0.4 * t**3
    np.testing.assert_allclose(smooth_track(y, fps), y, atol=1e-10)
    np.testing.assert_allclose(smooth_track(y, fps, smoothing=0.0), y, atol=1e-10)


def test_noise_is_reduced():
    fps = 200.0
    t = np.arange(120) / fps
    clean = 0.6 * np.exp(-(((t - 0.3) / 0.08) ** 2))
    noisy = np.clip(clean + np.random.default_rng(1).normal(0, 0.03, t.size), 0, 1)
    out = smooth_track(noisy, fps)
    assert np.sqrt(np.mean((out - clean) ** 2)) < 0.6 * np.sqrt(np.mean((noisy - clean) ** 2))


def test_result_is_clamped_to_unit_range():
    y = np.array([0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1], dtype=float)
    out = smooth_track(y, 30.0, smoothing=0.0)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_columns_are_smoothed_independently():
    t = np.arange(30) / 30.0
    act = np.stack([t**3 / 2, 0.5 - t / 3], axis=1)
    np.testing.assert_allclose(smooth_activations(act, 30.0), act, atol=1e-10)


@pytest.mark.parametrize(
    ("values", "fps", "match"),
    [
        ([0.1, np.nan, 0.2, 0.3, 0.1], 30.0, "NaN or inf"),
        ([0.1, np.inf, 0.2, 0.3, 0.1], 30.0, "NaN or inf"),
        ([0.1, 1.5, 0.2, 0.3, 0.1], 30.0, r"\[0, 1\]"),
        ([0.1, -0.2, 0.2, 0.3, 0.1], 30.0, r"\[0, 1\]"),
        ([0.1, 0.2, 0.3], 30.0, "at least 4"),
        ([0.1, 0.2, 0.3, 0.4], 0.0, "fps"),
        ([0.1, 0.2, 0.3, 0.4], -5.0, "fps"),
        ([0.1, 0.2, 0.3, 0.4], float("nan"), "fps"),
    ],
)
def test_bad_tracks_raise_clear_errors(values, fps, match):
    with pytest.raises(ValueError, match=match):
        smooth_track(np.array(values), fps)


def test_bad_column_is_named():
    act = np.zeros((6, 2))
    act[3, 1] = np.nan
    with pytest.raises(ValueError, match="AU12"):
        smooth_activations(act, 30.0, names=("AU4", "AU12"))
