"""The face stage on real-photograph clips: presence gating at a cut to a faceless image, jumps, several
faces, and memory that does not grow with the stream."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from ml.stages.face import align_clip, track_faces
from ml.stages.video import Clip

from .conftest import face_patch, paste


def _placed(astronaut: np.ndarray, x: float, y: float, scale: float = 1.0, size=(640, 360)) -> np.ndarray:
    """The astronaut photo placed so its face centre (222, 130) lands at (x, y), on a reflected border."""
    m = np.array([[scale, 0, x - 222 * scale], [0, scale, y - 130 * scale]], np.float64)
    return cv2.warpAffine(astronaut, m, size, borderMode=cv2.BORDER_REFLECT)


def _clip(frames: list[np.ndarray], name: str = "take.mp4", fps: float = 30.0) -> Clip:
    return Clip(frames=np.stack(frames), fps=fps, source=Path(name), frame_numbers=np.arange(len(frames)))


@pytest.fixture(scope="module")
def cut_clip() -> tuple[Clip, range, range, range]:
    """Face for 24 frames (a small drift), a cut to a coffee cup for 16, then the face elsewhere for 20."""
    astronaut = skimage.data.astronaut()
    coffee = cv2.resize(skimage.data.coffee(), (640, 360), interpolation=cv2.INTER_AREA)
    first = [_placed(astronaut, 320 + 0.3 * i, 170 + 0.2 * i) for i in range(24)]
    faceless = [coffee] * 16
    second = [_placed(astronaut, 400 - 0.2 * i, 190, scale=0.8) for i in range(20)]
    return _clip(first + faceless + second), range(0, 24), range(24, 40), range(40, 60)


def test_a_cut_to_a_faceless_image_is_marked_and_splits_the_spans(cut_clip):
    clip, face_a, none, face_b = cut_clip
    track = align_clip(clip)
    assert not track.present[none.start : none.stop].any()  # no frame of the cup is a face
    assert track.present[face_a.start : face_a.stop].all()
    assert track.present[face_b.start + 3 : face_b.stop].all()  # back once confirmed (3 agreeing frames)
    spans = track.spans()
    assert spans[0] == (0, 24)
    assert spans[1][0] >= 40 and spans[1][1] == 60
    assert len(spans) == 2  # no span crosses the faceless frames
    assert track.segments[0] != track.segments[spans[1][0]]  # stabilisation restarted after the gap
    assert np.isnan(track.landmarks[none.start : none.stop]).all()
    assert np.isnan(track.pose[none.start : none.stop]).all()


def test_a_jump_of_the_face_restarts_stabilisation():
    astronaut = skimage.data.astronaut()
    frames = [_placed(astronaut, 300, 170)] * 12 + [_placed(astronaut, 360, 200, scale=0.9)] * 12
    track = align_clip(_clip(frames))
    assert track.present.all()
    assert 12 in track.cuts  # the shot changed at frame 12
    assert track.spans() == [(0, 12), (12, 24)]
    # each segment is stabilised on its own: the eyes sit at the same crop place before and after
    assert np.abs(track.landmarks[11, 468, :2] - track.landmarks[12, 468, :2]).max() < 1.5


@pytest.mark.parametrize(
    ("choose", "index", "expect_x"), [("largest", 0, 200), ("center", 0, 470), ("index", 1, 470)]
)
def test_several_faces_the_chosen_subject_is_followed(astronaut, choose, index, expect_x):
    canvas = np.full((360, 640, 3), 90, np.uint8)
    big, small = face_patch(astronaut, 1.4), face_patch(astronaut, 0.9)
    frame = paste(paste(canvas, big, 200 - big.shape[1] // 2, 20), small, 470 - small.shape[1] // 2, 110)
    frame = cv2.resize(frame, (640, 360))
    if choose == "center":  # make the small face the one nearest the centre
        frame = np.roll(frame, -150, axis=1)
        expect_x -= 150
    track = align_clip(_clip([frame] * 8), choose=choose, index=index)
    assert track.present[3:].all()
    nose = track.landmarks_in_frame(5)[1]
    assert abs(nose[0] - expect_x) < 60, (choose, nose)
    assert (track.other_faces[3:] == 1).all()  # the other face is reported


def test_chunks_keep_memory_flat_whatever_the_length():
    """Peak Python memory of the face stage grows with the chunk, not with the number of frames."""
    astronaut = skimage.data.astronaut()
    frames = [_placed(astronaut, 320 + 0.5 * np.sin(i / 3), 180) for i in range(6)]

    def stream(n):
        for i in range(n):
            yield i, frames[i % len(frames)]

    peaks = []
    for n in (16, 64):
        tracemalloc.start()
        total = sum(chunk.num_frames for chunk in track_faces(stream(n), 30.0, chunk_frames=8))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert total == n
    crop_bytes = 112 * 112 * 3 + 478 * 3 * 4
    assert peaks[1] < peaks[0] + 8 * crop_bytes  # four times the frames, about the same peak
