"""Subject tracking: false faces, the agreement rule, several faces, and losing and finding the face."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data

from ml.stages.landmarks import FaceTracker, Landmarker
from ml.stages.landmarks.tracker import FrameFace

from .conftest import blank, face_patch, paste

# In face_patch(astronaut, s) the nose tip (223, 128) of the photograph sits at ((223-140)s, (128-40)s).
NOSE_IN_PATCH = np.array([83.0, 88.0])


def as_rgb(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image[..., :3])


@pytest.mark.parametrize("name", ["coffee", "chelsea", "rocket"])
def test_no_face_is_accepted_on_images_without_one(landmarker: Landmarker, name: str) -> None:
    image = as_rgb(getattr(skimage.data, name)())
    tracker = FaceTracker(landmarker)
    assert tracker.track([image] * 4) == [None] * 4


def test_the_cameramans_small_turned_face_is_found(landmarker: Landmarker) -> None:
    """scikit-image's "camera" shows a man's face turned to the side, an eighth of the image high (about
    65 px): the detector's whole-image view gives a box too loose for the landmark model to see a face
    in; its tiles give one it sees."""
    image = as_rgb(skimage.data.camera())
    found = FaceTracker(landmarker).track([image] * 4)
    assert all(f is not None for f in found)
    face = found[-1]
    assert face is not None
    x0, y0, x1, y1 = face.face.box
    assert 170 < x0 < x1 < 280 and 110 < y0 < y1 < 220  # the head, at the top of the frame's middle


def test_a_face_seen_in_fewer_than_the_agreement_frames_is_not_accepted(
    landmarker: Landmarker, astronaut: np.ndarray
) -> None:
    face = paste(blank(), face_patch(astronaut, 1.0), 200, 60)
    frames = [blank(), face, face, blank(), face, blank()]
    assert FaceTracker(landmarker, confirm_frames=3).track(frames) == [None] * 6
    # The same two-frame flash is enough once the rule asks for two frames.
    found = FaceTracker(landmarker, confirm_frames=2).track(frames)
    assert [f is not None for f in found] == [False, True, True, False, False, False]


def test_a_face_jumping_across_the_frame_never_agrees(landmarker: Landmarker, astronaut: np.ndarray) -> None:
    patch = face_patch(astronaut, 1.0)
    left, right = paste(blank(), patch, 10, 60), paste(blank(), patch, 450, 60)
    tracker = FaceTracker(landmarker, confirm_frames=3)
    assert tracker.track([left, right, left, right, left]) == [None] * 5
    # Held still, it is accepted on the third frame and the first two are filled in.
    found = FaceTracker(landmarker, confirm_frames=3).track([right, right, right])
    assert all(f is not None for f in found)


def two_faces(astronaut: np.ndarray) -> np.ndarray:
    """A large face on the left and a smaller one near the centre of a 640 x 360 frame."""
    return paste(paste(blank(), face_patch(astronaut, 1.3), 20, 40), face_patch(astronaut, 0.8), 330, 100)


BIG_NOSE = np.array([20.0, 40.0]) + NOSE_IN_PATCH * 1.3
SMALL_NOSE = np.array([330.0, 100.0]) + NOSE_IN_PATCH * 0.8


@pytest.mark.parametrize(
    ("choose", "index", "nose"),
    [("largest", 0, BIG_NOSE), ("center", 0, SMALL_NOSE), ("index", 0, BIG_NOSE), ("index", 1, SMALL_NOSE)],
)
def test_subject_choice_among_two_faces(
    landmarker: Landmarker, astronaut: np.ndarray, choose: str, index: int, nose: np.ndarray
) -> None:
    frame = two_faces(astronaut)
    assert len(landmarker.detect_faces(frame)) == 2
    found = FaceTracker(landmarker, choose=choose, index=index).track([frame] * 4)  # type: ignore[arg-type]
    for f in found:
        assert isinstance(f, FrameFace)
        assert np.hypot(*(f.face.points[1, :2] - nose)) < 5
        assert f.other_faces == 1


def test_index_past_the_faces_present_finds_no_subject(landmarker: Landmarker, astronaut: np.ndarray) -> None:
    assert FaceTracker(landmarker, choose="index", index=2).track([two_faces(astronaut)] * 3) == [None] * 3


def test_tracking_follows_shifts_and_reacquires_after_the_face_vanishes(
    landmarker: Landmarker, astronaut: np.ndarray
) -> None:
    patch = face_patch(astronaut, 1.0)
    shifts = [(100 + 6 * i, 60 + 2 * i) for i in range(5)]
    frames = [paste(blank(), patch, x, y) for x, y in shifts]
    frames += [blank()] * 3
    returns = [(380 + 4 * i, 90) for i in range(5)]
    frames += [paste(blank(), patch, x, y) for x, y in returns]
    found = FaceTracker(landmarker, confirm_frames=3).track(frames)
    assert [f is not None for f in found] == [True] * 5 + [False] * 3 + [True] * 5
    for f, offset in zip(found[:5] + found[8:], shifts + returns, strict=True):
        assert f is not None and f.other_faces == 0
        assert np.hypot(*(f.face.points[1, :2] - (np.array(offset) + NOSE_IN_PATCH))) < 4.5
    # Frame-to-frame motion of the nose matches the known shift (no smoothing lag).
    moves = np.diff([f.face.points[1, :2] for f in found[:5] if f is not None], axis=0)
    assert np.allclose(moves, (6, 2), atol=1.0)


def test_a_subject_moving_faster_than_its_region_is_kept(
    landmarker: Landmarker, astronaut: np.ndarray
) -> None:
    patch = face_patch(astronaut, 1.0)  # the face is about 90 px across
    frames = [paste(blank(), patch, 100, 60)] * 3 + [paste(blank(), patch, 190, 60)] * 2
    found = FaceTracker(landmarker, confirm_frames=3).track(frames)
    assert all(f is not None for f in found)
    moved = found[-1].face.points[1, :2] - found[0].face.points[1, :2]  # type: ignore[union-attr]
    assert np.allclose(moved, (90, 0), atol=1.5)


def test_step_reports_the_agreement_window_when_it_accepts(
    landmarker: Landmarker, astronaut: np.ndarray
) -> None:
    frame = paste(blank(), face_patch(astronaut, 1.0), 200, 60)
    tracker = FaceTracker(landmarker, confirm_frames=3)
    assert tracker.step(frame) is None and tracker.step(frame) is None
    current = tracker.step(frame)
    assert current is not None and len(tracker.just_confirmed) == 2
    assert tracker.step(frame) is not None and tracker.just_confirmed == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"choose": "biggest"}, "Unknown face choice 'biggest'; use one of: largest, center, index"),
        ({"choose": "index", "index": -1}, "Face index must be 0 or more"),
        ({"confirm_frames": 0}, "confirm_frames must be at least 1, got 0"),
        ({"min_presence": 1.5}, "min_presence must be between 0 and 1, got 1.5"),
    ],
)
def test_bad_tracker_options_are_refused(landmarker: Landmarker, options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaceTracker(landmarker, **options)
