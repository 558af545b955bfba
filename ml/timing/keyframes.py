"""Onset/apex/offset selection from face crops, GAMDSS (Global Anti-Monotonic Differential Selection).

GAMDSS (Liu et al., arXiv 2603.04766) picks the keyframes whose raw-pixel difference is largest: the
(onset, apex) pair with the largest ``||f_apex - f_onset||_2``, then the offset that differs most from the
new apex. In the paper it *re-selects* around annotated keyframes within windows of
``R = floor(lambda * span)`` frames, the onset moving only later and the apex and offset only earlier
(towards each other: "anti-monotonic")::

    select_keyframes(crops, "gamdss", annotated=(on, ap, off))      # the paper's re-selection

Without annotations (inference, or ``--keyframes gamdss`` on unlabelled data), the same criterion is
applied to the whole sequence first (:func:`global_keyframes`), then refined by the paper's local search:

1. apex0 = the frame farthest (L2) from the first frame;
2. onset = the *latest* frame before apex0 whose distance to apex0 is within ``tol`` of the largest such
   distance (all neutral frames tie; the latest one is where the motion starts);
3. apex = the frame after the onset farthest from the onset;
4. offset = the *earliest* frame after the apex whose distance to the apex is within ``tol`` of the largest
   (the first frame back at rest), or the last frame.

Choices, where the paper is silent or contradicts itself (see the module functions):

* Differences are computed in float32 on frames downsampled to ``size`` (area interpolation), so uint8
  and float inputs give the same answer. The released code subtracts uint8 images, which wraps negative
  differences to ``256 - |d|``; ``legacy_uint8_wrap=True`` reproduces that for bit-exact comparisons only.
* Windows follow the released code (apex and offset searched backwards). ``R = max(min_radius,
  floor(lambda * span))`` so that at 30 fps the search is not empty; ``min_radius=0`` gives the code.
* Ties prefer the original (annotated) pair, as the code's insertion order does.
* Degenerate spans (apex == onset, offset <= apex) skip that part of the search.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["METHODS", "gamdss_reselect", "global_keyframes", "select_keyframes"]

Keyframes = tuple[int, int, int]
METHODS: tuple[str, ...] = ("gamdss", "global", "uniform")


def _prepare(crops: np.ndarray, size: int | None, legacy_uint8_wrap: bool) -> np.ndarray:
    """``(N, H, W[, C])`` -> ``(N, D)`` flattened frames, float32 (or uint8 for the legacy wrap)."""
    arr = np.asarray(crops)
    if arr.ndim not in (3, 4):
        raise ValueError(f"crops must be (N, H, W) or (N, H, W, C), got shape {arr.shape}")
    if arr.shape[0] < 2:
        raise ValueError(f"keyframe selection needs at least 2 frames, got {arr.shape[0]}")
    if not np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_:
        raise ValueError(f"crops must be numeric, got dtype {arr.dtype}")
    if legacy_uint8_wrap:
        if arr.dtype != np.uint8:
            raise ValueError("legacy_uint8_wrap=True needs uint8 crops (it reproduces a uint8 wrap-around)")
        return arr.reshape(arr.shape[0], -1)
    frames = arr.astype(np.float32, copy=False)
    if size is not None and size > 0 and (frames.shape[1] > size or frames.shape[2] > size):
        frames = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames])
    return frames.reshape(frames.shape[0], -1)


def _dist(flat: np.ndarray, i: int, j: int) -> float:
    """L2 norm of ``frame_i - frame_j`` (uint8 input: the wrap-around subtraction of the released code)."""
    if flat.dtype == np.uint8:
        d = (flat[i] - flat[j]).astype(np.float64)  # wraps: that is the point of the legacy mode
    else:
        d = flat[i].astype(np.float64) - flat[j].astype(np.float64)
    return float(np.sqrt(np.dot(d, d)))


def _dist_to(flat: np.ndarray, ref: int) -> np.ndarray:
    """``(N,)`` L2 distance of every frame to frame ``ref``."""
    if flat.dtype == np.uint8:
        d = (flat - flat[ref][None]).astype(np.float64)
    else:
        d = flat.astype(np.float64) - flat[ref][None].astype(np.float64)
    return np.sqrt(np.einsum("nd,nd->n", d, d))


def gamdss_reselect(
    flat: np.ndarray,
    keyframes: Keyframes,
    *,
    lam_rise: float = 0.1,
    lam_fall: float = 0.1,
    min_radius: int = 0,
    apex_window: str = "backward",
    offset_window: str = "backward",
) -> Keyframes:
    """The paper's local re-selection around ``keyframes`` (0-based), on flattened frames ``(N, D)``.

    Args:
        flat: ``(N, D)`` frames (see :func:`_prepare`).
        keyframes: starting onset, apex, offset.
        lam_rise, lam_fall: window fractions (paper: 0.1 for both).
        min_radius: smallest window radius in frames (0 = the released code's ``floor``).
        apex_window: ``"backward"`` (code, Algorithm 1) or ``"symmetric"`` (Eq. 2, +-R).
        offset_window: ``"backward"`` (code) or ``"forward"`` (Algorithm 1, offset+1..offset+R+1).

    Returns:
        Re-selected ``(onset, apex, offset)``, with ``onset <= apex <= offset`` inside ``[0, N-1]``.
    """
    if apex_window not in ("backward", "symmetric"):
        raise ValueError(f"apex_window must be 'backward' or 'symmetric', got {apex_window!r}")
    if offset_window not in ("backward", "forward"):
        raise ValueError(f"offset_window must be 'backward' or 'forward', got {offset_window!r}")
    n = flat.shape[0]
    on, ap, off = (int(k) for k in keyframes)
    if not 0 <= on <= ap <= off <= n - 1:
        raise ValueError(f"keyframes must satisfy 0 <= onset <= apex <= offset <= {n - 1}, got {keyframes}")
    if ap > on:
        r = max(min_radius, int(np.floor(lam_rise * (ap - on))))
        best, best_pair = _dist(flat, ap, on), (on, ap)
        apex_shifts = range(-r, r + 1) if apex_window == "symmetric" else range(0, -r - 1, -1)
        for i in range(0, r + 1):
            for j in apex_shifts:
                o, a = on + i, ap + j
                if (i, j) == (0, 0) or not (0 <= o < a <= n - 1) or a > off:
                    continue
                d = _dist(flat, a, o)
                if d > best:  # strict: ties keep the earlier candidate (original pair first)
                    best, best_pair = d, (o, a)
        on, ap = best_pair
    if off > ap:
        rf = max(min_radius, int(np.floor(lam_fall * (off - ap))))
        if offset_window == "backward":
            cands = [off - i for i in range(rf + 1)]
        else:
            cands = [off] + [off + i for i in range(1, rf + 2)]
        cands = [c for c in cands if ap < c <= n - 1]
        dists = [_dist(flat, ap, c) for c in cands]
        off = cands[int(np.argmax(dists))]
    return on, ap, max(off, ap)


def global_keyframes(flat: np.ndarray, *, tol: float = 0.05) -> Keyframes:
    """Whole-sequence keyframes by the GAMDSS criterion (see the module docstring, steps 1-4).

    Args:
        flat: ``(N, D)`` frames.
        tol: relative tolerance for "as far as the farthest" (absorbs noise on frames at rest).
    """
    n = flat.shape[0]
    d0 = _dist_to(flat, 0)
    apex0 = int(np.argmax(d0))
    if apex0 == 0:  # nothing moves: a neutral guess
        return 0, (n - 1) // 2, n - 1
    da = _dist_to(flat, apex0)
    before = da[:apex0]
    onset = int(np.nonzero(before >= (1.0 - tol) * before.max())[0][-1])
    don = _dist_to(flat, onset)
    apex = onset + 1 + int(np.argmax(don[onset + 1 :]))
    if apex >= n - 1:
        return onset, n - 1, n - 1
    dap = _dist_to(flat, apex)
    after = dap[apex + 1 :]
    offset = apex + 1 + int(np.nonzero(after >= (1.0 - tol) * after.max())[0][0])
    return onset, apex, offset


def select_keyframes(
    crops: np.ndarray,
    method: str = "gamdss",
    *,
    annotated: Keyframes | None = None,
    lam_rise: float = 0.1,
    lam_fall: float = 0.1,
    min_radius: int = 0,
    apex_window: str = "backward",
    offset_window: str = "backward",
    size: int | None = 64,
    tol: float = 0.05,
    legacy_uint8_wrap: bool = False,
) -> Keyframes:
    """Select 0-based onset, apex, offset frame indices of a clip.

    Args:
        crops: ``(N, H, W, 3)`` uint8 aligned face crops (any numeric dtype and ``(N, H, W)`` are accepted).
        method: ``"gamdss"`` (re-selection around ``annotated``, or around :func:`global_keyframes` when
            there is none), ``"global"`` (whole-sequence criterion only), ``"uniform"`` (first, middle,
            last frame).
        annotated: annotated keyframes to re-select around (training, as in the paper).
        lam_rise, lam_fall, min_radius, apex_window, offset_window: see :func:`gamdss_reselect`.
        size: frames are downsampled to ``size x size`` before differencing (None: native size).
        tol: tolerance of :func:`global_keyframes`.
        legacy_uint8_wrap: reproduce the released code's uint8 wrap-around (for comparison only).

    Returns:
        ``(onset, apex, offset)`` with ``0 <= onset <= apex <= offset <= N - 1``.

    Raises:
        ValueError: unknown method, fewer than 2 frames, bad shapes or annotations.
    """
    if method not in METHODS:
        raise ValueError(f"unknown keyframe method {method!r}; choose one of {list(METHODS)}")
    n = int(np.asarray(crops).shape[0]) if np.ndim(crops) >= 1 else 0
    if method == "uniform":
        if n < 2:
            raise ValueError(f"keyframe selection needs at least 2 frames, got {n}")
        return 0, (n - 1) // 2, n - 1
    flat = _prepare(crops, None if legacy_uint8_wrap else size, legacy_uint8_wrap)
    start = annotated if annotated is not None else global_keyframes(flat, tol=tol)
    if method == "global" and annotated is None:
        return start
    return gamdss_reselect(
        flat,
        start,
        lam_rise=lam_rise,
        lam_fall=lam_fall,
        min_radius=min_radius,
        apex_window=apex_window,
        offset_window=offset_window,
    )
