"""Checks on what ``measure_au_intensities`` is given, with messages that say what to fix."""

from __future__ import annotations

import numpy as np

from ml.errors import NoFaceError
from ml.rules import check_fps

__all__ = ["MIN_CROP", "check_present", "check_span", "check_track_inputs"]

#: The smallest face crop the regions and the flow are meaningful on, px.
MIN_CROP = 48


def _shape(arr: object) -> str:
    return f"{arr.dtype} array of shape {arr.shape}" if isinstance(arr, np.ndarray) else type(arr).__name__


def check_present(present: object, n_frames: int) -> np.ndarray:
    """``present`` as an ``(N,)`` bool array."""
    if not isinstance(present, np.ndarray) or present.dtype != np.bool_ or present.shape != (n_frames,):
        raise ValueError(f"present must be a bool array of shape ({n_frames},), got {_shape(present)}")
    return present


def check_track_inputs(
    crops: object,
    landmarks: object,
    blendshapes: object,
    pose: object,
    present: object,
    fps: object,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The inputs as arrays of the documented shapes and types, or a ValueError naming the bad one."""
    if not isinstance(crops, np.ndarray) or crops.dtype != np.uint8 or crops.ndim != 4 or crops.shape[3] != 3:
        raise ValueError(f"crops must be an RGB uint8 array (N, S, S, 3), got {_shape(crops)}")
    n, height, width = crops.shape[:3]
    if height != width or height < MIN_CROP:
        raise ValueError(f"crops must be square and at least {MIN_CROP} px, got {height} x {width}")
    if n < 2:
        raise ValueError(f"AU tracks need at least 2 frames, got {n}")
    expected = {"landmarks": (n, 478, 3), "blendshapes": (n, 52), "pose": (n, 3)}
    arrays: dict[str, np.ndarray] = {}
    for name, value in (("landmarks", landmarks), ("blendshapes", blendshapes), ("pose", pose)):
        if not isinstance(value, np.ndarray) or value.shape != expected[name] or value.dtype.kind != "f":
            raise ValueError(
                f"{name} must be a float array of shape {expected[name]} (one row per crop), "
                f"got {_shape(value)}"
            )
        arrays[name] = value.astype(np.float64)
    mask = check_present(present, n)
    if not mask.any():
        raise NoFaceError("No frame has a face (present is all False): nothing to measure")
    for name, arr in arrays.items():
        bad = np.flatnonzero(mask & ~np.isfinite(arr.reshape(n, -1)).all(axis=1))
        if bad.size:
            raise ValueError(
                f"{name} has NaN or infinite values in frames marked present, first at frame {bad[0]}; "
                "mark those frames not present or pass their values"
            )
    rate = check_fps(fps)
    return crops, arrays["landmarks"], arrays["blendshapes"], arrays["pose"], mask, rate


def check_span(span: object, present: np.ndarray, *, what: str = "neutral") -> tuple[int, int]:
    """A (start, stop) frame span (stop exclusive) inside the clip, with at least one face in it."""
    n = len(present)
    try:
        start, stop = (int(v) for v in span)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a (start, stop) pair of frame indices, got {span!r}") from None
    if not 0 <= start < stop <= n:
        raise ValueError(
            f"{what} span {start}..{stop} must satisfy 0 <= start < stop <= {n} (the clip's frames)"
        )
    if not present[start:stop].any():
        raise ValueError(
            f"{what} span {start}..{stop} has no frame with a face; mark a span where the face is seen"
        )
    return start, stop
