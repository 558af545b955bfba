"""Landmarks, blendshapes and head pose on a real photograph, against points picked by eye."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ml.stages.landmarks import BLENDSHAPE_NAMES, FaceLandmarks, Landmarker, head_pose

# Picked by eye on magnified crops of skimage.data.astronaut() (x, y in pixels, pixel centres on
# integers), with the model's landmark index for each feature. "right"/"left" are the subject's.
REFERENCE_POINTS = {
    "right eye outer corner": (33, (192.0, 101.0)),
    "right eye inner corner": (133, (211.0, 102.0)),
    "left eye inner corner": (362, (236.0, 104.0)),
    "left eye outer corner": (263, (256.0, 103.0)),
    "right iris centre": (468, (201.0, 100.0)),
    "left iris centre": (473, (245.0, 103.0)),
    "nose tip": (1, (223.0, 128.0)),
    "right mouth corner": (61, (202.0, 140.0)),
    "left mouth corner": (291, (243.0, 140.0)),
    "chin": (152, (221.0, 177.0)),
}
TOLERANCE_PX = 4.5


def read_face(landmarker: Landmarker, rgb: np.ndarray) -> FaceLandmarks:
    detections = landmarker.detect_faces(rgb)
    assert len(detections) == 1
    first = landmarker.landmarks(rgb, detections[0])
    return landmarker.landmarks(rgb, first)


def rotate_about(rgb: np.ndarray, centre: tuple[float, float], degrees_ccw: float) -> np.ndarray:
    matrix = cv2.getRotationMatrix2D(centre, degrees_ccw, 1.0)
    return cv2.warpAffine(rgb, matrix, rgb.shape[1::-1], borderMode=cv2.BORDER_REFLECT)


def test_landmarks_match_points_picked_by_eye(landmarker: Landmarker, astronaut: np.ndarray) -> None:
    face = read_face(landmarker, astronaut)
    assert face.points.shape == (478, 3)
    assert face.presence > 0.9
    for name, (index, expected) in REFERENCE_POINTS.items():
        error = float(np.hypot(*(face.points[index, :2] - expected)))
        assert error < TOLERANCE_PX, f"{name}: landmark {index} is {error:.1f} px from the reference"


def test_detection_box_and_eye_keypoints(landmarker: Landmarker, astronaut: np.ndarray) -> None:
    (detection,) = landmarker.detect_faces(astronaut)
    assert detection.score > 0.8
    x0, y0, x1, y1 = detection.box
    assert x0 < 192 and x1 > 256 and y0 < 100 and y1 > 150  # holds both eyes and the mouth
    assert np.hypot(*(detection.keypoints[0] - (201, 100))) < 6  # the subject's right eye
    assert np.hypot(*(detection.keypoints[1] - (245, 103))) < 6  # the subject's left eye


def test_blendshapes_see_the_smile_and_open_eyes(landmarker: Landmarker, astronaut: np.ndarray) -> None:
    face = read_face(landmarker, astronaut)
    assert face.blendshapes.shape == (len(BLENDSHAPE_NAMES),) == (52,)
    assert np.all((face.blendshapes >= 0) & (face.blendshapes <= 1))
    # She smiles broadly with her eyes open.
    assert face.blendshape("mouthSmileLeft") > 0.5 and face.blendshape("mouthSmileRight") > 0.5
    assert face.blendshape("eyeBlinkLeft") < 0.3 and face.blendshape("eyeBlinkRight") < 0.3
    with pytest.raises(KeyError, match="Unknown blendshape 'smile'; known names: _neutral"):
        face.blendshape("smile")


def test_mirrored_photograph_mirrors_the_landmarks(landmarker: Landmarker, astronaut: np.ndarray) -> None:
    face = read_face(landmarker, astronaut)
    mirrored = read_face(landmarker, np.ascontiguousarray(astronaut[:, ::-1]))
    width = astronaut.shape[1]
    # The subject's right eye corner lands where the left one was, reflected.
    for right, left in ((33, 263), (133, 362), (61, 291), (468, 473)):
        reflected = np.array([width - 1 - mirrored.points[left, 0], mirrored.points[left, 1]])
        assert np.hypot(*(reflected - face.points[right, :2])) < 2.0


@pytest.mark.parametrize("degrees_ccw", [-20.0, 15.0])
def test_roll_follows_an_in_plane_rotation(
    landmarker: Landmarker, astronaut: np.ndarray, degrees_ccw: float
) -> None:
    upright = read_face(landmarker, astronaut)
    rotated = read_face(landmarker, rotate_about(astronaut, (222.0, 130.0), degrees_ccw))
    # Counter-clockwise on screen tilts the head towards the subject's right shoulder: roll decreases.
    assert rotated.pose.roll - upright.pose.roll == pytest.approx(-degrees_ccw, abs=1.5)
    assert abs(rotated.pose.yaw - upright.pose.yaw) < 3 and abs(rotated.pose.pitch - upright.pose.pitch) < 3


def test_mirror_flips_yaw_and_roll_and_keeps_pitch(landmarker: Landmarker, astronaut: np.ndarray) -> None:
    tilted = rotate_about(astronaut, (222.0, 130.0), -12.0)  # a clear roll of about +15 degrees
    face = read_face(landmarker, tilted)
    mirrored = read_face(landmarker, np.ascontiguousarray(tilted[:, ::-1]))
    assert face.pose.roll > 10
    assert mirrored.pose.roll == pytest.approx(-face.pose.roll, abs=1.0)
    assert mirrored.pose.yaw == pytest.approx(-face.pose.yaw, abs=1.5)
    assert mirrored.pose.pitch == pytest.approx(face.pose.pitch, abs=1.5)
    assert abs(face.pose.yaw) < 8 and abs(face.pose.pitch) < 8  # a frontal portrait


def rotate_points(points: np.ndarray, axis: str, degrees: float) -> np.ndarray:
    """Rotate the 3D landmark cloud about its centroid; camera axes x right, y down, z away."""
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    if axis == "yaw":  # about the vertical axis; positive moves the (near) nose towards +x
        matrix = np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])
    else:  # pitch, about the horizontal axis; positive moves the nose up (towards -y)
        matrix = np.array([[1, 0, 0], [0, c, s], [0, -s, c]])
    centre = points.mean(axis=0)
    return (points - centre) @ matrix.T + centre


@pytest.mark.parametrize("axis", ["yaw", "pitch"])
@pytest.mark.parametrize("degrees", [-25.0, 20.0])
def test_head_turn_signs_on_the_landmark_cloud(
    landmarker: Landmarker, astronaut: np.ndarray, axis: str, degrees: float
) -> None:
    points = read_face(landmarker, astronaut).points.astype(np.float64)
    assert points[1, 2] < points[234, 2]  # the nose tip is nearer the camera than the cheek's edge
    before = head_pose(points)
    after = head_pose(rotate_points(points, axis, degrees))
    assert getattr(after, axis) - getattr(before, axis) == pytest.approx(degrees, abs=2.0)
    assert after.roll == pytest.approx(before.roll, abs=3.0)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((64, 64), dtype=np.uint8), r"shape \(H, W, 3\), got uint8 array of shape \(64, 64\)"),
        (np.zeros((64, 64, 3), dtype=np.float32), "got float32 array"),
        ([[0, 0, 0]], "got list"),
    ],
)
def test_frames_other_than_rgb_uint8_are_refused(landmarker: Landmarker, frame: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        landmarker.detect_faces(frame)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"num_threads": 0}, "num_threads must be at least 1, got 0"),
        ({"min_detection_score": 0.0}, "min_detection_score must be between 0 and 1, got 0.0"),
    ],
)
def test_bad_landmarker_options_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Landmarker(**options)
