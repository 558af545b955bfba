"""A face too small for the detector's whole-frame view (a medium shot) is found in the frame's tiles, its
size is reported, and a face too small for micro-expressions is named as such."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from ml.analyze import analyze
from ml.analyze.front import SMALL_FACE_EYE_PX
from ml.stages.face import align_clip
from ml.stages.landmarks import FaceTracker, Landmarker
from ml.stages.landmarks.detector import tile_starts
from ml.stages.video import Clip

from .conftest import blank, face_patch, paste

#: The astronaut's face box is about 94 px high in her photograph, so this patch scale gives a face of
#: about 56 px: a sixth of a 640x360 frame's height.
SIXTH = 0.6
WHERE = (420, 170)  # top-left corner of the pasted patch


def medium_shot(astronaut: np.ndarray, scale: float = SIXTH) -> np.ndarray:
    return paste(blank(), face_patch(astronaut, scale), *WHERE)


def expected_box(landmarker: Landmarker, astronaut: np.ndarray, scale: float = SIXTH) -> np.ndarray:
    """The face's box in the medium shot, from the detector's box on the photograph itself."""
    (own,) = landmarker.detect_faces(astronaut)
    # face_patch crops x 140.., y 40.. and scales; paste shifts by WHERE
    return (own.box - (140, 40, 140, 40)) * scale + (*WHERE, *WHERE)


def test_tiles_start_half_a_tile_apart_and_end_flush_with_the_frame() -> None:
    assert tile_starts(640, 180) == [0, 90, 180, 270, 360, 450, 460]
    assert tile_starts(360, 180) == [0, 90, 180]
    assert tile_starts(640, 360) == [0, 180, 280]
    assert tile_starts(360, 360) == [0]
    assert tile_starts(100, 360) == [0]


def test_a_face_of_a_sixth_of_the_frame_is_found_in_its_tiles(
    landmarker: Landmarker, astronaut: np.ndarray
) -> None:
    frame = medium_shot(astronaut)
    assert landmarker.detect_faces(frame) == []  # the whole frame's view misses it
    found = landmarker.detect_faces(frame, closer=True)
    assert len(found) == 1
    box, truth = found[0].box, expected_box(landmarker, astronaut)
    size = float(truth[3] - truth[1])
    assert 45 < size < 65
    assert np.abs(box - truth).max() < 0.25 * size
    assert found[0].score > 0.75


@pytest.mark.parametrize("scene", ["grey", "coffee"])
def test_a_closer_look_at_a_frame_without_a_face_finds_none(landmarker: Landmarker, scene: str) -> None:
    frame = blank() if scene == "grey" else cv2.resize(skimage.data.coffee(), (640, 360))
    assert landmarker.detect_faces(frame, closer=True) == []


# At 0.67 the whole frame's view finds the face, but with a box too large for the landmark model to see
# a face in: the tiles must be read then as well.
@pytest.mark.parametrize("scale", [SIXTH, 0.67])
def test_the_tracker_finds_a_small_face_soon_after_it_appears_and_follows_it(
    landmarker: Landmarker, astronaut: np.ndarray, scale: float
) -> None:
    frames = [blank()] * 8 + [medium_shot(astronaut, scale)] * 12
    found = FaceTracker(landmarker, confirm_frames=3, closer_every=5).track(frames)
    assert found[:8] == [None] * 8
    first = next(i for i, f in enumerate(found) if f is not None)
    # a closer look is due within 5 frames of the face appearing, then one every frame until confirmed
    assert first <= 8 + 5
    assert all(f is not None for f in found[first:])
    box = expected_box(landmarker, astronaut, scale)
    centre = (box[:2] + box[2:]) / 2
    assert all(np.linalg.norm(f.face.center - centre) < 15 for f in found[first:] if f is not None)


def test_the_face_stage_measures_a_small_face(astronaut: np.ndarray) -> None:
    frames = np.stack([medium_shot(astronaut)] * 10)
    clip = Clip(frames=frames, fps=30.0, source=Path("medium_shot.mp4"), frame_numbers=np.arange(10))
    track = align_clip(clip)
    assert track.present.all()
    assert np.isfinite(track.landmarks).all()


def own_eye_distance(landmarker: Landmarker, astronaut: np.ndarray) -> float:
    """The eye centres' distance on the photograph itself, px, from its own landmarks."""
    (found,) = landmarker.detect_faces(astronaut)
    points = landmarker.landmarks(astronaut, landmarker.landmarks(astronaut, found)).points
    return float(np.linalg.norm(points[[263, 362], :2].mean(axis=0) - points[[33, 133], :2].mean(axis=0)))


@pytest.mark.parametrize("scale", [1.0, SIXTH, 0.4])
def test_the_face_track_says_how_far_apart_the_eyes_were_in_the_frame(
    landmarker: Landmarker, astronaut: np.ndarray, scale: float
) -> None:
    frames = np.stack([medium_shot(astronaut, scale)] * 6)
    clip = Clip(frames=frames, fps=30.0, source=Path("shot.mp4"), frame_numbers=np.arange(6))
    eyes = align_clip(clip).eye_distance_px()
    assert eyes is not None
    assert eyes == pytest.approx(own_eye_distance(landmarker, astronaut) * scale, rel=0.08)


@pytest.mark.parametrize(("scale", "warned"), [(SIXTH, False), (0.4, True)])
def test_a_face_too_small_for_micro_expressions_is_named_in_a_warning(
    astronaut: np.ndarray, caplog: pytest.LogCaptureFixture, scale: float, warned: bool
) -> None:
    frames = np.stack([medium_shot(astronaut, scale)] * 24)
    clip = Clip(frames=frames, fps=30.0, source=Path("far_away.mp4"), frame_numbers=np.arange(24))
    with caplog.at_level("WARNING"):
        take = analyze(clip)
    eyes = take.extra["face"]["eye_distance_px"]
    assert (eyes < SMALL_FACE_EYE_PX) == warned
    small = [r.getMessage() for r in caplog.records if "the face is small" in r.getMessage()]
    assert len(small) == int(warned)
    if warned:
        assert (
            "far_away.mp4" in small[0]
            and f"eyes {eyes:.0f} px apart" in small[0]
            and "film closer" in small[0]
        )


def test_closer_every_must_be_at_least_one(landmarker: Landmarker) -> None:
    with pytest.raises(ValueError, match="closer_every"):
        FaceTracker(landmarker, closer_every=0)
