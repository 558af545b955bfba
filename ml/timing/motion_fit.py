"""Onset, apex and offset to the frame: fit the expression's envelope to the clip's own motion.

The network's timing head sees a 16-frame TIM summary of the clip, so its onset/apex/offset are only as
fine as one TIM step (5 to 8 source frames at 200 fps). The aligned crops themselves say, frame by frame,
how far the face has moved from its neutral first frame; this module reads that and places the
envelope exactly.

1. :func:`motion_signal`: each grey crop (lightly blurred, the eye openings masked out because blinks
   are large, fast and not expressions) minus the best gain and offset of the first crop
   (:func:`ml.stages.temporal.photometric_residual`, so flicker and exposure changes are not motion),
   projected on
   the change pattern around the apex. The pattern is the mean change over the 7 frames around the prior
   apex (or around the frame of greatest change when there is no prior), so the signal follows this
   expression's pixels and not unrelated ones.
2. :func:`fit_envelope`: least squares of ``A * e(t; onset, apex, offset) + b`` (``e`` the raised-cosine
   envelope of :mod:`ml.timing.envelope`, ``A > 0``) over every frame, searched exhaustively over integer
   (onset, apex, offset), all of them or those within ``window`` frames of a prior.

:func:`refine_timing` does both: the network's timing is the prior, the fit moves each keyframe by at
most ``window`` frames. The fit works on source frames, finer than the head's one TIM step; the
measured gain is in the README's "Models and data" section (``bench/loso_synthetic.py``). It assumes one
expression in the clip, rising and falling once; with no motion at all (A would be <= 0 everywhere) the
prior is returned unchanged.
"""

from __future__ import annotations

import cv2
import numpy as np

from ml.rules import MIN_FRAMES, frame_to_normalized
from ml.stages.face import EYE_LEFT, EYE_RIGHT
from ml.stages.temporal import photometric_residual
from ml.timing.envelope import timing_to_frames

__all__ = ["fit_envelope", "motion_signal", "refine_fractions", "refine_timing"]

Keyframes = tuple[int, int, int]

#: Eye openings masked out of the motion signal: ellipse half-axes as fractions of the crop side.
EYE_MASK_RADII = (0.12, 0.07)


def _eye_mask(size: int) -> np.ndarray:

    yy, xx = (np.mgrid[0:size, 0:size] + 0.5) / size
    keep = np.ones((size, size), bool)
    rx, ry = EYE_MASK_RADII
    for cx, cy in (EYE_LEFT, EYE_RIGHT):
        keep &= ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 >= 1.0
    return keep


def motion_signal(
    crops: np.ndarray, *, apex: int | None = None, blur: float = 1.0, mask_eyes: bool = True
) -> np.ndarray:
    """How far each aligned crop has moved from the first, along the expression's pattern: ``(N,)``.

    Args:
        crops: ``(N, S, S, 3)`` uint8 aligned face crops (``ml.stages.face``), N >= 4.
        apex: frame whose neighbourhood defines the change pattern (e.g. the network's apex); None: the
            frame of greatest change.
        blur: Gaussian sigma in pixels of a 112 px crop (scaled with the crop size).
        mask_eyes: leave the eye openings out (blinks).

    Returns:
        float64 signal, 0 at frame 0, larger where the face is further along the pattern.
    """

    crops = np.asarray(crops)
    if crops.ndim != 4 or crops.shape[0] < MIN_FRAMES:
        raise ValueError(f"crops must be (N >= {MIN_FRAMES}, S, S, 3), got {crops.shape}")
    n, size = crops.shape[0], crops.shape[1]
    grey = crops.astype(np.float32).mean(axis=-1)
    sigma = blur * size / 112.0
    if sigma > 0:
        grey = np.stack([cv2.GaussianBlur(f, (0, 0), sigma) for f in grey])
    keep = _eye_mask(size) if mask_eyes else np.ones((size, size), bool)
    pixels = grey[:, keep][:, :, None, None]  # (N, P, 1, 1) for photometric_residual
    delta = photometric_residual(pixels, pixels[0]).reshape(n, -1).astype(np.float64)
    if apex is None:
        energy = np.convolve((delta**2).mean(axis=1), np.ones(5) / 5.0, mode="same")
        apex = int(np.argmax(energy))
    apex = int(np.clip(apex, 0, n - 1))
    pattern = delta[max(0, apex - 3) : apex + 4].mean(axis=0)
    norm = float(np.linalg.norm(pattern))
    if norm == 0.0:
        return np.zeros(n)
    return delta @ (pattern / norm)


def _rise(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * u)


def _candidates(lo: int, hi: int, prior: int | None, window: int | None) -> np.ndarray:
    if prior is not None and window is not None:
        lo, hi = max(lo, prior - window), min(hi, prior + window)
    return np.arange(lo, hi + 1)


def fit_envelope(
    signal: np.ndarray, prior: Keyframes | None = None, window: int | None = None
) -> Keyframes | None:
    """Integer (onset, apex, offset) of the best least-squares fit ``A e(t) + b`` to ``signal``.

    ``e`` rises from 0 at onset to 1 at apex and falls to 0 at offset (raised cosine), and is 0 outside;
    ``A > 0``. With ``prior`` and ``window`` each keyframe stays within ``window`` frames of the prior's
    and only the frames from ``2 window`` before the prior's onset to ``2 window`` after its offset are
    fitted (other motion in a long clip does not pull the fit); otherwise every
    ``0 <= onset < apex < offset <= N - 1`` is tried on the whole signal.

    Returns:
        The keyframes, or None when no candidate has a positive amplitude (no expression-like motion).
    """
    m = np.asarray(signal, dtype=np.float64).reshape(-1)
    n = m.size
    if n < MIN_FRAMES:
        raise ValueError(f"need at least {MIN_FRAMES} frames to fit an envelope, got {n}")
    if window is not None and window < 0:
        raise ValueError(f"window must be >= 0 frames, got {window}")
    if np.ptp(m) <= 1e-9 * max(1.0, float(np.abs(m).max())):
        return None  # no motion at all
    po: int | None = None
    pa: int | None = None
    pf: int | None = None
    if prior is not None:
        po, pa, pf = (int(v) for v in prior)
        if window is not None:
            # fit the prior's span and a margin only, so other motion in the clip does not pull the fit
            lo, hi = max(0, po - 2 * window - 2), min(n, pf + 2 * window + 3)
            if (lo > 0 or hi < n) and hi - lo >= 4:
                local = fit_envelope(m[lo:hi], (po - lo, pa - lo, pf - lo), window)
                return None if local is None else (local[0] + lo, local[1] + lo, local[2] + lo)
    t = np.arange(n, dtype=np.float64)
    sum_m, sum_mm = m.sum(), (m * m).sum()
    best: tuple[float, Keyframes] | None = None
    for apex in _candidates(1, n - 2, pa, window):
        onsets = _candidates(0, int(apex) - 1, po, window)
        offsets = _candidates(int(apex) + 1, n - 1, pf, window)
        if onsets.size == 0 or offsets.size == 0:
            continue
        head, tail = t[: apex + 1], t[apex + 1 :]
        rise = _rise((head[None, :] - onsets[:, None]) / (apex - onsets[:, None]))  # (O, apex + 1)
        fall = _rise((offsets[:, None] - tail[None, :]) / (offsets[:, None] - apex))  # (F, n - apex - 1)
        # sums over the whole clip split into the rising part (t <= apex) and the falling part
        sx = rise.sum(1)[:, None] + fall.sum(1)[None, :]
        sxx = (rise * rise).sum(1)[:, None] + (fall * fall).sum(1)[None, :]
        sxm = (rise @ m[: apex + 1])[:, None] + (fall @ m[apex + 1 :])[None, :]
        det = sxx * n - sx * sx
        with np.errstate(divide="ignore", invalid="ignore"):
            a = (n * sxm - sx * sum_m) / det
            b = (sxx * sum_m - sx * sxm) / det
        resid = sum_mm - a * sxm - b * sum_m
        resid = np.where((a > 0) & (det > 1e-12), resid, np.inf)
        k = int(np.argmin(resid))
        i, j = divmod(k, resid.shape[1])
        if np.isfinite(resid[i, j]) and (best is None or resid[i, j] < best[0]):
            best = (float(resid[i, j]), (int(onsets[i]), int(apex), int(offsets[j])))
    return None if best is None else best[1]


def refine_timing(crops: np.ndarray, prior: Keyframes, *, window: int | None = None) -> Keyframes:
    """The prior (e.g. the network's) onset/apex/offset moved onto the clip's motion.

    Args:
        crops: ``(N, S, S, 3)`` uint8 aligned crops.
        prior: 0-based (onset, apex, offset) frames.
        window: how far in frames a keyframe may move; default 12 % of the clip (12 frames of 100).

    Returns:
        Refined 0-based keyframes, ordered; the prior itself when the clip shows no expression-like motion.
    """
    n = int(np.asarray(crops).shape[0])
    if window is None:
        window = max(2, round(0.12 * n))
    signal = motion_signal(crops, apex=int(prior[1]))
    fitted = fit_envelope(signal, prior, window)
    return fitted if fitted is not None else (int(prior[0]), int(prior[1]), int(prior[2]))


def refine_fractions(
    crops: np.ndarray, timing: np.ndarray | tuple[float, float, float], *, window: int | None = None
) -> np.ndarray:
    """:func:`refine_timing` for timing as fractions of the clip (a timing head's output): ``(3,)``.

    The fractions are clipped to [0, 1], put in order and placed on frames with
    :func:`ml.timing.envelope.timing_to_frames`; the refined frames come back as fractions
    (:func:`ml.rules.frame_to_normalized`).
    """

    n = int(np.asarray(crops).shape[0])
    ordered = np.maximum.accumulate(np.clip(np.asarray(timing, dtype=np.float64).reshape(3), 0.0, 1.0))
    refined = refine_timing(crops, timing_to_frames(ordered, n), window=window)
    return frame_to_normalized(np.asarray(refined, dtype=np.float64), n)
