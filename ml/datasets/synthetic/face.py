"""A subject's face: appearance drawn from the seed and subject, geometry per clip, the neutral image."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["CROP_IOD", "Layout", "Look", "face_layout", "gauss", "render_neutral", "subject_look"]


#: Inter-ocular distance in an aligned 112 px crop (see ml.stages.face).
CROP_IOD = 0.36 * 112.0


@dataclass(frozen=True)
class Look:
    """A subject's appearance, in face-relative units (fractions of the face half-width/half-height)."""

    width_ratio: float
    eye_v: float
    eye_sep: float
    eye_size: float
    eye_open: float
    brow_gap: float
    brow_thick: float
    brow_arch: float
    # drawn but not painted; the draw stays so that every later draw, and so a seed's faces, stay the same
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


def subject_look(seed: int, subject: int) -> Look:
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
    return Look(
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
class Layout:
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


def face_layout(look: Look, size: tuple[int, int], rng: np.random.Generator) -> Layout:
    width, height = size
    b = 0.34 * height * float(rng.uniform(0.94, 1.04))
    a = b * look.width_ratio
    cx = width / 2 + float(rng.uniform(-0.04, 0.04)) * width
    cy = height * 0.5 + float(rng.uniform(-0.03, 0.03)) * height
    eye_w = a * look.eye_size
    return Layout(
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


def gauss(xx: np.ndarray, yy: np.ndarray, c: tuple[float, float], sx: float, sy: float) -> np.ndarray:
    return np.exp(-0.5 * (((xx - c[0]) / sx) ** 2 + ((yy - c[1]) / sy) ** 2)).astype(np.float32)


def _paint(
    img: np.ndarray, mask: np.ndarray, color: tuple[float, float, float] | np.ndarray, alpha: float = 1.0
) -> None:
    m = (mask * alpha)[..., None]
    img *= 1.0 - m
    img += m * np.asarray(color, np.float32)


def _brow_points(lay: Layout, look: Look, side: int) -> list[tuple[float, float]]:
    inner = lay.eye_dx - 0.5 * lay.eye_w * 0.9
    outer = lay.eye_dx + 0.5 * lay.eye_w * 1.15
    pts = []
    for t in np.linspace(0.0, 1.0, 7):
        x = lay.cx + side * (inner + t * (outer - inner))
        arch = look.brow_arch * lay.b * math.sin(math.pi * min(1.0, t * 1.3))
        pts.append((x, lay.brow_y - arch + 0.01 * lay.b * t))
    return pts


def render_neutral(look: Look, lay: Layout, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
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
            gauss(
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
        socket += gauss(
            xx,
            yy,
            (lay.cx + side * lay.eye_dx, lay.eye_y - 0.1 * lay.eye_h),
            0.75 * lay.eye_w,
            1.5 * lay.eye_h,
        )
    img *= (1.0 - 0.32 * np.clip(socket, 0, 1))[..., None]

    # nose: bright bridge, side shadows, tip, nostrils
    bridge = gauss(xx, yy, (lay.cx, (lay.eye_y + lay.nose_y) / 2), 0.05 * lay.a, 0.3 * lay.b)
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
    tip = gauss(xx, yy, (lay.cx, lay.nose_y - 0.03 * lay.b), 0.08 * lay.a, 0.05 * lay.b)
    img *= (1.0 + 0.10 * tip)[..., None]
    under_nose = gauss(xx, yy, (lay.cx, lay.nose_y + 0.09 * lay.b), 0.14 * lay.a, 0.03 * lay.b)
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
    chin_shadow = gauss(xx, yy, (mx, my + 2.7 * lip_t), 0.35 * mdx, 0.5 * lip_t)
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
