"""Clips in and out: video files (mp4/avi/mov/...) through OpenCV, and folders of numbered frames.

A frame folder is what micro-expression corpora ship (CASME II ``img46.jpg``, SAMM ``006_05562.jpg``,
SMIC ``image0123456.bmp``): files are ordered by natural sort and each frame keeps the number in its
file name, because coding sheets give onset/apex/offset as those numbers. A folder has no frame rate,
so it must be given (CASME II 200, SMIC-HS 100, SAMM 200).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from curves.atomic import atomic_path
from ml.errors import ClipReadError

__all__ = ["IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS", "Clip", "read_clip", "write_video"]

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_EXTENSIONS: tuple[str, ...] = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv")
_FPS_HINT = "pass --fps (fps=...), e.g. CASME II 200, SMIC-HS 100, SAMM 200"


@dataclass(frozen=True)
class Clip:
    """A clip in memory.

    Attributes:
        frames: ``(N, H, W, 3)`` uint8 RGB.
        fps: frames per second.
        source: the video file or frame folder it was read from.
        frame_numbers: ``(N,)`` int64; the numbers in the frame file names for a folder
            (``img46.jpg`` -> 46), ``0..N-1`` for a video file.
    """

    frames: np.ndarray
    fps: float
    source: Path
    frame_numbers: np.ndarray

    @property
    def num_frames(self) -> int:
        """Number of frames N."""
        return int(self.frames.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds (``N / fps``)."""
        return self.num_frames / self.fps


def _natural_key(name: str) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _check_fps(fps: float | None, source: Path) -> float | None:
    if fps is None:
        return None
    value = float(fps)
    if not np.isfinite(value) or value <= 0:
        raise ClipReadError(f"{source}: fps must be a positive number, got {fps!r}")
    return value


def read_clip(path: str | Path, fps: float | None = None, *, max_frames: int | None = None) -> Clip:
    """Read a video file or a folder of numbered frames.

    Args:
        path: a video file (mp4, avi, mov, ...) or a folder of image files.
        fps: frame rate. Required for a folder; for a video file it overrides the rate stored in the
            file (high-speed recordings are often stored with a 25/30 fps container rate).
        max_frames: read at most this many frames (from the start).

    Returns:
        The :class:`Clip`.

    Raises:
        ClipReadError: the path is missing, unreadable or corrupt, a folder holds no images or an image
            that cannot be decoded, no frame could be read, or the frame rate is unknown. The message
            names the file.
    """
    source = Path(path)
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    given_fps = _check_fps(fps, source)
    if not source.exists():
        raise ClipReadError(f"{source}: no such file or folder")
    if source.is_dir():
        return _read_folder(source, given_fps, max_frames)
    return _read_video(source, given_fps, max_frames)


def _read_folder(folder: Path, fps: float | None, max_frames: int | None) -> Clip:

    try:
        entries = [e for e in os.scandir(folder) if e.is_file() and not e.name.startswith(".")]
    except OSError as exc:
        raise ClipReadError(f"{folder}: cannot list the folder ({exc})") from exc
    if not entries:
        raise ClipReadError(f"{folder}: the folder is empty; expected numbered frames such as img1.jpg")
    images = [e.name for e in entries if os.path.splitext(e.name)[1].lower() in IMAGE_EXTENSIONS]
    if not images:
        example = sorted(e.name for e in entries)[:3]
        raise ClipReadError(
            f"{folder}: the folder holds no image files ({', '.join(IMAGE_EXTENSIONS)}); found e.g. "
            f"{', '.join(example)}"
        )
    if fps is None:
        raise ClipReadError(f"{folder}: a frame folder has no frame rate; {_FPS_HINT}")
    images.sort(key=_natural_key)
    if max_frames is not None:
        images = images[:max_frames]
    numbers: list[int] = []
    for name in images:
        digits = re.findall(r"\d+", os.path.splitext(name)[0])
        numbers.append(int(digits[-1]) if digits else -1)
    if min(numbers) < 0 or len(set(numbers)) != len(numbers):
        log.warning("%s: frame files are not uniquely numbered; numbering them 0..N-1 in name order", folder)
        numbers = list(range(len(images)))
    frames: list[np.ndarray] = []
    shape: tuple[int, ...] | None = None
    for name in images:
        file = folder / name
        image = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if image is None:
            raise ClipReadError(f"{file}: cannot decode this image (corrupt or not an image)")
        if shape is None:
            shape = image.shape
        elif image.shape != shape:
            raise ClipReadError(
                f"{file}: frame size {image.shape[1]}x{image.shape[0]} differs from the "
                f"first frame's {shape[1]}x{shape[0]}"
            )
        frames.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    return Clip(
        frames=np.stack(frames),
        fps=fps,
        source=folder,
        frame_numbers=np.asarray(numbers, dtype=np.int64),
    )


def _read_video(file: Path, fps: float | None, max_frames: int | None) -> Clip:

    if file.suffix.lower() in IMAGE_EXTENSIONS:
        raise ClipReadError(f"{file}: this is a single image; pass the folder of frames or a video file")
    cap = cv2.VideoCapture(str(file))
    try:
        if not cap.isOpened():
            raise ClipReadError(f"{file}: cannot open this video (corrupt, or not a video OpenCV can decode)")
        file_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        frames: list[np.ndarray] = []
        while max_frames is None or len(frames) < max_frames:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            if frame.ndim == 2:
                frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
    if not frames:
        raise ClipReadError(f"{file}: no readable frame (empty or corrupt video)")
    if fps is None:
        if not np.isfinite(file_fps) or file_fps <= 0 or file_fps > 10000:
            raise ClipReadError(f"{file}: the video does not store a usable frame rate; {_FPS_HINT}")
        fps = file_fps
    return Clip(
        frames=np.stack(frames),
        fps=fps,
        source=file,
        frame_numbers=np.arange(len(frames), dtype=np.int64),
    )


def write_video(frames: np.ndarray, fps: float, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``(N, H, W, 3)`` uint8 RGB frames as a video, atomically.

    ``.avi`` is written as Motion-JPEG, ``.mp4``/``.mov`` as MPEG-4 part 2 (``mp4v``), both available in
    the OpenCV wheels. Returns the final path.
    """

    target = Path(path)
    arr = np.asarray(frames)
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8 or arr.shape[0] == 0:
        raise ValueError(f"frames must be a non-empty (N, H, W, 3) uint8 array, got {arr.shape} {arr.dtype}")
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    suffix = target.suffix.lower()
    codecs = {".avi": "MJPG", ".mp4": "mp4v", ".mov": "mp4v", ".m4v": "mp4v"}
    if suffix not in codecs:
        raise ValueError(f"{target}: unsupported video extension {suffix!r}; use .avi, .mp4 or .mov")
    height, width = arr.shape[1:3]
    with atomic_path(target, overwrite=overwrite) as tmp:
        staging = tmp.with_name(tmp.name + suffix)  # the container is chosen from the extension
        try:
            writer = cv2.VideoWriter(
                str(staging), cv2.VideoWriter.fourcc(*codecs[suffix]), float(fps), (int(width), int(height))
            )
            if not writer.isOpened():
                raise OSError(f"{target}: OpenCV cannot open a {codecs[suffix]} video writer")
            try:
                for frame in arr:
                    writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            finally:
                writer.release()
            os.replace(staging, tmp)
        finally:
            if staging.exists():
                staging.unlink()
    return target
