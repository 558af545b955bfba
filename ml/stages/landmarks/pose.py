"""Head pose (yaw, pitch, roll in degrees) from the landmarks' own x, y and relative depth z.

The face frame is built from rigid points only (eye corners, forehead, subnasale), so expressions barely
move it. Camera axes: x right, y down (image), z away from the camera.

Sign convention (the subject's left/right):
- yaw > 0: the subject turns to their left (the nose moves towards the image's right edge);
- pitch > 0: the subject looks up (the chin rises);
- roll > 0: the head tilts towards the subject's left shoulder (the face turns clockwise on screen).
A frontal, upright face is close to (0, 0, 0); a mirrored image flips the signs of yaw and roll.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ml.stages.landmarks.mesh import (
    FOREHEAD,
    LEFT_EYE_INNER,
    LEFT_EYE_OUTER,
    RIGHT_EYE_INNER,
    RIGHT_EYE_OUTER,
    SUBNASALE,
)


@dataclass(frozen=True)
class HeadPose:
    """Head rotation in degrees; see the module docstring for the signs."""

    yaw: float
    pitch: float
    roll: float


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def head_pose(points: np.ndarray) -> HeadPose:
    """Yaw, pitch and roll of the face whose (478, 3) landmarks are ``points`` (x, y, z in pixels)."""
    p = points.astype(np.float64)
    right_eye = (p[RIGHT_EYE_OUTER] + p[RIGHT_EYE_INNER]) / 2.0
    left_eye = (p[LEFT_EYE_OUTER] + p[LEFT_EYE_INNER]) / 2.0
    across = _unit(left_eye - right_eye)  # towards the subject's left
    up = p[FOREHEAD] - p[SUBNASALE]
    up = _unit(up - across * float(up @ across))
    facing = np.cross(across, up)  # out of the face, towards the camera for a frontal face
    yaw = math.degrees(math.atan2(facing[0], -facing[2]))
    pitch = math.degrees(math.asin(float(np.clip(-facing[1], -1.0, 1.0))))
    roll = math.degrees(math.atan2(across[1], across[0]))
    return HeadPose(yaw=yaw, pitch=pitch, roll=roll)
