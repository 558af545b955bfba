"""A face driven by rig keys as Unreal replays them: the AU intensities the keys stand for, and the face.

The keys of a :class:`~curves.curveset.CurveSet` are evaluated per frame with the FRichCurve emulator
(:func:`curves.richcurve.evaluate`, what the editor plays back), then the rig table is inverted: an AU's
intensity is the largest of ``curve value / weight`` over its rows whose curve the CurveSet holds,
clipped to [0, 1]. A row with side ``L``/``R`` gives the sided name (``AU12L``), a midline row the
bilateral one (``AU4``). Those intensities move a neutral face along its own landmark mesh
(:mod:`.actions`, :mod:`.warp`): the subject's own frame from a clip's face track, or a stock photograph.

Folding the replayed names onto the face's motions: a unit with a motion per side (``AU12``) takes each
side's value, or the midline value on both sides when the table has no side for it; a unit with one
motion for both sides (``AU4``) takes the larger of its midline value and the mean of its two sides (a
one-sided brow curve shows as half the motion of both brows). AUs without a motion are listed but do not
move the face.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np

from curves.au import parse_au
from curves.curveset import CurveSet
from curves.richcurve import evaluate
from curves.rigmap import RigTable, load_rig_table
from ml.datasets.photo_clips.actions import MOTIONS, SIDED_AUS
from ml.datasets.photo_clips.photos import (
    LEFT_EYE,
    PHOTOS,
    RIGHT_EYE,
    NeutralFace,
    load_photo,
    measure_neutral,
)
from ml.errors import NoFaceError, UserError
from ml.stages.face import FaceTrack
from ml.stages.landmarks import Landmarker

__all__ = [
    "STOCK_FACES",
    "ReplayedAUs",
    "drive_intensities",
    "face_from_points",
    "least_expressive_frame",
    "replayed_aus",
    "stock_face",
    "track_index_at",
    "track_neutral_face",
]

#: The photographs driven when there is no clip, the first one installed (scikit-image ships the
#: astronaut with the development tools; matplotlib, a runtime dependency, ships Grace Hopper).
STOCK_FACES = ("astronaut", "grace_hopper")
#: Side of the square cut around the stock face, and the cut's centre below the eyes (IOD units).
STOCK_CROP_IOD = 3.0
STOCK_CROP_DROP_IOD = 0.55


@dataclass(frozen=True)
class ReplayedAUs:
    """AU intensities per frame as the keys replay them.

    ``names`` e.g. ``("AU12L", "AU12R", "AU4")``; ``values`` (N, len(names)) in [0, 1], one row per frame
    of the CurveSet, frame ``i`` at ``i / fps`` seconds.
    """

    names: tuple[str, ...]
    fps: float
    values: np.ndarray

    @property
    def num_frames(self) -> int:
        return int(self.values.shape[0])

    def at(self, frame: int) -> dict[str, float]:
        """Name -> intensity on one frame."""
        return {name: float(v) for name, v in zip(self.names, self.values[frame], strict=True)}

    def top(self, frame: int, count: int = 3, floor: float = 0.005) -> list[tuple[str, float]]:
        """The ``count`` strongest AUs of a frame (above ``floor``), strongest first; ties in table order."""
        order = np.argsort(-self.values[frame], kind="stable")[:count]
        return [(self.names[i], float(self.values[frame, i])) for i in order if self.values[frame, i] > floor]


def replayed_aus(cs: CurveSet, rig: str | os.PathLike[str] | RigTable) -> ReplayedAUs:
    """The AU intensities that ``cs``'s keys replay to on each of its frames, through the rig table.

    Curve names match the table's case-insensitively (Unreal's names ignore case).

    Raises:
        UserError: a curve of ``cs`` is not in the table, or no AU of the table reaches ``cs``'s curves.
    """
    table = load_rig_table(rig)
    by_curve = {c.name.lower(): c for c in cs.curves}
    known = {r.curve.lower() for r in table.rows}
    strangers = [c.name for c in cs.curves if c.name.lower() not in known]
    if strangers:
        shown = ", ".join(strangers[:8]) + (f" and {len(strangers) - 8} more" if len(strangers) > 8 else "")
        raise UserError(
            f"The curves {shown} are not in the rig table {table}; the preview replays keys through the "
            "table they were made with: pass that rig (e.g. --rig metahuman or --rig arkit, or its CSV)"
        )
    times = np.arange(cs.n_frames, dtype=np.float64) / cs.fps
    replayed = {name: evaluate(c.times, c.values, times, interp=c.interp) for name, c in by_curve.items()}
    columns: dict[str, np.ndarray] = {}
    for row in table.rows:
        curve = row.curve.lower()
        if curve not in replayed or row.weight == 0.0:
            continue
        name = f"{row.au}{row.side}"
        share = np.clip(replayed[curve] / row.weight, 0.0, 1.0)
        columns[name] = np.maximum(columns[name], share) if name in columns else share
    if not columns and cs.curves:
        raise UserError(f"No row of the rig table {table} drives the curves of this CurveSet with a weight")
    names = tuple(columns)
    values = np.stack([columns[n] for n in names], axis=1) if names else np.zeros((cs.n_frames, 0))
    return ReplayedAUs(names, cs.fps, values)


def drive_intensities(intensities: dict[str, float]) -> dict[str, float]:
    """Replayed AU names (``AU12L``, ``AU4``, ``AU4R``...) folded onto the face's motions (module notes)."""
    sides: dict[str, dict[str, float]] = {}
    for name, value in intensities.items():
        code = parse_au(name)
        sides.setdefault(code.bilateral_name, {})[code.side] = value
    out: dict[str, float] = {}
    for au, by_side in sides.items():
        midline = by_side.get("", 0.0)
        if au in SIDED_AUS:
            for side in "LR":
                value = max(by_side.get(side, 0.0), midline)
                if value > 0.0:
                    out[f"{au}{side}"] = value
        elif au in MOTIONS:
            value = max(midline, (by_side.get("L", 0.0) + by_side.get("R", 0.0)) / 2.0)
            if value > 0.0:
                out[au] = value
    return out


def face_from_points(name: str, rgb: np.ndarray, points: np.ndarray) -> NeutralFace:
    """A neutral face from an image and its (478, 3) landmarks in that image's pixels.

    Axes and scale as :func:`~ml.datasets.photo_clips.photos.measure_neutral` fixes them: x from the
    subject's right eye centre to the left, y a quarter turn towards the chin, IOD between the centres.
    """
    points = np.asarray(points, dtype=np.float64)
    right = points[list(RIGHT_EYE), :2].mean(axis=0)
    left = points[list(LEFT_EYE), :2].mean(axis=0)
    iod = float(np.linalg.norm(left - right))
    if not np.isfinite(points).all() or iod < 1.0:
        raise NoFaceError(f"{name}: the face's landmarks are missing or degenerate; choose another frame")
    x_axis = (left - right) / iod
    y_axis = np.array([-x_axis[1], x_axis[0]])
    return NeutralFace(name=name, rgb=rgb, points=points, axes=np.stack([x_axis, y_axis]), iod=iod)


def track_neutral_face(track: FaceTrack, index: int, size: int) -> NeutralFace:
    """The face track's aligned crop ``index`` scaled to ``size`` px, as a neutral face to drive.

    Raises:
        UserError: ``index`` is outside the track; NoFaceError: that frame has no face landmarks.
    """
    if not 0 <= index < track.num_frames:
        raise UserError(
            f"Neutral frame {index} is outside the clip {track.source} ({track.num_frames} frames); "
            f"give a frame index from 0 to {track.num_frames - 1}"
        )
    number = int(track.frame_numbers[index])
    where = f"{track.source}, frame {number}"
    if not track.present[index]:
        raise NoFaceError(f"{where} has no face; choose a neutral frame where the face is seen")
    scale = size / track.size
    rgb = cv2.resize(track.crops[index], (size, size), interpolation=cv2.INTER_CUBIC)
    return face_from_points(where, rgb, track.landmarks[index].astype(np.float64) * scale)


def track_index_at(track: FaceTrack, seconds: float) -> int | None:
    """The track frame shown at ``seconds`` after its first frame, or None past either end."""
    index = round(seconds * track.fps)
    return index if 0 <= index < track.num_frames else None


def least_expressive_frame(track: FaceTrack, replay: ReplayedAUs) -> int:
    """The track frame with a face (and landmarks) whose replayed AU intensities sum least; first on ties.

    Raises:
        NoFaceError: no frame of the track has face landmarks.
    """
    totals = replay.values.sum(axis=1)
    candidates: list[tuple[float, int]] = []
    for i in range(track.num_frames):
        if not (track.present[i] and np.isfinite(track.landmarks[i]).all()):
            continue
        frame = min(round(i / track.fps * replay.fps), replay.num_frames - 1)
        candidates.append((float(totals[frame]), i))
    if not candidates:
        raise NoFaceError(f"No frame of {track.source} has face landmarks to drive; use a clearer clip")
    return min(candidates)[1]


def stock_face(size: int, landmarker: Landmarker | None = None, photo: str | None = None) -> NeutralFace:
    """A stock photograph's face (``photo``, default the first installed of :data:`STOCK_FACES`) cut
    square around the eyes and mouth and scaled to ``size`` px."""
    if photo is None:
        installed = [name for name in STOCK_FACES if PHOTOS[name].available]
        photo = installed[0] if installed else STOCK_FACES[-1]  # none: load_photo says what to install
    whole = measure_neutral(photo, load_photo(photo), landmarker or Landmarker())
    eyes = whole.points[list(RIGHT_EYE + LEFT_EYE), :2].mean(axis=0)
    centre = eyes + STOCK_CROP_DROP_IOD * whole.iod * whole.axes[1]
    half = STOCK_CROP_IOD * whole.iod / 2.0
    scale = size / (2.0 * half)
    # one affine: the square around the face onto a size x size image (reflected beyond the photo's edge)
    shift = np.array([[scale, 0.0, -(centre[0] - half) * scale], [0.0, scale, -(centre[1] - half) * scale]])
    rgb = cv2.warpAffine(whole.rgb, shift, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
    points = whole.points.copy()
    points[:, :2] = (points[:, :2] - (centre - half)) * scale
    points[:, 2] *= scale
    return face_from_points(f"{photo} (stock face)", rgb, points)
