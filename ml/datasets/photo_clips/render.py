"""Render a scenario on a real photograph: frames (streamed or all at once), truth, and files on disk.

Per frame: the units' landmark displacements (:mod:`.actions`) -> a rigid yaw/pitch turn of the moved
3-D mesh about the face centre (orthographic) -> piecewise-affine warp of the photograph
(:mod:`.warp`) with the added mouth opening shaded -> roll and translation of the whole frame ->
optionally, the framing of a wider shot (:func:`in_shot`) -> lighting gain and offset -> Gaussian
sensor noise (seeded per frame, so any frame renders alone).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ml.datasets.photo_clips.actions import TRUTH_AUS, FaceFrame, displacement, drive_units, face_frame
from ml.datasets.photo_clips.photos import NeutralFace
from ml.datasets.photo_clips.scenarios import (
    UNITS,
    Scenario,
    event_truth,
    frame_times,
    head_pose,
    lighting,
    truth_intensities,
    unit_intensities,
)
from ml.datasets.photo_clips.warp import MESH_LANDMARKS, shade_mouth_opening, warp_photo


@dataclass(frozen=True)
class ClipTruth:
    """What a rendered clip shows, frame by frame.

    ``intensities`` (N, len(aus)) in [0, 1]; ``pose`` (N, 5) yaw, pitch, roll (degrees), tx, ty (pixels);
    ``gain``/``offset`` (N,); ``events`` expression events (frames, peak, kind, emotion, AUs), strongest
    first; ``blinks`` likewise for AU45.
    """

    photo: str
    seed: int
    family: str
    fps: float
    aus: tuple[str, ...]
    intensities: np.ndarray
    pose: np.ndarray
    gain: np.ndarray
    offset: np.ndarray
    events: list[dict[str, Any]]
    blinks: list[dict[str, Any]]
    held_out: bool

    @property
    def num_frames(self) -> int:
        return int(self.intensities.shape[0])

    def to_json(self) -> dict[str, Any]:
        return {
            "photo": self.photo,
            "seed": self.seed,
            "family": self.family,
            "fps": self.fps,
            "num_frames": self.num_frames,
            "held_out": self.held_out,
            "aus": list(self.aus),
            "intensities": np.round(self.intensities, 5).tolist(),
            "pose": {
                name: np.round(self.pose[:, j], 5).tolist()
                for j, name in enumerate(("yaw_deg", "pitch_deg", "roll_deg", "tx_px", "ty_px"))
            },
            "lighting": {
                "gain": np.round(self.gain, 5).tolist(),
                "offset": np.round(self.offset, 4).tolist(),
            },
            "events": self.events,
            "blinks": self.blinks,
        }


def clip_truth(face: NeutralFace, scenario: Scenario, fps: float) -> ClipTruth:
    """The per-frame truth of ``scenario`` rendered on ``face`` at ``fps``."""
    t = frame_times(scenario, fps)
    n = len(t)
    pose = head_pose(scenario, t)
    pose[:, 3:] *= face.iod  # translation in pixels
    gain, offset = lighting(scenario, t)
    by_strength = sorted(scenario.events, key=lambda e: -e.amplitude)
    return ClipTruth(
        photo=face.name,
        seed=scenario.seed,
        family=scenario.family,
        fps=float(fps),
        aus=TRUTH_AUS,
        intensities=truth_intensities(unit_intensities(scenario, t)),
        pose=pose,
        gain=gain,
        offset=offset,
        events=[event_truth(e, fps, n) for e in by_strength if e.envelope.start * fps < n],
        blinks=[event_truth(e, fps, n) for e in scenario.blinks if e.envelope.start * fps < n],
        held_out=scenario.held_out,
    )


def _turn(points: np.ndarray, centre: np.ndarray, yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """(K, 2) image positions of (K, 3) points turned about ``centre`` (yaw > 0: nose to image right)."""
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    p = points - centre
    x = p[:, 0] * math.cos(yaw) - p[:, 2] * math.sin(yaw)
    z = p[:, 0] * math.sin(yaw) + p[:, 2] * math.cos(yaw)
    y = p[:, 1] * math.cos(pitch) + z * math.sin(pitch)
    return np.stack([x, y], axis=1) + centre[:2]


def _noise(seed: int, index: int, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    return np.random.default_rng([seed, index, 7]).standard_normal(shape, dtype=np.float32) * sigma


def _draw(face: NeutralFace, frame: FaceFrame, units: dict[str, float], pose: np.ndarray) -> np.ndarray:
    """The photograph with ``units`` (name -> intensity) and ``pose`` (yaw, pitch, roll deg, tx, ty px)."""
    moved = face.points.copy()
    moved[:, :2] += face.iod * displacement(frame, units) @ face.axes
    centre = face.points.mean(axis=0)
    dst = _turn(moved, centre, float(pose[0]), float(pose[1]))
    image = warp_photo(face.rgb, face.points[MESH_LANDMARKS, :2], dst[MESH_LANDMARKS])
    image = shade_mouth_opening(image, face.points[:, :2], dst)
    roll, tx, ty = (float(v) for v in pose[2:5])
    if roll != 0.0 or tx != 0.0 or ty != 0.0:
        rigid = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), -roll, 1.0)
        rigid[:, 2] += np.array([tx, ty])
        height, width = face.rgb.shape[:2]
        image = cv2.warpAffine(image, rigid, (width, height), borderMode=cv2.BORDER_REFLECT)
    return image


def pose_expression(
    face: NeutralFace,
    intensities: dict[str, float],
    *,
    yaw: float = 0.0,
    pitch: float = 0.0,
    roll: float = 0.0,
    tx: float = 0.0,
    ty: float = 0.0,
) -> np.ndarray:
    """One still: action intensities (``AU12``, ``AU12R``, ...) and a head pose (degrees, pixels).

    No lighting change or noise; the photograph itself when everything is zero.
    """
    units = drive_units(intensities)
    frame = face_frame(face.points[:, :2], face.axes, face.iod)
    return _draw(face, frame, units, np.array([yaw, pitch, roll, tx, ty], dtype=np.float64))


#: The face's height, for framing: forehead (top of the mesh) to chin landmarks.
_FOREHEAD, _CHIN = 10, 152


def face_height(face: NeutralFace) -> float:
    """The face's height in the photograph, pixels: forehead to chin along the face's own up axis."""
    return float(abs((face.points[_CHIN, :2] - face.points[_FOREHEAD, :2]) @ face.axes[1]))


def in_shot(
    frame: np.ndarray, face: NeutralFace, height: float, size: tuple[int, int] = (640, 360)
) -> np.ndarray:
    """A rendered frame as a camera further away would see it: the whole photograph scaled so that the
    face fills ``height`` of a ``size`` (width, height) frame, centred on the face, on mid grey.

    ``height`` 0.5 is about a head-and-shoulders webcam shot, 0.17 a medium shot; the photograph is
    scaled with area averaging, so detail finer than the new pixels is lost as a camera would lose it.
    """
    if not 0.0 < height <= 1.0:
        raise ValueError(f"face height must be a fraction of the frame's height in (0, 1], got {height}")
    width, rows = size
    scale = height * rows / face_height(face)
    scaled = cv2.resize(
        frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    centre = face.points[:, :2].mean(axis=0) * scale
    # where the scaled photograph's top-left corner lands in the shot
    x0, y0 = round(float(width / 2 - centre[0])), round(float(rows / 2 - centre[1]))
    shot = np.full((rows, width, 3), 128, np.uint8)
    top, left = max(0, y0), max(0, x0)
    bottom, right = min(rows, y0 + scaled.shape[0]), min(width, x0 + scaled.shape[1])
    if bottom > top and right > left:
        shot[top:bottom, left:right] = scaled[top - y0 : bottom - y0, left - x0 : right - x0]
    return shot


def iter_frames(
    face: NeutralFace, scenario: Scenario, fps: float, *, shot: float | None = None
) -> Iterator[np.ndarray]:
    """The clip's (H, W, 3) uint8 RGB frames one at a time.

    ``shot``: the face's height as a fraction of a 640x360 frame's (:func:`in_shot`), framed before the
    lighting and the sensor noise, as a camera further away would see the scene; the photograph's own
    framing when omitted.
    """
    truth = clip_truth(face, scenario, fps)
    units = unit_intensities(scenario, frame_times(scenario, fps))
    frame = face_frame(face.points[:, :2], face.axes, face.iod)
    for i in range(truth.num_frames):
        active = {unit: float(units[i, j]) for j, unit in enumerate(UNITS) if units[i, j] > 0.0}
        image = _draw(face, frame, active, truth.pose[i])
        if shot is not None:
            image = in_shot(image, face, shot)
        shaded = image.astype(np.float32) * np.float32(truth.gain[i]) + np.float32(truth.offset[i])
        if scenario.noise_sigma > 0:
            shaded += _noise(scenario.seed, i, image.shape, scenario.noise_sigma)
        yield np.clip(np.round(shaded), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class RenderedClip:
    frames: np.ndarray  # (N, H, W, 3) uint8 RGB
    truth: ClipTruth


def render_clip(
    face: NeutralFace, scenario: Scenario, fps: float, *, shot: float | None = None
) -> RenderedClip:
    """All frames of ``scenario`` on ``face`` at ``fps``, with their truth (``shot``: :func:`iter_frames`)."""
    truth = clip_truth(face, scenario, fps)
    frames = np.stack(list(iter_frames(face, scenario, fps, shot=shot)))
    return RenderedClip(frames, truth)


VIDEO_CODECS = {".avi": "MJPG", ".mp4": "mp4v"}


def _replace_atomically(target: Path, write: Any) -> None:
    """Write through ``write(temp_path)`` beside ``target`` and move it into place; no partial file."""
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        write(temp)
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()


def write_clip(
    folder: str | Path,
    face: NeutralFace,
    scenario: Scenario,
    fps: float,
    *,
    video_name: str = "clip.avi",
    overwrite: bool = False,
) -> tuple[Path, Path]:
    """Render into ``folder``: a video (``.avi`` MJPG or ``.mp4`` mp4v) and ``truth.json`` beside it.

    Frames are streamed to the encoder. Existing files are kept unless ``overwrite``; each file is
    written under a temporary name and moved into place only once complete. Returns (video, truth).
    """
    folder = Path(folder)
    video = folder / video_name
    truth_path = folder / "truth.json"
    if video.suffix not in VIDEO_CODECS:
        raise ValueError(
            f"Unsupported video type {video.suffix!r} for {video}; use one of {sorted(VIDEO_CODECS)}"
        )
    if not overwrite:
        existing = [str(p) for p in (video, truth_path) if p.exists()]
        if existing:
            raise FileExistsError(
                f"Not overwriting {', '.join(existing)}; choose another folder or pass overwrite=True"
            )
    folder.mkdir(parents=True, exist_ok=True)
    height, width = face.rgb.shape[:2]

    def write_video(path: Path) -> None:
        writer = cv2.VideoWriter(
            str(path), cv2.VideoWriter.fourcc(*VIDEO_CODECS[video.suffix]), fps, (width, height)
        )
        if not writer.isOpened():
            raise OSError(f"OpenCV could not open a {video.suffix} writer for {video}")
        try:
            for rgb in iter_frames(face, scenario, fps):
                writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        finally:
            writer.release()

    def write_truth(path: Path) -> None:
        text = json.dumps(clip_truth(face, scenario, fps).to_json(), separators=(",", ":"))
        path.write_text(text, encoding="utf-8")

    _replace_atomically(video, write_video)
    _replace_atomically(truth_path, write_truth)
    return video, truth_path
