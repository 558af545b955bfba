"""Load the Face Landmarker bundle shipped in ``ml/data`` and check it is the exact file we ship."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ml.errors import UserError

BUNDLE_PATH = Path(__file__).resolve().parents[2] / "data" / "face_landmarker.task"
BUNDLE_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"

DETECTOR_MEMBER = "face_detector.tflite"
LANDMARKS_MEMBER = "face_landmarks_detector.tflite"
BLENDSHAPES_MEMBER = "face_blendshapes.tflite"


class LandmarkModelError(UserError):
    """The face landmark model bundle is missing, damaged or not the file this package ships."""


@dataclass(frozen=True)
class ModelBundle:
    """The three TFLite models of the bundle, as bytes ready for ``Interpreter(model_content=...)``."""

    detector: bytes
    landmarks: bytes
    blendshapes: bytes


def load_bundle(path: Path = BUNDLE_PATH, *, sha256: str = BUNDLE_SHA256) -> ModelBundle:
    """Read the bundle at ``path``, refuse it unless its SHA-256 is ``sha256``, and unpack it in memory."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LandmarkModelError(
            f"Cannot read the face landmark model {path}: {exc.strerror or exc}. "
            "Reinstall the microexpr-anim package to restore it."
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise LandmarkModelError(
            f"The face landmark model {path} is not the file this package ships "
            f"(SHA-256 {digest}, expected {sha256}; {len(data):,} bytes). It was changed or damaged: "
            "reinstall the microexpr-anim package to restore it."
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return ModelBundle(
            detector=archive.read(DETECTOR_MEMBER),
            landmarks=archive.read(LANDMARKS_MEMBER),
            blendshapes=archive.read(BLENDSHAPES_MEMBER),
        )
