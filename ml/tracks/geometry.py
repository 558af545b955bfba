"""Landmark geometry for occluding or shape-changing actions: eyelids, lip red, mouth width, jaw.

Measured on landmarks put back into the neutral face's coordinates (head motion removed, see
:mod:`ml.tracks.rigid`), as lengths in the neutral face's pixels.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EYE_PAIRS",
    "LEFT_EYE_CORNERS",
    "LIP_RED_PAIRS",
    "RIGHT_EYE_CORNERS",
    "FaceAxes",
    "MouthShape",
    "eye_openings",
    "inter_ocular",
]

#: The corners of each eye (the subject's right, left); an eye's centre is their midpoint.
RIGHT_EYE_CORNERS = (33, 133)
LEFT_EYE_CORNERS = (263, 362)

#: Upper/lower eyelid landmark pairs across each eye's opening (the subject's right, left).
EYE_PAIRS: dict[str, tuple[tuple[int, int], ...]] = {
    "R": ((159, 145), (158, 153), (160, 144)),
    "L": ((386, 374), (385, 380), (387, 373)),
}
#: Landmark pairs across the lip red, upper point first: the upper lip's outer and inner contours, then the
#: lower lip's inner and outer, left of, at and right of the midline.
LIP_RED_PAIRS: tuple[tuple[int, int], ...] = ((37, 82), (0, 13), (267, 312), (87, 84), (14, 17), (317, 314))
_MOUTH_RIGHT, _MOUTH_LEFT, _CHIN = 61, 291, 152
#: The lower lip's outer contour at and beside the midline (its lower edge, away from the opening).
_LOWER_LIP_EDGE = (17, 84, 314)


def eye_openings(points: np.ndarray) -> dict[str, np.ndarray]:
    """``(N,)`` mean lid-to-lid distance of each eye (``"R"``, ``"L"``) from ``(N, 478, 2)`` points."""
    return {
        side: np.mean([np.linalg.norm(points[:, a] - points[:, b], axis=1) for a, b in pairs], axis=0)
        for side, pairs in EYE_PAIRS.items()
    }


class MouthShape:
    """Mouth measurements of ``(N, 478, 2)`` points along the face's ``up`` direction (unit, 2-vector).

    ``lip_red``: mean lip thickness; ``width``: corner to corner; ``chin_drop`` and ``lower_lip_drop``:
    how far the chin and the lower lip's lower edge sit below the eyes' corners (which sit at about the
    chin's depth, so a turn moves them alike).
    """

    def __init__(self, points: np.ndarray, up: np.ndarray) -> None:
        def height(a: int, b: int) -> np.ndarray:
            return (points[:, a] - points[:, b]) @ up

        self.lip_red = np.mean([height(a, b) for a, b in LIP_RED_PAIRS], axis=0)
        self.width = np.linalg.norm(points[:, _MOUTH_LEFT] - points[:, _MOUTH_RIGHT], axis=1)
        eyes = points[:, [*RIGHT_EYE_CORNERS, *LEFT_EYE_CORNERS]].mean(axis=1)
        self.chin_drop = (eyes - points[:, _CHIN]) @ up
        self.lower_lip_drop = (eyes - points[:, list(_LOWER_LIP_EDGE)].mean(axis=1)) @ up


def inter_ocular(points: np.ndarray) -> np.ndarray:
    """``(..., 2)`` vector from the subject's right eye centre to the left, of ``(..., 478, 2+)`` points."""
    right = points[..., list(RIGHT_EYE_CORNERS), :2].mean(axis=-2)
    left = points[..., list(LEFT_EYE_CORNERS), :2].mean(axis=-2)
    return left - right


class FaceAxes:
    """The neutral face's frame in crop pixels: ``across`` (subject's right to left), ``up``, IOD."""

    def __init__(self, points: np.ndarray) -> None:
        eyes = inter_ocular(points)
        self.iod = float(np.linalg.norm(eyes))
        self.across = eyes / max(self.iod, 1e-9)
        self.up = np.array([self.across[1], -self.across[0]])

    def local(self, displacement: np.ndarray, side: str) -> np.ndarray:
        """``(..., 2)`` pixel displacements -> (out, up) in IODs on the subject's side ``"L"`` or ``"R"``."""
        out = self.across if side == "L" else -self.across
        return np.stack([displacement @ out, displacement @ self.up], axis=-1) / self.iod
