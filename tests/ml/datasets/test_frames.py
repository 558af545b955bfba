"""Reading a record's frames, mapping its keyframes, and the synthetic dataset through the CASME II loader."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import numpy as np
import pytest

from ml.datasets import ClipRecord, open_dataset
from ml.datasets.frames import keyframe_indices, read_record

HAS_VIDEO = importlib.util.find_spec("ml.stages.video") is not None
HAS_SYNTHETIC = importlib.util.find_spec("ml.datasets.synthetic") is not None


def _clip(numbers):
    return SimpleNamespace(frame_numbers=np.asarray(numbers, dtype=np.int64))


def _rec(onset, apex, offset, **kw):
    return ClipRecord(
        dataset="casme2",
        subject="sub01",
        clip="EP01",
        emotion="others",
        onset=onset,
        apex=apex,
        offset=offset,
        **kw,
    )


def test_keyframes_map_numbers_to_indices():
    clip = _clip(range(46, 87))  # img46.jpg .. img86.jpg
    assert keyframe_indices(_rec(46, 59, 86), clip) == (0, 13, 40)


def test_keyframes_missing_apex_is_midpoint():
    clip = _clip(range(100, 131))
    assert keyframe_indices(_rec(100, None, 130), clip) == (0, 15, 30)
    assert keyframe_indices(_rec(101, None, 104), clip) == (1, 2, 4)


def test_keyframes_gaps_and_out_of_range():
    clip = _clip([10, 12, 14, 16, 18])
    assert keyframe_indices(_rec(11, 15, 17), clip) == (0, 2, 3)  # nearest, ties to the earlier frame
    assert keyframe_indices(_rec(30, 31, 40), clip) is None
    assert keyframe_indices(_rec(None, 12, 14), clip) is None
    assert keyframe_indices(_rec(5, 14, 30), clip) == (0, 2, 4)  # partly outside: clamped


def test_read_record_without_path():
    with pytest.raises(ValueError, match="has no media path"):
        read_record(_rec(1, 2, 3))


@pytest.mark.skipif(not HAS_VIDEO, reason="ml.stages.video is not available")
def test_read_record_frame_folder_and_long_video(tmp_path, fx):
    folder = fx.make_frames(tmp_path / "sub01" / "EP01", range(1, 11))
    clip = read_record(_rec(3, 5, 8, path=folder, fps=200.0))
    assert clip.frames.shape == (10, 8, 8, 3)
    assert clip.fps == 200.0
    assert clip.frame_numbers.tolist() == list(range(1, 11))
    assert keyframe_indices(_rec(3, 5, 8), clip) == (2, 4, 7)
    long = read_record(_rec(3, 5, 8, path=folder, fps=30.0, extra={"long_video": True}))
    assert long.frame_numbers.tolist() == [3, 4, 5, 6, 7, 8]
    assert keyframe_indices(_rec(3, 5, 8), long) == (0, 2, 5)


@pytest.mark.skipif(
    not (HAS_VIDEO and HAS_SYNTHETIC), reason="ml.stages.video / ml.datasets.synthetic not available"
)
def test_synthetic_dataset_loads_through_casme2_loader(tmp_path):
    from ml.datasets.synthetic import write_dataset

    root = write_dataset(tmp_path / "synth", subjects=2, clips=3, seed=3, size=(96, 96), fps=50.0)
    records = open_dataset(root)
    assert len(records) == 3
    assert {r.dataset for r in records} == {"synthetic"}
    assert {r.subject for r in records} == {"sub01", "sub02"}
    assert all(r.fps == 50.0 for r in records)
    record = records[0]
    assert record.path == root / "CASME2_RAW_selected" / record.subject / record.clip
    clip = read_record(record)
    keys = keyframe_indices(record, clip)
    assert keys is not None
    onset, apex, offset = keys
    assert 0 <= onset <= apex <= offset < clip.frames.shape[0]
    assert clip.frame_numbers[onset] == record.onset and clip.frame_numbers[offset] == record.offset
