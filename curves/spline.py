"""B-spline smoothing of per-frame AU activation tracks.

Each track is fitted with a cubic smoothing B-spline (``scipy.interpolate.splrep``, FITPACK): the spline
with the fewest knots whose squared residual stays under a budget ``s``. FITPACK minimises the jumps of
the third derivative at the knots, so any cubic polynomial is reproduced exactly, and a smooth track is
left practically untouched, while frame-to-frame tracker jitter is removed.

The residual budget comes from the track itself: ``s = smoothing * m * sigma^2`` where ``m`` counts the
frames strictly inside (0, 1) (clipped rest frames carry no noise to absorb) and ``sigma`` is a
robust estimate of the frame noise (median absolute second difference / 0.6745 / sqrt(6), which is the
standard deviation of white noise and ~0 for a smooth track; frames clipped at 0 or 1 are left out of
the estimate). ``smoothing = 0`` interpolates the frames.
The result is evaluated at the source frames and clamped to [0, 1].
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import interpolate

from curves.rules import MIN_FRAMES, check_fps

__all__ = ["MIN_FRAMES", "noise_sigma", "smooth_activations", "smooth_track", "validate_activations"]


def validate_activations(activations: np.ndarray, fps: float, *, names: tuple[str, ...] = ()) -> np.ndarray:
    """Check AU activations ``(frames, n_aus)`` (or ``(frames,)``) and a frame rate; return float64.

    Raises:
        ValueError: fps not a positive finite number; fewer than 4 frames; NaN/inf; values outside [0, 1].
    """
    check_fps(fps)
    act = np.asarray(activations, dtype=np.float64)
    if act.ndim not in (1, 2):
        raise ValueError(f"activations must be (frames,) or (frames, AUs), got shape {act.shape}")
    if act.shape[0] < MIN_FRAMES:
        raise ValueError(
            f"AU tracks have {act.shape[0]} frame(s); at least {MIN_FRAMES} are needed for cubic B-spline "
            "smoothing (use a longer clip)"
        )
    bad = ~np.isfinite(act)
    if np.any(bad):
        where = np.argwhere(bad)[0]
        col = f" ({names[where[1]]})" if act.ndim == 2 and len(names) > where[1] else ""
        raise ValueError(f"AU activations contain NaN or inf (first at frame {where[0]}{col})")
    lo, hi = float(act.min()), float(act.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise ValueError(
            f"AU activations must lie in [0, 1], got range [{lo:.4g}, {hi:.4g}]; rescale intensities first "
            "(OpenFace AU*_r is 0-5: divide by 5)"
        )
    return act


def noise_sigma(track: np.ndarray) -> float:
    """Robust white-noise standard deviation of a track from its second differences.

    Stencils touching a value clipped at 0 or 1 (a tracker's rest frames) are left out: they are
    noise-free by construction and would hide the noise of the moving part.
    """
    y = np.asarray(track, dtype=np.float64)
    if y.size < 3:
        return 0.0
    d2 = np.diff(y, n=2)
    inside = (y > 0.0) & (y < 1.0)
    free = inside[:-2] & inside[1:-1] & inside[2:]
    if np.count_nonzero(free) >= 8:
        d2 = d2[free]
    return float(np.median(np.abs(d2)) / 0.6745 / math.sqrt(6.0))


def smooth_track(track: np.ndarray, fps: float, *, smoothing: float = 1.0) -> np.ndarray:
    """Smooth one activation track with a cubic B-spline and clamp it to [0, 1].

    Args:
        track: activations per source frame, shape ``(n,)``, in [0, 1], ``n >= 4``.
        fps: source frame rate (> 0); the spline's parameter is time in seconds.
        smoothing: residual budget as a multiple of ``m * sigma^2`` (0 interpolates every frame).

    Returns:
        The smoothed track at the source frames, shape ``(n,)``, in [0, 1].
    """
    y = validate_activations(np.asarray(track, dtype=np.float64).reshape(-1), fps)
    if not math.isfinite(smoothing) or smoothing < 0:
        raise ValueError(f"smoothing must be >= 0, got {smoothing!r}")
    n = y.size
    t = np.arange(n, dtype=np.float64) / float(fps)
    if np.ptp(y) == 0.0:
        return y.copy()
    moving = int(np.count_nonzero((y > 0.0) & (y < 1.0)))
    s = float(smoothing) * (moving if moving >= 8 else n) * noise_sigma(y) ** 2
    with warnings.catch_warnings():
        # FITPACK warns when it meets the residual budget only approximately; the fit is still valid.
        warnings.simplefilter("ignore", RuntimeWarning)
        tck = interpolate.splrep(t, y, k=3, s=s)
    out = np.asarray(interpolate.splev(t, tck), dtype=np.float64)
    return np.clip(out, 0.0, 1.0)


def smooth_activations(
    activations: np.ndarray, fps: float, *, smoothing: float = 1.0, names: tuple[str, ...] = ()
) -> np.ndarray:
    """Smooth every column of ``(frames, n_aus)`` activations (see :func:`smooth_track`).

    Raises:
        ValueError: bad fps, fewer than 4 frames, NaN/inf or values outside [0, 1] (names the AU).
    """
    act = validate_activations(activations, fps, names=names)
    if act.ndim == 1:
        return smooth_track(act, fps, smoothing=smoothing)
    return (
        np.stack([smooth_track(act[:, j], fps, smoothing=smoothing) for j in range(act.shape[1])], axis=1)
        if act.shape[1]
        else act.copy()
    )
