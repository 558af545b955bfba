"""Dense face landmarks on LiteRT: detection, 478 points, 52 blendshapes, head pose, action regions."""

from ml.stages.landmarks.bundle import BUNDLE_PATH, BUNDLE_SHA256, LandmarkModelError, load_bundle
from ml.stages.landmarks.detector import FaceDetection
from ml.stages.landmarks.geometry import FaceRoi
from ml.stages.landmarks.landmarker import FaceLandmarks, Landmarker
from ml.stages.landmarks.mesh import BLENDSHAPE_NAMES
from ml.stages.landmarks.pose import HeadPose, head_pose
from ml.stages.landmarks.regions import (
    LOWER_LIP_INNER,
    MOUTH_OPENING_CORNERS,
    REGIONS,
    UPPER_LIP_INNER,
    Region,
    midway_line,
    region_masks,
)
from ml.stages.landmarks.tracker import FaceTracker, FrameFace

__all__ = [
    "BLENDSHAPE_NAMES",
    "BUNDLE_PATH",
    "BUNDLE_SHA256",
    "LOWER_LIP_INNER",
    "MOUTH_OPENING_CORNERS",
    "REGIONS",
    "UPPER_LIP_INNER",
    "FaceDetection",
    "FaceLandmarks",
    "FaceRoi",
    "FaceTracker",
    "FrameFace",
    "HeadPose",
    "LandmarkModelError",
    "Landmarker",
    "Region",
    "head_pose",
    "load_bundle",
    "midway_line",
    "region_masks",
]
