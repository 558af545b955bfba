"""Face detection, 478 landmarks, blendshapes and head pose for single RGB frames."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.stages.landmarks.bundle import BUNDLE_PATH, load_bundle
from ml.stages.landmarks.detector import BlazeFace, FaceDetection
from ml.stages.landmarks.geometry import FaceRoi
from ml.stages.landmarks.mesh import BLENDSHAPE_NAMES, roi_from_landmarks, run_blendshapes, run_landmarks
from ml.stages.landmarks.pose import HeadPose, head_pose
from ml.stages.landmarks.runtime import TfliteModel


@dataclass(frozen=True)
class FaceLandmarks:
    """One face in one frame.

    ``points`` (478, 3) float32: x, y in frame pixels (pixel centres on integers) and relative depth z
    in the same units (smaller = nearer the camera); ``presence`` is the landmark model's probability
    that a face fills ``roi``; ``blendshapes`` (52,) follow ``BLENDSHAPE_NAMES``.
    """

    points: np.ndarray
    presence: float
    blendshapes: np.ndarray
    pose: HeadPose
    roi: FaceRoi

    @property
    def box(self) -> np.ndarray:
        """Axis-aligned box (x0, y0, x1, y1) of the landmarks."""
        return np.concatenate([self.points[:, :2].min(axis=0), self.points[:, :2].max(axis=0)])

    @property
    def size(self) -> float:
        """Geometric mean of the landmark box's width and height, px."""
        w, h = self.box[2:] - self.box[:2]
        return float(np.sqrt(w * h))

    @property
    def center(self) -> np.ndarray:
        return (self.box[:2] + self.box[2:]) / 2.0

    def blendshape(self, name: str) -> float:
        if name not in BLENDSHAPE_NAMES:
            raise KeyError(f"Unknown blendshape {name!r}; known names: {', '.join(BLENDSHAPE_NAMES)}")
        return float(self.blendshapes[BLENDSHAPE_NAMES.index(name)])

    def next_roi(self) -> FaceRoi:
        """Where to read this face in the next frame."""
        return roi_from_landmarks(self.points)


def check_frame(rgb: np.ndarray) -> None:
    """Refuse anything but an RGB uint8 (H, W, 3) frame, saying what was received."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        got = f"{rgb.dtype} array of shape {rgb.shape}" if isinstance(rgb, np.ndarray) else type(rgb).__name__
        raise ValueError(f"Expected an RGB uint8 frame of shape (H, W, 3), got {got}")


class Landmarker:
    """The face landmarker bundle on LiteRT: ``detect_faces`` then ``landmarks`` per face.

    Loads ``ml/data/face_landmarker.task`` and refuses it unless its SHA-256 matches the shipped file.
    """

    def __init__(
        self, *, num_threads: int = 1, min_detection_score: float = 0.5, bundle_path: Path = BUNDLE_PATH
    ) -> None:
        if num_threads < 1:
            raise ValueError(f"num_threads must be at least 1, got {num_threads}")
        if not 0.0 < min_detection_score < 1.0:
            raise ValueError(f"min_detection_score must be between 0 and 1, got {min_detection_score}")
        bundle = load_bundle(bundle_path)
        self.detector = BlazeFace(
            TfliteModel(bundle.detector, num_threads=num_threads), min_score=min_detection_score
        )
        self.landmark_model = TfliteModel(bundle.landmarks, num_threads=num_threads)
        self.blendshape_model = TfliteModel(bundle.blendshapes, num_threads=num_threads)

    def detect_faces(self, rgb: np.ndarray, *, closer: bool = False) -> list[FaceDetection]:
        """Faces in the frame, most confident first.

        The whole frame shows faces of about half its height or more; ``closer`` also reads its tiles,
        for faces down to about a sixth of its height (a detector run per tile: 25 in all on 640x360).
        """
        check_frame(rgb)
        return self.detector.closer(rgb) if closer else self.detector(rgb)

    def landmarks(self, rgb: np.ndarray, where: FaceDetection | FaceLandmarks | FaceRoi) -> FaceLandmarks:
        """Landmarks, blendshapes and pose of the face at ``where``.

        ``where`` is a detection, the same face's landmarks in the previous frame, or a ROI.
        """
        check_frame(rgb)
        if isinstance(where, FaceDetection):
            roi = where.roi()
        elif isinstance(where, FaceLandmarks):
            roi = where.next_roi()
        else:
            roi = where
        points, presence = run_landmarks(self.landmark_model, rgb, roi)
        return FaceLandmarks(
            points=points,
            presence=presence,
            blendshapes=run_blendshapes(self.blendshape_model, points),
            pose=head_pose(points),
            roi=roi,
        )
