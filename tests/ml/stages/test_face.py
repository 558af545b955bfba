"""ml.stages.face: eye alignment, stabilisation against head motion, missing frames, no-face errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ml.datasets import synthetic as syn
from ml.errors import NoFaceError
from ml.stages.face import EYE_LEFT, EYE_RIGHT, align_clip
from ml.stages.video import Clip


def _as_clip(sc, name="synthetic"):
    return Clip(frames=sc.frames, fps=sc.fps, source=Path(name), frame_numbers=sc.frame_numbers)


@pytest.fixture(scope="module")
def moving():
    """A clip whose head drifts by more than a pixel before the onset."""
    for index in range(20):
        sc = syn.generate_clip(4, index, size=(320, 240))
        pre = sc.index_of(sc.record.onset)
        shift = cv2.phaseCorrelate(
            *(cv2.cvtColor(sc.frames[k], cv2.COLOR_RGB2GRAY).astype(np.float32) for k in (0, pre))
        )[0]
        if np.hypot(*shift) > 1.0 and not sc.meta["blink_frames"]:
            return sc, align_clip(_as_clip(sc))
    raise AssertionError("no synthetic clip with head motion found")


def _shift(a, b):
    ga, gb = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float32) for x in (a, b))
    return np.hypot(*cv2.phaseCorrelate(ga, gb)[0])


def test_crops_shape_and_no_missing(moving):
    sc, track = moving
    n = sc.frames.shape[0]
    assert track.crops.shape == (n, 112, 112, 3) and track.crops.dtype == np.uint8
    assert track.present.all() and track.missing_frames == []
    assert track.detector == "landmarks"
    assert np.isfinite(track.landmarks).all() and np.isfinite(track.blendshapes).all()
    assert track.spans() == [(0, n)] and track.cuts == ()


def test_eyes_land_on_the_crop_eye_points(moving):
    sc, track = moving
    lm = sc.meta["landmarks"]
    m = track.transforms[0]
    for name, target in (("eye_l", EYE_LEFT), ("eye_r", EYE_RIGHT)):
        x, y = lm[name]
        got = m @ np.array([x, y, 1.0])
        assert np.hypot(*(got - np.array(target) * 112)) < 3.0, (name, got)


def test_head_motion_is_removed(moving):
    sc, track = moving
    pre = sc.index_of(sc.record.onset)  # neutral frames: only head motion, flicker and noise
    raw = _shift(sc.frames[0], sc.frames[pre])
    stabilised = _shift(track.crops[0], track.crops[pre])
    crop_scale = 112 * (EYE_RIGHT[0] - EYE_LEFT[0]) / sc.meta["iod"]
    assert raw * crop_scale > 0.7  # the head moved visibly at crop scale ...
    assert stabilised < 0.2  # ... and the crops did not


@pytest.mark.parametrize("detector", ["landmarks", "haar"])
def test_frames_without_a_face_are_reported(detector):
    sc = syn.generate_clip(4, 2, size=(320, 240))
    frames = sc.frames.copy()
    frames[30:45] = 128  # the face disappears for 15 frames
    clip = Clip(frames=frames, fps=200.0, source=Path("gap"), frame_numbers=sc.frame_numbers)
    track = align_clip(clip, detector=detector)
    assert set(range(30, 45)) <= set(track.missing_frames)
    assert len(track.missing_frames) <= 15 + 10  # found again soon after it comes back
    assert track.present[:30].all()
    spans = track.spans()
    assert spans[0] == (0, 30) and spans[1][0] >= 45  # no span runs through the gap
    assert track.segments[spans[0][0]] != track.segments[spans[1][0]]


def test_no_face_anywhere_is_an_error():
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 256, (40, 240, 320, 3), dtype=np.uint8)
    with pytest.raises(NoFaceError, match=r"no face found in noise_clip\.avi"):
        align_clip(Clip(frames=frames, fps=30.0, source=Path("noise_clip.avi"), frame_numbers=np.arange(40)))
    flat = np.full((10, 120, 160, 3), 90, np.uint8)
    with pytest.raises(NoFaceError, match="no face found in wall"):
        align_clip(Clip(frames=flat, fps=30.0, source=Path("wall"), frame_numbers=np.arange(10)))
