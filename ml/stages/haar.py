"""The fallback face finder: OpenCV's Haar cascades (frontal face, then the eyes inside it).

Used when the dense-landmark runtime is not installed, or when asked for (``--detector haar``). It finds
frontal, upright faces only and gives no landmarks, head pose or blendshapes; a detection must be
confirmed by a second cascade, which removes most false faces on texture and noise.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np

from ml.stages.stabilise import eye_transform

__all__ = ["acquire", "detect_faces", "eye_centres"]

# Eye centres inside a Haar frontal-face box (fractions of its width/height) when eye detection fails.
_BOX_EYE_LEFT = (0.32, 0.385)
_BOX_EYE_RIGHT = (0.675, 0.385)
_DETECT_LONG_SIDE = 320  # detection runs on frames downscaled to this long side


class _Cascades:
    """The Haar cascades, loaded once per process."""

    _cache: ClassVar[dict[str, Any]] = {}

    @classmethod
    def get(cls, name: str) -> Any:

        if name not in cls._cache:
            path = Path(cv2.data.haarcascades) / name  # type: ignore[attr-defined]
            cascade = cv2.CascadeClassifier(str(path))
            if cascade.empty():
                raise RuntimeError(f"OpenCV Haar cascade {path} is missing; install opencv-python-headless<5")
            cls._cache[name] = cascade
        return cls._cache[name]


def detect_faces(gray: np.ndarray, *, confirm: bool = True) -> list[tuple[float, float, float, float]]:
    """Frontal faces in a grey frame, largest first.

    Args:
        gray: ``(H, W)`` uint8.
        confirm: keep only faces that a second cascade (``frontalface_alt2``) also finds.

    Returns:
        Boxes ``(x, y, w, h)`` in pixels of ``gray``.
    """

    height, width = gray.shape[:2]
    scale = min(1.0, _DETECT_LONG_SIDE / max(height, width))
    small = (
        cv2.resize(gray, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        if scale < 1.0
        else gray
    )
    small = cv2.equalizeHist(small)
    min_side = max(24, int(0.12 * min(small.shape[:2])))
    primary = _Cascades.get("haarcascade_frontalface_default.xml")
    found = primary.detectMultiScale(
        small,
        scaleFactor=1.1,
        minNeighbors=4,
        minSize=(min_side, min_side),
    )
    boxes: list[tuple[float, float, float, float]] = []
    for x, y, w, h in found if len(found) else []:
        if confirm:
            pad = int(0.25 * w)
            x0, y0 = max(0, x - pad), max(0, y - pad)
            roi = small[y0 : y + h + pad, x0 : x + w + pad]
            second = _Cascades.get("haarcascade_frontalface_alt2.xml")
            again = second.detectMultiScale(
                roi,
                scaleFactor=1.1,
                minNeighbors=2,
                minSize=(int(0.6 * w), int(0.6 * w)),
            )
            if len(again) == 0:
                continue
        boxes.append((x / scale, y / scale, w / scale, h / scale))
    boxes.sort(key=lambda b: -b[2] * b[3])
    return boxes


def eye_centres(
    gray: np.ndarray, box: tuple[float, float, float, float]
) -> tuple[tuple[float, float], tuple[float, float], bool]:
    """Eye centres (image-left, image-right) in a face box, and whether they were detected.

    Falls back to the eyes' usual place in a Haar face box when the eye cascade does not find a
    plausible pair (two eyes in the upper half, one each side, level within 20 degrees).
    """

    x, y, w, h = box
    fallback = (
        (x + _BOX_EYE_LEFT[0] * w, y + _BOX_EYE_LEFT[1] * h),
        (x + _BOX_EYE_RIGHT[0] * w, y + _BOX_EYE_RIGHT[1] * h),
    )
    x0, y0 = max(0, int(x)), max(0, int(y + 0.15 * h))
    roi = gray[y0 : int(y + 0.6 * h), x0 : int(x + w)]
    if roi.size == 0:
        return fallback[0], fallback[1], False
    scale = min(1.0, 160.0 / max(1, roi.shape[1]))
    if scale < 1.0:
        roi = cv2.resize(
            roi, (round(roi.shape[1] * scale), round(roi.shape[0] * scale)), interpolation=cv2.INTER_AREA
        )
    eyes = _Cascades.get("haarcascade_eye.xml").detectMultiScale(
        roi,
        scaleFactor=1.1,
        minNeighbors=3,
        minSize=(int(0.12 * w * scale), int(0.12 * w * scale)),
        maxSize=(int(0.4 * w * scale), int(0.4 * w * scale)),
    )
    centres = [((ex + ew / 2) / scale + x0, (ey + eh / 2) / scale + y0) for ex, ey, ew, eh in eyes]
    mid = x + w / 2
    left = [c for c in centres if c[0] < mid]
    right = [c for c in centres if c[0] >= mid]
    if not left or not right:
        return fallback[0], fallback[1], False
    # the pair closest to the expected places
    el = min(left, key=lambda c: math.dist(c, fallback[0]))
    er = min(right, key=lambda c: math.dist(c, fallback[1]))
    dx, dy = er[0] - el[0], er[1] - el[1]
    if not 0.25 * w <= dx <= 0.75 * w or abs(math.degrees(math.atan2(dy, dx))) > 20:
        return fallback[0], fallback[1], False
    return el, er, True


def acquire(gray: np.ndarray, size: int) -> tuple[np.ndarray, bool] | None:
    """Frame -> crop similarity from the largest confirmed face's eyes, and whether the eyes were seen."""
    faces = detect_faces(gray)
    if not faces:
        return None
    left, right, found = eye_centres(gray, faces[0])
    return eye_transform(left, right, size), found
