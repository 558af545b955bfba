"""Key-selection benchmark: our keys vs one key per frame vs Unreal's RemoveRedundantAutoTangentKeys.

Run: ``python3 bench/keys.py [--tolerance 0.01] [--tracks 12] [--seed 0]``

For each 200 fps track it prints the keys and the max replay error (through the FRichCurve emulator, at
every source frame) of:

Tracks: analytic onset-apex-offset envelopes, the model's own AU envelope (``ml.timing.envelope``), asymmetric
envelopes, two overlapping movements with noise, and a noisy 30 fps tracker output held to 200 fps; all but
the first are B-spline smoothed as the pipeline does.

* (a) one key per frame;
* (b) Unreal's ``RemoveRedundantAutoTangentKeys(tol)`` applied to the per-frame keys (emulated, with the
  re-tangenting afterwards), at the same tolerance;
* (b*) the same rule with its tolerance lowered (bisection) until its final error is within tolerance,
  i.e. (b) at equal or lower error;
* ours: ``curves.keys.select_keys`` at the tolerance;
* ours@(b*)err: ours with the tolerance set to (b*)'s actual final error on that track, so its error is
  never above (b*)'s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from curves.keys import remove_redundant_auto_tangent_keys, select_keys
from curves.richcurve import evaluate
from curves.spline import smooth_track
from ml.timing.envelope import au_activations

FPS = 200.0


def _envelope(t: np.ndarray, onset: float, apex: float, offset: float) -> np.ndarray:
    y = np.zeros_like(t)
    rise = (t >= onset) & (t <= apex)
    y[rise] = np.sin(0.5 * np.pi * (t[rise] - onset) / (apex - onset)) ** 2
    fall = (t > apex) & (t <= offset)
    y[fall] = np.cos(0.5 * np.pi * (t[fall] - apex) / (offset - apex)) ** 2
    return y


def make_tracks(count: int, seed: int) -> list[tuple[str, np.ndarray]]:
    """Synthetic envelopes and real-looking (noisy, multi-bump, tracker-like) tracks at 200 fps."""
    rng = np.random.default_rng(seed)
    tracks: list[tuple[str, np.ndarray]] = []
    for i in range(count):
        kind = ("envelope", "model-envelope", "asymmetric", "two-bumps", "tracker-noise")[i % 5]
        n = int(rng.integers(100, 241))
        t = np.arange(n) / FPS
        dur = t[-1]
        onset = rng.uniform(0.1, 0.3) * dur
        apex = onset + rng.uniform(0.08, 0.2)
        offset = min(apex + rng.uniform(0.1, 0.25), dur)
        amp = rng.uniform(0.3, 0.95)
        if kind == "envelope":
            y = amp * _envelope(t, onset, apex, offset)
        elif kind == "model-envelope":  # what the model hands over: AU probability x envelope, smoothed
            timing = np.array([onset, apex, offset]) / dur
            y = smooth_track(au_activations(np.array([amp]), timing, n)[:, 0], FPS)
        elif kind == "asymmetric":
            y = amp * _envelope(t, onset, onset + 0.04, offset) * (1 - 0.3 * (t > apex))
            y = smooth_track(np.clip(y, 0, 1), FPS)
        elif kind == "two-bumps":
            y = amp * _envelope(t, onset, apex, offset) + 0.4 * amp * _envelope(t, apex, apex + 0.05, offset)
            y = np.clip(y + rng.normal(0, 0.015, n), 0, 1)
            y = smooth_track(y, FPS)
        else:  # a 30 fps tracker output held to 200 fps, noisy, then smoothed
            y30 = amp * _envelope(np.arange(0, dur + 1 / 30, 1 / 30), onset, apex, offset)
            y30 = np.clip(y30 + rng.normal(0, 0.03, y30.size), 0, 1)
            y = np.interp(t, np.arange(y30.size) / 30.0, y30)
            y = smooth_track(y, FPS)
        tracks.append((f"{kind}-{i:02d}", y))
    return tracks


def _unreal_reduction(t: np.ndarray, y: np.ndarray, tol: float) -> tuple[int, float]:
    """Keys left and max replay error of Unreal's RemoveRedundantAutoTangentKeys at ``tol``."""
    kt, kv = remove_redundant_auto_tangent_keys(t, y, tol)
    return kt.size, float(np.max(np.abs(evaluate(kt, kv, t) - y)))


def _unreal_reduction_within_error(t: np.ndarray, y: np.ndarray, tol: float) -> tuple[int, float, float]:
    """Largest RemoveRedundantAutoTangentKeys tolerance (bisection) whose final error is <= tol."""
    lo, hi = 0.0, tol
    best = (t.size, 0.0, 0.0)
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        k, err = _unreal_reduction(t, y, mid)
        if err <= tol:
            best = (k, err, mid)
            lo = mid
        else:
            hi = mid
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tolerance", type=float, default=0.01)
    parser.add_argument("--tracks", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tol = args.tolerance
    header = (
        f"{'track':<18}{'frames':>7} | {'(a) keys':>8} | {'(b) keys':>8}{'max err':>9} | "
        f"{'(b*) keys':>9}{'max err':>9} | {'ours keys':>9}{'max err':>9}{'rms':>9}{'ms':>7} | "
        f"{'ours@(b*)err':>12}{'max err':>9}"
    )
    print(f"tolerance {tol}, {FPS:g} fps")
    print(header)
    print("-" * len(header))
    totals = np.zeros(6)
    worst_ours = 0.0
    for name, y in make_tracks(args.tracks, args.seed):
        t = np.arange(y.size) / FPS
        kb, eb = _unreal_reduction(t, y, tol)
        kbm, ebm, _ = _unreal_reduction_within_error(t, y, tol)
        start = time.perf_counter()
        sel = select_keys(y, FPS, tolerance=tol)
        ms = 1000 * (time.perf_counter() - start)
        worst_ours = max(worst_ours, float(sel.max_error))
        matched = select_keys(y, FPS, tolerance=ebm)  # ours held to (b*)'s own final error
        totals += (y.size, kb, kbm, sel.n_keys, matched.n_keys, 1)
        print(
            f"{name:<18}{y.size:>7} | {y.size:>8} | {kb:>8}{eb:>9.4f} | {kbm:>9}{ebm:>9.4f} | "
            f"{sel.n_keys:>9}{sel.max_error:>9.4f}{sel.rms_error:>9.4f}{ms:>7.0f} | "
            f"{matched.n_keys:>12}{matched.max_error:>9.4f}"
        )
    frames, kb_total, kbm_total, ours, ours_matched, _ = (float(x) for x in totals)
    print("-" * len(header))
    print(
        f"total keys: (a) {int(frames)}, (b) {int(kb_total)}, (b*) {int(kbm_total)}, ours {int(ours)}; "
        f"ours / (a) = {ours / frames:.3f} (target <= 0.125); ours / (b*) = {ours / kbm_total:.3f}; "
        f"ours max error {worst_ours:.4f} <= {tol}"
    )
    print(
        f"at (b*)'s own final error per track: ours {int(ours_matched)} keys vs (b*) {int(kbm_total)} "
        f"({ours_matched / kbm_total:.3f})"
    )


if __name__ == "__main__":
    main()
