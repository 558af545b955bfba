"""The shipped model bundle: its digest is checked on load, and a changed copy is refused clearly."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from ml.stages.landmarks import BUNDLE_PATH, Landmarker, LandmarkModelError, load_bundle

# Published facts about MediaPipe's Face Landmarker v2 bundle (float16/1).
EXPECTED_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
EXPECTED_BYTES = 3_758_596


def test_shipped_bundle_is_the_published_file_with_its_notice() -> None:
    data = BUNDLE_PATH.read_bytes()
    assert len(data) == EXPECTED_BYTES
    assert hashlib.sha256(data).hexdigest() == EXPECTED_SHA256
    notice = (BUNDLE_PATH.parent / "face_landmarker.NOTICE.txt").read_text()
    assert "Apache License, Version 2.0" in notice
    assert "unmodified" in notice


def test_bundle_unpacks_three_tflite_models() -> None:
    bundle = load_bundle()
    for model in (bundle.detector, bundle.landmarks, bundle.blendshapes):
        assert model[4:8] == b"TFL3"  # TFLite flatbuffer identifier


def test_tampered_copy_is_refused_naming_the_file_and_the_fix(tmp_path: Path) -> None:
    copy = tmp_path / "face_landmarker.task"
    shutil.copyfile(BUNDLE_PATH, copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(LandmarkModelError, match=r"face_landmarker\.task is not the file this package ships"):
        Landmarker(bundle_path=copy)
    with pytest.raises(LandmarkModelError, match="reinstall the microexpr-anim package"):
        load_bundle(copy)
    # Refusing the copy changes nothing: neither the copy nor the shipped file.
    assert copy.read_bytes() == bytes(data)
    assert hashlib.sha256(BUNDLE_PATH.read_bytes()).hexdigest() == EXPECTED_SHA256


def test_missing_bundle_is_reported_with_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "face_landmarker.task"
    with pytest.raises(LandmarkModelError, match=r"Cannot read the face landmark model .*nowhere.*Reinstall"):
        load_bundle(missing)
