"""Choose the fewest cubic auto-tangent keys whose Unreal replay matches a target track.

Unreal recomputes every ``RCTM_Auto`` tangent from the neighbouring keys (see :mod:`curves.richcurve`),
so a key's effect reaches two segments on each side. The selection therefore always judges a key set by
replaying the *whole* curve through the FRichCurve emulator:

1. **Greedy insertion.** Start with the first and last frame; replay; insert a key at the frame with the
   largest error; repeat until every source frame is within ``tolerance``. Each insertion re-tangents its
   neighbours, and the full re-check catches the side effects.
2. **Pruning.** Greedy insertion can leave keys that later insertions made unnecessary. Try removing each
   inner key (cheapest first, by the error its removal would cause); keep the removal when the replay of
   the affected span (two keys each side, whose tangents change) stays within tolerance. Repeat until no
   key can go.
3. **Refit.** With the key times fixed, the replay is linear in the key values (auto tangents are central
   differences of values), ``replay = M @ values``. Letting the inner values move off the target
   (min-max fit by reweighted least squares, first and last keys pinned to the target, values kept in the
   curve's range) lets more keys go: pruning is repeated with a refit after each removal. A second
   candidate comes from greedy insertion with refitting; the smaller key set wins. (Used while
   ``frames x keys`` is small enough for dense least squares, i.e. micro-expression clips; long tracks
   keep steps 1-2.)

Keys sit on source frames. The result reports keys, max and RMS replay error over all source frames,
always measured by replaying the final keys through the emulator.

:func:`remove_redundant_auto_tangent_keys` emulates Unreal's ``FRichCurve::RemoveRedundantAutoTangentKeys``
(without a sample rate) for comparison.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from curves.richcurve import KINDA_SMALL_NUMBER, auto_tangents, evaluate
from curves.rules import check_fps

__all__ = [
    "DEFAULT_TOLERANCE",
    "KeySelection",
    "remove_redundant_auto_tangent_keys",
    "replay_matrix",
    "select_keys",
]

DEFAULT_TOLERANCE = 0.01


@dataclass(frozen=True)
class KeySelection:
    """Chosen keys of one track.

    Attributes:
        indices: source-frame index of each key ``(K,)``.
        times: key times in seconds ``(K,)``.
        values: key values ``(K,)``.
        max_error, rms_error: replay error over all source frames.
        n_frames: number of source frames.
    """

    indices: np.ndarray
    times: np.ndarray
    values: np.ndarray
    max_error: float
    rms_error: float
    n_frames: int

    @property
    def n_keys(self) -> int:
        return int(self.times.size)


def _frame_times(n: int, fps: float) -> np.ndarray:
    return np.arange(n, dtype=np.float64) / check_fps(fps)


def replay_matrix(key_times: np.ndarray, frame_times: np.ndarray) -> np.ndarray:
    """Matrix ``M (n_frames, K)`` with ``evaluate(key_times, v, frame_times) == M @ v`` for every ``v``.

    With fixed key times the auto tangents are linear in the key values, and so is the cubic Bezier;
    each frame depends on at most four keys (its segment's two and their outer neighbours).
    """
    kt = np.asarray(key_times, dtype=np.float64)
    q = np.asarray(frame_times, dtype=np.float64)
    k = kt.size
    m = np.zeros((q.size, k))
    if k == 1:
        m[:, 0] = 1.0
        return m
    right = 1 + np.searchsorted(kt[1 : k - 1], q, side="right")
    left = right - 1
    dt = kt[right] - kt[left]
    alpha = np.where(dt > 0, (q - kt[left]) / np.where(dt > 0, dt, 1.0), 0.0)
    u = 1.0 - alpha
    b0, b1, b2, b3 = u**3, 3 * u**2 * alpha, 3 * u * alpha**2, alpha**3
    rows = np.arange(q.size)
    np.add.at(m, (rows, left), b0 + b1)
    np.add.at(m, (rows, right), b2 + b3)
    span = np.full(k, np.inf)
    if k > 2:
        span[1:-1] = np.maximum(KINDA_SMALL_NUMBER, kt[2:] - kt[:-2])
    # leave tangent of the left key: (v[left+1] - v[left-1]) / span[left] for an inner left key.
    inner_l = (left > 0) & (left < k - 1)
    c = np.where(inner_l, b1 * dt / 3.0 / span[left], 0.0)
    r = rows[inner_l]
    np.add.at(m, (r, left[inner_l] + 1), c[inner_l])
    np.add.at(m, (r, left[inner_l] - 1), -c[inner_l])
    # arrive tangent of the right key: (v[right+1] - v[right-1]) / span[right] for an inner right key.
    inner_r = (right > 0) & (right < k - 1)
    c = np.where(inner_r, -b2 * dt / 3.0 / span[right], 0.0)
    r = rows[inner_r]
    np.add.at(m, (r, right[inner_r] + 1), c[inner_r])
    np.add.at(m, (r, right[inner_r] - 1), -c[inner_r])
    before = q <= kt[0]
    after = q >= kt[-1]
    m[before | after] = 0.0
    m[before, 0] = 1.0
    m[after, -1] = 1.0
    return m


def _fit_values(
    m: np.ndarray, y: np.ndarray, lo: float, hi: float, *, iterations: int = 6, good_enough: float = 0.0
) -> tuple[np.ndarray, float]:
    """Key values that approximately minimise the largest replay error (Lawson's reweighted least squares).

    The first and last keys stay on the target (so a track starting and ending at rest stays exactly at
    rest); the inner values are fitted and clipped to ``[lo, hi]``. Stops early once the largest error is at
    most ``good_enough``. Returns ``(values, max_error)``.
    """
    k = m.shape[1]
    fixed = np.zeros(k)
    fixed[0], fixed[-1] = y[0], y[-1]
    if k <= 2:
        return fixed, float(np.max(np.abs(m @ fixed - y)))
    inner = m[:, 1:-1]
    rhs = y - m @ fixed

    def solve(sw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v = fixed.copy()
        v[1:-1] = np.clip(np.linalg.lstsq(inner * sw[:, None], rhs * sw, rcond=None)[0], lo, hi)
        return v, np.abs(m @ v - y)

    w = np.full(y.size, 1.0 / y.size)
    best, e = solve(np.ones(y.size))
    best_err = float(e.max())
    for _ in range(iterations - 1):
        if best_err <= good_enough:
            break
        w = w * (e + 1e-12)
        w /= w.sum()
        v, e = solve(np.sqrt(w))
        err = float(e.max())
        if err < best_err:
            best, best_err = v, err
    return best, best_err


def _window_ok(keys: list[int], pos: int, t: np.ndarray, y: np.ndarray, tol: float) -> tuple[bool, float]:
    """Would removing ``keys[pos]`` keep the affected frames within ``tol``? Also returns that error."""
    lo_k = max(0, pos - 3)
    hi_k = min(len(keys), pos + 4)
    sub = keys[lo_k:pos] + keys[pos + 1 : hi_k]
    first = keys[max(0, pos - 2)]
    last = keys[min(len(keys) - 1, pos + 2)]
    frames = np.arange(first, last + 1)
    idx = np.asarray(sub)
    err = float(np.max(np.abs(evaluate(t[idx], y[idx], t[frames]) - y[frames])))
    return err <= tol, err


def select_keys(
    target: np.ndarray | Sequence[float],
    fps: float,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    prune: bool = True,
    refit: bool = True,
    value_range: tuple[float, float] = (-math.inf, math.inf),
) -> KeySelection:
    """Fewest auto-tangent cubic keys reproducing ``target`` within ``tolerance`` at every frame.

    Args:
        target: the track per source frame, shape ``(n,)``.
        fps: frames per second (frame ``i`` is at ``i / fps`` s).
        tolerance: largest allowed absolute replay error (curve units), > 0.
        prune: run the pruning pass after greedy insertion.
        refit: let key values move off the target (least-squares refit) to drop more keys.
        value_range: bounds for refitted key values (the curve's range).

    Returns:
        The selection (at least the first and last frame; one key for a single frame).
    """
    y = np.asarray(target, dtype=np.float64).reshape(-1)
    if y.size == 0:
        raise ValueError("cannot place keys on an empty track")
    if not np.all(np.isfinite(y)):
        raise ValueError("target track contains NaN or inf")
    tol = float(tolerance)
    if not math.isfinite(tol) or tol <= 0:
        raise ValueError(f"tolerance must be a positive number, got {tolerance!r}")
    n = y.size
    t = _frame_times(n, fps)
    if n == 1:
        return KeySelection(np.array([0]), t.copy(), y.copy(), 0.0, 0.0, 1)
    keys = [0, n - 1]
    while True:
        idx = np.asarray(keys)
        err = np.abs(evaluate(t[idx], y[idx], t) - y)
        worst = int(np.argmax(err))
        if err[worst] <= tol or len(keys) == n:
            break
        keys.insert(int(np.searchsorted(idx, worst)), worst)
    values = y[np.asarray(keys)]
    if prune and len(keys) > 2:
        keys = _prune_fixed(keys, t, y, tol)
        values = y[np.asarray(keys)]
        if refit and n * len(keys) <= _REFIT_LIMIT:
            keys, values = _prune_refit(keys, t, y, tol, value_range)
            other = _greedy_refit(t, y, tol, value_range)
            if other is not None:
                alt_keys, alt_values = _prune_refit(other, t, y, tol, value_range)
                if len(alt_keys) < len(keys):
                    keys, values = alt_keys, alt_values
    idx = np.asarray(keys)
    max_err, rms = _errors(t[idx], values, t, y)
    return KeySelection(idx, t[idx], values, max_err, rms, n)


#: Largest ``frames x keys`` for which key values are refitted (dense least squares).
_REFIT_LIMIT = 60_000


def _errors(kt: np.ndarray, kv: np.ndarray, t: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    err = np.abs(evaluate(kt, kv, t) - y)
    return float(err.max()), float(math.sqrt(float(np.mean(err**2))))


def _prune_fixed(keys: list[int], t: np.ndarray, y: np.ndarray, tol: float) -> list[int]:
    """Drop inner keys (values on the target) whose removal keeps the affected span within ``tol``."""
    keys = list(keys)
    changed = True
    while changed:
        changed = False
        costs = [(_window_ok(keys, p, t, y, tol)[1], keys[p]) for p in range(1, len(keys) - 1)]
        for _, frame in sorted(costs):
            pos = keys.index(frame)
            if _window_ok(keys, pos, t, y, tol)[0]:
                del keys[pos]
                changed = True
    return keys


def _greedy_refit(
    t: np.ndarray, y: np.ndarray, tol: float, value_range: tuple[float, float]
) -> list[int] | None:
    """Greedy insertion where key values are refitted after each insertion (None if it grows too big)."""
    lo, hi = value_range
    n = y.size
    keys = [0, n - 1]
    while len(keys) < n:
        m = replay_matrix(t[keys], t)
        v, err = _fit_values(m, y, lo, hi, good_enough=tol)
        if err <= tol:
            return keys
        if n * (len(keys) + 1) > _REFIT_LIMIT:
            return None
        e = np.abs(m @ v - y)
        e[keys] = -1.0
        keys.insert(int(np.searchsorted(keys, int(np.argmax(e)))), int(np.argmax(e)))
    return keys


def _prune_refit(
    keys: list[int], t: np.ndarray, y: np.ndarray, tol: float, value_range: tuple[float, float]
) -> tuple[list[int], np.ndarray]:
    """Drop more keys by letting the key values move off the target (refitted after each removal)."""
    lo, hi = value_range
    keys = list(keys)
    values, err = _fit_values(replay_matrix(t[keys], t), y, lo, hi, good_enough=tol)
    if err > tol:  # the refit cannot do better than the target values themselves here
        return keys, y[np.asarray(keys)]
    changed = True
    while changed and len(keys) > 2:
        changed = False
        order = sorted(
            range(1, len(keys) - 1),
            key=lambda p: abs(values[p] - values[p - 1]) + abs(values[p + 1] - values[p]),
        )
        removed: set[int] = set()
        for p in order:
            frame = keys[p]
            trial = [k for k in keys if k != frame and k not in removed]
            m = replay_matrix(t[trial], t)
            _, e = _fit_values(m, y, lo, hi, good_enough=tol)
            if e <= tol:
                removed.add(frame)
                changed = True
        keys = [k for k in keys if k not in removed]
        values, _ = _fit_values(replay_matrix(t[keys], t), y, lo, hi, good_enough=tol)
    values, err = _fit_values(replay_matrix(t[keys], t), y, lo, hi, iterations=12)
    return keys, values


def remove_redundant_auto_tangent_keys(
    times: np.ndarray | Sequence[float],
    values: np.ndarray | Sequence[float],
    tolerance: float = DEFAULT_TOLERANCE,
) -> tuple[np.ndarray, np.ndarray]:
    """Emulate ``FRichCurve::RemoveRedundantAutoTangentKeys(tolerance)`` on auto-tangent cubic keys.

    The keys first get their auto tangents (as after ``SetKeys``). Walking the inner keys in order, a key
    is dropped when the segment from the last kept key to the next key, evaluated with the *existing*
    tangents at the key's time, is within ``tolerance`` of its value. First and last keys always stay.
    Afterwards the tangents are recomputed (``AutoSetTangents``), so the final curve can miss dropped keys
    by more than ``tolerance``.

    Returns:
        ``(times, values)`` of the kept keys (replay them with :func:`curves.richcurve.evaluate`).
    """
    kt = np.asarray(times, dtype=np.float64).reshape(-1)
    kv = np.asarray(values, dtype=np.float64).reshape(-1)
    n = kt.size
    if n < 3:
        return kt.copy(), kv.copy()
    arrive, leave = auto_tangents(kt, kv)
    kept = [0]
    for i in range(1, n - 1):
        a, b = kept[-1], i + 1
        dt = kt[b] - kt[a]
        alpha = (kt[i] - kt[a]) / dt if dt > 0 else 0.0
        p0, p3 = kv[a], kv[b]
        p1 = p0 + leave[a] * dt / 3.0
        p2 = p3 - arrive[b] * dt / 3.0
        u = 1.0 - alpha
        without = u**3 * p0 + 3 * u**2 * alpha * p1 + 3 * u * alpha**2 * p2 + alpha**3 * p3
        if abs(without - kv[i]) > tolerance:
            kept.append(i)
    kept.append(n - 1)
    idx = np.asarray(kept)
    return kt[idx].copy(), kv[idx].copy()
