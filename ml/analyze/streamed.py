"""Long takes in bounded memory: the face stage and the AU measurement run chunk by chunk.

The face stage streams the clip in chunks of :data:`CHUNK_S` seconds (stabilisation runs on across
chunks). Each chunk's AU intensities are measured as soon as it is complete, against one neutral for the
whole take: the first chunk with a face finds it (or takes the one the user marked), and its frames are
put in front of every later chunk as that chunk's neutral span, so intensities do not step at chunk
boundaries; the last few frames of the chunk before follow them, so that the smoothing over time
(:mod:`ml.tracks.smoothing`) reads a chunk's first frames with their own past, not with the neutral
(a chunk's last frames are smoothed over their past alone: at 200 fps, 0.015 off the whole take at
most, at each chunk's end). What the head's turn leaves in the flow (:mod:`ml.tracks.crosstalk`) is
fitted on each chunk's own frames, a minute of them.
What is kept of a chunk is small (AU values, pose, presence); its crops and landmarks go to files in a
working folder, read back only where the recognition model labels an event. Peak memory therefore
follows the chunk length, not the take's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ml.analyze.front import FaceOptions
from ml.errors import UserError
from ml.stages.face import FaceTrack, track_faces
from ml.tracks import AUTracks, measure_au_intensities
from ml.tracks.smoothing import smoothing_reach

__all__ = ["CHUNK_S", "measure_stream"]

#: Seconds of a take measured at once.
CHUNK_S = 60.0
#: Side of the face crops, pixels.
CROP = 112


class _DiskArray:
    """Rows of one shape and type appended to a raw file, then read back as a read-only memmap."""

    def __init__(self, path: Path, dtype: type, row_shape: tuple[int, ...]) -> None:
        self.path, self.dtype, self.row_shape = path, np.dtype(dtype), row_shape
        self.rows = 0
        self._file = path.open("wb")

    def append(self, block: np.ndarray) -> None:
        self._file.write(np.ascontiguousarray(block, dtype=self.dtype).tobytes())
        self.rows += len(block)

    def read(self) -> np.ndarray:
        self._file.close()
        if self.rows == 0:
            return np.zeros((0, *self.row_shape), self.dtype)
        return np.memmap(self.path, dtype=self.dtype, mode="r", shape=(self.rows, *self.row_shape))


def _neutral_in_chunk(neutral: tuple[int, int] | None, start: int, stop: int) -> tuple[int, int] | None:
    """The user's neutral span (take frames) as frames of the chunk ``[start, stop)``."""
    if neutral is None:
        return None
    if not (start <= neutral[0] < neutral[1] <= stop):
        raise UserError(
            f"the neutral span {list(neutral)} must lie within the first {CHUNK_S:g} s that show the face "
            f"(frames {start}-{stop - 1})"
        )
    return neutral[0] - start, neutral[1] - start


def measure_stream(
    frames: Iterable[tuple[int, np.ndarray]],
    fps: float,
    workdir: Path,
    *,
    source: str | Path = "",
    face: FaceOptions | None = None,
    neutral: tuple[int, int] | None = None,
    progress: bool = False,
    total: int | None = None,
    measure: bool = True,
) -> tuple[FaceTrack, AUTracks | None]:
    """The face track (crops and landmarks on disk under ``workdir``) and the measured AU tracks of a take.

    Args:
        frames: ``(frame number, RGB uint8)`` pairs in order.
        fps: the clip's frame rate.
        workdir: an existing folder for the crops and landmarks (keep it while the track is used).
        face: how the face is found.
        neutral: the subject's neutral frames ``(start, stop)`` in the take (default: found).
        measure: measure the AU tracks (False: the face track only, and None for the tracks).
    """
    opts = face or FaceOptions()
    crops = _DiskArray(workdir / "crops.u8", np.uint8, (CROP, CROP, 3))
    landmarks = _DiskArray(workdir / "landmarks.f32", np.float32, (478, 3))
    small: dict[str, list[np.ndarray]] = {
        k: []
        for k in ("present", "transforms", "presence", "pose", "blendshapes", "other", "segments", "numbers")
    }
    values: list[np.ndarray] = []
    turns: list[np.ndarray] = []
    blinks: list[tuple[int, int]] = []
    cuts: list[int] = []
    names: tuple[str, ...] = ()
    pack: tuple[np.ndarray, ...] | None = None  # the neutral frames: crops, landmarks, blendshapes, pose
    span = (0, 0)
    detector = opts.detector
    reach = smoothing_reach(fps)
    past: tuple[np.ndarray, ...] = ()  # the last `reach` frames before the next chunk, as its inputs
    for chunk in track_faces(
        frames,
        fps,
        source=source,
        detector=opts.detector,
        choose=opts.choose,
        index=opts.index,
        chunk_frames=max(1, round(CHUNK_S * fps)),
        progress=progress,
        total=total,
    ):
        detector, first = chunk.detector, chunk.first_index
        crops.append(chunk.crops)
        landmarks.append(chunk.landmarks)
        for key, arr in (
            ("present", chunk.present),
            ("transforms", chunk.transforms),
            ("presence", chunk.presence),
            ("pose", chunk.pose),
            ("blendshapes", chunk.blendshapes),
            ("other", chunk.other_faces),
            ("segments", chunk.segments),
            ("numbers", chunk.frame_numbers),
        ):
            small[key].append(arr)
        cuts += [first + c for c in chunk.cuts]
        inputs = (chunk.crops, chunk.landmarks, chunk.blendshapes, chunk.pose, chunk.present)
        context = past or tuple(x[:0].copy() for x in inputs)  # none before the first chunk
        if reach:
            past = tuple(np.concatenate([a, b])[-reach:].copy() for a, b in zip(context, inputs, strict=True))
        if not measure or detector != "landmarks" or not chunk.present.any():
            values.append(np.full((chunk.num_frames, len(names) or 1), np.nan))
            turns.append(np.full(chunk.num_frames, np.nan))
            continue
        if pack is None:
            tracks = measure_au_intensities(
                chunk.crops,
                chunk.landmarks,
                chunk.blendshapes,
                chunk.pose,
                chunk.present,
                fps,
                neutral=_neutral_in_chunk(neutral, first, first + chunk.num_frames),
            )
            a, b = tracks.neutral
            # copies: a view would keep the whole first chunk alive
            pack = tuple(x[a:b].copy() for x in (chunk.crops, chunk.landmarks, chunk.blendshapes, chunk.pose))
            span = (first + a, first + b)
            chunk_values, chunk_blinks, shift = tracks.values, tracks.blinks, 0
            chunk_turn = tracks.head_turn
        else:
            k = len(pack[0])
            shift = k + len(context[0])
            tracks = measure_au_intensities(
                np.concatenate([pack[0], context[0], chunk.crops]),
                np.concatenate([pack[1], context[1], chunk.landmarks]),
                np.concatenate([pack[2], context[2], chunk.blendshapes]),
                np.concatenate([pack[3], context[3], chunk.pose]),
                np.concatenate([np.ones(k, bool), context[4], chunk.present]),
                fps,
                neutral=(0, k),
            )
            chunk_values, chunk_blinks = tracks.values[shift:].copy(), tracks.blinks
            chunk_turn = None if tracks.head_turn is None else tracks.head_turn[shift:].copy()
        if not names:  # chunks before the first face get the AU columns now
            names = tracks.names
            values = [np.full((len(v), len(names)), np.nan) for v in values]
        values.append(chunk_values)
        turns.append(np.full(len(chunk_values), np.nan) if chunk_turn is None else chunk_turn)
        blinks += [(first + s - shift, first + e - shift) for s, e in chunk_blinks if e > shift]
    present = np.concatenate(small["present"]) if small["present"] else np.zeros(0, bool)
    track = FaceTrack(
        crops=crops.read(),
        present=present,
        transforms=np.concatenate(small["transforms"]),
        landmarks=landmarks.read(),
        presence=np.concatenate(small["presence"]),
        pose=np.concatenate(small["pose"]),
        blendshapes=np.concatenate(small["blendshapes"]),
        other_faces=np.concatenate(small["other"]),
        segments=np.concatenate(small["segments"]),
        cuts=tuple(cuts),
        source=Path(source),
        fps=float(fps),
        frame_numbers=np.concatenate(small["numbers"]),
        detector=detector,
    )
    if not names:  # nothing was measured: no face with landmarks, or not asked
        return track, None
    return track, AUTracks(
        names=names,
        values=np.concatenate(values),
        neutral=span,
        present=present,
        blinks=tuple(blinks),
        head_turn=np.concatenate(turns),
    )
