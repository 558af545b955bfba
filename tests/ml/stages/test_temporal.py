"""ml.stages.temporal: TIM against closed forms, time mapping, flow of a known shift, affine strain."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ml.stages.temporal import (
    flow_polar,
    frame_to_normalized,
    normalized_to_frame,
    optical_flow,
    optical_strain,
    path_graph_embedding,
    tim_interpolate,
)


@pytest.mark.parametrize("n", [2, 5, 9])
def test_embedding_is_the_path_laplacian_eigenbasis(n):
    lap = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    lap[0, 0] = lap[-1, -1] = 1
    y = path_graph_embedding(n)
    assert y.shape == (n, n - 1)
    eig = 2 - 2 * np.cos(np.pi * np.arange(1, n) / n)  # closed-form eigenvalues
    np.testing.assert_allclose(lap @ y, y * eig, atol=1e-12)
    np.testing.assert_allclose(y.T @ y, np.eye(n - 1), atol=1e-12)
    np.testing.assert_allclose(y.sum(axis=0), 0, atol=1e-12)  # orthogonal to the constant vector


def test_tim_reproduces_a_linear_sequence():
    n, t = 10, 16
    ramp = np.linspace(0.0, 90.0, n)[:, None, None] * np.ones((1, 3, 4))  # (n, 3, 4), linear in time
    out = tim_interpolate(ramp, t)
    expected = np.linspace(0.0, 90.0, t)[:, None, None] * np.ones((1, 3, 4))
    assert out.shape == (t, 3, 4) and out.dtype == np.float32
    assert np.abs(out - expected).max() < 0.01 * 90  # within 1 % of the range
    np.testing.assert_allclose(tim_interpolate(ramp, t, method="linear"), expected, atol=1e-4)


def test_tim_endpoints_and_identity():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (7, 6, 5, 3), dtype=np.uint8)
    out = tim_interpolate(frames, 16)
    assert out.shape == (16, 6, 5, 3)
    np.testing.assert_allclose(out[0], frames[0], atol=1e-3)
    np.testing.assert_allclose(out[-1], frames[-1], atol=1e-3)
    np.testing.assert_allclose(tim_interpolate(frames, 7), frames, atol=1e-3)  # same length: same frames
    # a constant clip stays constant
    np.testing.assert_allclose(tim_interpolate(np.full((5, 2), 3.0), 11), 3.0, atol=1e-5)


def test_tim_errors():
    with pytest.raises(ValueError, match="at least 2 frames"):
        tim_interpolate(np.zeros((1, 4)), 16)
    with pytest.raises(ValueError, match="unknown interpolation method 'cubic'"):
        tim_interpolate(np.zeros((3, 4)), 16, method="cubic")


def test_time_mapping():
    assert normalized_to_frame(0.0, 11) == 0.0
    assert normalized_to_frame(1.0, 11) == 10.0
    assert normalized_to_frame(0.5, 11) == 5.0
    np.testing.assert_allclose(normalized_to_frame(np.array([0.25, 0.75]), 5), [1.0, 3.0])
    taus = np.linspace(0, 1, 9)
    np.testing.assert_allclose(frame_to_normalized(normalized_to_frame(taus, 37), 37), taus)


def _texture(h=96, w=96, seed=0):
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.uniform(0, 255, (h, w)).astype(np.float32), (0, 0), 2.0)


@pytest.mark.parametrize("method", ["farneback", "dis"])
def test_flow_recovers_a_known_shift(method):
    big = _texture(140, 140)
    dx, dy = 2, -1
    a = np.clip(big[20:116, 20:116], 0, 255).astype(np.uint8)
    # b shows the content of a moved by (+2, -1): b[y, x] = a[y - dy, x - dx]
    b = np.clip(big[20 - dy : 116 - dy, 20 - dx : 116 - dx], 0, 255).astype(np.uint8)
    flow = optical_flow(a, b, method)
    assert flow.shape == (96, 96, 2) and flow.dtype == np.float32
    inner = flow[16:-16, 16:-16].reshape(-1, 2)
    np.testing.assert_allclose(np.median(inner, axis=0), [dx, dy], atol=0.15)
    mag, ang = flow_polar(flow)
    assert np.median(mag[16:-16, 16:-16]) == pytest.approx(np.hypot(dx, dy), abs=0.2)
    assert np.median(ang[16:-16, 16:-16]) == pytest.approx(np.arctan2(dy, dx), abs=0.1)


def test_flow_rgb_input_and_unknown_method():
    a = np.zeros((32, 32, 3), np.uint8)
    assert optical_flow(a, a).shape == (32, 32, 2)
    with pytest.raises(ValueError, match="unknown optical flow method 'lk'"):
        optical_flow(a, a, "lk")
    if not hasattr(cv2, "optflow"):
        with pytest.raises(ValueError, match="opencv-contrib"):
            optical_flow(a, a, "tvl1")


def test_strain_of_an_affine_flow():
    a, b, c, d = 0.02, -0.05, 0.03, 0.01  # u = a x + b y, v = c x + d y
    yy, xx = np.mgrid[0:20, 0:30].astype(np.float64)
    flow = np.dstack([a * xx + b * yy, c * xx + d * yy])
    expected = np.sqrt(a**2 + d**2 + 0.5 * (b + c) ** 2)
    strain = optical_strain(flow)
    assert strain.shape == (20, 30)
    np.testing.assert_allclose(strain, expected, rtol=1e-5)
    # a pure translation or a rotation (b = -c) has no strain
    rot = np.dstack([-0.01 * yy, 0.01 * xx])
    np.testing.assert_allclose(optical_strain(rot), 0, atol=1e-9)


def test_polar_of_known_vectors():
    flow = np.array([[[3.0, 4.0], [0.0, -2.0]]], np.float32)
    mag, ang = flow_polar(flow)
    np.testing.assert_allclose(mag, [[5.0, 2.0]])
    np.testing.assert_allclose(ang, [[np.arctan2(4, 3), -np.pi / 2]], rtol=1e-6)
