"""Rules and constants that several parts of ``ml`` share, in one place.

Value rules that ``curves`` also applies (frame rate, intensity, shortest clip) live in
:mod:`curves.rules`, the lowest layer, and are re-exported here.
"""

from __future__ import annotations

from typing import overload

import numpy as np

from curves.rules import MIN_FRAMES, check_fps, check_intensity

__all__ = [
    "CASME2_EMOTIONS_5",
    "COMPOSITE_EMOTIONS_3",
    "MIN_FRAMES",
    "check_fps",
    "check_intensity",
    "frame_to_normalized",
    "normalized_to_frame",
]

#: CASME II 5-class protocol, in the order the class indices use.
CASME2_EMOTIONS_5: tuple[str, ...] = ("happiness", "disgust", "repression", "surprise", "others")
#: MEGC2019 composite 3-class protocol.
COMPOSITE_EMOTIONS_3: tuple[str, ...] = ("negative", "positive", "surprise")


@overload
def normalized_to_frame(tau: float, n_frames: int) -> float: ...
@overload
def normalized_to_frame(tau: np.ndarray, n_frames: int | np.ndarray) -> np.ndarray: ...
def normalized_to_frame(tau: float | np.ndarray, n_frames: int | np.ndarray) -> float | np.ndarray:
    """Normalised time ``tau`` in ``[0, 1]`` -> 0-based source frame position ``tau * (n_frames - 1)``.

    The one mapping between fractions of a clip (onset/apex/offset as the networks predict them) and
    source frames. ``n_frames`` may be an array broadcasting against ``tau`` (one length per clip).

    Raises:
        ValueError: a clip length below 1.
    """
    if np.any(np.asarray(n_frames) < 1):
        raise ValueError(f"n_frames must be >= 1, got {n_frames}")
    if isinstance(tau, np.ndarray) or isinstance(n_frames, np.ndarray):
        return np.asarray(tau, dtype=np.float64) * (np.asarray(n_frames) - 1)
    return float(tau) * (n_frames - 1)


@overload
def frame_to_normalized(frame: float, n_frames: int) -> float: ...
@overload
def frame_to_normalized(frame: np.ndarray, n_frames: int) -> np.ndarray: ...
def frame_to_normalized(frame: float | np.ndarray, n_frames: int) -> float | np.ndarray:
    """0-based source frame position -> normalised time in [0, 1] (inverse of :func:`normalized_to_frame`).

    Raises:
        ValueError: a clip shorter than 2 frames (it has no time to normalise).
    """
    if n_frames < 2:
        raise ValueError(f"n_frames must be >= 2 to normalise time, got {n_frames}")
    if isinstance(frame, np.ndarray):
        return np.asarray(frame, dtype=np.float64) / (n_frames - 1)
    return float(frame) / (n_frames - 1)
