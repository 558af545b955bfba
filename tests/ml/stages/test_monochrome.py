"""A clip without colour is named as such: the measured lips-apart (AU25) needs the landmark model to follow
the lips, which it hardly does in monochrome footage."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ml.analyze import analyze
from ml.analyze.front import MONOCHROME_CHROMA, face_chroma, monochrome_warning
from ml.stages.video import Clip

from .conftest import blank, face_patch, paste


def crops_of(colour: tuple[int, int, int], frames: int = 4, size: int = 16) -> np.ndarray:
    return np.tile(np.array(colour, np.uint8), (frames, size, size, 1))


def without_colour(photo: np.ndarray) -> np.ndarray:
    return np.repeat(cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)


def close_up(photo: np.ndarray) -> Clip:
    """24 still frames of the photograph's face, large in a 640x360 frame, from a camera named camera.avi."""
    frames = np.stack([paste(blank(), face_patch(photo, 1.5), 200, 20)] * 24)
    return Clip(frames=frames, fps=30.0, source=Path("camera.avi"), frame_numbers=np.arange(24))


def test_the_chroma_is_the_spread_of_each_pixels_channels() -> None:
    present = np.ones(4, bool)
    assert face_chroma(crops_of((200, 100, 50)), present) == 150.0
    assert face_chroma(crops_of((90, 90, 90)), present) == 0.0
    assert face_chroma(crops_of((10, 30, 20)), present) == 20.0


def test_the_chroma_reads_the_face_frames_and_the_middle_of_the_crop_only() -> None:
    crops = crops_of((120, 120, 120))
    crops[:2] = (255, 0, 0)  # frames without the face
    crops[:, :4] = (0, 0, 255)  # the top quarter of every crop: background
    assert face_chroma(crops, np.array([False, False, True, True])) == 0.0
    assert face_chroma(crops, np.zeros(4, bool)) is None


def test_only_a_face_without_colour_is_warned_about() -> None:
    assert monochrome_warning(None, "clip.mp4") is None
    assert monochrome_warning(MONOCHROME_CHROMA, "clip.mp4") is None
    warning = monochrome_warning(1.9, "ir_camera.avi")
    assert warning is not None
    assert "ir_camera.avi" in warning and "no colour" in warning and "AU25" in warning


@pytest.mark.parametrize("grey", [False, True])
def test_a_measured_clip_without_colour_says_so(
    astronaut: np.ndarray, caplog: pytest.LogCaptureFixture, grey: bool
) -> None:
    with caplog.at_level("WARNING"):
        take = analyze(close_up(without_colour(astronaut) if grey else astronaut))
    assert take.extra["method"] == "measured"
    said = [w for w in take.extra["face"]["warnings"] if "no colour" in w]
    logged = [r.getMessage() for r in caplog.records if "no colour" in r.getMessage()]
    assert len(said) == len(logged) == int(grey)
    if grey:
        assert said[0] == logged[0] and "camera.avi" in said[0]


def test_the_template_analysis_does_not_warn_about_the_lips_it_does_not_read(astronaut: np.ndarray) -> None:
    take = analyze(close_up(without_colour(astronaut)), method="template")
    assert take.extra["method"] == "template"
    assert not [w for w in take.extra["face"]["warnings"] if "no colour" in w]
