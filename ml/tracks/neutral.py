"""The subject's neutral face: the least expressive, stillest span of the clip, in the usual pose.

Each present frame gets an expressiveness score, the sum of:

- blendshape activity: how far the expression and eyelid blendshapes (gaze left out) are from their
  resting values, taken as each blendshape's :data:`REST_QUANTILE` quantile over the clip. Expressions
  mostly raise blendshapes, so a low quantile is the rest value even when an expression fills most of
  the clip (a held smile); and a face whose rest already reads as an expression to the model (a
  smiling portrait) is not mistaken for neutral when it saddens briefly and its smile blendshapes
  fall. The lids count: a span with a blink, or with the eyes held shut, is not the neutral face.
  Blendshapes barely see a small movement (a 2.5 mm brow raise stays within their frame noise), so:
- :data:`SHAPE_WEIGHT` times how far the face's shape is from the clip's typical shape (landmarks with
  head motion removed, against their median; inter-ocular distances): this sees small movements,
  since a face spends most of a take near neutral, and it is not misled by faces whose rest the
  blendshapes read as an expression (a closed mouth read as dimpled and pressed, whose reading falls
  when the face saddens, so that the sadness looks the least active);
- the landmark speed (inter-ocular distances per second): a face moving between expressions is not at
  rest;
- 0.02 per degree of head turn or nod away from the subject's usual pose (the clip's median yaw and
  pitch, so a camera off to one side does not make turning towards it look neutral);
- once the optical flow has been measured (:mod:`ml.tracks.measure` measures it from this span first),
  :data:`SKIN_SPEED_WEIGHT` times the skin's speed in it: the flow sees movements the landmarks barely
  register.

The span of at least :data:`NEUTRAL_MIN_S` seconds (all frames with a face) with the lowest mean score
is the neutral. The span is relative to the clip: a clip expressive throughout gets its least expressive
moment as the reference (mark the neutral span by hand in that case).
"""

from __future__ import annotations

import numpy as np

from curves.quiet import quietest_window
from ml.stages.landmarks import BLENDSHAPE_NAMES
from ml.tracks.geometry import inter_ocular
from ml.tracks.rigid import fit_head_motion, to_neutral_frame

__all__ = [
    "EXPRESSION_SHAPES",
    "NEUTRAL_MIN_S",
    "REST_QUANTILE",
    "SHAPE_WEIGHT",
    "SKIN_SPEED_WEIGHT",
    "atypical_shape",
    "flow_speed",
    "neutral_scores",
    "quietest_span",
    "settled_neutral",
]

#: Shortest neutral span, seconds.
NEUTRAL_MIN_S = 0.3
#: Quantile of each blendshape over the clip taken as its resting value.
REST_QUANTILE = 20.0
#: Score per inter-ocular distance of departure from the typical shape: a 0.02 IOD local movement
#: (what the landmarks register of a 2 mm brow raise) weighs as much as 0.3 of blendshape activity.
#: Set on the development clips (mean PCC 0.760 at 5, 0.772 at 10, 0.779 at 15 and 20; F1 0.89-0.90);
#: from 25 up, a smile or closed eyes held for two thirds of a clip become its neutral.
SHAPE_WEIGHT = 15.0
#: Score per degree of yaw or pitch.
_PER_DEGREE = 0.02
#: Score per inter-ocular distance per second of the skin's speed in the optical flow (:func:`flow_speed`),
#: where the flow has been measured: the landmarks barely register some expressions that the flow sees
#: (disgust on a face turned from the camera), and a span where the skin is moving is not at rest.
#: Set on the development clips (mean PCC 0.868 without it, 0.874 at 5, 0.878 at 10, 0.877 at 20, 0.864
#: at 40; spotting F1 0.90 -> 0.93 from 10 up).
SKIN_SPEED_WEIGHT = 10.0

#: The blendshapes the activity is taken over: all but gaze (and the model's own ``_neutral``).
EXPRESSION_SHAPES = [
    i for i, name in enumerate(BLENDSHAPE_NAMES) if name != "_neutral" and not name.startswith("eyeLook")
]


def neutral_scores(
    landmarks: np.ndarray, blendshapes: np.ndarray, pose: np.ndarray, present: np.ndarray, fps: float
) -> np.ndarray:
    """Per-frame expressiveness (blendshape activity + shape + speed + turn); NaN without a face."""
    scores = np.full(len(present), np.nan)
    idx = np.flatnonzero(present)
    iod = float(np.median(np.linalg.norm(inter_ocular(landmarks[idx]), axis=1)))
    speed = np.zeros(len(present))
    step = np.linalg.norm(np.diff(landmarks[:, :, :2], axis=0), axis=2).mean(axis=1) * fps / max(iod, 1e-6)
    speed[1:] = np.nan_to_num(step, nan=0.0)
    speed[0] = speed[1] if len(speed) > 1 else 0.0
    shapes = blendshapes[idx][:, EXPRESSION_SHAPES]
    activity = np.abs(shapes - np.percentile(shapes, REST_QUANTILE, axis=0)).sum(axis=1)
    # the subject's usual pose, not the camera's axis: with a camera off to one side or below, turning
    # towards it is no more neutral than looking where the subject mostly looks
    usual = np.median(pose[idx, :2], axis=0)
    turn = np.abs(pose[idx, 0] - usual[0]) + np.abs(pose[idx, 1] - usual[1])
    shape = SHAPE_WEIGHT * atypical_shape(landmarks, present)[idx]
    scores[idx] = activity + shape + speed[idx] + _PER_DEGREE * turn
    return scores


def atypical_shape(landmarks: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Per-frame distance of the face's shape from the clip's median shape, in inter-ocular distances.

    Head motion is removed first; the distance is the 97th percentile over the landmarks, so a local
    movement (a brow, a lip corner: a few percent of the points) counts as much as a broad one. NaN
    without a face.
    """
    idx = np.flatnonzero(present)
    typical = np.median(landmarks[idx], axis=0)
    shapes = to_neutral_frame(fit_head_motion(typical, landmarks[idx]), landmarks[idx, :, :2], typical[:, 2])
    out = np.full(len(present), np.nan)
    deviation = np.linalg.norm(shapes - typical[None, :, :2], axis=2)
    out[idx] = np.percentile(deviation, 97, axis=1) / max(float(np.linalg.norm(inter_ocular(typical))), 1e-6)
    return out


def quietest_span(scores: np.ndarray, present: np.ndarray, fps: float) -> tuple[int, int]:
    """(start, stop) of the face-present span of at least :data:`NEUTRAL_MIN_S` with the lowest mean score.

    Shorter only when no run of frames with a face is that long.
    """
    return quietest_window(scores, max(3, round(NEUTRAL_MIN_S * fps)), present)


def flow_speed(displacement: np.ndarray, iod: float, fps: float) -> np.ndarray:
    """``(N,)`` the skin's mean speed over the regions, inter-ocular distances per second.

    ``displacement``: ``(N, R, 2)`` pixels, each frame's regions from one reference face; the speed is
    frame to frame, so it does not depend on which reference. Frames without a reading count as still.
    """
    out = np.zeros(len(displacement))
    if len(displacement) > 1:
        moves = np.linalg.norm(np.diff(displacement, axis=0), axis=2)  # (N - 1, R)
        seen = np.isfinite(moves)
        step = np.where(seen, moves, 0.0).sum(axis=1) / np.maximum(seen.sum(axis=1), 1)
        out[1:] = step * fps / max(iod, 1e-6)
        out[0] = out[1]
    return out


def settled_neutral(
    scores: np.ndarray, skin_speed: np.ndarray, present: np.ndarray, fps: float
) -> tuple[int, int]:
    """(start, stop) of the neutral span once the flow is known: :func:`neutral_scores`' ``scores`` plus
    :data:`SKIN_SPEED_WEIGHT` times ``skin_speed`` (:func:`flow_speed`)."""
    return quietest_span(scores + SKIN_SPEED_WEIGHT * skin_speed, present, fps)
