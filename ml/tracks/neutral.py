"""The subject's neutral face: the least expressive, stillest, most frontal span of the clip.

Each present frame gets an expressiveness score: the sum of the expression blendshapes (gaze and blinks
left out), plus its landmark speed (inter-ocular distances per second: a face moving between
expressions is not at rest), plus 0.02 per degree of head turn or nod away from frontal. The span of
at least :data:`NEUTRAL_MIN_S` seconds (all frames with a face) with the lowest mean score is the
neutral. The blendshapes under-drive small expressions frame by frame, but averaged over a span their
rise is still clear (a 1.3 mm lip-corner pull adds about 0.25 to the sum, against 0.1 frame noise),
and they know a neutral face from a held smile, which the majority of frames may be. The span is
relative to the clip: a clip expressive throughout gets its least expressive moment as the reference
(mark the neutral span by hand in that case).
"""

from __future__ import annotations

import numpy as np

from ml.stages.landmarks import BLENDSHAPE_NAMES

__all__ = ["EXPRESSION_SHAPES", "NEUTRAL_MIN_S", "find_neutral", "neutral_scores", "quietest_span"]

#: Shortest neutral span, seconds.
NEUTRAL_MIN_S = 0.3
#: Score per degree of yaw or pitch.
_PER_DEGREE = 0.02

EXPRESSION_SHAPES = [
    i
    for i, name in enumerate(BLENDSHAPE_NAMES)
    if name != "_neutral" and not name.startswith(("eyeLook", "eyeBlink"))
]
_RIGHT_EYE, _LEFT_EYE = (33, 133), (263, 362)


def neutral_scores(
    landmarks: np.ndarray, blendshapes: np.ndarray, pose: np.ndarray, present: np.ndarray, fps: float
) -> np.ndarray:
    """Per-frame expressiveness (blendshape activity + speed + turn); NaN without a face."""
    scores = np.full(len(present), np.nan)
    idx = np.flatnonzero(present)
    eyes = landmarks[idx][:, list(_LEFT_EYE), :2].mean(axis=1) - landmarks[idx][:, list(_RIGHT_EYE), :2].mean(
        axis=1
    )
    iod = float(np.median(np.linalg.norm(eyes, axis=1)))
    speed = np.zeros(len(present))
    step = np.linalg.norm(np.diff(landmarks[:, :, :2], axis=0), axis=2).mean(axis=1) * fps / max(iod, 1e-6)
    speed[1:] = np.nan_to_num(step, nan=0.0)
    speed[0] = speed[1] if len(speed) > 1 else 0.0
    activity = blendshapes[idx][:, EXPRESSION_SHAPES].sum(axis=1)
    turn = np.abs(pose[idx, 0]) + np.abs(pose[idx, 1])
    scores[idx] = activity + speed[idx] + _PER_DEGREE * turn
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
    return quietest_span(neutral_scores(landmarks, blendshapes, pose, present, fps), present, fps)
