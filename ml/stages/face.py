"""The face stage: find the subject's face in every frame, stabilise it, crop it, and say where it is not.

Per frame, streaming (nothing holds more than a few source frames):

1. **Find the face** (``detector="landmarks"``, the default): the LiteRT Face Landmarker
   (:mod:`ml.stages.landmarks`) detects faces, follows the chosen subject (``choose``: largest, nearest
   the centre, or by index from the left), rejects false faces (a new face counts only after agreeing
   over consecutive frames) and gives 478 landmarks, the head pose and 52 blendshapes, with no smoothing
   that would lag motion. ``detector="haar"`` uses OpenCV's Haar cascades instead (frontal faces only, no
   landmarks); it is also what runs when the landmark runtime (``ai-edge-litert``) is not installed.
2. **Align** the first frame of each stabilisation segment on the eyes (a similarity putting the eye
   centres at fixed points of the crop).
3. **Stabilise** every later frame with LK + RANSAC (:mod:`ml.stages.stabilise`) on corner features
   chosen off the expressive regions (brows, eyes, cheeks, nose wrinkle, mouth, chin), so the crop
   follows the head and not the expression.
4. **Segments.** A shot change, a jump of the face (the stabilised crop and the landmarks disagree on
   where the eyes are), or a gap without the face starts a new segment with a new reference. Later
   stages analyse each segment on its own: no window ever spans a cut or a faceless frame.

Frames without the subject are marked (:attr:`FaceTrack.present` False, landmarks NaN, segment -1);
their crop repeats the last known placement so arrays stay aligned with the source frames.

Everything kept is at the analysis size (crops, landmarks in crop coordinates), never the source size;
long takes come out in chunks (:func:`track_faces` with ``chunk_frames``) so memory stays bounded.
"""

from __future__ import annotations

import functools
import logging
import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from tqdm import tqdm

from curves.quiet import true_runs
from ml.errors import NoFaceError
from ml.stages import haar
from ml.stages.stabilise import (
    EYE_LEFT,
    EYE_RIGHT,
    Reference,
    as3,
    eye_transform,
    is_cut,
    make_reference,
    thumbnail,
    to_gray,
    track,
    warp_crop,
)
from ml.stages.video import Clip

try:  # the landmark runtime is a dependency, but a broken or missing install must not stop analysis
    from ml.stages.landmarks import BLENDSHAPE_NAMES, FaceTracker, FrameFace, Landmarker, region_masks

    LANDMARKS_AVAILABLE = True
except ImportError:  # pragma: no cover - exercised only on installs without ai-edge-litert
    LANDMARKS_AVAILABLE = False
    BLENDSHAPE_NAMES: tuple[str, ...] = ()  # type: ignore[no-redef]

__all__ = [
    "ALIGNMENT_VERSION",
    "BLENDSHAPE_NAMES",
    "DETECTORS",
    "EYE_LEFT",
    "EYE_RIGHT",
    "LANDMARKS_AVAILABLE",
    "FaceTrack",
    "align_clip",
    "no_face_message",
    "runs_of",
    "track_faces",
]

log = logging.getLogger(__name__)

#: Changes whenever the crops :func:`align_clip` returns for the same clip change (detection, alignment,
#: stabilisation, warping). Caches of aligned crops (``ml.train.data``) are keyed on it, so crops made by
#: an older version are never reused.
ALIGNMENT_VERSION = "3"

Detector = Literal["landmarks", "haar"]
DETECTORS: tuple[str, ...] = ("landmarks", "haar")
NUM_LANDMARKS = 478
NUM_BLENDSHAPES = 52
#: The crop and the landmarks may disagree on the eyes by this fraction of the crop before it is a jump.
_JUMP_FRACTION = 0.08
#: Regions whose skin moves with expressions: no stabilisation feature is taken there.
_EXPRESSIVE = (
    "inner_brow_right",
    "inner_brow_left",
    "outer_brow_right",
    "outer_brow_left",
    "glabella",
    "upper_eyelid_right",
    "upper_eyelid_left",
    "lower_eyelid_right",
    "lower_eyelid_left",
    "cheek_right",
    "cheek_left",
    "nasolabial_right",
    "nasolabial_left",
    "nose_wrinkle",
    "lip_corner_right",
    "lip_corner_left",
    "upper_lip",
    "lower_lip",
    "chin",
    "jaw",
)
_IRIS_CENTRES = (468, 473)
#: While the subject is followed, other faces are counted every this many frames (every frame when lost).
_DETECT_EVERY = 6


@dataclass(frozen=True)
class FaceTrack:
    """The face of one clip (or one chunk of a long take), frame by frame, at the analysis size.

    Attributes:
        crops: ``(N, S, S, 3)`` uint8 RGB, stabilised.
        present: ``(N,)`` bool, the subject's face is in the frame.
        transforms: ``(N, 2, 3)`` float64 affine maps from frame pixels to crop pixels.
        landmarks: ``(N, 478, 3)`` float32, x and y in crop pixels, z relative depth in crop pixels;
            NaN where absent (and always with the Haar detector).
        presence: ``(N,)`` float32 landmark-model face presence (1.0 for a Haar-tracked frame, 0 absent).
        pose: ``(N, 3)`` float32 head yaw, pitch, roll in degrees (:mod:`ml.stages.landmarks.pose`); NaN
            where unknown.
        blendshapes: ``(N, 52)`` float32 ARKit coefficients in :data:`BLENDSHAPE_NAMES` order; NaN where
            unknown.
        other_faces: ``(N,)`` int16, faces seen beside the subject.
        segments: ``(N,)`` int32 stabilisation segment of each frame (-1 absent); a new segment starts
            at a cut, a jump of the face or after a gap.
        cuts: indices where a shot change or a jump restarted stabilisation.
        source: the clip's file or folder; fps: its frame rate; frame_numbers: ``(N,)`` its numbers.
        first_index: index of the first frame in the whole stream (chunks after the first start later).
        detector: ``"landmarks"`` or ``"haar"``.
    """

    crops: np.ndarray
    present: np.ndarray
    transforms: np.ndarray
    landmarks: np.ndarray
    presence: np.ndarray
    pose: np.ndarray
    blendshapes: np.ndarray
    other_faces: np.ndarray
    segments: np.ndarray
    cuts: tuple[int, ...]
    source: Path
    fps: float
    frame_numbers: np.ndarray
    first_index: int = 0
    detector: str = "landmarks"

    @property
    def num_frames(self) -> int:
        return int(self.crops.shape[0])

    @property
    def size(self) -> int:
        """Crop side S in pixels."""
        return int(self.crops.shape[1])

    def eye_distance_px(self) -> float | None:
        """Median distance between the eye centres in the source frames, px: how large the camera saw the
        face (each crop puts the eye centres ``EYE_RIGHT - EYE_LEFT`` of its side apart, so the distance
        is that over each crop's scale). None without a face."""
        if not self.present.any():
            return None
        linear = self.transforms[self.present][:, :, :2]
        scales = np.sqrt(np.abs(np.linalg.det(linear)))
        return float(np.median((EYE_RIGHT[0] - EYE_LEFT[0]) * self.size / scales))

    @property
    def missing_frames(self) -> list[int]:
        """0-based indices (within this track) of frames without the subject's face."""
        return [int(i) for i in np.flatnonzero(~self.present)]

    def spans(self, min_frames: int = 1) -> list[tuple[int, int]]:
        """``[start, stop)`` runs of consecutive frames with the face, within one segment each."""
        out: list[tuple[int, int]] = []
        n = self.num_frames
        i = 0
        while i < n:
            if not self.present[i]:
                i += 1
                continue
            j = i + 1
            while j < n and self.present[j] and self.segments[j] == self.segments[i]:
                j += 1
            if j - i >= min_frames:
                out.append((i, j))
            i = j
        return out

    def landmarks_in_frame(self, i: int) -> np.ndarray:
        """Frame ``i``'s landmarks mapped back to source pixels ``(478, 3)`` (NaN when absent)."""
        inv = np.linalg.inv(as3(self.transforms[i]))
        pts = self.landmarks[i].astype(np.float64)
        xy = pts[:, :2] @ inv[:2, :2].T + inv[:2, 2]
        scale = math.sqrt(abs(np.linalg.det(inv[:2, :2])))
        return np.concatenate([xy, pts[:, 2:3] * scale], axis=1).astype(np.float32)

    @staticmethod
    def concatenate(tracks: list[FaceTrack]) -> FaceTrack:
        """One track from consecutive chunks of the same stream."""
        if not tracks:
            raise ValueError("no face-track chunk to join")
        first = tracks[0]
        return FaceTrack(
            crops=np.concatenate([t.crops for t in tracks]),
            present=np.concatenate([t.present for t in tracks]),
            transforms=np.concatenate([t.transforms for t in tracks]),
            landmarks=np.concatenate([t.landmarks for t in tracks]),
            presence=np.concatenate([t.presence for t in tracks]),
            pose=np.concatenate([t.pose for t in tracks]),
            blendshapes=np.concatenate([t.blendshapes for t in tracks]),
            other_faces=np.concatenate([t.other_faces for t in tracks]),
            segments=np.concatenate([t.segments for t in tracks]),
            cuts=tuple(c for t in tracks for c in t.cuts),
            source=first.source,
            fps=first.fps,
            frame_numbers=np.concatenate([t.frame_numbers for t in tracks]),
            first_index=first.first_index,
            detector=first.detector,
        )


@dataclass
class _Row:
    """One frame's result while a chunk is being built."""

    index: int
    number: int
    crop: np.ndarray
    transform: np.ndarray
    present: bool
    landmarks: np.ndarray | None = None
    presence: float = 0.0
    pose: tuple[float, float, float] | None = None
    blendshapes: np.ndarray | None = None
    other_faces: int = 0
    segment: int = -1


@dataclass
class _Pending:
    """A frame held back while the landmark tracker decides whether a new face is real."""

    index: int
    number: int
    rgb: np.ndarray
    gray: np.ndarray
    cut: bool


@dataclass
class _Stabiliser:
    """The LK reference of the current segment, and where the last frames were placed."""

    size: int
    reference: Reference | None = None
    guess: np.ndarray | None = None
    segment: int = -1
    last_transform: np.ndarray | None = None
    cuts: list[int] = field(default_factory=list)

    @property
    def face_side(self) -> float:
        assert self.reference is not None
        return self.size / math.sqrt(abs(np.linalg.det(self.reference.transform[:, :2])))

    def restart(self, index: int, gray: np.ndarray, transform: np.ndarray, mask: np.ndarray | None) -> None:
        self.reference = make_reference(index, gray, transform, self.size, mask)
        self.guess = None
        self.segment += 1

    def follow(self, index: int, gray: np.ndarray) -> np.ndarray | None:
        """Frame -> crop transform by LK from the reference, or None when lost."""
        ref = self.reference
        if ref is None:
            return None
        if index == ref.index:
            return ref.transform.copy()
        model, count = track(ref, gray, self.guess, self.face_side)
        if model is None:
            return None
        transform = (as3(ref.transform) @ np.linalg.inv(as3(model)))[:2]
        self.guess = model
        if count < 0.5 * len(ref.points):  # renew the features on this frame, same alignment and segment
            self.reference = make_reference(index, gray, transform.copy(), self.size, None)
            self.guess = None
        return transform


def _eyes(points: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """Iris centres, image-left first."""
    a, b = (points[i, :2].astype(np.float64) for i in _IRIS_CENTRES)
    left, right = (a, b) if a[0] <= b[0] else (b, a)
    return (float(left[0]), float(left[1])), (float(right[0]), float(right[1]))


def _rigid_mask(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool: the face (landmark hull) less its expressive regions, grown a little."""
    hull = cv2.convexHull(points[:, :2].astype(np.float32)).astype(np.int32)
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, hull, 1)
    expressive = np.zeros(shape, bool)
    for region in region_masks(points, shape, names=_EXPRESSIVE).values():
        expressive |= region
    # the eye and mouth openings lie between the bands; fill them as well
    for ring in ((33, 133, 159, 145), (263, 362, 386, 374), (61, 291, 13, 14, 0, 17)):
        cv2.fillConvexPoly(
            mask, cv2.convexHull(points[list(ring), :2].astype(np.float32)).astype(np.int32), 0
        )
    grow = max(1, int(0.03 * float(np.ptp(points[:, 0]))))
    expressive = cv2.dilate(expressive.astype(np.uint8), np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)) > 0
    return (mask > 0) & ~expressive


@functools.cache
def shared_landmarker() -> Landmarker:
    """One :class:`Landmarker` per process (the bundle is read and checked once)."""
    return Landmarker()


def runs_of(mask: np.ndarray) -> list[list[int]]:
    """``[start, stop)`` runs of True in a boolean array (e.g. the frames without a face: ``~present``)."""
    return [[start, stop] for start, stop in true_runs(mask)]


def _resolve_detector(detector: str) -> Detector:
    if detector not in DETECTORS:
        raise ValueError(f"unknown face detector {detector!r}; choose one of {', '.join(DETECTORS)}")
    if detector == "landmarks" and not LANDMARKS_AVAILABLE:
        log.warning(
            "the dense-landmark runtime (ai-edge-litert) is not installed: using the Haar face detector, "
            "which finds frontal faces only and gives no landmarks, pose or blendshapes; install it with "
            "`pip install ai-edge-litert`"
        )
        return "haar"
    return "landmarks" if detector == "landmarks" else "haar"


def track_faces(
    frames: Iterable[tuple[int, np.ndarray]],
    fps: float,
    *,
    source: Path | str = "",
    size: int = 112,
    detector: str = "landmarks",
    choose: str = "largest",
    index: int = 0,
    chunk_frames: int | None = None,
    progress: bool = False,
    total: int | None = None,
    landmarker: Landmarker | None = None,
) -> Iterator[FaceTrack]:
    """Follow, stabilise and crop the subject's face through a stream of frames.

    Args:
        frames: ``(frame number, RGB uint8 (H, W, 3))`` pairs in order (e.g. from
            :func:`ml.stages.video.open_clip`: ``((f.number, f.rgb) for f in stream)``).
        fps: the clip's frame rate.
        source: the clip's file or folder, for messages and the track.
        size: crop side S in pixels (16 to 1024).
        detector: ``"landmarks"`` (default) or ``"haar"`` (see the module docstring).
        choose: which face is the subject when several are seen: ``"largest"``, ``"center"`` or
            ``"index"`` (``index``-th from the left).
        chunk_frames: yield a :class:`FaceTrack` every this many frames (None: one track at the end).
        progress: show a tqdm bar (``total`` frames when known).
        landmarker: a loaded :class:`Landmarker` to reuse.

    Yields:
        :class:`FaceTrack` chunks covering every frame, in order.
    """
    if not 16 <= size <= 1024:
        raise ValueError(f"crop size must be between 16 and 1024 pixels, got {size}")
    if chunk_frames is not None and chunk_frames < 1:
        raise ValueError(f"chunk_frames must be >= 1, got {chunk_frames}")
    method = _resolve_detector(detector)
    src = Path(source)
    stab = _Stabiliser(size)
    rows: list[_Row] = []
    first_index = 0
    bar = tqdm(total=total, disable=not progress, desc="faces", unit="frame")
    state = _LandmarkState(landmarker, choose, index) if method == "landmarks" else _HaarState(fps)
    previous_thumb: np.ndarray | None = None

    def flush() -> FaceTrack:
        nonlocal rows, first_index
        chunk = _to_track(rows, stab.cuts, src, fps, size, first_index, method)
        first_index += len(rows)
        rows = []
        stab.cuts = []
        return chunk

    for count, (number, rgb) in enumerate(frames):
        gray = to_gray(rgb)
        thumb = thumbnail(gray)
        cut = previous_thumb is not None and is_cut(previous_thumb, thumb)
        previous_thumb = thumb
        rows.extend(state.step(count, int(number), rgb, gray, cut, stab))
        bar.update(1)
        if chunk_frames is not None and len(rows) >= chunk_frames:
            yield flush()
    rows.extend(state.finish(stab))
    bar.close()
    if rows or first_index == 0:
        yield flush()


class _LandmarkState:
    """Per-frame landmark tracking, holding back frames while a new face is being confirmed."""

    def __init__(self, landmarker: Landmarker | None, choose: str, index: int) -> None:
        self.tracker = FaceTracker(
            landmarker or shared_landmarker(),
            choose=choose,  # type: ignore[arg-type]
            index=index,
            detect_every=_DETECT_EVERY,
        )
        self.held: deque[_Pending] = deque()
        self.previous_present = False

    def step(
        self, i: int, number: int, rgb: np.ndarray, gray: np.ndarray, cut: bool, stab: _Stabiliser
    ) -> list[_Row]:
        found = self.tracker.step(rgb)
        out: list[_Row] = []
        if found is None:
            self.held.append(_Pending(i, number, rgb, gray, cut))
            if not self.tracker.pending:  # nothing being confirmed: the held frames have no face
                while self.held:
                    p = self.held.popleft()
                    out.append(self._absent(p, stab))
            return out
        confirmed = list(self.tracker.just_confirmed)
        # the held frames that the confirmation covers are the last len(confirmed) ones
        while len(self.held) > len(confirmed):
            out.append(self._absent(self.held.popleft(), stab))
        for p, ff in zip(list(self.held), confirmed, strict=True):
            out.append(self._present(p.index, p.number, p.rgb, p.gray, p.cut, ff, stab))
        self.held.clear()
        out.append(self._present(i, number, rgb, gray, cut, found, stab))
        return out

    def finish(self, stab: _Stabiliser) -> list[_Row]:
        out = [self._absent(p, stab) for p in self.held]
        self.held.clear()
        return out

    def _absent(self, p: _Pending, stab: _Stabiliser) -> _Row:
        self.previous_present = False
        transform = (
            stab.last_transform if stab.last_transform is not None else _centre_transform(p.rgb, stab.size)
        )
        return _Row(p.index, p.number, warp_crop(p.rgb, transform, stab.size), transform, False)

    def _present(
        self,
        i: int,
        number: int,
        rgb: np.ndarray,
        gray: np.ndarray,
        cut: bool,
        found: FrameFace,
        stab: _Stabiliser,
    ) -> _Row:
        face = found.face
        points = face.points
        aligned = eye_transform(*_eyes(points), stab.size)
        transform = None if (cut or not self.previous_present) else stab.follow(i, gray)
        if transform is not None:
            # the crop and the landmarks must agree on the eyes, else the face jumped
            eyes = np.array(_eyes(points), np.float64)
            placed = eyes @ transform[:, :2].T + transform[:, 2]
            target = np.array([EYE_LEFT, EYE_RIGHT]) * stab.size
            if float(np.abs(placed - target).max()) > _JUMP_FRACTION * stab.size:
                transform = None
                cut = True
        if transform is None:
            if cut and stab.segment >= 0:
                stab.cuts.append(i)
            stab.restart(i, gray, aligned, _rigid_mask(points, gray.shape[:2]))
            transform = aligned
        stab.last_transform = transform
        self.previous_present = True
        m = transform
        xy = points[:, :2].astype(np.float64) @ m[:2, :2].T + m[:, 2]
        scale = math.sqrt(abs(np.linalg.det(m[:, :2])))
        crop_points = np.concatenate([xy, points[:, 2:3] * scale], axis=1).astype(np.float32)
        return _Row(
            index=i,
            number=number,
            crop=warp_crop(rgb, transform, stab.size),
            transform=transform,
            present=True,
            landmarks=crop_points,
            presence=float(face.presence),
            pose=(float(face.pose.yaw), float(face.pose.pitch), float(face.pose.roll)),
            blendshapes=np.asarray(face.blendshapes, np.float32),
            other_faces=int(found.other_faces),
            segment=stab.segment,
        )


class _HaarState:
    """The Haar fallback: look for a frontal face every ~0.25 s (every few frames while lost), then LK."""

    def __init__(self, fps: float) -> None:
        self.stride = max(1, round(fps * 0.25))
        self.lost_since = 0

    def step(
        self, i: int, number: int, rgb: np.ndarray, gray: np.ndarray, cut: bool, stab: _Stabiliser
    ) -> list[_Row]:
        transform = None if cut else stab.follow(i, gray)
        if transform is None:
            if cut and stab.reference is not None:
                stab.cuts.append(i)
            stab.reference = None
            acquired = (
                haar.acquire(gray, stab.size)
                if (i - self.lost_since) % max(1, self.stride // 4) == 0
                else None
            )
            if acquired is None:
                fallback = (
                    stab.last_transform
                    if stab.last_transform is not None
                    else _centre_transform(rgb, stab.size)
                )
                return [_Row(i, number, warp_crop(rgb, fallback, stab.size), fallback, False)]
            stab.restart(i, gray, acquired[0], None)
            transform = acquired[0]
        self.lost_since = i + 1
        stab.last_transform = transform
        return [
            _Row(
                i,
                number,
                warp_crop(rgb, transform, stab.size),
                transform,
                True,
                presence=1.0,
                segment=stab.segment,
            )
        ]

    def finish(self, stab: _Stabiliser) -> list[_Row]:
        return []


def _centre_transform(rgb: np.ndarray, size: int) -> np.ndarray:
    """The frame's central square scaled to the crop (placement for frames before any face)."""
    h, w = rgb.shape[:2]
    side = min(h, w)
    s = size / side
    return np.array([[s, 0.0, -(w - side) / 2 * s], [0.0, s, -(h - side) / 2 * s]])


def _to_track(
    rows: list[_Row], cuts: list[int], source: Path, fps: float, size: int, first_index: int, detector: str
) -> FaceTrack:
    n = len(rows)
    landmarks = np.full((n, NUM_LANDMARKS, 3), np.nan, np.float32)
    pose = np.full((n, 3), np.nan, np.float32)
    blend = np.full((n, NUM_BLENDSHAPES), np.nan, np.float32)
    for k, r in enumerate(rows):
        if r.landmarks is not None:
            landmarks[k] = r.landmarks
        if r.pose is not None:
            pose[k] = r.pose
        if r.blendshapes is not None:
            blend[k] = r.blendshapes
    return FaceTrack(
        crops=np.stack([r.crop for r in rows]) if rows else np.zeros((0, size, size, 3), np.uint8),
        present=np.array([r.present for r in rows], bool),
        transforms=np.stack([r.transform for r in rows]) if rows else np.zeros((0, 2, 3)),
        landmarks=landmarks,
        presence=np.array([r.presence for r in rows], np.float32),
        pose=pose,
        blendshapes=blend,
        other_faces=np.array([r.other_faces for r in rows], np.int16),
        segments=np.array([r.segment for r in rows], np.int32),
        cuts=tuple(c - first_index for c in cuts),
        source=source,
        fps=float(fps),
        frame_numbers=np.array([r.number for r in rows], np.int64),
        first_index=first_index,
        detector=detector,
    )


def align_clip(
    clip: Clip,
    size: int = 112,
    *,
    progress: bool = False,
    detector: str = "landmarks",
    choose: str = "largest",
    index: int = 0,
) -> FaceTrack:
    """:func:`track_faces` over an in-memory clip, as one :class:`FaceTrack`.

    Raises:
        NoFaceError: no frame has the face.
    """
    chunks = list(
        track_faces(
            zip(clip.frame_numbers.tolist(), clip.frames, strict=True),
            clip.fps,
            source=clip.source,
            size=size,
            detector=detector,
            choose=choose,
            index=index,
            progress=progress,
            total=clip.num_frames,
        )
    )
    result = FaceTrack.concatenate(chunks)
    if not result.present.any():
        raise NoFaceError(no_face_message(clip.source, clip.num_frames, result.detector))
    if (~result.present).any():
        log.info("%s: no face on %d of %d frames", clip.source, int((~result.present).sum()), clip.num_frames)
    return result


def no_face_message(source: Path | str, frames: int, detector: str) -> str:
    """The one sentence a user reads when a clip has no usable face."""
    how = "the dense face landmarker" if detector == "landmarks" else "OpenCV's Haar frontal-face detector"
    return (
        f"no face found in {source} ({frames} frames checked with {how}); use a clip with a visible, "
        "well-lit face (frontal or turned up to about 60 degrees)"
    )
