"""Action units as displacements of a face's own landmark mesh, from FACS descriptions.

Every motion is given at intensity 1 (FACS E, a strong, fully formed action) in units of the
inter-ocular distance (IOD, eye centre to eye centre), in the face's frame: x from the subject's right
eye towards their left eye (image right on a frontal face), y towards the chin. A *pull* moves its
anchor landmarks by its vector and the landmarks around them by a Gaussian falloff of width ``reach``,
limited to a *zone* so that, for example, a lower-lid pull never drags the upper lid:
``above_eyes``/``below_eyes`` split each eye along the curve midway between its lid margins,
``above_mouth``/``below_mouth`` split the mouth midway between the inner lip contours (the corners sit
on the curve, so only ``all`` pulls move them). Displacements of several actions add.

| AU   | FACS name            | motion at intensity 1 (IOD; "out" = away from the midline)           | sides |
|------|----------------------|----------------------------------------------------------------------|-------|
| AU1  | inner brow raiser    | inner brow up 0.12 (reach 0.12, above eyes)                          | L/R   |
| AU2  | outer brow raiser    | outer brow up 0.12 (reach 0.12, above eyes)                          | L/R   |
| AU4  | brow lowerer         | inner brow down 0.07 and in 0.06, mid brow down 0.04 and in 0.02     | both  |
| AU5  | upper lid raiser     | upper lid margin up 0.035 (reach 0.04)                               | both  |
| AU6  | cheek raiser         | cheek up 0.06 (reach 0.12), lower lid margin up 0.025, outer brow    | L/R   |
|      |                      | down 0.015                                                           |       |
| AU7  | lid tightener        | lower lid margin up 0.04, upper lid margin down 0.012                | L/R   |
| AU9  | nose wrinkler        | nose wings up 0.05 and in 0.01, upper lip centre up 0.025, inner     | both  |
|      |                      | brows down 0.04 and in 0.02                                          |       |
| AU10 | upper lip raiser     | upper lip (side half) up 0.07, nasolabial fold up 0.03               | L/R   |
| AU12 | lip corner puller    | lip corner out 0.14 and up 0.10 (reach 0.16)                         | L/R   |
| AU14 | dimpler              | lip corner out 0.05 and up 0.01 (reach 0.07)                         | L/R   |
| AU15 | lip corner depressor | lip corner down 0.09 and out 0.015 (reach 0.14)                      | L/R   |
| AU17 | chin raiser          | chin up 0.05 (reach 0.12), lower lip centre up 0.02                  | both  |
| AU20 | lip stretcher        | lip corner out 0.12 and down 0.02 (reach 0.14)                       | L/R   |
| AU23 | lip tightener        | corners in 0.05, lip red narrowed 0.02 from both outer contours      | both  |
| AU24 | lip pressor          | lip red narrowed 0.03 from both outer contours, corners in 0.015,    | both  |
|      |                      | chin up 0.02                                                         |       |
| AU25 | lips part            | lower lip down 0.05, upper lip up 0.015                              | both  |
| AU26 | jaw drop             | everything below the mouth opening down 0.16                         | both  |
| AU45 | blink                | upper lid margin onto the lower margin, crease half way              | both  |

A bilateral name (``AU12``) drives both sides; ``AU12L``/``AU12R`` one side ("L"/"R" are the
subject's). The iris landmarks are not part of the mesh (a lid closing over the eye covers them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ml.stages.landmarks import LOWER_LIP_INNER, MOUTH_OPENING_CORNERS, UPPER_LIP_INNER, midway_line

Zone = Literal["all", "above_eyes", "below_eyes", "above_mouth", "below_mouth"]


@dataclass(frozen=True)
class Pull:
    """Anchors moved by ``vector`` (IOD, face frame) at intensity 1; neighbours within ``reach`` follow."""

    anchors: tuple[int, ...]
    vector: tuple[float, float]
    reach: float
    zone: Zone = "all"


@dataclass(frozen=True)
class Close:
    """Each ``upper`` landmark moves ``fraction`` of the way to its ``lower`` partner at intensity 1."""

    upper: tuple[int, ...]
    lower: tuple[int, ...]
    fraction: float


Motion = Pull | Close

# Subject's right -> left counterparts of every landmark the table uses.
_RIGHT_LEFT: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((70, 63, 105, 66, 107, 46, 53, 52, 65, 55), (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)),  # brow
    (
        (246, 161, 160, 159, 158, 157, 173, 33, 133),
        (466, 388, 387, 386, 385, 384, 398, 263, 362),
    ),  # upper lid
    ((7, 163, 144, 145, 153, 154, 155), (249, 390, 373, 374, 380, 381, 382)),  # lower lid margin
    ((247, 30, 29, 27, 28, 56, 190), (467, 260, 259, 257, 258, 286, 414)),  # lid crease
    (
        (50, 101, 36, 205, 187, 123, 116, 117, 118, 119, 100),
        (280, 330, 266, 425, 411, 352, 345, 346, 347, 348, 329),
    ),
    ((61, 78, 185, 40, 39, 37, 191, 80, 81), (291, 308, 409, 270, 269, 267, 415, 310, 311)),  # lips
    ((82, 146, 91, 181, 84, 95, 88, 178, 87), (312, 375, 321, 405, 314, 324, 318, 402, 317)),  # lips
    (
        (48, 64, 98, 129, 49, 102, 203, 206, 216, 92),
        (278, 294, 327, 358, 279, 331, 423, 426, 436, 322),
    ),  # nose
)
# Subject's right -> left counterparts of every landmark the table uses.
MIRROR: dict[int, int] = {
    r: left for rights, lefts in _RIGHT_LEFT for r, left in zip(rights, lefts, strict=True)
}

INNER_BROW = (107, 66, 55, 65)
MID_BROW = (105, 52)
OUTER_BROW = (70, 63, 46, 53)
UPPER_LID = (246, 161, 160, 159, 158, 157, 173)
LOWER_LID = (7, 163, 144, 145, 153, 154, 155)
LID_CREASE = (247, 30, 29, 27, 28, 56, 190)
CHEEK = (50, 101, 36, 205, 187, 123, 116, 117, 118, 119, 100)
CORNER = (61, 78)
UPPER_LIP_SIDE = (185, 40, 39, 37, 191, 80, 81, 82)
NOSE_WING = (48, 64, 98, 129, 49, 102)
NASOLABIAL = (203, 206, 216, 92)
UPPER_LIP_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LOWER_LIP_OUTER = (146, 91, 181, 84, 17, 314, 405, 321, 375)
CHIN = (152, 175, 199, 200, 18, 171, 396, 208, 428)
JAW = (172, 136, 150, 149, 176, 148, 377, 400, 378, 379, 365, 397, 135, 169, 170, 140, 369, 395, 394, 364)
IRIS = tuple(range(468, 478))


def _mirror_motion(motion: Motion) -> Motion:
    if isinstance(motion, Close):
        return Close(
            tuple(MIRROR[i] for i in motion.upper), tuple(MIRROR[i] for i in motion.lower), motion.fraction
        )
    return Pull(
        tuple(MIRROR.get(i, i) for i in motion.anchors),
        (-motion.vector[0], motion.vector[1]),
        motion.reach,
        motion.zone,
    )


# The subject's right side of every sided action (vectors: out = -x on the right).
_RIGHT: dict[str, tuple[Motion, ...]] = {
    "AU1": (Pull(INNER_BROW, (0.0, -0.12), 0.12, "above_eyes"),),
    "AU2": (Pull(OUTER_BROW, (0.0, -0.12), 0.12, "above_eyes"),),
    "AU6": (
        Pull(CHEEK, (0.0, -0.06), 0.12, "below_eyes"),
        Pull(LOWER_LID, (0.0, -0.025), 0.03, "below_eyes"),
        Pull(OUTER_BROW, (0.0, 0.015), 0.06, "above_eyes"),
    ),
    "AU7": (
        Pull(LOWER_LID, (0.0, -0.04), 0.035, "below_eyes"),
        Pull(UPPER_LID, (0.0, 0.012), 0.03, "above_eyes"),
    ),
    "AU10": (
        Pull(UPPER_LIP_SIDE, (0.0, -0.07), 0.08, "above_mouth"),
        Pull(NASOLABIAL, (0.0, -0.03), 0.10, "above_mouth"),
    ),
    "AU12": (Pull(CORNER, (-0.14, -0.10), 0.16),),
    "AU14": (Pull(CORNER, (-0.05, -0.01), 0.07),),
    "AU15": (Pull(CORNER, (-0.015, 0.09), 0.14),),
    "AU20": (Pull(CORNER, (-0.12, 0.02), 0.14),),
}

_BOTH: dict[str, tuple[Motion, ...]] = {
    "AU4": (
        Pull(INNER_BROW, (0.06, 0.07), 0.10, "above_eyes"),
        Pull(MID_BROW, (0.02, 0.04), 0.10, "above_eyes"),
    ),
    "AU5": (Pull(UPPER_LID, (0.0, -0.035), 0.04, "above_eyes"),),
    "AU9": (
        Pull(NOSE_WING, (0.01, -0.05), 0.10),
        Pull((37,), (0.0, -0.025), 0.06, "above_mouth"),
        Pull(INNER_BROW[:3:2], (0.02, 0.04), 0.08, "above_eyes"),
    ),
    "AU17": (
        Pull(CHIN, (0.0, -0.05), 0.12, "below_mouth"),
        Pull((84,), (0.0, -0.02), 0.04, "below_mouth"),
    ),
    "AU23": (
        Pull(CORNER, (0.05, 0.0), 0.05),
        Pull(UPPER_LIP_OUTER[1:-1], (0.0, 0.02), 0.03, "above_mouth"),
        Pull(LOWER_LIP_OUTER, (0.0, -0.02), 0.03, "below_mouth"),
    ),
    "AU24": (
        Pull(CORNER, (0.015, 0.0), 0.05),
        Pull(UPPER_LIP_OUTER[1:-1], (0.0, 0.03), 0.03, "above_mouth"),
        Pull(LOWER_LIP_OUTER, (0.0, -0.03), 0.03, "below_mouth"),
        Pull(CHIN, (0.0, -0.02), 0.10, "below_mouth"),
    ),
    "AU25": (
        Pull(LOWER_LIP_OUTER + LOWER_LIP_INNER, (0.0, 0.05), 0.06, "below_mouth"),
        Pull(UPPER_LIP_INNER + UPPER_LIP_OUTER[1:-1], (0.0, -0.015), 0.05, "above_mouth"),
    ),
    "AU26": (Pull(LOWER_LIP_OUTER + LOWER_LIP_INNER + CHIN + JAW, (0.0, 0.16), 0.25, "below_mouth"),),
    "AU45": (Close(UPPER_LID, LOWER_LID, 1.0), Close(LID_CREASE, LOWER_LID, 0.5)),
}


def _both_sides(motions: tuple[Motion, ...]) -> tuple[Motion, ...]:
    """Motions given for the right side (or for the midline) extended to their mirror images."""
    mirrored: list[Motion] = []
    for motion in motions:
        twin = _mirror_motion(motion)
        symmetric = isinstance(motion, Pull) and isinstance(twin, Pull) and motion.vector[0] == 0.0
        if symmetric and set(twin.anchors) == set(motion.anchors):  # type: ignore[union-attr]
            continue  # already symmetric about the midline
        mirrored.append(twin)
    return motions + tuple(mirrored)


#: Motions of every animatable unit: sided units as ``AU<n>R``/``AU<n>L``, the rest bilateral.
MOTIONS: dict[str, tuple[Motion, ...]] = {
    **{f"{au}R": motions for au, motions in _RIGHT.items()},
    **{f"{au}L": tuple(_mirror_motion(m) for m in motions) for au, motions in _RIGHT.items()},
    **{au: _both_sides(motions) for au, motions in _BOTH.items()},
}

#: The units a scenario can drive, each named as the measurement reports it.
SIDED_AUS: tuple[str, ...] = tuple(_RIGHT)
BILATERAL_AUS: tuple[str, ...] = ("AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9", "AU10", "AU12", "AU14")
BILATERAL_AUS += ("AU15", "AU17", "AU20", "AU23", "AU24", "AU25", "AU26", "AU45")
#: Every name with truth: the bilateral list, then L/R of the sided units.
TRUTH_AUS: tuple[str, ...] = BILATERAL_AUS + tuple(f"{au}{side}" for au in SIDED_AUS for side in "LR")


def drive_units(intensities: dict[str, float]) -> dict[str, float]:
    """Split bilateral names of sided units (``AU12``) into both sides; sums where a side is repeated."""
    out: dict[str, float] = {}
    for name, value in intensities.items():
        if name in SIDED_AUS:
            targets = [f"{name}L", f"{name}R"]
        elif name in MOTIONS:
            targets = [name]
        else:
            raise KeyError(f"No motion for action unit {name!r}; animatable units: {', '.join(TRUTH_AUS)}")
        for target in targets:
            out[target] = out.get(target, 0.0) + float(value)
    return out


@dataclass(frozen=True)
class FaceFrame:
    """Landmarks of a neutral face in its own frame (IOD units) and the zones derived from them."""

    points: np.ndarray  # (478, 2) face-frame coordinates, IOD units
    zones: dict[str, np.ndarray]  # zone name -> (478,) bool


def _split(points: np.ndarray, curve: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    level = np.interp(points[:, 0], curve[:, 0], curve[:, 1])
    return points[:, 1] < level - margin, points[:, 1] > level + margin


def face_frame(points_xy: np.ndarray, axes: np.ndarray, iod: float) -> FaceFrame:
    """Face-frame coordinates and zones of (478, 2) landmark pixels."""
    centre = points_xy[[33, 133, 263, 362]].mean(axis=0)
    local = (points_xy - centre) @ axes.T / iod
    eye_r = midway_line(local, UPPER_LID, LOWER_LID, (33, 133))
    left = tuple(MIRROR[i] for i in UPPER_LID), tuple(MIRROR[i] for i in LOWER_LID)
    eye_l = midway_line(local, left[0], left[1], (263, 362))
    right_half = local[:, 0] < 0.0
    above_r, below_r = _split(local, eye_r, 0.01)
    above_l, below_l = _split(local, eye_l, 0.01)
    mouth = midway_line(local, UPPER_LIP_INNER, LOWER_LIP_INNER, MOUTH_OPENING_CORNERS)
    above_m, below_m = _split(local, mouth, 0.01)
    everywhere = np.ones(len(local), bool)
    everywhere[list(IRIS)] = False
    zones = {
        "all": everywhere,
        "above_eyes": everywhere & np.where(right_half, above_r, above_l),
        "below_eyes": everywhere & np.where(right_half, below_r, below_l),
        "above_mouth": everywhere & above_m,
        "below_mouth": everywhere & below_m,
    }
    return FaceFrame(local, zones)


def _motion_field(frame: FaceFrame, motion: Motion) -> np.ndarray:
    """(478, 2) face-frame displacement of one motion at intensity 1."""
    out = np.zeros_like(frame.points)
    if isinstance(motion, Close):
        upper, lower = list(motion.upper), list(motion.lower)
        out[upper] = motion.fraction * (frame.points[lower] - frame.points[upper])
        return out
    anchors = frame.points[list(motion.anchors)]
    dist2 = ((frame.points[:, None, :] - anchors[None, :, :]) ** 2).sum(axis=2).min(axis=1)
    weight = np.exp(-dist2 / (2.0 * motion.reach**2)) * frame.zones[motion.zone]
    weight[list(motion.anchors)] = 1.0
    return weight[:, None] * np.asarray(motion.vector)[None, :]


def displacement(frame: FaceFrame, intensities: dict[str, float]) -> np.ndarray:
    """(478, 2) face-frame displacement (IOD units) of the landmarks for summed action intensities."""
    total = np.zeros_like(frame.points)
    for unit, value in drive_units(intensities).items():
        if value == 0.0:
            continue
        for motion in MOTIONS[unit]:
            total += value * _motion_field(frame, motion)
    return total
