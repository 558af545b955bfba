"""Follow one subject's face through a clip, frame by frame, without smoothing.

Each frame: the subject's landmarks are read from the region of its previous landmarks; if the model no
longer sees a face there, the subject is lost and the detector looks for it again. A face is accepted
(first time or after a loss) only once it has been found in ``confirm_frames`` consecutive frames at
agreeing positions and sizes, which rejects one-frame false faces. A subject that moves too fast for its
region is picked up again in the same frame when the detector finds it within one face size of where it
was. While the subject is followed the detector runs every ``detect_every`` frames only, to count
the other faces present (the count is carried over in between); while it is lost, every frame.

A face too small for the detector's whole-frame view (under about half the frame's height) is looked
for in the frame's tiles (:meth:`~ml.stages.landmarks.detector.BlazeFace.closer`, 25 detector runs at
640x360) when the whole frame shows no face to follow: every ``closer_every`` frames while nothing is
found, every frame once a small face has been (so that it is confirmed, and found again when lost).
Other faces are counted on the whole frame only.

Subject choice among several detected faces (``choose``):
- ``"largest"``: the largest face;
- ``"center"``: the face nearest the frame centre;
- ``"index"``: the ``index``-th face counting from the left edge of the frame (0 = leftmost).
After a loss, the face nearest the subject's last position (within one face size) is preferred.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ml.stages.landmarks.detector import FaceDetection
from ml.stages.landmarks.landmarker import FaceLandmarks, Landmarker

Choice = Literal["largest", "center", "index"]
CHOICES: tuple[str, ...] = ("largest", "center", "index")


@dataclass(frozen=True)
class FrameFace:
    """The subject in one frame and how many other faces the detector saw beside it."""

    face: FaceLandmarks
    other_faces: int


def _inside(point: np.ndarray, box: np.ndarray) -> bool:
    return bool(np.all(point >= box[:2]) and np.all(point <= box[2:]))


def _agree(a: FaceLandmarks, b: FaceLandmarks, reach: float) -> bool:
    """Same face in consecutive frames: centres within ``reach`` face sizes, sizes within a factor 1.5."""
    ratio = b.size / max(a.size, 1e-6)
    return bool(np.linalg.norm(b.center - a.center) < reach * a.size and 1 / 1.5 < ratio < 1.5)


def choose_detection(
    faces: list[FaceDetection],
    frame_shape: tuple[int, ...],
    choose: Choice,
    index: int = 0,
    near: FaceLandmarks | None = None,
) -> FaceDetection | None:
    """The detection to follow, by the rule ``choose``; ``near`` (last known subject) wins if close."""
    if not faces:
        return None
    if near is not None:
        dist = [float(np.linalg.norm(f.center - near.center)) for f in faces]
        best = int(np.argmin(dist))
        if dist[best] < near.size:
            return faces[best]
    if choose == "largest":
        return max(faces, key=lambda f: f.size)
    if choose == "center":
        mid = np.array([frame_shape[1] - 1, frame_shape[0] - 1]) / 2.0
        return min(faces, key=lambda f: float(np.linalg.norm(f.center - mid)))
    left_to_right = sorted(faces, key=lambda f: float(f.center[0]))
    return left_to_right[index] if index < len(left_to_right) else None


class FaceTracker:
    """Per-frame subject tracking over a ``Landmarker``; ``step`` one frame or ``track`` a whole clip."""

    def __init__(
        self,
        landmarker: Landmarker,
        *,
        choose: Choice = "largest",
        index: int = 0,
        confirm_frames: int = 3,
        min_presence: float = 0.5,
        detect_every: int = 1,
        closer_every: int = 5,
    ) -> None:
        if choose not in CHOICES:
            raise ValueError(f"Unknown face choice {choose!r}; use one of: {', '.join(CHOICES)}")
        if index < 0:
            raise ValueError(f"Face index must be 0 or more (0 = leftmost face), got {index}")
        if confirm_frames < 1:
            raise ValueError(f"confirm_frames must be at least 1, got {confirm_frames}")
        if detect_every < 1:
            raise ValueError(f"detect_every must be at least 1, got {detect_every}")
        if closer_every < 1:
            raise ValueError(f"closer_every must be at least 1, got {closer_every}")
        if not 0.0 < min_presence < 1.0:
            raise ValueError(f"min_presence must be between 0 and 1, got {min_presence}")
        self.landmarker = landmarker
        self.choose: Choice = choose
        self.index = index
        self.confirm_frames = confirm_frames
        self.min_presence = min_presence
        self.detect_every = detect_every
        self.closer_every = closer_every
        self.frames_since_closer = closer_every  # the first frame without a face takes a closer look
        self.small_face = False  # the last closer look found a face to follow
        self.frames_since_detection = 0
        self.others = 0
        self.subject: FaceLandmarks | None = None
        self.last_seen: FaceLandmarks | None = None
        self.pending: list[FrameFace] = []
        self.just_confirmed: list[FrameFace] = []

    def step(self, rgb: np.ndarray) -> FrameFace | None:
        """The subject in this frame, or ``None`` while no face is accepted.

        When a face is accepted, ``just_confirmed`` holds its earlier frames of the agreement window
        (oldest first), which ``step`` returned as ``None``.
        """
        self.just_confirmed = []
        lost = self.subject
        if lost is not None:
            face = self.landmarker.landmarks(rgb, lost)
            if face.presence >= self.min_presence:
                self.subject = self.last_seen = face
                self.frames_since_detection += 1
                if self.frames_since_detection >= self.detect_every:
                    self.frames_since_detection = 0
                    self.others = self._count_others(self.landmarker.detect_faces(rgb), face)
                return FrameFace(face, self.others)
            self.subject = None
        detections = self.landmarker.detect_faces(rgb)
        self.frames_since_detection = 0
        candidate = self._acquire(rgb, detections)
        if candidate is None and self._closer_look_due():
            detections = self.landmarker.detect_faces(rgb, closer=True)
            candidate = self._acquire(rgb, detections)
            self.small_face = candidate is not None
        if candidate is None:
            self.pending = []
            return None
        if lost is not None and _agree(lost, candidate, reach=1.0):
            # The subject moved out of last frame's region and the detector found it right beside it:
            # the same accepted face, so no new agreement window.
            self.pending = []
            self.subject = self.last_seen = candidate
            self.others = self._count_others(detections, candidate)
            return FrameFace(candidate, self.others)
        if self.pending and not _agree(self.pending[-1].face, candidate, reach=0.5):
            self.pending = []
        self.pending.append(FrameFace(candidate, self._count_others(detections, candidate)))
        if len(self.pending) < self.confirm_frames:
            return None
        *self.just_confirmed, current = self.pending
        self.pending = []
        self.subject = self.last_seen = current.face
        self.others = current.other_faces
        return current

    def track(self, frames: Iterable[np.ndarray]) -> list[FrameFace | None]:
        """Track every frame of a clip; frames of an agreement window are filled in once accepted."""
        out: list[FrameFace | None] = []
        for rgb in frames:
            current = self.step(rgb)
            if current is not None and self.just_confirmed:
                start = len(out) - len(self.just_confirmed)
                out[start:] = self.just_confirmed
            out.append(current)
        return out

    def _closer_look_due(self) -> bool:
        """Whether to look at the frame's tiles, the whole frame having shown no face to follow."""
        self.frames_since_closer += 1
        if not (self.small_face or self.frames_since_closer >= self.closer_every):
            return False
        self.frames_since_closer = 0
        return True

    def _acquire(self, rgb: np.ndarray, detections: list[FaceDetection]) -> FaceLandmarks | None:
        """The chosen detection's face; where the landmark model sees none there, the next choice's (not
        with ``"index"``: the faces' count from the left includes the one that failed)."""
        remaining = list(detections)
        while remaining:
            detection = choose_detection(remaining, rgb.shape, self.choose, self.index, self.last_seen)
            if detection is None:
                return None
            face = self._read(rgb, detection)
            if face is not None or self.choose == "index":
                return face
            remaining = [d for d in remaining if d is not detection]
        return None

    def _read(self, rgb: np.ndarray, detection: FaceDetection) -> FaceLandmarks | None:
        """The face's landmarks at a detection, or None where the landmark model sees no face there."""
        face = self.landmarker.landmarks(rgb, detection)
        if face.presence < self.min_presence:
            return None
        # The detector's box is coarse: read the face again from its own landmarks' region.
        refined = self.landmarker.landmarks(rgb, face)
        return refined if refined.presence >= self.min_presence else None

    @staticmethod
    def _count_others(detections: list[FaceDetection], face: FaceLandmarks) -> int:
        return sum(1 for d in detections if not _inside(d.center, face.box))
