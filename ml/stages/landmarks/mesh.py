"""The 478-point landmark model (468 mesh points + 10 iris points) and the 52-blendshape model.

Landmark indices used elsewhere follow the model's own numbering. "Right"/"left" are the subject's:
the subject's right eye appears on the left of a frontal image.
"""

from __future__ import annotations

import numpy as np

from ml.stages.landmarks.geometry import FaceRoi, crop, crop_points_to_frame, roi_around
from ml.stages.landmarks.runtime import TfliteModel

CROP_SIZE = 256
NUM_LANDMARKS = 478
ROI_SCALE = 1.5

RIGHT_EYE_OUTER, RIGHT_EYE_INNER = 33, 133
LEFT_EYE_OUTER, LEFT_EYE_INNER = 263, 362
NOSE_TIP, SUBNASALE, NASION, FOREHEAD, CHIN = 1, 2, 168, 10, 152
RIGHT_MOUTH_CORNER, LEFT_MOUTH_CORNER = 61, 291
RIGHT_IRIS_CENTRE, LEFT_IRIS_CENTRE = 468, 473

# The landmarks the blendshape model reads, in the order it reads them (as published with the model).
BLENDSHAPE_INPUT_LANDMARKS = (
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66,
    67, 70, 78, 80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145,
    146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176, 178,
    181, 185, 191, 195, 197, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291,
    293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334, 336, 338, 356,
    361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382, 384, 385, 386, 387, 388, 389, 390, 397,
    398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477,
)  # fmt: skip

# ARKit blendshape names in the model's output order ("_neutral" first).
BLENDSHAPE_NAMES = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight",
    "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft",
    "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight", "mouthClose",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel",
    "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight",
    "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight",
)  # fmt: skip


def run_landmarks(model: TfliteModel, rgb: np.ndarray, roi: FaceRoi) -> tuple[np.ndarray, float]:
    """Landmarks (478, 3) in frame pixels and the face-presence probability for the face in ``roi``.

    x, y are pixel-centre frame coordinates; z is depth relative to the face in the same pixel units,
    smaller = nearer the camera.
    """
    tensor = crop(rgb, roi, CROP_SIZE).astype(np.float32)[None] / 255.0
    outputs = model.run(tensor)
    raw = outputs[0].reshape(NUM_LANDMARKS, 3)
    presence_logit = float(outputs[1].reshape(-1)[0])
    presence = float(1.0 / (1.0 + np.exp(-np.clip(presence_logit, -100.0, 100.0))))
    return crop_points_to_frame(raw, roi, CROP_SIZE), presence


def run_blendshapes(model: TfliteModel, points: np.ndarray) -> np.ndarray:
    """The 52 blendshape coefficients (float32, ``BLENDSHAPE_NAMES`` order) for frame landmarks."""
    # The model reads corner-based pixel coordinates.
    xy = points[list(BLENDSHAPE_INPUT_LANDMARKS), :2] + 0.5
    return model.run(xy[None].astype(np.float32))[0].reshape(-1).astype(np.float32)


def roi_from_landmarks(points: np.ndarray) -> FaceRoi:
    """The rotated square to read the same face in the next frame: the landmark box x1.5, eyes level."""
    return roi_around(points[:, :2], points[RIGHT_EYE_OUTER], points[LEFT_EYE_OUTER], ROI_SCALE)
