"""Blinks (AU45) and eye closure (AU43) from eyelid closure, told apart by how long the eyes stay shut.

Closure is ``1 - opening / neutral opening`` per eye. An episode is a run of frames where both eyes are
at least half closed, widened to where closure falls back under :data:`CLOSURE_END`. An episode whose
half-closed core lasts at most :data:`~ml.tracks.calibration.BLINK_MAX_S` is a blink, read as AU45;
a longer one is the eyes closing, read as AU43. A squint (AU7) narrows the eye without reaching half
closure, so it never becomes either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curves.quiet import true_runs
from ml.tracks.calibration import BLINK_MAX_S, CLOSURE_AT_E

__all__ = ["CLOSURE_END", "EyeClosure", "eye_closure", "interpolate_over"]

#: Closure that starts and ends an episode, and closure of its core.
CLOSURE_END = 0.15
_CORE = 0.5


@dataclass(frozen=True)
class EyeClosure:
    """AU45 per side, AU43, and the blink spans (start, stop) in frames."""

    au45: dict[str, np.ndarray]
    au43: np.ndarray
    blinks: tuple[tuple[int, int], ...]
    closed: tuple[tuple[int, int], ...]


def eye_closure(closure: dict[str, np.ndarray], fps: float) -> EyeClosure:
    """Split per-eye closure ``(N,)`` tracks (NaN without a face) into blinks and closed eyes."""
    both = np.fmin(closure["R"], closure["L"])
    n = len(both)
    core = np.nan_to_num(both, nan=0.0) >= _CORE
    loose = np.nan_to_num(np.fmax(closure["R"], closure["L"]), nan=0.0) >= CLOSURE_END
    au45 = {side: np.zeros(n) for side in closure}
    au43 = np.zeros(n)
    blinks: list[tuple[int, int]] = []
    closed: list[tuple[int, int]] = []
    for start, stop in true_runs(core):
        lo, hi = start, stop
        while lo > 0 and loose[lo - 1]:
            lo -= 1
        while hi < n and loose[hi]:
            hi += 1
        if (stop - start) / fps <= BLINK_MAX_S:
            for side, track in closure.items():
                au45[side][lo:hi] = np.nan_to_num(track[lo:hi], nan=0.0) / CLOSURE_AT_E
            blinks.append((lo, hi))
        else:
            au43[lo:hi] = np.nan_to_num(both[lo:hi], nan=0.0) / CLOSURE_AT_E
            closed.append((lo, hi))
    clipped = {side: np.clip(track, 0.0, 1.0) for side, track in au45.items()}
    return EyeClosure(clipped, np.clip(au43, 0.0, 1.0), tuple(blinks), tuple(closed))


def interpolate_over(track: np.ndarray, spans: tuple[tuple[int, int], ...], margin: int = 1) -> np.ndarray:
    """``track`` with each span (widened by ``margin`` frames) replaced by a line between its ends."""
    out = track.copy()
    n = len(out)
    for start, stop in spans:
        lo, hi = max(0, start - margin), min(n, stop + margin)
        left = out[lo - 1] if lo > 0 and np.isfinite(out[lo - 1]) else None
        right = out[hi] if hi < n and np.isfinite(out[hi]) else None
        a = left if left is not None else (right if right is not None else 0.0)
        b = right if right is not None else a
        out[lo:hi] = np.linspace(a, b, hi - lo + 2)[1:-1]
    return out
