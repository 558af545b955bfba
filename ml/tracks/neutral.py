"""The subject's neutral face: the least expressive, stillest, most frontal span of the clip.

Every present frame is ranked on four things: blendshape activity (the expression blendshapes, gaze and
blinks left out), how far its face shape is from the clip's typical shape (landmarks with head motion
removed, against their median over the clip: a face spends most of a take near neutral, and this sees
expressions too small for the blendshapes), landmark motion since the previous frame, and how far the
head is turned from frontal. The ranks are averaged, and the span of at least :data:`NEUTRAL_MIN_S`
seconds (all frames with a face) with the lowest mean rank is the neutral. Ranks make the four
comparable on any clip and any frame rate; the span is relative to the clip, so a clip that is
expressive throughout gets its least expressive moment as the reference (mark the neutral span by hand
in that case).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from ml.stages.landmarks import BLENDSHAPE_NAMES
from ml.tracks.rigid import fit_head_motion, to_neutral_frame

__all__ = ["EXPRESSION_SHAPES", "NEUTRAL_MIN_S", "find_neutral", "neutral_scores", "quietest_span"]

#: Shortest neutral span, seconds.
NEUTRAL_MIN_S = 0.3

EXPRESSION_SHAPES = [
    i
    for i, name in enumerate(BLENDSHAPE_NAMES)
    if name != "_neutral" and not name.startswith(("eyeLook", "eyeBlink"))
]


def neutral_scores(
    landmarks: np.ndarray, blendshapes: np.ndarray, pose: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """Per-frame expressiveness in [0, 1] (mean rank of activity, atypical shape, motion and turn).

    NaN without a face.
    """
    idx = np.flatnonzero(present)
    activity = blendshapes[idx][:, EXPRESSION_SHAPES].sum(axis=1)
    typical = np.median(landmarks[idx], axis=0)
    shapes = to_neutral_frame(fit_head_motion(typical, landmarks[idx]), landmarks[idx, :, :2], typical[:, 2])
    atypical = np.linalg.norm(shapes - typical[None, :, :2], axis=2).mean(axis=1)
    xy = landmarks[:, :, :2]
    step = np.zeros(len(present))
    step[1:] = np.linalg.norm(np.diff(xy, axis=0), axis=2).mean(axis=1)
    step[0] = step[1] if len(step) > 1 else 0.0
    motion = np.nan_to_num(step[idx], nan=np.inf)
    turn = np.abs(pose[idx, 0]) + np.abs(pose[idx, 1])
    ranks = [rankdata(term) / len(idx) for term in (activity, atypical, motion, turn)]
    scores = np.full(len(present), np.nan)
    scores[idx] = np.mean(ranks, axis=0)
    return scores


def quietest_span(scores: np.ndarray, present: np.ndarray, fps: float) -> tuple[int, int]:
    """(start, stop) of the face-present span of at least :data:`NEUTRAL_MIN_S` with the lowest mean score.

    Shorter only when no run of frames with a face is that long.
    """
    runs: list[tuple[int, int]] = []
    start = None
    for t, here in enumerate([*present.tolist(), False]):
        if here and start is None:
            start = t
        elif not here and start is not None:
            runs.append((start, t))
            start = None
    length = min(max(3, round(NEUTRAL_MIN_S * fps)), max(stop - begin for begin, stop in runs))
    best: tuple[float, int] = (np.inf, runs[0][0])
    for begin, stop in runs:
        if stop - begin < length:
            continue
        sums = np.convolve(scores[begin:stop], np.ones(length), mode="valid")
        at = int(np.argmin(sums))
        if sums[at] < best[0]:
            best = (float(sums[at]), begin + at)
    return best[1], best[1] + length


def find_neutral(
    landmarks: np.ndarray, blendshapes: np.ndarray, pose: np.ndarray, present: np.ndarray, fps: float
) -> tuple[int, int]:
    """(start, stop) of the neutral span (stop exclusive)."""
    return quietest_span(neutral_scores(landmarks, blendshapes, pose, present), present, fps)
