"""Seeded synthetic micro-expression clips, labelled like CASME II, in memory or written in its layout.

Each subject is a rendered face with its own shape, proportions, skin tone, texture, hair and lighting.
A clip starts and ends on a neutral face; between onset and offset a set of Action Units deforms the face
locally (FACS direction and region, a few pixels at the 112 px crop scale), peaking at the apex. Timing is
at 200 fps with onset-to-offset under 0.5 s. Emotions and AU sets are drawn from CASME II's own coding
(2014 sheet), hard-coded below. Distractors make the task honest: small head motion, blinks, illumination
flicker and sensor noise.

Rendering: the neutral face is drawn once per clip; every frame is that image with the blink composited
into the eye regions, AU wrinkle shading applied, then one backward warp (``cv2.remap``) that combines the
AU displacement fields (scaled by the per-frame activations) with the head's similarity motion, then
flicker and noise. Everything is drawn from ``numpy.random.default_rng`` streams keyed by the seed, the
subject and the clip index, so a seed fully determines the bytes written.

On disk (CASME II layout, read by the same loader as the real corpus)::

    <out>/CASME2-coding-synthetic.xlsx            # Sheet1, the CASME II 2014 sheet's columns
    <out>/CASME2_RAW_selected/sub01/EP01_01/img1.jpg ... imgN.jpg
    <out>/synthetic_labels.json                   # per clip "sub01/EP01_01": au_names, activations, fps...
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import openpyxl
from tqdm import tqdm

from curves.atomic import atomic_directory
from curves.au import DEFAULT_AUS
from ml.datasets.schema import ClipRecord
from ml.rules import check_fps

__all__ = [
    "AU_NAMES",
    "CASME2_AU_COMBOS",
    "CASME2_EMOTION_COUNTS",
    "CASME2_SUBJECT_CLIP_COUNTS",
    "EMOTIONS",
    "SHEET_HEADER",
    "SHEET_NAME",
    "SyntheticClip",
    "clip_layout",
    "demo_clip",
    "generate_clip",
    "iter_dataset",
    "load_synthetic_activations",
    "write_dataset",
]

#: AUs the generator animates (the default model's AU list), in activation-column order.
AU_NAMES: tuple[str, ...] = DEFAULT_AUS

#: CASME II (CASME2-coding-20140508.xlsx, 246 clips): clips per estimated emotion.
CASME2_EMOTION_COUNTS: dict[str, int] = {
    "others": 99,
    "disgust": 63,
    "happiness": 32,
    "repression": 27,
    "surprise": 25,
}
EMOTIONS: tuple[str, ...] = tuple(CASME2_EMOTION_COUNTS)

#: CASME II (2014 sheet): clips per (emotion, set of the 11 modelled AUs, sides folded). The sets that
#: contain none of the 11 AUs (others 8, surprise 1: AU18, AU24, AU25... only) are left out, since they
#: have no motion the generator renders. Their pairwise counts reproduce casme2_au_cooccurrence.json.
CASME2_AU_COMBOS: dict[str, tuple[tuple[tuple[str, ...], int], ...]] = {
    "disgust": (
        (("AU4", "AU7"), 20),
        (("AU4",), 12),
        (("AU4", "AU10"), 10),
        (("AU4", "AU9"), 4),
        (("AU4", "AU7", "AU9"), 4),
        (("AU4", "AU6", "AU7"), 2),
        (("AU10",), 2),
        (("AU4", "AU9", "AU10"), 2),
        (("AU4", "AU7", "AU10"), 2),
        (("AU4", "AU9", "AU14"), 1),
        (("AU2", "AU15"), 1),
        (("AU4", "AU6", "AU7", "AU9"), 1),
        (("AU4", "AU9", "AU17"), 1),
        (("AU7", "AU10"), 1),
    ),
    "happiness": (
        (("AU12",), 15),
        (("AU6", "AU12"), 6),
        (("AU14",), 3),
        (("AU1", "AU12"), 1),
        (("AU14", "AU15"), 1),
        (("AU12", "AU15"), 1),
        (("AU15",), 1),
        (("AU4", "AU12"), 1),
        (("AU12", "AU14"), 1),
        (("AU6", "AU7", "AU12"), 1),
        (("AU6", "AU12", "AU17"), 1),
    ),
    "others": (
        (("AU4",), 61),
        (("AU14",), 15),
        (("AU17",), 4),
        (("AU4", "AU7"), 3),
        (("AU15",), 1),
        (("AU7",), 1),
        (("AU4", "AU14"), 1),
        (("AU4", "AU12"), 1),
        (("AU6", "AU7", "AU12"), 1),
        (("AU12",), 1),
        (("AU6", "AU7"), 1),
        (("AU4", "AU7", "AU12"), 1),
    ),
    "repression": (
        (("AU17",), 13),
        (("AU15",), 4),
        (("AU15", "AU17"), 4),
        (("AU14",), 2),
        (("AU12", "AU15"), 1),
        (("AU12", "AU14", "AU17"), 1),
        (("AU14", "AU15"), 1),
        (("AU4", "AU15", "AU17"), 1),
    ),
    "surprise": (
        (("AU1", "AU2"), 14),
        (("AU1",), 4),
        (("AU2",), 4),
        (("AU2", "AU12"), 1),
        (("AU2", "AU14"), 1),
    ),
}

#: CASME II (2014 sheet): clips per subject 01..26, used to spread clips over 26 subjects like the corpus.
CASME2_SUBJECT_CLIP_COUNTS: tuple[int, ...] = (
    9,
    13,
    7,
    5,
    19,
    5,
    9,
    3,
    13,
    13,
    10,
    12,
    8,
    4,
    3,
    4,
    34,
    3,
    15,
    11,
    2,
    2,
    12,
    7,
    7,
    16,
)

#: The coding sheet's worksheet name and header row, cell for cell as in CASME2-coding-20140508.xlsx.
SHEET_NAME = "Sheet1"
SHEET_HEADER: tuple[str | None, ...] = (
    "Subject",
    "Filename",
    None,
    "OnsetFrame",
    "ApexFrame",
    "OffsetFrame",
    None,
    "Action Units",
    "Estimated Emotion",
)
SHEET_FILE = "CASME2-coding-synthetic.xlsx"
FRAMES_DIR = "CASME2_RAW_selected"
LABELS_FILE = "synthetic_labels.json"
LABELS_FORMAT = "microexpr-synthetic-labels"

DEFAULT_SIZE: tuple[int, int] = (320, 240)  # (width, height)
_CROP_IOD = 0.36 * 112.0  # inter-ocular distance in an aligned 112 px crop (see ml.stages.face)
_JPEG_QUALITY = 90
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class SyntheticClip:
    """One generated clip and its ground truth.

    Attributes:
        frames: ``(N, H, W, 3)`` uint8 RGB.
        fps: frames per second.
        record: the label (dataset ``"synthetic"``; onset/apex/offset as frame numbers).
        activations: ``(N, A)`` float32 in [0, 1], per-frame activation of each AU of ``au_names``.
        au_names: AU column names of ``activations``.
        frame_numbers: ``(N,)`` int64, the written file numbers (``img1.jpg`` is 1).
        meta: generation details (intensities, distractors, face landmarks in pixels).
    """

    frames: np.ndarray
    fps: float
    record: ClipRecord
    activations: np.ndarray
    au_names: tuple[str, ...]
    frame_numbers: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def index_of(self, frame_number: int) -> int:
        """0-based index of a frame number."""
        return int(frame_number) - int(self.frame_numbers[0])


# ----------------------------------------------------------------------------------------------- faces


@dataclass(frozen=True)
class _Look:
    """A subject's appearance, in face-relative units (fractions of the face half-width/half-height)."""

    width_ratio: float
    eye_v: float
    eye_sep: float
    eye_size: float
    eye_open: float
    brow_gap: float
    brow_thick: float
    brow_arch: float
    brow_inner: float
    nose_v: float
    nose_w: float
    mouth_v: float
    mouth_w: float
    lip_thick: float
    hairline: float
    skin: tuple[float, float, float]
    hair: tuple[float, float, float]
    iris: tuple[float, float, float]
    lips: tuple[float, float, float]
    background: tuple[float, float, float]
    texture: float
    light: tuple[float, float]
    ambient: float
    texture_seed: int


_SKIN_TONES = np.array(
    [  # RGB, light to dark
        [243, 208, 186],
        [226, 180, 150],
        [205, 155, 120],
        [186, 138, 100],
        [160, 112, 80],
        [125, 86, 62],
        [98, 68, 52],
    ],
    dtype=np.float64,
)


def _subject_look(seed: int, subject: int) -> _Look:
    rng = np.random.default_rng([seed, 1, subject])
    tone = rng.uniform(0, len(_SKIN_TONES) - 1)
    lo = int(tone)
    hi = min(lo + 1, len(_SKIN_TONES) - 1)
    skin = _SKIN_TONES[lo] * (1 - (tone - lo)) + _SKIN_TONES[hi] * (tone - lo)
    skin = skin * rng.uniform(0.95, 1.05, 3)
    hair_dark = rng.uniform(15, 70)
    hair = np.array([hair_dark * rng.uniform(1.0, 1.8), hair_dark * rng.uniform(0.8, 1.3), hair_dark])
    if rng.random() < 0.15 and tone < 3.0:  # fair hair, on lighter skin
        hair = np.array([150, 120, 80]) * rng.uniform(0.8, 1.1)
    iris = np.array([rng.uniform(30, 90), rng.uniform(25, 70), rng.uniform(15, 60)])
    lips = skin * np.array([0.92, 0.62, 0.62]) * rng.uniform(0.85, 1.0)
    background = rng.uniform(90, 210, 3)
    return _Look(
        width_ratio=float(rng.uniform(0.70, 0.84)),
        eye_v=float(rng.uniform(0.10, 0.18)),
        eye_sep=float(rng.uniform(0.37, 0.44)),
        eye_size=float(rng.uniform(0.27, 0.33)),
        eye_open=float(rng.uniform(0.36, 0.46)),
        brow_gap=float(rng.uniform(0.12, 0.17)),
        brow_thick=float(rng.uniform(0.04, 0.065)),
        brow_arch=float(rng.uniform(0.01, 0.05)),
        brow_inner=float(rng.uniform(0.11, 0.18)),
        nose_v=float(rng.uniform(0.17, 0.25)),
        nose_w=float(rng.uniform(0.16, 0.22)),
        mouth_v=float(rng.uniform(0.43, 0.51)),
        mouth_w=float(rng.uniform(0.30, 0.38)),
        lip_thick=float(rng.uniform(0.045, 0.07)),
        hairline=float(rng.uniform(0.62, 0.80)),
        skin=(float(skin[0]), float(skin[1]), float(skin[2])),
        hair=(float(hair[0]), float(hair[1]), float(hair[2])),
        iris=(float(iris[0]), float(iris[1]), float(iris[2])),
        lips=(float(lips[0]), float(lips[1]), float(lips[2])),
        background=(float(background[0]), float(background[1]), float(background[2])),
        texture=float(rng.uniform(1.2, 3.5)),
        light=(float(rng.uniform(-0.5, 0.5)), float(rng.uniform(-0.6, -0.2))),
        ambient=float(rng.uniform(0.6, 0.72)),
        texture_seed=int(rng.integers(0, 2**31 - 1)),
    )


@dataclass(frozen=True)
class _Layout:
    """Face geometry of one clip in frame pixels (x right, y down)."""

    cx: float
    cy: float
    a: float  # face half-width
    b: float  # face half-height
    eye_y: float
    eye_dx: float
    eye_w: float
    eye_h: float
    brow_y: float
    nose_y: float
    mouth_y: float
    mouth_dx: float

    @property
    def iod(self) -> float:
        """Inter-ocular distance in pixels."""
        return 2.0 * self.eye_dx

    def landmarks(self) -> dict[str, tuple[float, float]]:
        """Named points in pixels: eyes, brows, nose tip, lip corners, chin."""
        brow_in = self.eye_dx - 0.5 * self.eye_w * 0.9
        brow_out = self.eye_dx + 0.5 * self.eye_w * 1.15
        return {
            "eye_l": (self.cx - self.eye_dx, self.eye_y),
            "eye_r": (self.cx + self.eye_dx, self.eye_y),
            "brow_inner_l": (self.cx - brow_in, self.brow_y),
            "brow_inner_r": (self.cx + brow_in, self.brow_y),
            "brow_outer_l": (self.cx - brow_out, self.brow_y),
            "brow_outer_r": (self.cx + brow_out, self.brow_y),
            "nose_tip": (self.cx, self.nose_y),
            "lip_corner_l": (self.cx - self.mouth_dx, self.mouth_y),
            "lip_corner_r": (self.cx + self.mouth_dx, self.mouth_y),
            "chin": (self.cx, self.cy + 0.8 * self.b),
        }


def _layout(look: _Look, size: tuple[int, int], rng: np.random.Generator) -> _Layout:
    width, height = size
    b = 0.34 * height * float(rng.uniform(0.94, 1.04))
    a = b * look.width_ratio
    cx = width / 2 + float(rng.uniform(-0.04, 0.04)) * width
    cy = height * 0.5 + float(rng.uniform(-0.03, 0.03)) * height
    eye_w = a * look.eye_size
    return _Layout(
        cx=cx,
        cy=cy,
        a=a,
        b=b,
        eye_y=cy - look.eye_v * b,
        eye_dx=a * look.eye_sep,
        eye_w=eye_w,
        eye_h=eye_w * look.eye_open,
        brow_y=cy - (look.eye_v + look.brow_gap) * b,
        nose_y=cy + look.nose_v * b,
        mouth_y=cy + look.mouth_v * b,
        mouth_dx=a * look.mouth_w,
    )


_SHIFT = 4  # sub-pixel bits for cv2 drawing
_ONE = 1 << _SHIFT


def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x * _ONE), round(y * _ONE)


def _mask_ellipse(
    shape: tuple[int, int],
    c: tuple[float, float],
    axes: tuple[float, float],
    angle: float = 0.0,
    blur: float = 0.0,
) -> np.ndarray:

    m = np.zeros(shape, np.uint8)
    cv2.ellipse(
        m,
        _pt(*c),
        (max(1, round(axes[0] * _ONE)), max(1, round(axes[1] * _ONE))),
        angle,
        0,
        360,
        255,
        -1,
        cv2.LINE_AA,
        _SHIFT,
    )
    out = m.astype(np.float32) / 255.0
    return cv2.GaussianBlur(out, (0, 0), blur) if blur > 0 else out


def _mask_poly(
    shape: tuple[int, int],
    pts: list[tuple[float, float]],
    *,
    closed: bool,
    thickness: float = 0.0,
    blur: float = 0.0,
) -> np.ndarray:

    m = np.zeros(shape, np.uint8)
    arr = np.array([_pt(x, y) for x, y in pts], np.int32).reshape(-1, 1, 2)
    if closed:
        cv2.fillPoly(m, [arr], 255, cv2.LINE_AA, _SHIFT)
    else:
        cv2.polylines(m, [arr], False, 255, max(1, round(thickness)), cv2.LINE_AA, _SHIFT)
    out = m.astype(np.float32) / 255.0
    return cv2.GaussianBlur(out, (0, 0), blur) if blur > 0 else out


def _gauss(xx: np.ndarray, yy: np.ndarray, c: tuple[float, float], sx: float, sy: float) -> np.ndarray:
    return np.exp(-0.5 * (((xx - c[0]) / sx) ** 2 + ((yy - c[1]) / sy) ** 2)).astype(np.float32)


def _paint(
    img: np.ndarray, mask: np.ndarray, color: tuple[float, float, float] | np.ndarray, alpha: float = 1.0
) -> None:
    m = (mask * alpha)[..., None]
    img *= 1.0 - m
    img += m * np.asarray(color, np.float32)


def _brow_points(lay: _Layout, look: _Look, side: int) -> list[tuple[float, float]]:
    inner = lay.eye_dx - 0.5 * lay.eye_w * 0.9
    outer = lay.eye_dx + 0.5 * lay.eye_w * 1.15
    pts = []
    for t in np.linspace(0.0, 1.0, 7):
        x = lay.cx + side * (inner + t * (outer - inner))
        arch = look.brow_arch * lay.b * math.sin(math.pi * min(1.0, t * 1.3))
        pts.append((x, lay.brow_y - arch + 0.01 * lay.b * t))
    return pts


def _render_neutral(look: _Look, lay: _Layout, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Draw the neutral face. Returns ``(image, closed_eyes)``, both ``(H, W, 3)`` float32 in 0..255."""

    width, height = size
    shape = (height, width)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    tex_rng = np.random.default_rng(look.texture_seed)
    scale = lay.b / 80.0

    # background: a vertical gradient with a soft vignette
    grad = (0.85 + 0.3 * (1 - yy / height))[..., None]
    img = (np.asarray(look.background, np.float32) * grad).astype(np.float32)

    # hair (behind the head) and neck
    hair_mask = _mask_ellipse(shape, (lay.cx, lay.cy - 0.12 * lay.b), (1.12 * lay.a, 1.02 * lay.b), blur=1.5)
    _paint(img, hair_mask, look.hair)
    neck = _mask_poly(
        shape,
        [
            (lay.cx - 0.55 * lay.a, lay.cy + 0.5 * lay.b),
            (lay.cx + 0.55 * lay.a, lay.cy + 0.5 * lay.b),
            (lay.cx + 0.6 * lay.a, height + 2),
            (lay.cx - 0.6 * lay.a, height + 2),
        ],
        closed=True,
        blur=1.0,
    )
    _paint(img, neck, np.asarray(look.skin) * 0.62)

    # face: skin on an ellipsoid lit from one side
    nx = (xx - lay.cx) / lay.a
    ny = (yy - lay.cy) / lay.b
    nz = np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))
    lx, ly = look.light
    norm = math.sqrt(lx * lx + ly * ly + 1.0)
    lambert = np.clip((nx * lx + ny * ly + nz) / norm, 0.0, 1.0)
    shade = look.ambient + (1 - look.ambient) * lambert
    noise = tex_rng.standard_normal(shape).astype(np.float32)
    fine = cv2.GaussianBlur(noise, (0, 0), 0.9 * scale)
    blotch = cv2.GaussianBlur(tex_rng.standard_normal(shape).astype(np.float32), (0, 0), 6 * scale)
    skin = np.asarray(look.skin, np.float32) * shade[..., None]
    skin += (look.texture * (fine / (fine.std() + 1e-6)) + 3.0 * blotch / (blotch.std() + 1e-6))[..., None]
    face_mask = _mask_ellipse(shape, (lay.cx, lay.cy), (lay.a, lay.b), blur=1.2)
    img = img * (1 - face_mask[..., None]) + skin * face_mask[..., None]

    # fringe of hair over the forehead
    hair_top = _mask_ellipse(
        shape, (lay.cx, lay.cy - lay.b * (look.hairline + 0.95)), (1.3 * lay.a, 1.0 * lay.b), blur=2.0 * scale
    )
    _paint(img, hair_top * face_mask, look.hair, 0.95)

    # cheeks, eye sockets, brow ridge
    cheek_col = np.asarray(look.skin, np.float32) * np.array([1.0, 0.8, 0.8], np.float32)
    for side in (-1, 1):
        _paint(
            img,
            _gauss(
                xx,
                yy,
                (lay.cx + side * lay.eye_dx * 1.05, lay.eye_y + 0.32 * lay.b),
                0.16 * lay.a,
                0.1 * lay.b,
            ),
            cheek_col,
            0.25,
        )
    socket = np.zeros(shape, np.float32)
    for side in (-1, 1):
        socket += _gauss(
            xx,
            yy,
            (lay.cx + side * lay.eye_dx, lay.eye_y - 0.1 * lay.eye_h),
            0.75 * lay.eye_w,
            1.5 * lay.eye_h,
        )
    img *= (1.0 - 0.32 * np.clip(socket, 0, 1))[..., None]

    # nose: bright bridge, side shadows, tip, nostrils
    bridge = _gauss(xx, yy, (lay.cx, (lay.eye_y + lay.nose_y) / 2), 0.05 * lay.a, 0.3 * lay.b)
    img *= (1.0 + 0.10 * bridge)[..., None]
    nose_w = look.nose_w * lay.a
    for side in (-1, 1):
        line = _mask_poly(
            shape,
            [
                (lay.cx + side * 0.13 * lay.a, lay.eye_y + 0.05 * lay.b),
                (lay.cx + side * 0.16 * lay.a, lay.nose_y - 0.06 * lay.b),
                (lay.cx + side * nose_w * 1.05, lay.nose_y + 0.02 * lay.b),
            ],
            closed=False,
            thickness=2.5 * scale,
            blur=2.2 * scale,
        )
        img *= (1.0 - 0.28 * line)[..., None]
        wing = _mask_ellipse(
            shape,
            (lay.cx + side * nose_w * 0.75, lay.nose_y + 0.02 * lay.b),
            (0.35 * nose_w, 0.22 * nose_w),
            blur=1.5 * scale,
        )
        img *= (1.0 - 0.18 * wing)[..., None]
        nostril = _mask_ellipse(
            shape,
            (lay.cx + side * nose_w * 0.42, lay.nose_y + 0.045 * lay.b),
            (0.2 * nose_w, 0.1 * nose_w),
            angle=side * 20.0,
            blur=0.8 * scale,
        )
        img *= (1.0 - 0.6 * nostril)[..., None]
    tip = _gauss(xx, yy, (lay.cx, lay.nose_y - 0.03 * lay.b), 0.08 * lay.a, 0.05 * lay.b)
    img *= (1.0 + 0.10 * tip)[..., None]
    under_nose = _gauss(xx, yy, (lay.cx, lay.nose_y + 0.09 * lay.b), 0.14 * lay.a, 0.03 * lay.b)
    img *= (1.0 - 0.18 * under_nose)[..., None]

    # mouth: lips and the dark line between them
    lip_t = look.lip_thick * lay.b
    mx, my, mdx = lay.cx, lay.mouth_y, lay.mouth_dx
    upper = (
        [(mx - mdx, my)]
        + [
            (mx + t * mdx, my - lip_t * (1.0 - 0.35 * abs(t)) * (1.0 - t * t) ** 0.3 * 1.1)
            for t in np.linspace(-0.95, 0.95, 15)
        ]
        + [(mx + mdx, my)]
    )
    lower = (
        [(mx - mdx, my)]
        + [(mx + t * mdx, my + 1.4 * lip_t * (1.0 - t * t) ** 0.5) for t in np.linspace(-0.95, 0.95, 15)]
        + [(mx + mdx, my)]
    )
    _paint(img, _mask_poly(shape, upper, closed=True, blur=0.8 * scale), np.asarray(look.lips) * 0.92)
    _paint(img, _mask_poly(shape, lower, closed=True, blur=0.8 * scale), look.lips)
    line = _mask_poly(
        shape,
        [(mx + t * mdx, my + 0.1 * lip_t * (1 - t * t)) for t in np.linspace(-1, 1, 11)],
        closed=False,
        thickness=1.6 * scale,
        blur=0.6 * scale,
    )
    img *= (1.0 - 0.6 * line)[..., None]
    chin_shadow = _gauss(xx, yy, (mx, my + 2.7 * lip_t), 0.35 * mdx, 0.5 * lip_t)
    img *= (1.0 - 0.12 * chin_shadow)[..., None]

    # brows
    for side in (-1, 1):
        brow = _mask_poly(
            shape,
            _brow_points(lay, look, side),
            closed=False,
            thickness=look.brow_thick * lay.b * 2,
            blur=0.9 * scale,
        )
        _paint(img, brow, np.minimum(np.asarray(look.hair) * 0.6 + 8, np.asarray(look.skin) * 0.45), 0.92)

    # eyes: a closed-eye copy first (lid skin + lash line), then the open eyes
    closed = img.copy()
    for side in (-1, 1):
        ex = lay.cx + side * lay.eye_dx
        eye_mask = _mask_ellipse(
            shape, (ex, lay.eye_y), (0.55 * lay.eye_w, 0.75 * lay.eye_h), blur=1.0 * scale
        )
        lid = np.asarray(look.skin, np.float32) * float(look.ambient + 0.25)
        _paint(closed, eye_mask, lid, 1.0)
        lash = _mask_poly(
            shape,
            [
                (ex + t * 0.5 * lay.eye_w, lay.eye_y + 0.25 * lay.eye_h * (1 - t * t))
                for t in np.linspace(-1, 1, 9)
            ],
            closed=False,
            thickness=1.5 * scale,
            blur=0.5 * scale,
        )
        closed *= (1.0 - 0.7 * lash)[..., None]

        sclera = _mask_ellipse(shape, (ex, lay.eye_y), (0.5 * lay.eye_w, 0.5 * lay.eye_h), blur=0.5 * scale)
        _paint(img, sclera, (228.0, 222.0, 215.0), 0.95)
        iris = (
            _mask_ellipse(
                shape, (ex, lay.eye_y + 0.05 * lay.eye_h), (0.5 * lay.eye_h * 1.05,) * 2, blur=0.5 * scale
            )
            * sclera
        )
        _paint(img, iris, look.iris)
        pupil = _mask_ellipse(shape, (ex, lay.eye_y + 0.05 * lay.eye_h), (0.22 * lay.eye_h,) * 2) * sclera
        _paint(img, pupil, (12.0, 10.0, 10.0))
        upper_lid = [
            (ex + t * 0.52 * lay.eye_w, lay.eye_y - 0.5 * lay.eye_h * math.sqrt(max(0.0, 1 - t * t)))
            for t in np.linspace(-1, 1, 13)
        ]
        _paint(
            img,
            _mask_poly(shape, upper_lid, closed=False, thickness=2.0 * scale, blur=0.5 * scale),
            (25.0, 20.0, 20.0),
            0.9,
        )
        crease = [(x, y - 0.35 * lay.eye_h) for x, y in upper_lid[2:-2]]
        img *= (1.0 - 0.15 * _mask_poly(shape, crease, closed=False, thickness=1.5 * scale, blur=scale))[
            ..., None
        ]
    return img.astype(np.float32), closed.astype(np.float32)


# ------------------------------------------------------------------------------------- action units

# Each AU is a sum of Gaussian displacement bumps at full activation. A term is
# (row, x, y_off, dx, dy, rx, ry): centred on a face row ("brow", "eye", "nose", "mouth", "corner" of the
# lips, "chin"; see _row_point) at horizontal offset x on the image-right half and y_off * b below the
# row; (dx, dy) is the displacement in pixels of the 112 px aligned crop (x right = away from the midline
# on that half, y down); rx is in eye widths, ry in face half-heights. Terms with x != 0 are mirrored to
# the image-left half with dx negated, so "toward the midline" is negative dx on both sides.
_AU_TERMS: dict[str, tuple[tuple[str, float, float, float, float, float, float], ...]] = {
    "AU1": (("brow", 0.75, 0.0, 0.0, -2.6, 0.35, 0.07), ("brow", 0.6, -0.1, 0.0, -1.2, 0.35, 0.08)),
    "AU2": (("brow", 1.7, 0.0, 0.0, -2.6, 0.4, 0.07), ("brow", 1.6, -0.1, 0.0, -1.2, 0.4, 0.08)),
    "AU4": (
        ("brow", 0.6, 0.0, -1.3, 2.2, 0.4, 0.07),
        ("brow", 1.05, 0.0, -0.6, 1.3, 0.4, 0.07),
        ("brow", 0.2, 0.02, -0.8, 0.8, 0.25, 0.06),
    ),
    "AU6": (("eye", 1.05, 0.17, 0.0, -2.0, 0.55, 0.08), ("eye", 1.0, 0.055, 0.0, -1.3, 0.45, 0.03)),
    "AU7": (("eye", 1.0, 0.05, 0.0, -1.6, 0.42, 0.025), ("eye", 1.0, -0.05, 0.0, 0.7, 0.42, 0.025)),
    "AU9": (
        ("nose", 0.38, -0.02, -0.3, -2.0, 0.25, 0.06),
        ("nose", 0.2, -0.15, 0.0, -0.9, 0.25, 0.06),
        ("brow", 0.5, 0.0, -0.3, 0.8, 0.35, 0.06),
        ("mouth", 0.35, -0.05, 0.0, -0.8, 0.4, 0.04),
    ),
    "AU10": (("mouth", 0.35, -0.035, 0.0, -1.9, 0.45, 0.04), ("nose", 0.45, 0.06, 0.2, -0.8, 0.3, 0.05)),
    "AU12": (("corner", 1.0, 0.0, 1.7, -2.0, 0.35, 0.05), ("corner", 1.25, -0.1, 0.6, -1.0, 0.4, 0.07)),
    "AU14": (("corner", 1.0, 0.0, -1.5, -0.3, 0.3, 0.045), ("corner", 1.2, 0.0, -0.6, 0.0, 0.3, 0.05)),
    "AU15": (("corner", 1.0, 0.0, 0.3, 2.2, 0.35, 0.05), ("corner", 1.15, 0.08, 0.2, 1.0, 0.4, 0.06)),
    "AU17": (("chin", 0.0, 0.0, 0.0, -2.2, 0.5, 0.08), ("mouth", 0.0, 0.05, 0.0, -1.3, 0.6, 0.04)),
}


def _row_point(lay: _Layout, row: str, x_units: float, y_off: float) -> tuple[float, float]:
    if row == "brow":
        return lay.cx + x_units * lay.eye_dx * 0.8, lay.brow_y + y_off * lay.b
    if row == "eye":
        return lay.cx + x_units * lay.eye_dx, lay.eye_y + y_off * lay.b
    if row == "nose":
        return lay.cx + x_units * lay.eye_dx, lay.nose_y + y_off * lay.b
    if row == "mouth":
        return lay.cx + x_units * lay.eye_dx, lay.mouth_y + y_off * lay.b
    if row == "corner":
        return lay.cx + x_units * lay.mouth_dx, lay.mouth_y + y_off * lay.b
    if row == "chin":
        return lay.cx + x_units * lay.eye_dx, lay.cy + 0.72 * lay.b + y_off * lay.b
    raise ValueError(f"unknown face row {row!r}")


def _au_field(au: str, lay: _Layout, size: tuple[int, int], xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """Forward displacement ``(H, W, 2)`` in frame pixels of one AU at full activation."""
    width, height = size
    px = lay.iod / _CROP_IOD  # frame pixels per crop pixel
    out = np.zeros((height, width, 2), np.float32)
    for row, x_units, y_off, dx, dy, rx, ry in _AU_TERMS[au]:
        sides = (1,) if x_units == 0.0 else (1, -1)
        for side in sides:
            cx, cy = _row_point(lay, row, side * x_units, y_off)
            g = _gauss(xx, yy, (cx, cy), rx * lay.eye_w, ry * lay.b)
            out[..., 0] += g * (side * dx * px)
            out[..., 1] += g * (dy * px)
    return out


def _au_shading(au: str, lay: _Layout, xx: np.ndarray, yy: np.ndarray) -> np.ndarray | None:
    """Multiplicative darkening ``(H, W)`` of an AU's wrinkles at full activation, or None."""
    if au == "AU4":  # vertical glabella furrows
        return 0.10 * (
            _gauss(
                xx, yy, (lay.cx - 0.08 * lay.eye_dx, lay.brow_y + 0.02 * lay.b), 0.03 * lay.a, 0.06 * lay.b
            )
            + _gauss(
                xx, yy, (lay.cx + 0.08 * lay.eye_dx, lay.brow_y + 0.02 * lay.b), 0.03 * lay.a, 0.06 * lay.b
            )
        )
    if au == "AU9":  # transverse wrinkles on the nose root
        return 0.10 * _gauss(xx, yy, (lay.cx, lay.eye_y + 0.03 * lay.b), 0.12 * lay.a, 0.025 * lay.b)
    if au == "AU6":  # crow's feet
        return 0.08 * (
            _gauss(xx, yy, (lay.cx - 1.55 * lay.eye_dx, lay.eye_y), 0.04 * lay.a, 0.05 * lay.b)
            + _gauss(xx, yy, (lay.cx + 1.55 * lay.eye_dx, lay.eye_y), 0.04 * lay.a, 0.05 * lay.b)
        )
    if au == "AU14":  # dimples beside the lip corners
        return 0.10 * (
            _gauss(xx, yy, (lay.cx - 1.12 * lay.mouth_dx, lay.mouth_y), 0.03 * lay.a, 0.04 * lay.b)
            + _gauss(xx, yy, (lay.cx + 1.12 * lay.mouth_dx, lay.mouth_y), 0.03 * lay.a, 0.04 * lay.b)
        )
    if au == "AU17":  # chin boss
        return 0.07 * _gauss(xx, yy, (lay.cx, lay.cy + 0.72 * lay.b), 0.12 * lay.a, 0.05 * lay.b)
    return None


# ---------------------------------------------------------------------------------------- sampling


def _subject_allocation(subjects: int, clips: int) -> np.ndarray:
    if subjects < 1 or clips < 1:
        raise ValueError(f"need at least one subject and one clip, got subjects={subjects}, clips={clips}")
    if subjects == len(CASME2_SUBJECT_CLIP_COUNTS):
        weights = np.asarray(CASME2_SUBJECT_CLIP_COUNTS, np.float64)
    else:
        weights = np.ones(subjects)
    base = np.ones(subjects, int) if clips >= subjects else np.zeros(subjects, int)
    remaining = clips - int(base.sum())
    share = weights / weights.sum() * remaining
    counts = base + np.floor(share).astype(int)
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    for i in order[: clips - int(counts.sum())]:
        counts[i] += 1
    return np.repeat(np.arange(1, subjects + 1), counts)


def _sample_labels(rng: np.random.Generator, emotion: str | None) -> tuple[str, tuple[str, ...]]:
    if emotion is None:
        names = list(CASME2_EMOTION_COUNTS)
        p = np.asarray([CASME2_EMOTION_COUNTS[e] for e in names], np.float64)
        emotion = names[int(rng.choice(len(names), p=p / p.sum()))]
    elif emotion not in CASME2_AU_COMBOS:
        raise ValueError(f"unknown emotion {emotion!r}; known: {', '.join(EMOTIONS)}")
    combos = CASME2_AU_COMBOS[emotion]
    w = np.asarray([c for _, c in combos], np.float64)
    aus = combos[int(rng.choice(len(combos), p=w / w.sum()))][0]
    return emotion, aus


def _envelope(n: int, onset: int, apex: int, offset: int) -> np.ndarray:
    """Activation 0 before onset, raised-cosine rise to 1 at apex, fall to 0 at offset (0-based indices)."""
    t = np.arange(n, dtype=np.float64)
    env = np.zeros(n)
    rise = (t >= onset) & (t <= apex)
    env[rise] = 0.5 - 0.5 * np.cos(np.pi * (t[rise] - onset) / max(1, apex - onset))
    fall = (t > apex) & (t <= offset)
    env[fall] = 0.5 + 0.5 * np.cos(np.pi * (t[fall] - apex) / max(1, offset - apex))
    return env


def _smooth_walk(rng: np.random.Generator, n: int, fps: float, amplitude: float) -> np.ndarray:
    """A smooth zero-start trajectory of ``n`` samples: a sum of slow sinusoids."""
    t = np.arange(n) / fps
    out = np.zeros(n)
    for _ in range(3):
        f = rng.uniform(0.3, 2.5)
        phase = rng.uniform(0, 2 * np.pi)
        out += rng.uniform(0.3, 1.0) * (np.sin(2 * np.pi * f * t + phase) - np.sin(phase))
    peak = np.abs(out).max()
    return out / peak * amplitude if peak > 0 else out


def _parse_size(size: tuple[int, int] | None) -> tuple[int, int]:
    if size is None:
        return DEFAULT_SIZE
    w, h = (int(size[0]), int(size[1]))
    if w < 96 or h < 96 or w > 4096 or h > 4096:
        raise ValueError(f"frame size {w}x{h} is out of range (96..4096 pixels per side)")
    return w, h


def _render_frames(
    look: _Look,
    lay: _Layout,
    size: tuple[int, int],
    aus: tuple[str, ...],
    activations: np.ndarray,
    blink: np.ndarray,
    shift_x: np.ndarray,
    shift_y: np.ndarray,
    rot: np.ndarray,
    zoom: np.ndarray,
    flicker: np.ndarray,
    noise_sigma: float,
    noise_rng: np.random.Generator,
) -> np.ndarray:
    """Render ``len(activations)`` frames ``(N, H, W, 3)`` uint8 of one clip (see the module docstring)."""

    width, height = size
    n = int(activations.shape[0])
    neutral, closed = _render_neutral(look, lay, size)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    grid = np.ascontiguousarray(np.dstack([xx, yy]))
    columns = [AU_NAMES.index(a) for a in aus]
    fields = [_au_field(a, lay, size, xx, yy) for a in aus]
    shades = [_au_shading(a, lay, xx, yy) for a in aus]
    has_shading = any(s is not None for s in shades)
    y0 = max(0, int(lay.eye_y - lay.eye_h * 1.2))
    y1 = min(height, int(lay.eye_y + lay.eye_h * 1.2) + 1)
    rows = np.arange(y0, y1, dtype=np.float32)[:, None, None]
    work = neutral.copy()
    noise = np.empty((height, width, 3), np.float32)
    gain = np.empty((height, width), np.float32)
    noise_scale = float(noise_sigma) * math.sqrt(12.0)  # uniform noise with standard deviation sigma
    frames = np.empty((n, height, width, 3), np.uint8)
    for i in range(n):
        if blink[i] > 0.01:  # the upper lid comes down over the eye
            lid_y = lay.eye_y - 0.6 * lay.eye_h + blink[i] * 1.2 * lay.eye_h
            alpha = np.clip(lid_y - rows + 0.5, 0.0, 1.0).astype(np.float32)
            work[y0:y1] = closed[y0:y1] * alpha + neutral[y0:y1] * (1 - alpha)
        # backward map: output pixel p samples the source at H^-1(p) - sum_a w_a D_a(p)
        c, s = math.cos(rot[i]) / zoom[i], math.sin(rot[i]) / zoom[i]
        tx, ty = lay.cx + shift_x[i], lay.cy + shift_y[i]
        back = np.array([[c, s, lay.cx - c * tx - s * ty], [-s, c, lay.cy + s * tx - c * ty]], np.float64)
        mapping = cv2.transform(grid, back)
        for col, fld in zip(columns, fields, strict=True):
            w = float(activations[i, col])
            if w > 0:
                cv2.scaleAdd(fld, -w, mapping, dst=mapping)
        warped = cv2.remap(work, mapping, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)  # type: ignore[call-overload]
        if blink[i] > 0.01:
            work[y0:y1] = neutral[y0:y1]
        if has_shading:  # wrinkle shading and flicker as one gain map
            gain.fill(np.float32(flicker[i]))
            for col, shade in zip(columns, shades, strict=True):
                w = float(activations[i, col])
                if shade is not None and w > 0:
                    cv2.scaleAdd(shade, -w * float(flicker[i]), gain, dst=gain)
            np.multiply(warped, gain[..., None], out=warped)
        else:
            warped *= np.float32(flicker[i])
        if noise_sigma > 0:
            noise_rng.random(out=noise, dtype=np.float32)
            cv2.scaleAdd(noise, noise_scale, warped, dst=warped)
            warped -= np.float32(0.5 * noise_scale - 0.5)
        else:
            warped += np.float32(0.5)
        np.clip(warped, 0, 255, out=warped)
        frames[i] = warped
    return frames


def clip_layout(
    seed: int, index: int = 0, *, subject: int | None = None, size: tuple[int, int] | None = None
) -> dict[str, tuple[float, float]]:
    """Named face landmarks (pixels) of the clip :func:`generate_clip` makes with the same arguments."""
    clip = generate_clip(seed, index, subject=subject, size=size, num_frames_hint=1)
    return dict(clip.meta["landmarks"])


def generate_clip(
    seed: int,
    index: int = 0,
    *,
    subject: int | None = None,
    emotion: str | None = None,
    size: tuple[int, int] | None = None,
    fps: float = 200.0,
    aus: tuple[str, ...] | None = None,
    intensity: float | None = None,
    distractors: bool = True,
    num_frames_hint: int | None = None,
) -> SyntheticClip:
    """Generate one labelled micro-expression clip; deterministic in its arguments.

    Args:
        seed: dataset seed (subjects' faces depend on it).
        index: clip index within the dataset (drives the label and timing draws).
        subject: 1-based subject; None draws one of 26 from ``(seed, index)``.
        emotion: force the emotion (one of :data:`EMOTIONS`); None samples CASME II's distribution.
        size: ``(width, height)`` of the frames, default 320x240.
        fps: frame rate; timing is sampled in seconds, so frame counts scale with fps.
        aus: force the AU set (names from :data:`AU_NAMES`); None samples CASME II's combinations.
        intensity: force every AU's peak activation in (0, 1]; None samples 0.6..1.0 per AU.
        distractors: add head motion, blinks, flicker and sensor noise.
        num_frames_hint: internal; render only this many frames (layout queries).

    Returns:
        The :class:`SyntheticClip`.
    """
    check_fps(fps)
    width, height = _parse_size(size)
    rng = np.random.default_rng([seed, 2, index])
    if subject is None:
        subject = int(rng.integers(1, 27))
    if subject < 1:
        raise ValueError(f"subject numbers start at 1, got {subject}")
    label_emotion, label_aus = _sample_labels(rng, emotion)
    if aus is not None:
        unknown = [a for a in aus if a not in AU_NAMES]
        if unknown:
            raise ValueError(f"cannot render {unknown}; the generator animates {', '.join(AU_NAMES)}")
        label_aus = tuple(a for a in AU_NAMES if a in aus)
    look = _subject_look(seed, subject)
    lay = _layout(look, (width, height), rng)

    # timing, sampled in seconds at CASME II's scale: onset-to-offset 0.14..0.49 s, apex 30..70 % through
    rate = fps / 200.0
    duration = round(float(np.clip(rng.normal(64, 18), 28, 98)) * rate)
    duration = max(4, min(duration, int(0.49 * fps)))
    pre = max(2, round(rng.integers(10, 37) * rate))
    post = max(2, round(rng.integers(10, 37) * rate))
    onset = pre
    apex = onset + max(1, round(rng.uniform(0.3, 0.7) * duration))
    offset = onset + duration
    n = offset + post + 1
    env = _envelope(n, onset, apex, offset)
    intens = {
        a: (float(intensity) if intensity is not None else float(rng.uniform(0.6, 1.0))) for a in label_aus
    }
    if intensity is not None and not 0 < intensity <= 1:
        raise ValueError(f"intensity must be in (0, 1], got {intensity}")
    activations = np.zeros((n, len(AU_NAMES)), np.float32)
    for a in label_aus:
        activations[:, AU_NAMES.index(a)] = intens[a] * env

    # distractors
    drng = np.random.default_rng([seed, 3, index])
    px = lay.iod / _CROP_IOD
    if distractors:
        shift_x = _smooth_walk(drng, n, fps, drng.uniform(0.3, 1.5) * px)
        shift_y = _smooth_walk(drng, n, fps, drng.uniform(0.3, 1.2) * px)
        rot = _smooth_walk(drng, n, fps, np.deg2rad(drng.uniform(0.0, 0.6)))
        zoom = 1.0 + _smooth_walk(drng, n, fps, drng.uniform(0.0, 0.004))
        blink = np.zeros(n)
        if drng.random() < 0.35:
            length = max(3, round(drng.uniform(0.1, 0.2) * fps))
            start = int(drng.integers(0, max(1, n - length)))
            span = np.arange(length)
            lid = np.clip(np.sin(np.pi * span / (length - 1)), 0, 1) ** 0.8
            blink[start : start + length] = lid[: n - start]
        flicker_amp = drng.uniform(0.003, 0.015)
        flicker = 1.0 + flicker_amp * np.sin(
            2 * np.pi * drng.uniform(2, 15) * np.arange(n) / fps + drng.uniform(0, 2 * np.pi)
        )
        noise_sigma = float(drng.uniform(0.6, 1.6))
    else:
        shift_x = shift_y = rot = np.zeros(n)
        zoom = np.ones(n)
        blink = np.zeros(n)
        flicker = np.ones(n)
        noise_sigma = 0.0

    n_render = n if num_frames_hint is None else min(n, num_frames_hint)
    frames = _render_frames(
        look,
        lay,
        (width, height),
        label_aus,
        activations[:n_render],
        blink[:n_render],
        shift_x,
        shift_y,
        rot,
        zoom,
        flicker,
        noise_sigma,
        np.random.default_rng([seed, 4, index]),
    )

    frame_numbers = np.arange(1, n_render + 1, dtype=np.int64)
    record = ClipRecord(
        dataset="synthetic",
        subject=f"sub{subject:02d}",
        clip=f"EP{index + 1:02d}_01",
        emotion=label_emotion,
        aus=label_aus,
        onset=onset + 1,
        apex=apex + 1,
        offset=offset + 1,
        fps=float(fps),
        path=None,
        extra={"seed": seed, "index": index, "intensity": intens},
    )
    meta = {
        "landmarks": lay.landmarks(),
        "iod": lay.iod,
        "pixels_per_crop_pixel": px,
        "intensity": intens,
        "blink_frames": [int(i) + 1 for i in np.flatnonzero(blink > 0.01)],
        "noise_sigma": noise_sigma,
        "size": (width, height),
    }
    return SyntheticClip(
        frames=frames,
        fps=float(fps),
        record=record,
        activations=activations[:n_render],
        au_names=AU_NAMES,
        frame_numbers=frame_numbers,
        meta=meta,
    )


def demo_clip(seed: int = 0, *, size: tuple[int, int] | None = None) -> SyntheticClip:
    """A clear happiness micro-expression (AU6 + AU12 at full intensity) for demos."""
    return generate_clip(
        seed, 0, subject=1, emotion="happiness", aus=("AU6", "AU12"), intensity=1.0, size=size
    )


# -------------------------------------------------------------------------------------- datasets


def _clip_name(index: int, subject: int, allocation: np.ndarray) -> str:
    take = int(np.count_nonzero(allocation[:index] == subject)) + 1
    return f"EP{take:02d}_01"


def iter_dataset(subjects: int = 26, clips: int = 255, seed: int = 7, **kw: Any) -> Iterator[SyntheticClip]:
    """Yield the dataset's clips in memory, in the order :func:`write_dataset` writes them.

    Keyword arguments go to :func:`generate_clip` (``size``, ``fps``, ``distractors``).
    """
    allocation = _subject_allocation(subjects, clips)
    for index in range(clips):
        subject = int(allocation[index])
        clip = generate_clip(seed, index, subject=subject, **kw)
        name = _clip_name(index, subject, allocation)
        record = dataclasses.replace(clip.record, clip=name)
        yield SyntheticClip(
            frames=clip.frames,
            fps=clip.fps,
            record=record,
            activations=clip.activations,
            au_names=clip.au_names,
            frame_numbers=clip.frame_numbers,
            meta=clip.meta,
        )


def _au_cell(aus: tuple[str, ...]) -> int | str:
    numbers = [a[2:] for a in aus]
    if len(numbers) == 1:
        return int(numbers[0])  # the CASME II sheet stores single AUs as numbers
    return "+".join(numbers) if numbers else "none"


def _deterministic_xlsx(rows: list[tuple[Any, ...]]) -> bytes:
    """The coding sheet as xlsx bytes that depend only on ``rows`` (fixed timestamps and zip dates)."""

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    ws.append(list(SHEET_HEADER))
    for row in rows:
        ws.append(list(row))
    fixed = datetime.datetime(2014, 5, 8)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "microexpr synth"
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _fix_core_dates(data)
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data)
    return out.getvalue()


def _fix_core_dates(data: bytes) -> bytes:

    text = data.decode("utf-8")
    text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", r"\g<1>2014-05-08T00:00:00Z\g<2>", text)
    return text.encode("utf-8")


def write_dataset(
    out: str | Path,
    subjects: int = 26,
    clips: int = 255,
    seed: int = 7,
    *,
    overwrite: bool = False,
    progress: bool = False,
    **kw: Any,
) -> Path:
    """Write a synthetic dataset in the CASME II layout, atomically; same arguments, same bytes.

    Layout::

        <out>/CASME2-coding-synthetic.xlsx     Sheet1: Subject ("01"), Filename (EP01_01), -, OnsetFrame,
                                               ApexFrame, OffsetFrame, -, Action Units ("4+7", 12),
                                               Estimated Emotion
        <out>/CASME2_RAW_selected/sub01/EP01_01/img1.jpg ... (JPEG quality 90, numbers from 1)
        <out>/synthetic_labels.json            {"format", "version", "seed", "fps", "au_names",
                                                "clips": {"sub01/EP01_01": {...}}}

    Args:
        out: the dataset folder (must not exist or be empty unless ``overwrite``).
        subjects, clips, seed: dataset size and seed.
        overwrite: replace an existing folder (only once the new one is complete).
        progress: show a tqdm bar.
        **kw: passed to :func:`generate_clip` (``size``, ``fps``, ``distractors``).

    Returns:
        The dataset folder.
    """

    if subjects < 1 or clips < 1:
        raise ValueError(f"need at least one subject and one clip, got subjects={subjects}, clips={clips}")
    target = Path(out)
    rows: list[tuple[Any, ...]] = []
    labels: dict[str, Any] = {}
    fps_used = float(kw.get("fps", 200.0))
    with atomic_directory(target, overwrite=overwrite) as tmp:
        frames_root = tmp / FRAMES_DIR
        for clip in tqdm(
            iter_dataset(subjects, clips, seed, **kw),
            total=clips,
            disable=not progress,
            desc="synthetic clips",
            unit="clip",
        ):
            rec = clip.record
            folder = frames_root / rec.subject / rec.clip
            folder.mkdir(parents=True)
            for number, frame in zip(clip.frame_numbers, clip.frames, strict=True):
                ok, buf = cv2.imencode(
                    ".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY]
                )
                if not ok:
                    raise OSError(f"{folder}: JPEG encoding failed")
                (folder / f"img{int(number)}.jpg").write_bytes(buf.tobytes())
            rows.append(
                (
                    rec.subject[3:],
                    rec.clip,
                    None,
                    rec.onset,
                    rec.apex,
                    rec.offset,
                    None,
                    _au_cell(rec.aus),
                    rec.emotion,
                )
            )
            labels[f"{rec.subject}/{rec.clip}"] = {
                "subject": rec.subject,
                "clip": rec.clip,
                "emotion": rec.emotion,
                "aus": list(rec.aus),
                "onset": rec.onset,
                "apex": rec.apex,
                "offset": rec.offset,
                "fps": clip.fps,
                "first_frame": int(clip.frame_numbers[0]),
                "num_frames": int(clip.frames.shape[0]),
                "intensity": {a: round(v, 4) for a, v in clip.meta["intensity"].items()},
                "blink_frames": clip.meta["blink_frames"],
                "au_names": list(clip.au_names),
                "activations": [[round(float(v), 4) for v in row] for row in clip.activations],
            }
        (tmp / SHEET_FILE).write_bytes(_deterministic_xlsx(rows))
        doc = {
            "format": LABELS_FORMAT,
            "version": 1,
            "seed": seed,
            "subjects": subjects,
            "fps": fps_used,
            "au_names": list(AU_NAMES),
            "clips": labels,
        }
        (tmp / LABELS_FILE).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.chmod(0o755)
    return target


def load_synthetic_activations(root: str | Path) -> dict[str, np.ndarray]:
    """Per-frame AU activations from a written dataset's ``synthetic_labels.json``.

    Returns:
        ``{"sub01/EP01_01": (N, A) float32}`` with columns in the file's ``au_names`` order.

    Raises:
        FileNotFoundError: the sidecar is missing.
        ValueError: the file is not a synthetic labels file.
    """
    path = Path(root) / LABELS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no synthetic labels here; is {root} a `microexpr synth` dataset?")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != LABELS_FORMAT:
        raise ValueError(f"{path}: not a synthetic labels file (format {LABELS_FORMAT!r} expected)")
    return {key: np.asarray(entry["activations"], np.float32) for key, entry in doc["clips"].items()}
