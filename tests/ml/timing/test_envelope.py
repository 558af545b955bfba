"""Envelope and per-frame AU activations against hand-computed values."""

import math

import numpy as np
import pytest

from ml.timing.envelope import au_activations, envelope, timing_to_frames


def test_timing_to_frames():
    assert timing_to_frames((0.0, 0.5, 1.0), 101) == (0, 50, 100)
    assert timing_to_frames((0.2, 0.4, 0.8), 11) == (2, 4, 8)
    assert timing_to_frames((0.33, 0.34, 0.36), 11) == (3, 3, 4)
    assert timing_to_frames((0.3, 0.7, 0.9), 1) == (0, 0, 0)


def test_cosine_envelope_by_hand():
    # frames: onset 2, apex 4, offset 8 of 11
    c = 0.5 + 0.5 * math.cos(math.pi / 4)  # rise(0.75) = (1 - cos(3 pi / 4)) / 2
    expected = [0, 0, 0, 0.5, 1, c, 0.5, 1 - c, 0, 0, 0]
    np.testing.assert_allclose(envelope((0.2, 0.4, 0.8), 11), expected, atol=1e-12)
    np.testing.assert_allclose(c, 0.8535534, atol=1e-7)


def test_smoothstep_envelope_by_hand():
    # rise(u) = 3u^2 - 2u^3: rise(0.5) = 0.5, rise(0.75) = 0.84375, rise(0.25) = 0.15625
    expected = [0, 0, 0, 0.5, 1, 0.84375, 0.5, 0.15625, 0, 0, 0]
    np.testing.assert_allclose(envelope((0.2, 0.4, 0.8), 11, shape="smoothstep"), expected, atol=1e-12)


def test_activations_are_probability_times_envelope():
    act = au_activations(np.array([1.0, 0.5, 0.0]), (0.2, 0.4, 0.8), 11)
    assert act.shape == (11, 3)
    np.testing.assert_allclose(act[:, 1], 0.5 * act[:, 0])
    assert np.all(act[:, 2] == 0)
    assert act[4, 0] == 1.0 and act[4, 1] == 0.5
    assert np.all(act[:3] == 0) and np.all(act[8:] == 0)


def test_degenerate_timings():
    # onset == apex: instant rise, cosine fall over 4 frames
    np.testing.assert_allclose(
        envelope((0.4, 0.4, 0.8), 11), [0, 0, 0, 0, 1, 0.8535534, 0.5, 0.1464466, 0, 0, 0], atol=1e-6
    )
    # apex == offset: cosine rise over 6 frames, instant fall
    env = envelope((0.2, 0.8, 0.8), 11)
    assert env[8] == 1.0 and env[9] == 0.0 and env[2] == 0.0
    np.testing.assert_allclose(env[5], 0.5)  # halfway between frames 2 and 8
    # all three equal: a single-frame spike
    np.testing.assert_array_equal(envelope((0.5, 0.5, 0.5), 5), [0, 0, 1, 0, 0])


def test_bad_inputs():
    with pytest.raises(ValueError, match="onset <= apex <= offset"):
        au_activations([0.5], (0.6, 0.4, 0.8), 10)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        au_activations([0.5], (0.1, 0.4, 1.3), 10)
    with pytest.raises(ValueError, match="probabilities"):
        au_activations([1.5], (0.1, 0.4, 0.8), 10)
    with pytest.raises(ValueError, match="n_frames"):
        au_activations([0.5], (0.1, 0.4, 0.8), 0)
    with pytest.raises(ValueError, match="shape"):
        envelope((0.1, 0.4, 0.8), 10, shape="gauss")
