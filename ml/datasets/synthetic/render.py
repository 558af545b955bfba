"""The frames of one clip: the neutral face with blinks, AU warps and shading, head motion, flicker, noise."""

from __future__ import annotations

import math

import cv2
import numpy as np

from ml.datasets.synthetic.action_units import AU_NAMES, au_field, au_shading
from ml.datasets.synthetic.face import Layout, Look, render_neutral

__all__ = ["render_frames"]


def render_frames(
    look: Look,
    lay: Layout,
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
    neutral, closed = render_neutral(look, lay, size)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    grid = np.ascontiguousarray(np.dstack([xx, yy]))
    columns = [AU_NAMES.index(a) for a in aus]
    fields = [au_field(a, lay, size, xx, yy) for a in aus]
    shades = [au_shading(a, lay, xx, yy) for a in aus]
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
