"""The shared rules of ml: fractions of a clip <-> source frames, by hand."""

import numpy as np
import pytest

from ml.rules import frame_to_normalized, normalized_to_frame


def test_normalized_to_frame():
    assert normalized_to_frame(0.5, 11) == 5.0
    assert normalized_to_frame(1.0, 1) == 0.0
    np.testing.assert_array_equal(
        normalized_to_frame(np.array([[0.5, 1.0], [0.5, 1.0]]), np.array([[11], [21]])), [[5, 10], [10, 20]]
    )
    with pytest.raises(ValueError, match="n_frames must be >= 1"):
        normalized_to_frame(0.5, 0)
    with pytest.raises(ValueError, match="n_frames must be >= 1"):
        normalized_to_frame(np.array([0.5]), np.array([3, 0]))


def test_frame_to_normalized_inverts_normalized_to_frame():
    assert frame_to_normalized(5.0, 11) == 0.5
    np.testing.assert_array_equal(frame_to_normalized(np.array([0, 10, 40]), 41), [0.0, 0.25, 1.0])
    taus = np.linspace(0.0, 1.0, 9)
    np.testing.assert_allclose(frame_to_normalized(normalized_to_frame(taus, 37), 37), taus)
    with pytest.raises(ValueError, match="n_frames must be >= 2 to normalise time"):
        frame_to_normalized(0.0, 1)
