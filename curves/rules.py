"""Value rules shared by every entry point (curves, the ``ml`` analysis, the command line, the plugin).

One place for each: a frame rate is a positive, finite number of frames per second within what a camera
or an engine uses; an intensity ``i_v`` lies in [0, 1]; a key-selection tolerance lies strictly between
0 and 1; a track needs :data:`MIN_FRAMES` frames and holds at most :data:`MAX_FRAMES`.
"""

from __future__ import annotations

import math

__all__ = [
    "IMAGE_EXTENSIONS",
    "MAX_FPS",
    "MAX_FRAMES",
    "MIN_FPS",
    "MIN_FRAMES",
    "VIDEO_EXTENSIONS",
    "check_fps",
    "check_frame_count",
    "check_intensity",
    "check_tolerance",
    "is_whole",
]

#: Frame-folder images and video files the clip reader accepts (the editor's batch lists the same).
IMAGE_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_EXTENSIONS: tuple[str, ...] = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv")

#: The shortest track or clip: a cubic B-spline needs four samples.
MIN_FRAMES = 4
#: The longest track or animation (frames): over an hour at 1000 fps, eight hours at 120 fps.
MAX_FRAMES = 4_000_000
#: The slowest and fastest frame rates accepted (1 frame a minute; high-speed cameras reach 10,000).
MIN_FPS = 1.0 / 60.0
MAX_FPS = 10_000.0


def check_fps(fps: object, *, what: str = "fps") -> float:
    """``fps`` as a float, or a ValueError naming ``what`` (e.g. ``"--fps"``) and the accepted range."""
    try:
        rate = float(fps)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a positive number of frames per second, got {fps!r}") from None
    if not math.isfinite(rate) or not MIN_FPS <= rate <= MAX_FPS:
        raise ValueError(
            f"{what} must be a positive number of frames per second between {MIN_FPS:.3g} and "
            f"{MAX_FPS:g}, got {fps!r}"
        )
    return rate


def check_intensity(intensity: object, *, what: str = "intensity") -> float:
    """``intensity`` as a float in [0, 1], or a ValueError naming ``what``."""
    try:
        value = float(intensity)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number in [0, 1], got {intensity!r}") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{what} must lie in [0, 1], got {intensity!r}")
    return value


def check_tolerance(tolerance: object, *, what: str = "tolerance") -> float:
    """``tolerance``, the largest replay error of the keys in curve units, as a float strictly between 0
    and 1, or a ValueError naming ``what`` with the limit.

    Curves run over [0, 1] (AU intensities, morph targets, rig controls), so a tolerance of 1 or more
    would let every curve collapse to a flat line, and 0 cannot be met by finitely many keys.
    """
    try:
        value = float(tolerance)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number between 0 and 1, got {tolerance!r}") from None
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        raise ValueError(f"{what} must be between 0 and 1 (curve units, e.g. 0.01), got {value}")
    return value


def is_whole(value: object) -> bool:
    """True for an int (not a bool) or a float with an integral, finite value."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def check_frame_count(n_frames: object, *, what: str = "n_frames") -> int:
    """``n_frames`` as an int in [1, MAX_FRAMES], or a ValueError naming ``what``."""
    if not is_whole(n_frames) and not hasattr(n_frames, "__index__"):
        raise ValueError(f"{what} must be a whole number of frames, got {n_frames!r:.60}")
    count = int(n_frames)  # type: ignore[call-overload]
    if not 1 <= count <= MAX_FRAMES:
        raise ValueError(f"{what} must be between 1 and {MAX_FRAMES} frames, got {count}")
    return count
