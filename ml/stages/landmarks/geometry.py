"""Rotated square regions of a frame, the crops they define, and mapping points back to the frame.

Coordinates are source pixels with pixel centres on integers (OpenCV's convention): pixel ``(col, row)``
covers ``[col - 0.5, col + 0.5]``. Angles are radians, positive clockwise on screen (image y points down).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class FaceRoi:
    """A rotated square in a frame: centre ``(x, y)`` px, side ``size`` px, rotation ``angle`` rad."""

    center: tuple[float, float]
    size: float
    angle: float

    def crop_to_frame(self, crop_size: int) -> np.ndarray:
        """2x3 affine taking corner-based crop coordinates (``0..crop_size``) to frame pixels."""
        k = self.size / crop_size
        c, s = math.cos(self.angle), math.sin(self.angle)
        linear = k * np.array([[c, -s], [s, c]])
        offset = np.asarray(self.center) - linear @ np.array([crop_size / 2.0, crop_size / 2.0])
        return np.hstack([linear, offset[:, None]])


def roi_around(points: np.ndarray, eye_a: np.ndarray, eye_b: np.ndarray, scale: float) -> FaceRoi:
    """The square that frames ``points`` (N, 2) upright along the ``eye_a -> eye_b`` line, ``scale`` x larger.

    The centre is the centre of the points' axis-aligned box; the side is the longer side of that box
    times ``scale``; the rotation turns the eye line horizontal.
    """
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = (lo + hi) / 2.0
    angle = math.atan2(float(eye_b[1] - eye_a[1]), float(eye_b[0] - eye_a[0]))
    return FaceRoi(
        center=(float(centre[0]), float(centre[1])), size=float((hi - lo).max() * scale), angle=angle
    )


def crop(rgb: np.ndarray, roi: FaceRoi, crop_size: int) -> np.ndarray:
    """Sample the rotated square ``roi`` of ``rgb`` into a ``crop_size`` px square (edges replicated)."""
    to_frame = roi.crop_to_frame(crop_size)
    # Pixel-centre form of the same map: frame_px = A @ (crop_px + 0.5) + b - 0.5.
    matrix = to_frame.copy()
    matrix[:, 2] += to_frame[:, :2] @ np.array([0.5, 0.5]) - 0.5
    return cv2.warpAffine(
        rgb,
        matrix,
        (crop_size, crop_size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def crop_points_to_frame(points: np.ndarray, roi: FaceRoi, crop_size: int) -> np.ndarray:
    """Map (N, 3) corner-based crop points (x, y, depth in crop px) to frame pixels; depth is scaled too."""
    to_frame = roi.crop_to_frame(crop_size)
    xy = points[:, :2] @ to_frame[:, :2].T + to_frame[:, 2] - 0.5
    z = points[:, 2:3] * (roi.size / crop_size)
    return np.hstack([xy, z]).astype(np.float32)
