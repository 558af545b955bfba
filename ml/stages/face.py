"""Faces: detect, align on the eyes, stabilise across frames, crop to ``size x size`` RGB.

Pipeline (all OpenCV, nothing downloaded):

1. **Detect sparsely.** Haar frontal-face detection (``cv2.data.haarcascades``) runs on a downscaled
   grey frame at checkpoints every ~0.25 s (every frame only while the face is lost). A detection must be
   confirmed by a second cascade (``frontalface_alt2``) on the same region, which removes the false
   positives that texture and noise produce.
2. **Align on the eyes.** On the reference frame, Haar eye detection inside the upper face box gives
   the two eye centres (falling back to their usual place in the box when the eyes are not found); a
   similarity transform puts them at fixed points of the crop, removing roll and scale.
3. **Stabilise.** Corner features of the reference face are tracked into every frame with pyramidal
   Lucas-Kanade (initialised from the previous frame's motion) and a similarity is fitted with RANSAC.
   Expression motion is local and a few pixels, so it falls out as outliers: the crop follows the head,
   not the expression. Every frame is fitted to the reference directly (no drift accumulates); when too
   few features survive the reference is renewed from the current frame, keeping the same alignment.
4. **Crop** with one affine warp per frame (from a pyramid level near the crop scale, so downscaling
   does not alias).

Frames where the face is lost are reported in :attr:`FaceTrack.detected` (their crop reuses the nearest
good frame's transform). A clip with no face anywhere raises :class:`ml.errors.NoFaceError`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np
from tqdm import tqdm

from ml.errors import NoFaceError
from ml.stages.video import Clip

__all__ = [
    "ALIGNMENT_VERSION",
    "EYE_LEFT",
    "EYE_RIGHT",
    "FaceTrack",
    "align_clip",
    "detect_faces",
    "eye_centres",
]

log = logging.getLogger(__name__)

#: Changes whenever the crops :func:`align_clip` returns for the same clip change (detection, alignment,
#: stabilisation, warping). Caches of aligned crops (``ml.train.data``) are keyed on it, so crops made by
#: an older version are never reused.
ALIGNMENT_VERSION = "2"

#: Where the eye centres land in the crop, as fractions of its size (image left eye, image right eye).
EYE_LEFT: tuple[float, float] = (0.32, 0.38)
EYE_RIGHT: tuple[float, float] = (0.68, 0.38)
# Eye centres inside a Haar frontal-face box (fractions of its width/height) when eye detection fails.
_BOX_EYE_LEFT = (0.32, 0.385)
_BOX_EYE_RIGHT = (0.675, 0.385)
_DETECT_LONG_SIDE = 320  # detection runs on frames downscaled to this long side
_MIN_INLIERS = 12


@dataclass(frozen=True)
class FaceTrack:
    """Aligned, stabilised face crops of a clip.

    Attributes:
        crops: ``(N, S, S, 3)`` uint8 RGB.
        detected: ``(N,)`` bool, whether the face was found (detected or tracked) on that frame.
        source: the clip's file or folder.
        transforms: ``(N, 2, 3)`` float64 affine maps from frame pixels to crop pixels.
        boxes: ``(N, 4)`` float64 face box ``(x, y, w, h)`` in frame pixels (the crop square mapped back).
        eyes_detected: whether the eye cascade found both eyes on the reference frame (else the eyes
            were placed from the face box).
        fps: the clip's frame rate.
        frame_numbers: ``(N,)`` the clip's frame numbers.
    """

    crops: np.ndarray
    detected: np.ndarray
    source: Path
    transforms: np.ndarray
    boxes: np.ndarray
    eyes_detected: bool
    fps: float
    frame_numbers: np.ndarray

    @property
    def missing_frames(self) -> list[int]:
        """0-based indices of frames where no face was found."""
        return [int(i) for i in np.flatnonzero(~self.detected)]

    @property
    def size(self) -> int:
        """Crop side S in pixels."""
        return int(self.crops.shape[1])


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


def _to_gray(frame: np.ndarray) -> np.ndarray:

    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame


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


def _eye_transform(left: tuple[float, float], right: tuple[float, float], size: int) -> np.ndarray:
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


def _as3(m: np.ndarray) -> np.ndarray:
    return np.vstack([m, [0.0, 0.0, 1.0]])


def _crop_box(transform: np.ndarray, size: int) -> tuple[float, float, float, float]:
    inv = np.linalg.inv(_as3(transform))
    corners = np.array([[0, 0, 1], [size, 0, 1], [size, size, 1], [0, size, 1]], np.float64).T
    pts = (inv @ corners)[:2]
    x0, y0 = pts.min(axis=1)
    x1, y1 = pts.max(axis=1)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def _warp_crop(frame: np.ndarray, transform: np.ndarray, size: int) -> np.ndarray:
    """Crop with ``transform`` (frame -> crop); downscale through pyrDown first to avoid aliasing."""

    m = transform.astype(np.float64)
    scale = math.sqrt(abs(np.linalg.det(m[:, :2])))
    levels = 0
    while scale * (2**levels) < 0.5 and levels < 5:
        levels += 1
    if levels == 0:
        return cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    x, y, w, h = _crop_box(m, size)
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
    m2 = (_as3(m) @ shift)[:2]
    return cv2.warpAffine(roi, m2, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclass
class _Reference:
    index: int
    gray: np.ndarray
    points: np.ndarray  # (P, 1, 2) float32
    transform: np.ndarray  # (2, 3) frame -> crop on the reference frame


def _features(gray: np.ndarray, transform: np.ndarray, size: int) -> np.ndarray:
    """Corner features inside the face (the crop square mapped back into the frame)."""

    inv = np.linalg.inv(_as3(transform))
    # face region: crop square shrunk a little (keeps background and hair edges out)
    corners = np.array([[0.12, 0.12, 1], [0.88, 0.12, 1], [0.88, 0.98, 1], [0.12, 0.98, 1]]).T * np.array(
        [[size], [size], [1]]
    )
    poly = (inv @ corners)[:2].T.astype(np.int32)
    mask = np.zeros(gray.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, poly, 255)
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
        if pts is not None and len(pts) >= 4 * _MIN_INLIERS:
            break
    return np.zeros((0, 1, 2), np.float32) if pts is None else pts.astype(np.float32)


def _make_reference(index: int, gray: np.ndarray, transform: np.ndarray, size: int) -> _Reference:
    return _Reference(index=index, gray=gray, points=_features(gray, transform, size), transform=transform)


def _track(
    ref: _Reference, gray: np.ndarray, guess: np.ndarray | None, face_side: float
) -> tuple[np.ndarray | None, int]:
    """Similarity (2, 3) from the reference frame to ``gray`` and its inlier count (None if lost)."""

    if len(ref.points) < _MIN_INLIERS:
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
    if ok.sum() < _MIN_INLIERS:
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
    if count < _MIN_INLIERS:
        return None, count
    return model.astype(np.float64), count


def _acquire(gray: np.ndarray, size: int) -> tuple[np.ndarray, bool] | None:
    faces = detect_faces(gray)
    if not faces:
        return None
    left, right, found = eye_centres(gray, faces[0])
    return _eye_transform(left, right, size), found


def align_clip(
    clip: Clip, size: int = 112, *, progress: bool = False, detect_every: float = 0.25
) -> FaceTrack:
    """Detect, align, stabilise and crop the face in every frame of a clip.

    Args:
        clip: the clip (``frames`` ``(N, H, W, 3)`` uint8 RGB).
        size: crop side S in pixels.
        progress: show a tqdm bar.
        detect_every: seconds between detector checkpoints while searching for the face.

    Returns:
        The :class:`FaceTrack`; crops are ``(N, S, S, 3)`` uint8 RGB.

    Raises:
        NoFaceError: no frame has a face.
    """

    frames = clip.frames
    n = int(frames.shape[0])
    if size < 16:
        raise ValueError(f"crop size must be at least 16 pixels, got {size}")
    stride = max(1, round(clip.fps * detect_every))
    checkpoints = sorted(set(range(0, n, stride)) | {n - 1, n // 2})
    ref: _Reference | None = None
    eyes_found = False
    for i in checkpoints:
        gray = _to_gray(frames[i])
        acquired = _acquire(gray, size)
        if acquired is not None:
            ref = _make_reference(i, gray, acquired[0], size)
            eyes_found = acquired[1]
            break
    if ref is None:
        raise NoFaceError(
            f"no face found in {clip.source} ({len(checkpoints)} of {n} frames checked with OpenCV's Haar "
            "frontal-face detector); use a clip with a frontal, well-lit face"
        )
    first_ref = ref
    transforms = np.full((n, 2, 3), np.nan)
    detected = np.zeros(n, bool)
    bar = tqdm(total=n, disable=not progress, desc="faces", unit="frame")

    def run(order: range, start: _Reference) -> None:
        reference = start
        face_side = size / math.sqrt(abs(np.linalg.det(reference.transform[:, :2])))
        guess: np.ndarray | None = None  # similarity ref -> previous frame
        lost_since = -1
        for i in order:
            gray = _to_gray(frames[i])
            if i == reference.index:
                model: np.ndarray | None = np.array([[1.0, 0, 0], [0, 1.0, 0]])
                count = len(reference.points)
            else:
                model, count = _track(reference, gray, guess, face_side)
            if model is None:
                # lost: look for the face again (every frame while lost; cheap relative to a lost clip)
                if lost_since < 0:
                    lost_since = i
                acquired = _acquire(gray, size) if (i - lost_since) % max(1, stride // 4) == 0 else None
                if acquired is not None:
                    reference = _make_reference(i, gray, acquired[0], size)
                    face_side = size / math.sqrt(abs(np.linalg.det(reference.transform[:, :2])))
                    transforms[i] = reference.transform
                    detected[i] = True
                    guess = None
                    lost_since = -1
                bar.update(1)
                continue
            lost_since = -1
            # frame -> crop = (ref frame -> crop) o (current frame -> ref frame)
            inv = np.linalg.inv(_as3(model))
            transforms[i] = (_as3(reference.transform) @ inv)[:2]
            detected[i] = True
            guess = model
            if count < 0.5 * len(reference.points) and i != reference.index:
                # renew the reference on this frame with the same alignment, so stabilisation continues
                reference = _make_reference(i, gray, transforms[i].copy(), size)
                guess = None
            bar.update(1)

    run(range(first_ref.index, n), first_ref)
    if first_ref.index > 0:
        run(range(first_ref.index - 1, -1, -1), first_ref)
    bar.close()

    # frames without a face reuse the nearest good transform
    good = np.flatnonzero(detected)
    for j in np.flatnonzero(~detected):
        transforms[j] = transforms[good[np.argmin(np.abs(good - j))]]
    crops = np.empty((n, size, size, 3), np.uint8)
    boxes = np.empty((n, 4))
    for i in range(n):
        crops[i] = _warp_crop(frames[i], transforms[i], size)
        boxes[i] = _crop_box(transforms[i], size)
    if (~detected).any():
        log.info("%s: no face on %d of %d frames", clip.source, int((~detected).sum()), n)
    return FaceTrack(
        crops=crops,
        detected=detected,
        source=clip.source,
        transforms=transforms,
        boxes=boxes,
        eyes_detected=eyes_found,
        fps=clip.fps,
        frame_numbers=clip.frame_numbers,
    )
