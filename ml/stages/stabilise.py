"""Stabilisation: the crop follows the head, not the expression.

Corner features of a reference frame, chosen off the face's expressive regions when landmarks say where
those are, are tracked into every later frame with pyramidal Lucas-Kanade and a similarity is fitted
with RANSAC. Expression motion is local and small, so what is left of it falls out as outliers. Every
frame is fitted to the reference directly (no drift accumulates). This is about ten times steadier than
aligning each frame on its own landmarks, and leaks less expression into the crop's motion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "MIN_INLIERS",
    "Reference",
    "as3",
    "crop_box",
    "eye_transform",
    "is_cut",
    "make_reference",
    "thumbnail",
    "to_gray",
    "track",
    "warp_crop",
]

#: Fewest RANSAC inliers for a fitted similarity to count.
MIN_INLIERS = 12
#: Where the eye centres land in the crop, as fractions of its size (image left eye, image right eye).
EYE_LEFT: tuple[float, float] = (0.32, 0.38)
EYE_RIGHT: tuple[float, float] = (0.68, 0.38)


def to_gray(frame: np.ndarray) -> np.ndarray:

    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame


def eye_transform(left: tuple[float, float], right: tuple[float, float], size: int) -> np.ndarray:
    """Similarity (2, 3) mapping the two eye centres onto the crop's eye points."""
    src = np.array([left, right], np.float64)
    dst = np.array([EYE_LEFT, EYE_RIGHT], np.float64) * size
    sv, dv = src[1] - src[0], dst[1] - dst[0]
    scale = np.hypot(*dv) / max(1e-6, np.hypot(*sv))
    angle = math.atan2(dv[1], dv[0]) - math.atan2(sv[1], sv[0])
    c, s = scale * math.cos(angle), scale * math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    t = dst[0] - rot @ src[0]
    return np.hstack([rot, t[:, None]])


def as3(m: np.ndarray) -> np.ndarray:
    return np.vstack([m, [0.0, 0.0, 1.0]])


def crop_box(transform: np.ndarray, size: int) -> tuple[float, float, float, float]:
    inv = np.linalg.inv(as3(transform))
    corners = np.array([[0, 0, 1], [size, 0, 1], [size, size, 1], [0, size, 1]], np.float64).T
    pts = (inv @ corners)[:2]
    x0, y0 = pts.min(axis=1)
    x1, y1 = pts.max(axis=1)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def warp_crop(frame: np.ndarray, transform: np.ndarray, size: int) -> np.ndarray:
    """Crop with ``transform`` (frame -> crop); downscale through pyrDown first to avoid aliasing."""

    m = transform.astype(np.float64)
    scale = math.sqrt(abs(np.linalg.det(m[:, :2])))
    levels = 0
    while scale * (2**levels) < 0.5 and levels < 5:
        levels += 1
    if levels == 0:
        return cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    x, y, w, h = crop_box(m, size)
    height, width = frame.shape[:2]
    pad = 2 ** (levels + 1)
    x0, y0 = max(0, int(x) - pad), max(0, int(y) - pad)
    x1, y1 = min(width, int(x + w) + pad + 1), min(height, int(y + h) + pad + 1)
    if x1 - x0 < 2**levels or y1 - y0 < 2**levels:
        return cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    roi = frame[y0:y1, x0:x1]
    for _ in range(levels):
        roi = cv2.pyrDown(roi)
    f = 2.0**levels
    # crop = M @ frame_pt, frame_pt = (roi_pt + 0.5) * f - 0.5 + origin (pyrDown pixel centres)
    shift = np.array([[f, 0, x0 + 0.5 * f - 0.5], [0, f, y0 + 0.5 * f - 0.5], [0, 0, 1]])
    m2 = (as3(m) @ shift)[:2]
    return cv2.warpAffine(roi, m2, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclass
class Reference:
    index: int
    gray: np.ndarray
    points: np.ndarray  # (P, 1, 2) float32
    transform: np.ndarray  # (2, 3) frame -> crop on the reference frame


def _features(gray: np.ndarray, transform: np.ndarray, size: int, allowed: np.ndarray | None) -> np.ndarray:
    """Corner features inside the face (the crop square mapped back into the frame), and inside
    ``allowed`` ((H, W) bool, the rigid part of the face) when given."""
    inv = np.linalg.inv(as3(transform))
    # face region: crop square shrunk a little (keeps background and hair edges out)
    corners = np.array([[0.12, 0.12, 1], [0.88, 0.12, 1], [0.88, 0.98, 1], [0.12, 0.98, 1]]).T * np.array(
        [[size], [size], [1]]
    )
    poly = (inv @ corners)[:2].T.astype(np.int32)
    mask = np.zeros(gray.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, poly, 255)
    if allowed is not None:
        mask[~allowed] = 0
    face_side = size / math.sqrt(abs(np.linalg.det(transform[:, :2])))
    pts = None
    for quality in (0.001, 0.0002):  # eyes dominate the corner response; skin corners are far weaker
        pts = cv2.goodFeaturesToTrack(
            gray,
            maxCorners=150,
            qualityLevel=quality,
            minDistance=max(3.0, face_side / 25),
            mask=mask,
            blockSize=5,
        )
        if pts is not None and len(pts) >= 4 * MIN_INLIERS:
            break
    return np.zeros((0, 1, 2), np.float32) if pts is None else pts.astype(np.float32)


def make_reference(
    index: int, gray: np.ndarray, transform: np.ndarray, size: int, mask: np.ndarray | None = None
) -> Reference:
    """A stabilisation reference on frame ``index``: its features (inside ``mask`` when given)."""
    points = _features(gray, transform, size, mask) if mask is not None else np.zeros((0, 1, 2), np.float32)
    if len(points) < 4 * MIN_INLIERS:  # too few rigid corners: use the whole face square
        points = _features(gray, transform, size, None)
    return Reference(index=index, gray=gray, points=points, transform=transform)


def track(
    ref: Reference, gray: np.ndarray, guess: np.ndarray | None, face_side: float
) -> tuple[np.ndarray | None, int]:
    """Similarity (2, 3) from the reference frame to ``gray`` and its inlier count (None if lost)."""

    if len(ref.points) < MIN_INLIERS:
        return None, 0
    init = ref.points.copy()
    flags = 0
    if guess is not None:
        init = cv2.transform(ref.points, guess).astype(np.float32)
        flags = cv2.OPTFLOW_USE_INITIAL_FLOW
    win = int(np.clip(face_side / 12, 11, 31)) | 1
    nxt, status, _err = cv2.calcOpticalFlowPyrLK(
        ref.gray,
        gray,
        ref.points,
        init.copy(),
        winSize=(win, win),
        maxLevel=3,
        flags=flags,
        criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03),
    )
    ok = status.reshape(-1).astype(bool)
    if ok.sum() < MIN_INLIERS:
        return None, int(ok.sum())
    src, dst = ref.points[ok], nxt[ok]
    thresh = max(0.8, 0.006 * face_side)
    model, inliers = cv2.estimateAffinePartial2D(
        src,
        dst,
        method=cv2.RANSAC,
        ransacReprojThreshold=thresh,
        maxIters=500,
        confidence=0.99,
        refineIters=10,
    )
    if model is None or inliers is None:
        return None, 0
    count = int(inliers.sum())
    if count < MIN_INLIERS:
        return None, count
    return model.astype(np.float64), count


def thumbnail(gray: np.ndarray) -> np.ndarray:
    """A 32 x 18 float32 thumbnail of a grey frame, for shot-change detection."""
    return cv2.resize(gray, (32, 18), interpolation=cv2.INTER_AREA).astype(np.float32)


def is_cut(previous: np.ndarray, current: np.ndarray, *, threshold: float = 28.0) -> bool:
    """Whether two consecutive thumbnails are different shots.

    A cut changes most of the picture at once; the mean absolute difference of the thumbnails after
    removing the global brightness change (a light switched on is not a cut) exceeds ``threshold``
    grey levels. Head motion and expressions change a small part of a 32 x 18 thumbnail.
    """
    a = previous - previous.mean()
    b = current - current.mean()
    return float(np.abs(a - b).mean()) > threshold
