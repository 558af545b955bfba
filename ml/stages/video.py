"""Clips in and out: video files (mp4/avi/mov/...) through OpenCV, and folders of numbered frames.

A frame folder is what micro-expression corpora ship (CASME II ``img46.jpg``, SAMM ``006_05562.jpg``,
SMIC ``image0123456.bmp``): files are ordered by natural sort and each frame keeps the number in its
file name, because coding sheets give onset/apex/offset as those numbers. A folder has no frame rate,
so it must be given (CASME II 200, SMIC-HS 100, SAMM 200).
"""

from __future__ import annotations

import logging
import os
import queue
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from curves.atomic import atomic_path
from curves.rules import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from ml.errors import ClipReadError

__all__ = [
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "Clip",
    "ClipInfo",
    "ClipStream",
    "Frame",
    "TruncatedClipError",
    "open_clip",
    "read_clip",
    "write_video",
]

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Frame:
    """One decoded frame of a stream: its position in the stream, its number, its pixels (RGB uint8)."""

    index: int
    number: int
    rgb: np.ndarray


@dataclass(frozen=True)
class ClipInfo:
    """What is known about a clip before its frames are decoded.

    Attributes:
        source: the video file or frame folder.
        fps: frames per second.
        width, height: frame size in pixels.
        declared_frames: frames of the selected span as the container declares them (a video), or as
            listed (a folder); None when the container does not say.
        first_index: index in the whole clip of the span's first frame (``--start``).
    """

    source: Path
    fps: float
    width: int
    height: int
    declared_frames: int | None
    first_index: int


class TruncatedClipError(ClipReadError):
    """A video decodes to fewer frames than its container declares."""


def _span(
    fps: float, total: int | None, start_s: float | None, end_s: float | None, max_frames: int | None
) -> tuple[int, int | None]:
    """``[first, stop)`` frame indices of the selected span (``stop`` None: to the end)."""
    first = 0 if start_s is None else round(float(start_s) * fps)
    stop = None if end_s is None else round(float(end_s) * fps)
    if total is not None:
        stop = total if stop is None else min(stop, total)
    if max_frames is not None:
        stop = first + max_frames if stop is None else min(stop, first + max_frames)
    return first, stop


def _check_selection(
    source: Path, start_s: float | None, end_s: float | None, max_frames: int | None
) -> None:
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    for name, value in (("start", start_s), ("end", end_s)):
        if value is not None and (not np.isfinite(value) or value < 0):
            raise ClipReadError(f"{source}: --{name} must be a time in seconds >= 0, got {value!r}")
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise ClipReadError(f"{source}: --end ({end_s} s) must come after --start ({start_s} s)")


class ClipStream:
    """Frames of a clip decoded one at a time, so memory does not grow with the clip's length.

    Iterate to get :class:`Frame` objects in order; a background thread decodes up to ``prefetch``
    frames ahead (OpenCV releases the GIL while decoding, so decoding overlaps the caller's work). Use it
    as a context manager, or call :meth:`close`, to stop early.

    When a video decodes to fewer frames than its container declares (a truncated or damaged file),
    the iteration ends with :class:`TruncatedClipError` naming both counts, unless ``allow_truncated``,
    in which case a warning is logged and :attr:`truncated` holds ``(read, declared)``.
    """

    def __init__(
        self,
        info: ClipInfo,
        frames: Iterator[tuple[int, np.ndarray]],
        *,
        release: Callable[[], None],
        allow_truncated: bool,
        prefetch: int,
    ) -> None:
        self.info = info
        self.frames_read = 0
        self.truncated: tuple[int, int] | None = None
        self._frames = frames
        self._release = release
        self._allow_truncated = allow_truncated
        self._queue: queue.Queue[tuple[int, np.ndarray] | BaseException | None] = queue.Queue(
            max(1, prefetch)
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False

    @property
    def fps(self) -> float:
        return self.info.fps

    @property
    def source(self) -> Path:
        return self.info.source

    def _produce(self) -> None:
        try:
            for item in self._frames:
                while not self._stop.is_set():
                    try:
                        self._queue.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            self._queue.put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._queue.put(exc)

    def __iter__(self) -> Iterator[Frame]:
        if self._started:
            raise RuntimeError(f"{self.info.source}: a clip stream can be iterated only once")
        self._started = True
        self._thread = threading.Thread(target=self._produce, name="clip-decoder", daemon=True)
        self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                number, rgb = item
                yield Frame(index=self.frames_read, number=number, rgb=rgb)
                self.frames_read += 1
        finally:
            self.close()
        self._check_complete()

    def _check_complete(self) -> None:
        declared = self.info.declared_frames
        if declared is None:
            return
        missing = declared - self.frames_read
        if missing <= max(2, declared // 100):  # containers often miscount by a frame or two
            return
        message = (
            f"{self.info.source}: the file declares {declared} frames but only {self.frames_read} could be "
            "decoded (truncated or damaged)"
        )
        if not self._allow_truncated:
            raise TruncatedClipError(
                f"{message}; repair or re-export it, or pass --allow-truncated (allow_truncated=True) to "
                f"analyse the {self.frames_read} frames that were read"
            )
        log.warning("%s; analysing the %d frames read", message, self.frames_read)
        self.truncated = (self.frames_read, declared)

    def close(self) -> None:
        """Stop decoding and release the file (safe to call more than once)."""
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            while True:  # unblock a producer waiting on a full queue
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            self._thread.join(timeout=5.0)
        self._release()

    def __enter__(self) -> ClipStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_clip(
    path: str | Path,
    fps: float | None = None,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    max_frames: int | None = None,
    allow_truncated: bool = False,
    prefetch: int = 8,
) -> ClipStream:
    """Open a video file or a folder of numbered frames for streaming.

    Args:
        path: a video file (mp4, avi, mov, ...) or a folder of image files.
        fps: frame rate. Required for a folder; for a video file it overrides the rate stored in the
            file (high-speed recordings are often stored with a 25/30 fps container rate).
        start_s, end_s: the span to read, in seconds from the clip's start (``--start``/``--end``).
        max_frames: read at most this many frames (from ``start_s``).
        allow_truncated: go on with the frames that decode when a video holds fewer than it declares.
        prefetch: frames decoded ahead in a background thread.

    Raises:
        ClipReadError: the path is missing, unreadable or corrupt, a folder holds no images, or the frame
            rate is unknown. The message names the file. Frames that fail to decode raise it while
            iterating.
    """
    source = Path(path)
    _check_selection(source, start_s, end_s, max_frames)
    given_fps = _check_fps(fps, source)
    if not source.exists():
        raise ClipReadError(f"{source}: no such file or folder")
    if source.is_dir():
        return _open_folder(source, given_fps, start_s, end_s, max_frames, prefetch)
    return _open_video(source, given_fps, start_s, end_s, max_frames, allow_truncated, prefetch)


def read_clip(
    path: str | Path,
    fps: float | None = None,
    *,
    max_frames: int | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    allow_truncated: bool = False,
) -> Clip:
    """Read a whole clip (or a span of it) into memory; see :func:`open_clip` for the arguments.

    For long takes prefer :func:`open_clip`, which keeps one frame at a time.

    Raises:
        ClipReadError: as :func:`open_clip`; also when no frame could be read.
    """
    with open_clip(
        path, fps, start_s=start_s, end_s=end_s, max_frames=max_frames, allow_truncated=allow_truncated
    ) as stream:
        frames = [(f.number, f.rgb) for f in stream]
    if not frames:
        raise ClipReadError(f"{stream.source}: no readable frame in the selected span (empty or corrupt)")
    return Clip(
        frames=np.stack([rgb for _, rgb in frames]),
        fps=stream.fps,
        source=stream.source,
        frame_numbers=np.asarray([n for n, _ in frames], dtype=np.int64),
    )


def _open_folder(
    folder: Path,
    fps: float | None,
    start_s: float | None,
    end_s: float | None,
    max_frames: int | None,
    prefetch: int,
) -> ClipStream:
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
    numbers: list[int] = []
    for name in images:
        digits = re.findall(r"\d+", os.path.splitext(name)[0])
        numbers.append(int(digits[-1]) if digits else -1)
    if min(numbers) < 0 or len(set(numbers)) != len(numbers):
        log.warning("%s: frame files are not uniquely numbered; numbering them 0..N-1 in name order", folder)
        numbers = list(range(len(images)))
    first, stop = _span(fps, len(images), start_s, end_s, max_frames)
    chosen = list(zip(numbers, images, strict=True))[first:stop]
    if not chosen:
        raise ClipReadError(
            f"{folder}: the selected span holds no frame ({len(images)} frames at {fps:g} fps)"
        )
    probe = cv2.imread(str(folder / chosen[0][1]), cv2.IMREAD_COLOR)
    if probe is None:
        raise ClipReadError(f"{folder / chosen[0][1]}: cannot decode this image (corrupt or not an image)")
    height, width = probe.shape[:2]

    def frames() -> Iterator[tuple[int, np.ndarray]]:
        for number, name in chosen:
            file = folder / name
            image = cv2.imread(str(file), cv2.IMREAD_COLOR)
            if image is None:
                raise ClipReadError(f"{file}: cannot decode this image (corrupt or not an image)")
            if image.shape[:2] != (height, width):
                raise ClipReadError(
                    f"{file}: frame size {image.shape[1]}x{image.shape[0]} differs from the "
                    f"first frame's {width}x{height}"
                )
            yield number, cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    info = ClipInfo(folder, fps, width, height, None, first)
    return ClipStream(info, frames(), release=lambda: None, allow_truncated=False, prefetch=prefetch)


def _open_video(
    file: Path,
    fps: float | None,
    start_s: float | None,
    end_s: float | None,
    max_frames: int | None,
    allow_truncated: bool,
    prefetch: int,
) -> ClipStream:
    if file.suffix.lower() in IMAGE_EXTENSIONS:
        raise ClipReadError(f"{file}: this is a single image; pass the folder of frames or a video file")
    cap = cv2.VideoCapture(str(file))
    if not cap.isOpened():
        cap.release()
        raise ClipReadError(f"{file}: cannot open this video (corrupt, or not a video OpenCV can decode)")
    file_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if fps is None:
        if not np.isfinite(file_fps) or file_fps <= 0 or file_fps > 10000:
            cap.release()
            raise ClipReadError(f"{file}: the video does not store a usable frame rate; {_FPS_HINT}")
        fps = file_fps
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    total = count if count > 0 else None
    first, stop = _span(fps, total, start_s, end_s, max_frames)
    width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
    height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    # The frames the span should hold, when the container declares its length.
    declared = stop - first if total is not None and stop is not None else None

    def frames() -> Iterator[tuple[int, np.ndarray]]:
        index = 0
        while index < first:  # decode-and-drop: exact on every codec, unlike seeking
            if not cap.grab():
                return
            index += 1
        while stop is None or index < stop:
            ok, frame = cap.read()
            if not ok or frame is None:
                return
            if frame.ndim == 2:
                frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
            yield index, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            index += 1

    info = ClipInfo(file, float(fps), width, height, declared, first)
    return ClipStream(info, frames(), release=cap.release, allow_truncated=allow_truncated, prefetch=prefetch)


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
