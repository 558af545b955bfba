"""Action Units as local deformations: a displacement field and wrinkle shading per AU, at full activation."""

from __future__ import annotations

import numpy as np

from curves.au import DEFAULT_AUS
from ml.datasets.synthetic.face import CROP_IOD, Layout, gauss

__all__ = ["AU_NAMES", "au_field", "au_shading"]


#: AUs the generator animates (the default model's AU list), in activation-column order.
AU_NAMES: tuple[str, ...] = DEFAULT_AUS

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


def _row_point(lay: Layout, row: str, x_units: float, y_off: float) -> tuple[float, float]:
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


def au_field(au: str, lay: Layout, size: tuple[int, int], xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """Forward displacement ``(H, W, 2)`` in frame pixels of one AU at full activation."""
    width, height = size
    px = lay.iod / CROP_IOD  # frame pixels per crop pixel
    out = np.zeros((height, width, 2), np.float32)
    for row, x_units, y_off, dx, dy, rx, ry in _AU_TERMS[au]:
        sides = (1,) if x_units == 0.0 else (1, -1)
        for side in sides:
            cx, cy = _row_point(lay, row, side * x_units, y_off)
            g = gauss(xx, yy, (cx, cy), rx * lay.eye_w, ry * lay.b)
            out[..., 0] += g * (side * dx * px)
            out[..., 1] += g * (dy * px)
    return out


def au_shading(au: str, lay: Layout, xx: np.ndarray, yy: np.ndarray) -> np.ndarray | None:
    """Multiplicative darkening ``(H, W)`` of an AU's wrinkles at full activation, or None."""
    if au == "AU4":  # vertical glabella furrows
        return 0.10 * (
            gauss(xx, yy, (lay.cx - 0.08 * lay.eye_dx, lay.brow_y + 0.02 * lay.b), 0.03 * lay.a, 0.06 * lay.b)
            + gauss(
                xx, yy, (lay.cx + 0.08 * lay.eye_dx, lay.brow_y + 0.02 * lay.b), 0.03 * lay.a, 0.06 * lay.b
            )
        )
    if au == "AU9":  # transverse wrinkles on the nose root
        return 0.10 * gauss(xx, yy, (lay.cx, lay.eye_y + 0.03 * lay.b), 0.12 * lay.a, 0.025 * lay.b)
    if au == "AU6":  # crow's feet
        return 0.08 * (
            gauss(xx, yy, (lay.cx - 1.55 * lay.eye_dx, lay.eye_y), 0.04 * lay.a, 0.05 * lay.b)
            + gauss(xx, yy, (lay.cx + 1.55 * lay.eye_dx, lay.eye_y), 0.04 * lay.a, 0.05 * lay.b)
        )
    if au == "AU14":  # dimples beside the lip corners
        return 0.10 * (
            gauss(xx, yy, (lay.cx - 1.12 * lay.mouth_dx, lay.mouth_y), 0.03 * lay.a, 0.04 * lay.b)
            + gauss(xx, yy, (lay.cx + 1.12 * lay.mouth_dx, lay.mouth_y), 0.03 * lay.a, 0.04 * lay.b)
        )
    if au == "AU17":  # chin boss
        return 0.07 * gauss(xx, yy, (lay.cx, lay.cy + 0.72 * lay.b), 0.12 * lay.a, 0.05 * lay.b)
    return None
