"""Exact emulation of Unreal's ``FRichCurve`` auto tangents and evaluation (unweighted keys).

Unreal recomputes the tangents of ``RCTM_Auto`` keys itself (``FRichCurve::AutoSetTangents``, called by
``SetKeys``, ``DeleteKey`` and the key-reduction functions), so the keys a tool writes determine the
curve completely. This module reproduces that curve in numpy:

* :func:`auto_tangents` is ``AutoSetTangents(Tension)``:

  - first key (when there are at least two keys) with auto tangents: leave tangent 0;
  - last key, cubic and auto: arrive tangent 0 (end points are flat, there is no one-sided slope);
  - inner cubic auto key: ``T = (1 - tension) * (v[i+1] - v[i-1]) / max(1e-4, t[i+1] - t[i-1])``,
    arrive = leave = T (no tangent clamping: FRichCurve passes ``bWantClamping = false``);
  - otherwise, when the previous or this key is constant: leave = 0, and arrive = 0 unless the previous
    key is cubic; user/break keys keep their stored tangents.

* :func:`evaluate` is ``FRichCurve::Eval`` with constant pre/post extrapolation: at or before the first key
  the first value, at or after the last key the last value, otherwise ``EvalForTwoKeys`` of the segment
  whose right key is the first key later than ``t``. The **left** key's interpolation mode governs the
  segment: constant -> left value, linear -> lerp, cubic -> Bezier with ``P1 = P0 + leave * dt / 3`` and
  ``P2 = P3 - arrive * dt / 3``.

Tangents are in value units per second. Everything is vectorised over the evaluation times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "KINDA_SMALL_NUMBER",
    "auto_tangents",
    "evaluate",
    "evaluate_with_tangents",
    "normalize_interp",
]

#: Unreal's ``KINDA_SMALL_NUMBER``: the smallest time span used in the tangent's denominator.
KINDA_SMALL_NUMBER = 1e-4

_INTERP_ALIASES = {
    "cubic": "cubic",
    "rcim_cubic": "cubic",
    "linear": "linear",
    "rcim_linear": "linear",
    "constant": "constant",
    "rcim_constant": "constant",
}
_TANGENT_ALIASES = {
    "auto": "auto",
    "rctm_auto": "auto",
    "smartauto": "smartauto",
    "rctm_smartauto": "smartauto",
    "user": "user",
    "rctm_user": "user",
    "break": "break",
    "rctm_break": "break",
    "none": "none",
    "rctm_none": "none",
}


def normalize_interp(mode: str) -> str:
    """Return ``"cubic"``, ``"linear"`` or ``"constant"`` for any spelling (``RCIM_Cubic``, ``cubic``)."""
    key = str(mode).strip().lower()
    if key not in _INTERP_ALIASES:
        raise ValueError(f"unknown interpolation mode {mode!r}; use cubic, linear or constant (RCIM_*)")
    return _INTERP_ALIASES[key]


def _normalize_tangent(mode: str) -> str:
    key = str(mode).strip().lower()
    if key not in _TANGENT_ALIASES:
        raise ValueError(f"unknown tangent mode {mode!r}; use auto, user, break (RCTM_*)")
    return _TANGENT_ALIASES[key]


def _per_key(mode: str | Sequence[str], n: int, normalize: Callable[[str], str]) -> np.ndarray:
    """Broadcast one mode or a per-key sequence of modes to an array of ``n`` normalised strings."""
    if isinstance(mode, str):
        return np.full(n, normalize(mode), dtype=object)
    modes = [normalize(m) for m in mode]
    if len(modes) != n:
        raise ValueError(f"got {len(modes)} modes for {n} keys")
    return np.asarray(modes, dtype=object)


def _check_keys(
    times: np.ndarray | Sequence[float], values: np.ndarray | Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if t.shape != v.shape:
        raise ValueError(f"{t.size} key times but {v.size} key values")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(v))):
        raise ValueError("key times/values contain NaN or inf")
    if t.size > 1 and np.any(np.diff(t) < 0):
        raise ValueError("key times must be sorted (non-decreasing)")
    return t, v


def auto_tangents(
    times: np.ndarray | Sequence[float],
    values: np.ndarray | Sequence[float],
    tension: float = 0.0,
    *,
    interp: str | Sequence[str] = "cubic",
    tangent: str | Sequence[str] = "auto",
    arrive: np.ndarray | Sequence[float] | None = None,
    leave: np.ndarray | Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Tangents Unreal's ``FRichCurve::AutoSetTangents(tension)`` gives these keys.

    Args:
        times: key times in seconds, shape ``(K,)``, sorted.
        values: key values, shape ``(K,)``.
        tension: Unreal's tension (0 for ``SetKeys``/``AutoSetTangents()``).
        interp: interpolation mode of every key, or one per key (``cubic``/``linear``/``constant``).
        tangent: tangent mode of every key, or one per key (``auto``/``user``/``break``...).
        arrive, leave: stored tangents before the call (default zeros, as a new ``FRichCurveKey``); keys
            the rule does not touch keep them.

    Returns:
        ``(arrive, leave)``, each ``(K,)`` float64, in value units per second.
    """
    t, v = _check_keys(times, values)
    n = t.size
    modes = _per_key(interp, n, normalize_interp)
    tmodes = _per_key(tangent, n, _normalize_tangent)
    arr = np.zeros(n) if arrive is None else np.array(arrive, dtype=np.float64).reshape(-1)
    lev = np.zeros(n) if leave is None else np.array(leave, dtype=np.float64).reshape(-1)
    if arr.size != n or lev.size != n:
        raise ValueError(f"arrive/leave must have one tangent per key ({n})")
    if n == 0:
        return arr, lev
    is_auto = tmodes == "auto"
    is_cubic = modes == "cubic"
    is_const = modes == "constant"
    if n > 1 and is_auto[0]:
        lev[0] = 0.0
    if n > 1:
        last = n - 1
        if is_cubic[last] and is_auto[last]:
            arr[last] = 0.0
    if n > 2:
        inner = np.arange(1, n - 1)
        span = np.maximum(KINDA_SMALL_NUMBER, t[inner + 1] - t[inner - 1])
        slope = (1.0 - tension) * (v[inner + 1] - v[inner - 1]) / span
        auto_inner = is_cubic[inner] & is_auto[inner]
        sel = inner[auto_inner]
        arr[sel] = slope[auto_inner]
        lev[sel] = slope[auto_inner]
        const_inner = ~auto_inner & (is_const[inner - 1] | is_const[inner])
        sel = inner[const_inner]
        prev_not_cubic = ~is_cubic[sel - 1]
        arr[sel[prev_not_cubic]] = 0.0
        lev[sel] = 0.0
    return arr, lev


def _bezier(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Cubic Bezier at ``a`` by de Casteljau, as Unreal's ``BezierInterp``."""
    p01 = p0 + (p1 - p0) * a
    p12 = p1 + (p2 - p1) * a
    p23 = p2 + (p3 - p2) * a
    p012 = p01 + (p12 - p01) * a
    p123 = p12 + (p23 - p12) * a
    return p012 + (p123 - p012) * a


def evaluate_with_tangents(
    times: np.ndarray | Sequence[float],
    values: np.ndarray | Sequence[float],
    arrive: np.ndarray | Sequence[float],
    leave: np.ndarray | Sequence[float],
    t: np.ndarray | Sequence[float] | float,
    *,
    interp: str | Sequence[str] = "cubic",
    default: float = 0.0,
) -> np.ndarray:
    """``FRichCurve::Eval`` with given tangents (constant extrapolation, unweighted keys).

    Args:
        times, values: keys, shape ``(K,)``.
        arrive, leave: tangents per key, shape ``(K,)`` (value per second).
        t: evaluation times, any shape.
        interp: interpolation mode of every key, or one per key.
        default: value of a curve without keys.

    Returns:
        Values with the shape of ``t`` (float64).
    """
    kt, kv = _check_keys(times, values)
    q = np.asarray(t, dtype=np.float64)
    n = kt.size
    if n == 0:
        return np.full(q.shape, float(default))
    if n == 1:
        return np.full(q.shape, kv[0])
    arr = np.asarray(arrive, dtype=np.float64).reshape(-1)
    lev = np.asarray(leave, dtype=np.float64).reshape(-1)
    if arr.size != n or lev.size != n:
        raise ValueError(f"arrive/leave must have one tangent per key ({n})")
    modes = _per_key(interp, n, normalize_interp)
    all_cubic = bool(np.all(modes == "cubic"))
    flat = q.reshape(-1)
    # Lower bound as in Eval: index of the first key in [1, n-1] whose time is greater than t.
    right = 1 + np.searchsorted(kt[1 : n - 1], flat, side="right")
    left = right - 1
    t1, t2 = kt[left], kt[right]
    v1, v2 = kv[left], kv[right]
    diff = t2 - t1
    safe = np.where(diff > 0, diff, 1.0)
    alpha = (flat - t1) / safe
    p1 = v1 + lev[left] * diff / 3.0
    p2 = v2 - arr[right] * diff / 3.0
    out = _bezier(v1, p1, p2, v2, alpha)
    if not all_cubic:
        code = np.select([modes == "linear", modes == "constant"], [1, 2], 0).astype(np.int8)[left]
        out = np.where(code == 1, v1 + (v2 - v1) * alpha, out)
        out = np.where(code == 2, v1, out)
    out = np.where(diff <= 0, v1, out)
    # Pre-infinity is taken for t <= first key time, post-infinity for t >= last key time (as in Eval).
    out = np.where(flat <= kt[0], kv[0], out)
    out = np.where(flat >= kt[-1], kv[-1], out)
    return out.reshape(q.shape)


def evaluate(
    times: np.ndarray | Sequence[float],
    values: np.ndarray | Sequence[float],
    t: np.ndarray | Sequence[float] | float,
    *,
    interp: str | Sequence[str] = "cubic",
    tension: float = 0.0,
    default: float = 0.0,
) -> np.ndarray:
    """Evaluate the curve Unreal builds from these auto-tangent keys (``SetKeys`` then ``Eval``).

    Args:
        times: key times in seconds ``(K,)``, sorted.
        values: key values ``(K,)``.
        t: evaluation times, any shape.
        interp: interpolation mode of every key or one per key (``cubic``, ``linear``, ``constant``).
        tension: auto-tangent tension (0 as Unreal uses).
        default: value of a curve without keys.

    Returns:
        Curve values at ``t`` (same shape), float64.
    """
    arrive, leave = auto_tangents(times, values, tension, interp=interp)
    return evaluate_with_tangents(times, values, arrive, leave, t, interp=interp, default=default)
