"""Spans of frames: the runs of a per-frame flag, and the quietest window of a per-frame score (one rule
for the neutral span of a capture, in ``curves``, and of a measured face, ``ml.tracks.neutral``)."""

from __future__ import annotations

import numpy as np

__all__ = ["quietest_window", "true_runs"]


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` runs of True in a boolean array, in order."""
    edges = np.diff(np.concatenate([[0], np.asarray(mask).astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def quietest_window(scores: np.ndarray, length: int, valid: np.ndarray | None = None) -> tuple[int, int]:
    """``(start, stop)`` of the ``length``-frame window with the lowest summed score (the earliest on a tie).

    Only windows made entirely of ``valid`` frames count (all frames when None). ``length`` is cut to the
    longest run of valid frames when no run is that long.

    Raises:
        ValueError: no valid frame, or ``length`` below 1.
    """
    scores = np.asarray(scores, dtype=np.float64)
    mask = np.ones(len(scores), bool) if valid is None else np.asarray(valid, bool)
    if length < 1:
        raise ValueError(f"A quiet window needs at least one frame, got length {length}")
    runs = true_runs(mask)
    if not runs:
        raise ValueError("No valid frame to find a quiet window in")
    length = min(length, max(stop - start for start, stop in runs))
    best: tuple[float, int] = (np.inf, runs[0][0])
    for start, stop in runs:
        if stop - start < length:
            continue
        sums = np.convolve(scores[start:stop], np.ones(length), mode="valid")
        at = int(np.argmin(sums))
        if sums[at] < best[0]:
            best = (float(sums[at]), start + at)
    return best[1], best[1] + length
