"""ml.stages.video: frame folders, video files, and the errors people see."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ml.errors import ClipReadError
from ml.stages.video import TruncatedClipError, open_clip, read_clip, write_video


def _write_frames(folder, numbers, size=(40, 30)):
    folder.mkdir(parents=True, exist_ok=True)
    for k in numbers:
        img = np.full((size[1], size[0], 3), k % 256, np.uint8)  # BGR value = frame number
        cv2.imwrite(str(folder / f"img{k}.png"), img)


def test_folder_natural_sort_and_frame_numbers(tmp_path):
    _write_frames(tmp_path / "clip", [46, 9, 100, 10, 47])
    clip = read_clip(tmp_path / "clip", fps=200)
    assert clip.frame_numbers.tolist() == [9, 10, 46, 47, 100]  # natural, not lexicographic (100 < 46)
    assert clip.frames.shape == (5, 30, 40, 3) and clip.frames.dtype == np.uint8
    assert clip.frames[:, 0, 0, 0].tolist() == [9, 10, 46, 47, 100]  # frames follow the same order
    assert clip.fps == 200.0
    assert clip.source == tmp_path / "clip"


def test_folder_max_frames(tmp_path):
    _write_frames(tmp_path / "clip", range(1, 8))
    assert read_clip(tmp_path / "clip", fps=100, max_frames=3).frame_numbers.tolist() == [1, 2, 3]


def test_folder_needs_fps(tmp_path):
    _write_frames(tmp_path / "clip", [1, 2])
    with pytest.raises(ClipReadError, match=r"clip.*pass --fps.*CASME II 200, SMIC-HS 100, SAMM 200"):
        read_clip(tmp_path / "clip")


def test_missing_path(tmp_path):
    with pytest.raises(ClipReadError, match=r"nothere\.mp4: no such file"):
        read_clip(tmp_path / "nothere.mp4")


def test_corrupt_video(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x01not a video at all" * 100)
    with pytest.raises(ClipReadError, match=r"broken\.mp4"):
        read_clip(bad)


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ClipReadError, match=r"empty: the folder is empty"):
        read_clip(tmp_path / "empty", fps=200)


def test_folder_of_non_images(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("hello")
    (folder / "data.csv").write_text("1,2")
    with pytest.raises(ClipReadError, match=r"notes: the folder holds no image files.*readme\.txt"):
        read_clip(folder, fps=200)


def test_unreadable_frame_named(tmp_path):
    _write_frames(tmp_path / "clip", [1, 2])
    (tmp_path / "clip" / "img3.jpg").write_bytes(b"garbage")
    with pytest.raises(ClipReadError, match=r"img3\.jpg: cannot decode"):
        read_clip(tmp_path / "clip", fps=200)


def test_bad_fps_value(tmp_path):
    _write_frames(tmp_path / "clip", [1, 2])
    with pytest.raises(ClipReadError, match="fps must be a positive number"):
        read_clip(tmp_path / "clip", fps=0)


def test_video_roundtrip(tmp_path):
    rng = np.random.default_rng(1)
    base = cv2.GaussianBlur(rng.integers(0, 256, (64, 80, 3), dtype=np.uint8), (0, 0), 3)
    frames = np.stack([np.roll(base, k, axis=1) for k in range(12)])
    path = write_video(frames, 25.0, tmp_path / "roundtrip.avi")
    clip = read_clip(path)
    assert clip.frames.shape == frames.shape
    assert clip.fps == pytest.approx(25.0)
    assert clip.frame_numbers.tolist() == list(range(12))
    assert np.abs(clip.frames.astype(int) - frames.astype(int)).mean() < 4  # MJPG is lossy
    # given fps overrides the container's
    assert read_clip(path, fps=200).fps == 200.0


def test_write_video_refuses_overwrite(tmp_path):
    frames = np.zeros((2, 32, 32, 3), np.uint8)
    path = write_video(frames, 10, tmp_path / "a.avi")
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match=r"a\.avi already exists"):
        write_video(frames + 50, 10, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.avi"]  # no temporary left behind


def _video(path, n, size=(48, 32), fps=25.0):
    frames = np.random.default_rng(n).integers(0, 256, (n, size[1], size[0], 3), dtype=np.uint8)
    return write_video(frames, fps, path)


def test_truncated_video_is_reported_with_counts(tmp_path):
    full = _video(tmp_path / "full.avi", 66)
    data = full.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 5])  # the header still declares 66 frames
    with pytest.raises(TruncatedClipError, match=r"cut\.avi: the file declares 66 frames but only \d+ could"):
        read_clip(cut)
    clip = read_clip(cut, allow_truncated=True)  # the user chose to go on
    assert 0 < clip.num_frames < 66
    assert read_clip(full).num_frames == 66  # an intact file is not flagged


def test_stream_span_and_early_close(tmp_path):
    path = _video(tmp_path / "clip.avi", 50, fps=25.0)
    with open_clip(path, start_s=0.4, end_s=1.2) as stream:
        numbers = [f.number for f in stream]
    assert numbers == list(range(10, 30))  # 0.4 s .. 1.2 s at 25 fps
    stream = open_clip(path)
    it = iter(stream)
    first = next(it)
    assert first.index == 0 and first.rgb.shape == (32, 48, 3)
    stream.close()  # stopping early releases the decoder thread and the file
    with pytest.raises(ClipReadError, match=r"--end .* must come after --start"):
        open_clip(path, start_s=2.0, end_s=1.0)


def test_stream_memory_does_not_grow_with_length(tmp_path):
    """Streaming a clip keeps a bounded number of frames alive, whatever its length."""
    import tracemalloc

    short, long = (
        _video(tmp_path / "s.avi", 20, size=(320, 240)),
        _video(tmp_path / "l.avi", 200, size=(320, 240)),
    )
    peaks = []
    for path in (short, long):
        tracemalloc.start()
        with open_clip(path, prefetch=4) as stream:
            count = sum(1 for _ in stream)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert count in (20, 200)
    frame_bytes = 320 * 240 * 3
    # the queue holds 4 decoded frames; a few more are in flight (decoder, consumer, colour conversion)
    bound = (4 + 5) * frame_bytes
    assert max(peaks) < bound, (peaks, bound)  # ten times the frames, the same bound
