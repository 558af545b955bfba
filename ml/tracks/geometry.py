"""Landmark geometry for occluding or shape-changing actions: eyelids, lip red, mouth width, jaw.

Measured on landmarks put back into the neutral face's coordinates (head motion removed, see
:mod:`ml.tracks.rigid`), as lengths in the neutral face's pixels.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EYE_PAIRS", "LIP_RED_PAIRS", "MouthShape", "eye_openings", "mouth_shape"]

#: Upper/lower eyelid landmark pairs across each eye's opening (the subject's right, left).
EYE_PAIRS: dict[str, tuple[tuple[int, int], ...]] = {
    "R": ((159, 145), (158, 153), (160, 144)),
    "L": ((386, 374), (385, 380), (387, 373)),
}
#: Outer/inner contour landmark pairs across the upper lip and the lower lip, left of, at and right of the
#: midline.
LIP_RED_PAIRS: tuple[tuple[int, int], ...] = ((37, 82), (0, 13), (267, 312), (87, 84), (14, 17), (317, 314))
_MOUTH_RIGHT, _MOUTH_LEFT, _NOSE_TIP, _CHIN = 61, 291, 1, 152


def eye_openings(points: np.ndarray) -> dict[str, np.ndarray]:
    """``(N,)`` mean lid-to-lid distance of each eye (``"R"``, ``"L"``) from ``(N, 478, 2)`` points."""
    return {
        side: np.mean([np.linalg.norm(points[:, a] - points[:, b], axis=1) for a, b in pairs], axis=0)
        for side, pairs in EYE_PAIRS.items()
    }


class MouthShape:
    """Mouth measurements of ``(N, 478, 2)`` points along the face's ``up`` direction (unit, 2-vector)."""

    def __init__(self, points: np.ndarray, up: np.ndarray) -> None:
        def height(a: int, b: int) -> np.ndarray:
            return (points[:, a] - points[:, b]) @ up

        self.lip_red = np.mean([height(a, b) for a, b in LIP_RED_PAIRS], axis=0)
        self.width = np.linalg.norm(points[:, _MOUTH_LEFT] - points[:, _MOUTH_RIGHT], axis=1)
        self.chin_drop = height(_NOSE_TIP, _CHIN)


def mouth_shape(points: np.ndarray, up: np.ndarray) -> MouthShape:
    return MouthShape(points, up)
