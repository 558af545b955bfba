"""Bad inputs to the AU measurement give clear errors that name the input and what to pass."""

from __future__ import annotations

import numpy as np
import pytest

from ml.errors import NoFaceError
from ml.tracks import blendshapes_to_aus, measure_au_intensities

N = 6


def good() -> dict[str, object]:
    return {
        "crops": np.zeros((N, 112, 112, 3), np.uint8),
        "landmarks": np.zeros((N, 478, 3)),
        "blendshapes": np.zeros((N, 52)),
        "pose": np.zeros((N, 3)),
        "present": np.ones(N, bool),
        "fps": 30.0,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"crops": np.zeros((N, 112, 112, 3), np.float32)},
            r"crops must be an RGB uint8 array \(N, S, S, 3\)",
        ),
        (
            {"crops": np.zeros((N, 112, 96, 3), np.uint8)},
            "crops must be square and at least 48 px, got 112 x 96",
        ),
        ({"crops": np.zeros((1, 112, 112, 3), np.uint8)}, "at least 2 frames, got 1"),
        ({"landmarks": np.zeros((N, 468, 3))}, r"landmarks must be a float array of shape \(6, 478, 3\)"),
        ({"blendshapes": np.zeros((N - 1, 52))}, r"blendshapes must be a float array of shape \(6, 52\)"),
        ({"pose": np.zeros((N, 3), int)}, r"pose must be a float array of shape \(6, 3\)"),
        ({"present": np.ones(N, int)}, r"present must be a bool array of shape \(6,\)"),
        ({"fps": -1}, "fps must be a positive number of frames per second"),
    ],
)
def test_bad_inputs_are_refused_with_the_input_named(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        measure_au_intensities(**{**good(), **change})  # type: ignore[arg-type]


def test_nan_landmarks_in_a_frame_marked_present_are_refused_with_the_frame() -> None:
    landmarks = np.zeros((N, 478, 3))
    landmarks[3, 10] = np.nan
    with pytest.raises(
        ValueError, match="landmarks has NaN or infinite values in frames marked present, first at frame 3"
    ):
        measure_au_intensities(**{**good(), "landmarks": landmarks})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("neutral", "message"),
    [
        ((4, 9), r"neutral span 4..9 must satisfy 0 <= start < stop <= 6"),
        ((3, 3), r"neutral span 3..3 must satisfy"),
        ("start", r"neutral must be a \(start, stop\) pair of frame indices, got 'start'"),
    ],
)
def test_bad_neutral_spans_are_refused(neutral: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        measure_au_intensities(**{**good(), "neutral": neutral})  # type: ignore[arg-type]


def test_a_neutral_span_without_a_face_is_refused() -> None:
    present = np.ones(N, bool)
    present[:3] = False
    with pytest.raises(ValueError, match=r"neutral span 0..3 has no frame with a face"):
        measure_au_intensities(**{**good(), "present": present, "neutral": (0, 3)})  # type: ignore[arg-type]


def test_no_face_anywhere_is_a_no_face_error() -> None:
    with pytest.raises(NoFaceError, match="No frame has a face"):
        measure_au_intensities(**{**good(), "present": np.zeros(N, bool)})  # type: ignore[arg-type]
    with pytest.raises(NoFaceError, match="No frame has a face"):
        blendshapes_to_aus(np.zeros((N, 52)), np.zeros(N, bool))


def test_the_inputs_are_left_unchanged() -> None:
    inputs = good()
    rng = np.random.default_rng(0)
    inputs["crops"] = rng.integers(0, 255, (N, 112, 112, 3), dtype=np.uint8)
    copies = {k: np.copy(v) for k, v in inputs.items() if isinstance(v, np.ndarray)}
    with pytest.raises(ValueError):
        measure_au_intensities(**{**inputs, "fps": 0})  # type: ignore[arg-type]
    for key, value in copies.items():
        assert np.array_equal(inputs[key], value)
