"""Action regions: where they fall on a real face, mirror symmetry, and masks in an aligned crop."""

from __future__ import annotations

import numpy as np
import pytest

from ml.stages.landmarks import REGIONS, FaceLandmarks, Landmarker, region_masks

# Eye level, nose tip, mouth line and chin of the astronaut, picked by eye (pixels).
EYE_Y, NOSE_Y, MOUTH_Y, CHIN_Y = 102.0, 128.0, 140.0, 177.0
MIDLINE_X = 223.0
PAIRS = [
    ("inner_brow_right", "inner_brow_left"),
    ("outer_brow_right", "outer_brow_left"),
    ("upper_eyelid_right", "upper_eyelid_left"),
    ("lower_eyelid_right", "lower_eyelid_left"),
    ("cheek_right", "cheek_left"),
    ("nasolabial_right", "nasolabial_left"),
    ("lip_corner_right", "lip_corner_left"),
]


def read_face(landmarker: Landmarker, rgb: np.ndarray) -> FaceLandmarks:
    first = landmarker.landmarks(rgb, landmarker.detect_faces(rgb)[0])
    return landmarker.landmarks(rgb, first)


def centroid(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean()])


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.fixture(scope="module")
def face(landmarker: Landmarker, astronaut: np.ndarray) -> FaceLandmarks:
    return read_face(landmarker, astronaut)


def test_regions_sit_where_their_names_say(face: FaceLandmarks, astronaut: np.ndarray) -> None:
    masks = region_masks(face.points, astronaut.shape[:2])
    assert set(masks) == set(REGIONS)
    c = {name: centroid(mask) for name, mask in masks.items()}
    for name in ("inner_brow_right", "inner_brow_left", "outer_brow_right", "outer_brow_left", "glabella"):
        assert c[name][1] < EYE_Y - 5, name
    for right, left in PAIRS:
        assert c[right][0] < MIDLINE_X < c[left][0], (right, left)  # the subject's right is on image left
    assert abs(c["inner_brow_right"][0] - MIDLINE_X) < abs(c["outer_brow_right"][0] - MIDLINE_X)
    assert c["upper_eyelid_right"][1] < EYE_Y < c["lower_eyelid_right"][1]
    assert EYE_Y < c["cheek_left"][1] < MOUTH_Y
    assert EYE_Y < c["nose_wrinkle"][1] < NOSE_Y and abs(c["nose_wrinkle"][0] - MIDLINE_X) < 5
    assert NOSE_Y < c["upper_lip"][1] < c["lower_lip"][1] < c["chin"][1] < CHIN_Y
    assert c["jaw"][1] > MOUTH_Y


def test_eyelid_and_lip_bands_leave_the_openings_out(face: FaceLandmarks, astronaut: np.ndarray) -> None:
    masks = region_masks(face.points, astronaut.shape[:2])
    # Iris centres (picked by eye) are in the eye opening, not on a lid.
    for x, y in ((201, 100), (245, 103)):
        assert not any(masks[n][y, x] for n in masks if "eyelid" in n)
    # The teeth between the lips (picked by eye) belong to neither lip.
    assert not masks["upper_lip"][144, 222] and not masks["lower_lip"][144, 222]


def test_left_and_right_regions_mirror_each_other(
    landmarker: Landmarker, astronaut: np.ndarray, face: FaceLandmarks
) -> None:
    mirrored_face = read_face(landmarker, np.ascontiguousarray(astronaut[:, ::-1]))
    shape = astronaut.shape[:2]
    original = region_masks(face.points, shape)
    mirrored = region_masks(mirrored_face.points, shape)
    for right, left in PAIRS:
        assert iou(original[right], mirrored[left][:, ::-1]) > 0.6, right
    for middle in ("glabella", "nose_wrinkle", "upper_lip", "lower_lip", "chin", "jaw"):
        assert iou(original[middle], mirrored[middle][:, ::-1]) > 0.6, middle


def test_masks_in_an_aligned_112_px_crop(face: FaceLandmarks, astronaut: np.ndarray) -> None:
    # A crop that maps the 160 px square at (142, 50) onto 112 px: the masks are the frame masks,
    # scaled the same way.
    scale = 112 / 160
    affine = np.array([[scale, 0.0, -142 * scale], [0.0, scale, -50 * scale]])
    crop_masks = region_masks(face.points, (112, 112), affine)
    frame_masks = region_masks(face.points, astronaut.shape[:2])
    for name, mask in crop_masks.items():
        assert mask.shape == (112, 112) and mask.any(), name
        expected = (centroid(frame_masks[name]) - (142, 50)) * scale
        assert np.hypot(*(centroid(mask) - expected)) < 1.0, name
        assert mask.sum() == pytest.approx(frame_masks[name].sum() * scale**2, rel=0.25), name


def test_unknown_region_is_refused_with_the_known_names(face: FaceLandmarks) -> None:
    with pytest.raises(KeyError, match="Unknown face region 'forehead'; known regions: inner_brow_right"):
        region_masks(face.points, (112, 112), names=("forehead",))
