"""From a :class:`ClipRecord` to pixels: read the clip's frames and place its keyframes in them.

Coding sheets give onset/apex/offset as frame *numbers* of the files (CASME II ``img46.jpg`` is 46; SAMM and
SMIC numbers are absolute within the session recording). :func:`keyframe_indices` turns those into
0-based indices into the frames actually read. Records of long recordings (CAS(ME)^2/^3,
``extra["long_video"]``) are cut to their onset..offset span after reading.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ml.datasets.schema import ClipRecord
from ml.stages.video import Clip, read_clip

__all__ = ["keyframe_indices", "read_record"]


def read_record(record: ClipRecord, *, max_frames: int | None = None) -> Clip:
    """Read a record's frame folder or video with :func:`ml.stages.video.read_clip` at the record's fps.

    Args:
        record: a record with a media ``path``.
        max_frames: read at most this many frames.

    Returns:
        The clip; for a long-recording record, only frames numbered within onset..offset.

    Raises:
        ValueError: the record has no media path (the dataset was loaded without a media root).
        ml.errors.ClipReadError: the folder/video is missing or unreadable (raised by the reader).
    """

    if record.path is None:
        raise ValueError(
            f"clip {record.key} has no media path: load the dataset with its media root (the folder holding "
            "the frames) to read pixels"
        )
    long_video = bool(record.extra.get("long_video"))
    if long_video and max_frames is None and record.offset is not None:
        # Recordings number their frames from 0 or 1, so offset + 1 frames reach the offset.
        max_frames = record.offset + 1
    clip = read_clip(record.path, fps=record.fps, max_frames=max_frames)
    if long_video and record.onset is not None and record.offset is not None:
        keep = (clip.frame_numbers >= record.onset) & (clip.frame_numbers <= record.offset)
        if keep.any():
            clip = replace(clip, frames=clip.frames[keep], frame_numbers=clip.frame_numbers[keep])
    return clip


def _nearest(frame_numbers: np.ndarray, number: int) -> int:
    """Index of the frame whose number is closest to ``number`` (ties: the earlier frame)."""
    return int(np.argmin(np.abs(frame_numbers.astype(np.int64) - int(number))))


def keyframe_indices(record: ClipRecord, clip: Clip) -> tuple[int, int, int] | None:
    """0-based indices of onset, apex and offset within ``clip``.

    Frame numbers map to the index of the frame carrying that number (the nearest one when the folder
    skips numbers). A missing apex (SMIC, CASME II ``/``) becomes the frame midway between onset and offset.

    Args:
        record: the clip's record.
        clip: the frames read for it (:func:`read_record`).

    Returns:
        ``(onset, apex, offset)`` with ``onset <= apex <= offset``, or None when the record has no onset or
        offset, or its onset..offset span lies entirely outside the clip's frame numbers.
    """
    numbers = np.asarray(clip.frame_numbers)
    if record.onset is None or record.offset is None or numbers.size == 0:
        return None
    if record.offset < numbers.min() or record.onset > numbers.max():
        return None
    onset = _nearest(numbers, record.onset)
    offset = _nearest(numbers, record.offset)
    if offset < onset:
        onset, offset = offset, onset
    if record.apex is None:
        apex = (onset + offset) // 2
    else:
        apex = min(max(_nearest(numbers, record.apex), onset), offset)
    return onset, apex, offset
