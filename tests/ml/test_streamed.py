"""ml.analyze.streamed: a take measured chunk by chunk against one neutral reads as the whole take does,
and keeps its crops on disk."""

from __future__ import annotations

import numpy as np
import pytest

from ml.analyze import streamed
from ml.datasets.photo_clips import load_photo, make_scenario, measure_neutral, render_clip
from ml.errors import UserError
from ml.stages.landmarks import Landmarker
from ml.tracks import measure


@pytest.fixture(scope="module")
def take():
    face = measure_neutral("astronaut", load_photo("astronaut"), Landmarker())
    return render_clip(face, make_scenario(seed=2, family="macro", duration_s=5.0), fps=30.0)


def _frames(clip):
    return ((i, frame) for i, frame in enumerate(clip.frames))


def _chunked_and_whole(take, tmp_path, monkeypatch, tag: str):
    """The take measured in 30-frame chunks, and at once against the same neutral."""
    whole_dir, chunked_dir = tmp_path / f"whole{tag}", tmp_path / f"chunked{tag}"
    whole_dir.mkdir()
    chunked_dir.mkdir()
    monkeypatch.setattr(streamed, "CHUNK_S", 1.0)  # 30-frame chunks: five of them
    track, chunked = streamed.measure_stream(_frames(take), 30.0, chunked_dir)
    assert chunked is not None
    assert 0 <= chunked.neutral[0] < chunked.neutral[1] <= 30  # one neutral, found in the first chunk
    monkeypatch.setattr(streamed, "CHUNK_S", 60.0)  # the whole take at once, against the same neutral
    _, whole = streamed.measure_stream(_frames(take), 30.0, whole_dir, neutral=chunked.neutral)
    assert whole is not None
    assert chunked.names == whole.names and chunked.values.shape == whole.values.shape
    assert isinstance(track.crops, np.memmap)  # the crops wait on disk
    assert track.crops.shape == (len(take.frames), 112, 112, 3)
    return chunked, whole


def test_chunks_read_as_the_whole_take(take, tmp_path, monkeypatch):
    chunked, whole = _chunked_and_whole(take, tmp_path, monkeypatch, "")
    moving = [k for k in range(len(whole.names)) if np.nanmax(whole.values[:, k]) > 0.2]
    assert moving, "the scenario moves some AUs"
    for k in moving:  # each chunk fits what the head's turn leaves in the flow on its own frames
        a, b = whole.values[:, k], chunked.values[:, k]
        ok = np.isfinite(a) & np.isfinite(b)
        assert np.corrcoef(a[ok], b[ok])[0, 1] > 0.95, whole.names[k]
        assert np.nanmax(np.abs(a - b)) < 0.15, whole.names[k]
    # the head's turn from its neutral pose, which events allow for, is carried through the chunks
    assert chunked.head_turn is not None and whole.head_turn is not None
    assert chunked.head_turn.shape == (len(take.frames),)
    assert np.allclose(chunked.head_turn, whole.head_turn, atol=0.5, equal_nan=True)


def test_a_chunk_starts_with_the_past_of_the_chunk_before(take, tmp_path, monkeypatch):
    """A chunk's first frames are smoothed over time with the last frames of the chunk before, as in the
    whole take (after the neutral frames put in front of the chunk, they read 0.03 off). Seen with the
    turn's crosstalk left in (in the flow and in the lip red), which each chunk fits on its own frames."""
    monkeypatch.setattr(measure, "remove_turn_crosstalk", lambda displacement, *args: displacement)
    monkeypatch.setattr(measure, "remove_lip_red_turn_crosstalk", lambda lip_red, *args: lip_red)
    chunked, whole = _chunked_and_whole(take, tmp_path, monkeypatch, "-raw")
    starts = np.concatenate([np.arange(s, s + 3) for s in range(30, len(take.frames), 30)])
    assert np.allclose(chunked.values[starts], whole.values[starts], atol=1e-6, equal_nan=True)


def test_a_neutral_outside_the_first_chunk_is_refused(take, tmp_path, monkeypatch):
    monkeypatch.setattr(streamed, "CHUNK_S", 1.0)
    with pytest.raises(UserError, match=r"neutral span \[40, 50\] must lie within the first 1 s"):
        streamed.measure_stream(_frames(take), 30.0, tmp_path, neutral=(40, 50))
