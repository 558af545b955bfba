"""Clips made from a real photograph under known deformations, and their landmarks and crops.

The astronaut portrait (scikit-image, public domain) is animated by smooth local displacement fields
centred on its own landmarks: each field is a Gaussian bump of known peak displacement, so the true
movement of every facial region at every frame is known independently of the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from ml.datasets.photo_clips import NeutralFace, Scenario, load_photo, measure_neutral, render_clip
from ml.datasets.photo_clips.scenarios import Envelope, ScriptedEvent
from ml.stages.face import align_clip
from ml.stages.landmarks import Landmarker
from ml.stages.video import Clip
from ml.tracks import AUTracks, measure_au_intensities

CROP = 112
#: Frame rate of every clip made here.
FPS = 30.0
#: Where the eye centres go in the crop (image left, image right), as fractions of its size.
CROP_EYES = ((0.32, 0.38), (0.68, 0.38))
RIGHT_EYE, LEFT_EYE = (33, 133), (263, 362)


@pytest.fixture(scope="session")
def landmarker() -> Landmarker:
    return Landmarker(num_threads=1)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return skimage.data.astronaut()


@pytest.fixture(scope="session")
def still(landmarker: Landmarker, astronaut: np.ndarray) -> np.ndarray:
    """The portrait's own (478, 3) landmarks, frame pixels."""
    (detection,) = landmarker.detect_faces(astronaut)
    first = landmarker.landmarks(astronaut, detection)
    return landmarker.landmarks(astronaut, first).points.astype(np.float64)


def iod(points: np.ndarray) -> float:
    """Distance between the eye centres, px."""
    right = points[list(RIGHT_EYE), :2].mean(axis=0)
    left = points[list(LEFT_EYE), :2].mean(axis=0)
    return float(np.linalg.norm(left - right))


@dataclass(frozen=True)
class Bump:
    """A Gaussian displacement field: peak ``vector`` (dx, dy) px at ``centre``, width ``sigma`` px."""

    centre: tuple[float, float]
    vector: tuple[float, float]
    sigma: float


def warp(image: np.ndarray, bumps: list[Bump], scale: float = 1.0) -> np.ndarray:
    """``image`` with every bump's displacement (times ``scale``) applied: skin at c moves to c + v."""
    if scale == 0.0 or not bumps:
        return image.copy()
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dx = np.zeros((h, w), np.float32)
    dy = np.zeros((h, w), np.float32)
    for bump in bumps:
        weight = np.exp(-((xs - bump.centre[0]) ** 2 + (ys - bump.centre[1]) ** 2) / (2 * bump.sigma**2))
        dx += scale * bump.vector[0] * weight
        dy += scale * bump.vector[1] * weight
    # Backward map; the field is smooth and small, so sampling it at the output pixel is accurate.
    return cv2.remap(image, xs - dx, ys - dy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


@dataclass(frozen=True)
class Measured:
    crops: np.ndarray
    landmarks: np.ndarray
    blendshapes: np.ndarray
    pose: np.ndarray
    present: np.ndarray


def eye_similarity(points: np.ndarray) -> np.ndarray:
    """2x3 map from frame pixels to the crop, putting the eye centres at :data:`CROP_EYES`."""
    src = np.array([points[list(RIGHT_EYE), :2].mean(axis=0), points[list(LEFT_EYE), :2].mean(axis=0)])
    dst = np.array(CROP_EYES) * CROP
    s_vec, d_vec = src[1] - src[0], dst[1] - dst[0]
    scale = np.linalg.norm(d_vec) / np.linalg.norm(s_vec)
    angle = np.arctan2(d_vec[1], d_vec[0]) - np.arctan2(s_vec[1], s_vec[0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return np.column_stack([rot, dst[0] - rot @ src[0]])


def measure_frames(landmarker: Landmarker, frames: list[np.ndarray]) -> Measured:
    """Landmarks followed frame to frame, crops by one fixed similarity (frame 0's eyes)."""
    (detection,) = landmarker.detect_faces(frames[0])
    face = landmarker.landmarks(frames[0], detection)
    faces = []
    for frame in frames:
        face = landmarker.landmarks(frame, face)
        faces.append(face)
    affine = eye_similarity(faces[0].points.astype(np.float64))
    crops = np.stack([cv2.warpAffine(f, affine, (CROP, CROP), flags=cv2.INTER_AREA) for f in frames])
    points = []
    for face in faces:
        p = face.points.astype(np.float64).copy()
        p[:, :2] = p[:, :2] @ affine[:, :2].T + affine[:, 2]
        p[:, 2] *= np.sqrt(abs(np.linalg.det(affine[:, :2])))
        points.append(p)
    return Measured(
        crops=crops,
        landmarks=np.stack(points),
        blendshapes=np.stack([f.blendshapes for f in faces]).astype(np.float64),
        pose=np.array([[f.pose.yaw, f.pose.pitch, f.pose.roll] for f in faces]),
        present=np.ones(len(frames), bool),
    )


def ramp(n: int, onset: int, apex: int, hold: int, offset: int) -> np.ndarray:
    """0 until ``onset``, smooth rise to 1 at ``apex``, held to ``hold``, smooth fall to 0 at ``offset``."""
    t = np.arange(n, dtype=np.float64)
    rise = np.clip((t - onset) / max(apex - onset, 1), 0, 1)
    fall = np.clip((offset - t) / max(offset - hold, 1), 0, 1)
    shape = np.minimum(rise, fall)
    return 0.5 - 0.5 * np.cos(np.pi * shape)


def smile(points: np.ndarray, amplitude_iod: float) -> list[Bump]:
    """Both lip corners pulled up and out at 45 degrees by ``amplitude_iod`` inter-ocular distances."""
    d = amplitude_iod * iod(points) / np.sqrt(2)
    sigma = 0.22 * iod(points)
    right, left = points[61, :2], points[291, :2]
    return [
        Bump((right[0], right[1]), (-d, -d), sigma),
        Bump((left[0], left[1]), (d, -d), sigma),
    ]


#: Landmarks of the inner third of each brow (the subject's right, left).
INNER_BROWS = ((107, 66, 55, 65, 108, 69), (336, 296, 285, 295, 337, 299))


def brow_raise(points: np.ndarray, amplitude_iod: float) -> list[Bump]:
    """Inner brows of both sides raised by ``amplitude_iod`` (AU1), the lids left in place."""
    d = amplitude_iod * iod(points)
    sigma = 0.1 * iod(points)
    centres = [points[list(brow), :2].mean(axis=0) for brow in INNER_BROWS]
    return [Bump((c[0], c[1]), (0.0, -d), sigma) for c in centres]


#: Upper and lower eyelid margins of each eye (the subject's right, left), corner to corner.
LID_MARGINS = {
    "R": ((33, 246, 161, 160, 159, 158, 157, 173, 133), (33, 7, 163, 144, 145, 153, 154, 155, 133)),
    "L": ((263, 466, 388, 387, 386, 385, 384, 398, 362), (263, 249, 390, 373, 374, 380, 381, 382, 362)),
}


def close_eyes(image: np.ndarray, points: np.ndarray, amount: float) -> np.ndarray:
    """Both upper lids lowered by ``amount`` of the lid gap (1 = shut): lid skin slides down over the eye.

    Between the margins the displacement is ``amount`` times the gap; above the upper margin it fades
    over 1.1 gaps (the lid skin stretches), below the lower margin and beyond the corners within 2 px.
    """
    if amount == 0.0:
        return image.copy()
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dy = np.zeros((h, w), np.float32)
    for upper, lower in LID_MARGINS.values():
        up, lo = points[list(upper), :2], points[list(lower), :2]
        x0, x1 = min(up[:, 0].min(), lo[:, 0].min()), max(up[:, 0].max(), lo[:, 0].max())
        order_u, order_l = np.argsort(up[:, 0]), np.argsort(lo[:, 0])
        x = np.clip(xs, x0, x1)
        y_u = np.interp(x, up[order_u, 0], up[order_u, 1])
        y_l = np.interp(x, lo[order_l, 0], lo[order_l, 1])
        gap = np.maximum(y_l - y_u, 0.0)
        taper = 1.1 * float(gap.max())
        profile = np.clip(1.0 - (y_u - ys) / taper, 0.0, 1.0) * np.clip(1.0 - (ys - y_l) / 2.0, 0.0, 1.0)
        across = np.clip(1.0 - np.maximum(x0 - xs, xs - x1) / 2.0, 0.0, 1.0)
        dy += (amount * gap * profile * across).astype(np.float32)
    return cv2.remap(image, xs, ys - dy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def turn_head(image: np.ndarray, points: np.ndarray, degrees: float, focal: float = 600.0) -> np.ndarray:
    """The view of the photograph turned ``degrees`` about the vertical axis through the nose tip.

    A homography of a plane rotating about the nose tip's vertical line, seen by a pinhole camera of
    ``focal`` px: perspective foreshortening only, no expression; the nose tip stays put.
    """
    cx, cy = points[1, :2]
    k = np.array([[focal, 0, cx], [0, focal, cy], [0, 0, 1]])
    a = np.radians(degrees)
    r = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    depth = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], float)
    # Plane at distance `focal` in front of the camera, rotated about its own vertical line at the nose.
    homography = k @ (r @ depth) @ np.linalg.inv(k)
    nose = homography @ np.array([cx, cy, 1.0])
    shift = np.array([[1, 0, cx - nose[0] / nose[2]], [0, 1, cy - nose[1] / nose[2]], [0, 0, 1]])
    h, w = image.shape[:2]
    return cv2.warpPerspective(
        image, shift @ homography, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
    )


def roll_and_shift(image: np.ndarray, points: np.ndarray, phase: float) -> np.ndarray:
    """The whole photograph rolled up to 3 degrees and shifted up to 6 px about the nose (no expression)."""
    centre = (float(points[1, 0]), float(points[1, 1]))
    matrix = cv2.getRotationMatrix2D(centre, 3.0 * np.sin(phase), 1.0)
    matrix[:, 2] += (6.0 * np.sin(phase), 4.0 * np.sin(2 * phase))
    h, w = image.shape[:2]
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def relight(image: np.ndarray, amount: float) -> np.ndarray:
    """Darker by up to 35 %, with a left-to-right lighting gradient of up to 30 %, at ``amount`` in [0, 1]."""
    across = np.linspace(-0.5, 0.5, image.shape[1])[None, :, None]
    gain = (1.0 - 0.35 * amount) * (1.0 + 0.3 * amount * across)
    return np.clip(image * gain + 10.0 * amount, 0, 255).astype(np.uint8)


def tracks_of(m: Measured, *, neutral: tuple[int, int] | None = None) -> AUTracks:
    """The measured AU tracks of a clip made here (``neutral``: the span marked as the neutral face,
    found automatically when omitted)."""
    return measure_au_intensities(
        m.crops, m.landmarks, m.blendshapes, m.pose, m.present, FPS, neutral=neutral
    )


def tracks_of_rendered(
    face: NeutralFace, scenario: Scenario, name: str, *, shot: float | None = None
) -> AUTracks:
    """The measured AU tracks of ``scenario`` rendered on ``face`` by the benchmark's renderer at
    :data:`FPS` (``shot``: the face's height in a wider frame) and read by the face stage, as a user's
    clip ``name`` would be; its first 10 frames are marked as the neutral face."""
    frames = render_clip(face, scenario, FPS, shot=shot).frames
    clip = Clip(frames=frames, fps=FPS, source=Path(name), frame_numbers=np.arange(len(frames)))
    track = align_clip(clip)
    assert track.present.all()
    return measure_au_intensities(
        track.crops, track.landmarks, track.blendshapes, track.pose, track.present, FPS, neutral=(0, 10)
    )


#: A held expression: rising over 0.4-0.7 s, held to 1.2 s, gone by 1.5 s; 1.7 s in all.
HELD_ENVELOPE = Envelope(((0.4, 0.0), (0.7, 1.0), (1.2, 1.0), (1.5, 0.0)))
#: Frames well inside its hold.
HELD = slice(int(0.75 * FPS), int(1.15 * FPS))


@pytest.fixture(scope="session")
def astronaut_face(landmarker: Landmarker) -> NeutralFace:
    """The astronaut portrait as the benchmark's renderer animates it."""
    return measure_neutral("astronaut", load_photo("astronaut"), landmarker)


def held_expression(face: NeutralFace, emotion: str, units: dict[str, float], name: str = "") -> AUTracks:
    """The measured AU tracks of ``units`` at full weight under :data:`HELD_ENVELOPE`, rendered on ``face``
    (:func:`tracks_of_rendered`; ``name``: the clip's, ``emotion``'s by default)."""
    event = ScriptedEvent(emotion, units, 1.0, HELD_ENVELOPE, "hold")
    return tracks_of_rendered(face, Scenario(3, "macro", 1.7, (event,), (), ()), f"{name or emotion}.avi")


def held(tracks: AUTracks, au: str) -> float:
    """Mean of ``au`` over the :data:`HELD` frames."""
    return float(np.nanmean(tracks.track(au)[HELD]))


def expressive_peak(tracks: AUTracks, frames: slice | np.ndarray = slice(None)) -> float:
    """Largest reading over ``frames`` of any AU column but the blink's and the eyes closing (AU45, AU43,
    either side)."""
    columns = [i for i, name in enumerate(tracks.names) if name.rstrip("LR") not in ("AU43", "AU45")]
    return float(np.nanmax(tracks.values[frames][:, columns]))


def pcc(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])
