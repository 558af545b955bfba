"""``preview.mp4`` and ``preview.gif``: the clip's face beside a face driven by the keys as Unreal plays them.

Each frame shows, left, the source clip's aligned face crop (when there is a clip) and, right, the
neutral face moved by the AU intensities the keys replay to (:mod:`.drive`): the subject's own
least-expressive frame (or the frame asked for) when there is a clip, the stock photograph when there
is none. Under the driven face: the frame's three strongest AUs as bars with their values (grey: an AU
the face has no motion for, listed but not shown); under the clip: the time and the clip's frame number.

Timing: the video plays in real time at the CurveSet's frame rate, at most :data:`MAX_VIDEO_FPS`: a
faster clip (a 200 fps high-speed camera) shows one frame in ``k``, said in the caption. The GIF, for
chat, is smaller: at most :data:`MAX_GIF_FPS`, :data:`MAX_GIF_SECONDS` around the most expressive
frame, :data:`GIF_PANEL` px panels. Both files are written under a temporary name and moved into place.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from curves.atomic import atomic_path, check_can_write
from curves.curveset import CurveSet
from curves.rigmap import RigTable
from ml.analyze import read_face_track
from ml.datasets.photo_clips.drive import (
    ReplayedAUs,
    drive_intensities,
    least_expressive_frame,
    replayed_aus,
    stock_face,
    track_index_at,
    track_neutral_face,
)
from ml.datasets.photo_clips.photos import NeutralFace
from ml.datasets.photo_clips.render import pose_expression
from ml.errors import UserError
from ml.stages.face import FaceTrack
from ml.stages.landmarks import Landmarker

__all__ = [
    "GIF_PANEL",
    "MAX_GIF_FPS",
    "MAX_GIF_SECONDS",
    "MAX_VIDEO_FPS",
    "PANEL",
    "PreviewPlan",
    "plan_preview",
    "preview_frames",
    "write_gif",
    "write_mp4",
    "write_preview_video",
]

MAX_VIDEO_FPS = 60.0
MAX_GIF_FPS = 12.0
MAX_GIF_SECONDS = 10.0
#: Panel side in pixels: the video's, and the GIF's.
PANEL = 256
GIF_PANEL = 192
#: Height of one text row under the panels, as a fraction of the panel side.
TEXT_ROW = 0.075
TOP_AUS = 3
GIF_COLOURS = 128

_INK = (235, 235, 235)
_DIM = (150, 150, 150)
_BAR = (90, 200, 120)
_BACKGROUND = 28
_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class PreviewPlan:
    """Which CurveSet frames each file shows and at what rate.

    ``video_frames`` every ``video_stride``-th frame at ``video_fps``; ``gif_frames`` likewise (a subset
    of the video's, one window of at most :data:`MAX_GIF_SECONDS`).
    """

    source_fps: float
    video_stride: int
    video_frames: tuple[int, ...]
    gif_stride: int
    gif_frames: tuple[int, ...]

    @property
    def video_fps(self) -> float:
        return self.source_fps / self.video_stride

    @property
    def gif_fps(self) -> float:
        return self.source_fps / self.gif_stride


def plan_preview(n_frames: int, fps: float, peak: int = 0) -> PreviewPlan:
    """Frames and rates of both files for ``n_frames`` at ``fps``; the GIF's window holds frame ``peak``."""
    video_stride = max(1, math.ceil(fps / MAX_VIDEO_FPS - 1e-9))
    gif_stride = video_stride * max(1, math.ceil(fps / video_stride / MAX_GIF_FPS - 1e-9))
    count = max(1, math.floor(MAX_GIF_SECONDS * fps / gif_stride + 1e-9))
    span = count * gif_stride  # source frames the GIF covers
    start = min(max(peak - span // 2, 0), max(n_frames - span, 0))
    start -= start % video_stride
    return PreviewPlan(
        source_fps=fps,
        video_stride=video_stride,
        video_frames=tuple(range(0, n_frames, video_stride)),
        gif_stride=gif_stride,
        gif_frames=tuple(range(start, min(start + span, n_frames), gif_stride)),
    )


@dataclass(frozen=True)
class _Panels:
    """One preview frame before it is laid out: the images and what is written under them."""

    frame: int
    clip: np.ndarray | None  # None: no clip; an all-grey panel when the clip has no face there
    driven: np.ndarray
    top: list[tuple[str, float]]
    clip_label: str


def _clip_panel(track: FaceTrack, seconds: float, size: int) -> tuple[np.ndarray, str]:
    index = track_index_at(track, seconds)
    if index is None or not track.present[index]:
        return np.full((size, size, 3), 60, np.uint8), "no face"
    crop = cv2.resize(track.crops[index], (size, size), interpolation=cv2.INTER_CUBIC)
    return crop, f"clip frame {int(track.frame_numbers[index])}"


def preview_frames(
    face: NeutralFace, replay: ReplayedAUs, frames: Iterable[int], track: FaceTrack | None = None
) -> Iterator[_Panels]:
    """The driven face (and the clip's crop) of each CurveSet frame in ``frames``, at the face's size."""
    size = int(face.rgb.shape[0])
    for f in frames:
        driven = pose_expression(face, drive_intensities(replay.at(f)))
        clip, label = (None, "") if track is None else _clip_panel(track, f / replay.fps, size)
        yield _Panels(f, clip, driven, replay.top(f, TOP_AUS), label)


def _text(image: np.ndarray, text: str, x: int, y: int, scale: float, colour: tuple[int, int, int]) -> None:
    cv2.putText(image, text, (x, y), _FONT, scale, (0, 0, 0), 3, cv2.LINE_AA)  # a dark edge over photos
    cv2.putText(image, text, (x, y), _FONT, scale, colour, 1, cv2.LINE_AA)


def _layout(panels: _Panels, size: int, fps: float, n_frames: int, stride_note: str) -> np.ndarray:
    """Panels side by side (``size`` px each) over a band: AU bars under the face, time under the clip."""
    row = TEXT_ROW * size
    rows = 4 if panels.clip is not None else 5  # alone, the face's band also holds the time and rate
    band = 2 * round(rows * row / 2)
    scale = 0.4 * size / PANEL
    images = [p for p in (panels.clip, panels.driven) if p is not None]
    canvas = np.full((size + band, size * len(images), 3), _BACKGROUND, np.uint8)
    for k, image in enumerate(images):
        canvas[:size, k * size : (k + 1) * size] = cv2.resize(
            image, (size, size), interpolation=cv2.INTER_AREA
        )
    pad = max(2, round(size / 64))
    x_face = size * (len(images) - 1)
    if panels.clip is not None:
        _text(canvas, "clip", pad, round(row * 0.8), scale, _INK)
        _text(canvas, panels.clip_label, pad, size + round(row * 1.75), scale, _DIM)
    _text(canvas, "keys as replayed", x_face + pad, round(row * 0.8), scale, _INK)
    name_w, value_w = round(size * 0.22), round(size * 0.16)
    for r, (name, value) in enumerate(panels.top):
        base = size + round(row * (r + 0.75))
        moves = bool(drive_intensities({name: 1.0}))  # an AU the face has no motion for is greyed
        _text(canvas, name, x_face + pad, base, scale, _INK if moves else _DIM)
        x0, x1 = x_face + pad + name_w, x_face + size - pad - value_w
        top, bottom = base - round(row * 0.55), base
        cv2.rectangle(canvas, (x0, top), (x1, bottom), _DIM, 1)
        cv2.rectangle(canvas, (x0, top), (x0 + round((x1 - x0) * value), bottom), _BAR if moves else _DIM, -1)
        _text(canvas, f"{value:.2f}", x1 + pad, base, scale, _INK)
    clock = f"t {panels.frame / fps:.3f} s  frame {panels.frame} of {n_frames}"
    if panels.clip is not None:
        _text(canvas, clock, pad, size + round(row * 0.75), scale, _DIM)
        _text(canvas, stride_note, pad, size + round(row * 2.75), scale, _DIM)
    else:
        _text(canvas, clock, pad, size + round(row * 3.75), scale, _DIM)
        _text(canvas, stride_note, pad, size + round(row * 4.75), scale, _DIM)
    return canvas


def _stride_note(stride: int, fps: float) -> str:
    return f"1 frame in {stride} of {fps:g} fps" if stride > 1 else ""


def write_mp4(
    path: str | os.PathLike[str], frames: Iterable[np.ndarray], fps: float, *, overwrite: bool = False
) -> Path:
    """Write RGB frames (all one size) to an MPEG-4 video (``mp4v``) at ``path``, atomically."""
    target = Path(path)
    with atomic_path(target, overwrite=overwrite) as temp:
        encoding = temp.with_name(temp.name + ".mp4")  # OpenCV picks the container by the file name
        try:
            writer: cv2.VideoWriter | None = None
            for rgb in frames:
                if writer is None:
                    height, width = rgb.shape[:2]
                    writer = cv2.VideoWriter(
                        str(encoding), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height)
                    )
                    if not writer.isOpened():
                        raise OSError(f"OpenCV could not open an mp4v writer for {target}; reinstall opencv")
                writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
            if writer is None:
                raise ValueError(f"No frames to write to {target}")
            writer.release()
            os.replace(encoding, temp)
        finally:
            if encoding.exists():
                encoding.unlink()
    return target


def write_gif(
    path: str | os.PathLike[str], frames: Sequence[np.ndarray], fps: float, *, overwrite: bool = False
) -> Path:
    """Write RGB frames to a looping GIF at ``path``, atomically.

    One palette for every frame (taken from a sample of them) and no dithering: what does not move
    stays the same from frame to frame, so the GIF stores only the moving part of each.
    """
    target = Path(path)
    if not frames:
        raise ValueError(f"No frames to write to {target}")
    sample = np.concatenate(list(frames[:: max(1, len(frames) // 8)]), axis=0)
    palette = Image.fromarray(sample).quantize(colors=GIF_COLOURS, method=Image.Quantize.MEDIANCUT)
    images = [Image.fromarray(rgb).quantize(palette=palette, dither=Image.Dither.NONE) for rgb in frames]
    with atomic_path(target, overwrite=overwrite) as temp:
        images[0].save(
            temp,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=round(1000.0 / fps),
            loop=0,
            optimize=True,
        )
    return target


def write_preview_video(
    folder: str | os.PathLike[str],
    curveset: CurveSet,
    rig: str | os.PathLike[str] | RigTable,
    *,
    clip: str | os.PathLike[str] | None = None,
    face_track: FaceTrack | None = None,
    neutral_frame: int | None = None,
    overwrite: bool = False,
    landmarker: Landmarker | None = None,
    gif: bool = True,
) -> list[Path]:
    """Write ``preview.mp4`` (and ``preview.gif``) into ``folder``; returns the files written.

    Args:
        folder: where the files go (created if missing).
        curveset: the keys to replay.
        rig: the rig table the keys were made with (``"metahuman"``, ``"arkit"``, a CSV, a RigTable).
        clip: the source clip, read with :func:`ml.analyze.read_face_track` when ``face_track`` is None.
        face_track: the clip's face track, when already read (then ``clip`` is not read again).
        neutral_frame: the track frame (0-based) to drive; default the least expressive frame with a face.
        overwrite: replace existing preview files.
        landmarker: reused to measure the stock face when there is no clip.
        gif: also write the GIF.

    Raises:
        UserError: curves not in the rig table, ``neutral_frame`` without a clip or outside it, a file
            that exists without ``overwrite``; NoFaceError: the clip has no face to drive.
    """
    out = Path(folder)
    replay = replayed_aus(curveset, rig)
    names = ["preview.mp4", "preview.gif"] if gif else ["preview.mp4"]
    targets = [out / name for name in names]
    for target in targets:
        if target.exists() and not overwrite:
            raise UserError(f"{target} already exists; pass --overwrite (overwrite=True) to replace it")
        if out.exists():
            check_can_write(target, overwrite=overwrite)
    if face_track is None and clip is not None:
        face_track = read_face_track(Path(clip))
    if face_track is None:
        if neutral_frame is not None:
            raise UserError(f"A neutral frame ({neutral_frame}) needs a clip to take it from; give the clip")
        face = stock_face(PANEL, landmarker)
    else:
        index = least_expressive_frame(face_track, replay) if neutral_frame is None else neutral_frame
        face = track_neutral_face(face_track, index, PANEL)

    totals = replay.values.sum(axis=1) if replay.names else np.zeros(replay.num_frames)
    plan = plan_preview(replay.num_frames, replay.fps, peak=int(np.argmax(totals)))
    video_note = _stride_note(plan.video_stride, replay.fps)
    gif_note = _stride_note(plan.gif_stride, replay.fps)
    gif_wanted = set(plan.gif_frames) if gif else set()
    gif_frames: list[np.ndarray] = []

    def video_frames() -> Iterator[np.ndarray]:
        for panels in preview_frames(face, replay, plan.video_frames, face_track):
            if panels.frame in gif_wanted:
                gif_frames.append(_layout(panels, GIF_PANEL, replay.fps, replay.num_frames, gif_note))
            yield _layout(panels, PANEL, replay.fps, replay.num_frames, video_note)

    out.mkdir(parents=True, exist_ok=True)
    written = [write_mp4(targets[0], video_frames(), plan.video_fps, overwrite=overwrite)]
    if gif:
        written.append(write_gif(targets[1], gif_frames, plan.gif_fps, overwrite=overwrite))
    return written
