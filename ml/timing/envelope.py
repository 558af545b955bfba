"""Per-frame AU activations from a clip-level prediction: AU probability x a temporal envelope.

The envelope runs through the predicted onset, apex and offset, placed on source frames with
``frame = round(tau * (n_frames - 1))``::

    e(f) = 0                                   f < onset or f > offset
    e(f) = rise((f - onset) / (apex - onset))  onset <= f < apex
    e(f) = 1                                   f == apex
    e(f) = rise((offset - f) / (offset - apex))  apex < f <= offset

with the raised cosine ``rise(u) = (1 - cos(pi u)) / 2`` (default; zero slope at both ends, so curves
start and stop smoothly) or the smoothstep ``3u^2 - 2u^3``. The onset and offset frames themselves are
0 unless they coincide with the apex (``onset == apex`` gives an instant rise, ``apex == offset`` an
instant fall).
"""

from __future__ import annotations

import numpy as np

from ml.rules import normalized_to_frame

__all__ = ["au_activations", "envelope", "timing_to_frames"]

_SHAPES = ("cosine", "smoothstep", "linear")


def _check_timing(timing: np.ndarray | tuple[float, float, float] | list[float]) -> np.ndarray:
    t = np.asarray(timing, dtype=np.float64).reshape(-1)
    if t.shape != (3,):
        raise ValueError(f"timing must be (onset, apex, offset), got {t.size} values")
    if not np.all(np.isfinite(t)):
        raise ValueError(f"timing must be finite, got {t.tolist()}")
    if np.any(t < -1e-6) or np.any(t > 1 + 1e-6):
        raise ValueError(f"timing values must be fractions of the clip in [0, 1], got {t.tolist()}")
    if not (t[0] <= t[1] + 1e-9 and t[1] <= t[2] + 1e-9):
        raise ValueError(f"timing must satisfy onset <= apex <= offset, got {t.tolist()}")
    return np.clip(t, 0.0, 1.0)


def timing_to_frames(
    timing: np.ndarray | tuple[float, float, float] | list[float], n_frames: int
) -> tuple[int, int, int]:
    """Normalised ``(onset, apex, offset)`` -> 0-based source frame indices ``round(tau * (n - 1))``.

    Raises:
        ValueError: ``n_frames < 1``, timing outside [0, 1] or out of order.
    """
    if int(n_frames) < 1:
        raise ValueError(f"n_frames must be >= 1, got {n_frames}")
    t = _check_timing(timing)
    f = np.rint(normalized_to_frame(t, int(n_frames))).astype(int)
    on, ap, off = (int(v) for v in f)
    return on, max(on, ap), max(on, ap, off)


def _rise(u: np.ndarray, shape: str) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    if shape == "cosine":
        return 0.5 - 0.5 * np.cos(np.pi * u)
    if shape == "smoothstep":
        return u * u * (3.0 - 2.0 * u)
    return u


def envelope(
    timing: np.ndarray | tuple[float, float, float] | list[float], n_frames: int, *, shape: str = "cosine"
) -> np.ndarray:
    """The temporal envelope ``(n_frames,)`` in [0, 1]: 0 outside onset..offset, 1 at the apex.

    Args:
        timing: normalised ``(onset, apex, offset)``.
        n_frames: number of source frames.
        shape: ``"cosine"`` (raised cosine), ``"smoothstep"`` or ``"linear"``.

    Raises:
        ValueError: bad timing, ``n_frames`` or ``shape``.
    """
    if shape not in _SHAPES:
        raise ValueError(f"envelope shape must be one of {_SHAPES}, got {shape!r}")
    on, ap, off = timing_to_frames(timing, n_frames)
    f = np.arange(int(n_frames), dtype=np.float64)
    env = np.zeros(int(n_frames), dtype=np.float64)
    if ap > on:
        m = (f >= on) & (f < ap)
        env[m] = _rise((f[m] - on) / (ap - on), shape)
    if off > ap:
        m = (f > ap) & (f <= off)
        env[m] = _rise((off - f[m]) / (off - ap), shape)
    env[ap] = 1.0
    return env


def au_activations(
    au_probs: np.ndarray | list[float],
    timing: np.ndarray | tuple[float, float, float] | list[float],
    n_frames: int,
    *,
    shape: str = "cosine",
) -> np.ndarray:
    """Per-frame AU activations: ``au_probs[a] * envelope(timing)[f]``.

    Args:
        au_probs: ``(A,)`` AU probabilities in [0, 1].
        timing: ``(3,)`` normalised onset, apex, offset.
        n_frames: number of source frames.
        shape: envelope shape (see :func:`envelope`).

    Returns:
        ``(n_frames, A)`` float64 in [0, 1].

    Raises:
        ValueError: probabilities not 1-D or outside [0, 1]; bad timing or frame count.
    """
    p = np.asarray(au_probs, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"au_probs must be 1-D (A,), got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0.0) or np.any(p > 1.0):
        raise ValueError("au_probs must be probabilities in [0, 1] (apply a sigmoid to logits first)")
    return envelope(timing, n_frames, shape=shape)[:, None] * p[None, :]
