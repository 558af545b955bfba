"""Piecewise-affine warp of a photograph along its landmark mesh, and a mouth opening's shadow.

The mesh is the landmarks (iris excluded) plus fixed anchors on a ring around the face and along the
border of the window that holds the ring, triangulated once at rest (Delaunay); the moved triangles
are drawn smallest first, so a triangle that collapses (a lid closed onto its partner) or overlaps
gives way to its neighbours. Each output pixel takes the colour of the point with the same barycentric
coordinates in the triangle at rest. The backward map is evaluated on a grid every ``step`` pixels
and interpolated bilinearly between.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import Delaunay

from ml.stages.landmarks import LOWER_LIP_INNER, MOUTH_OPENING_CORNERS, UPPER_LIP_INNER

MESH_LANDMARKS = np.arange(468)  # the iris points (468..477) stay out of the mesh
_RIGHT_END, _LEFT_END = MOUTH_OPENING_CORNERS
MOUTH_OPENING = (_RIGHT_END, *UPPER_LIP_INNER, _LEFT_END, *reversed(LOWER_LIP_INNER))
MOUTH_SHADOW_RGB = np.array([45.0, 22.0, 24.0])
RING_SCALE = 1.4  # fixed anchors around the face, as a multiple of the mesh's hull about its centroid


def border_anchors(width: int, height: int, per_side: int = 8) -> np.ndarray:
    """Fixed points spaced along the frame border, corners included."""
    xs = np.linspace(0.0, width - 1.0, per_side + 1)
    ys = np.linspace(0.0, height - 1.0, per_side + 1)
    top = np.stack([xs, np.zeros_like(xs)], axis=1)
    bottom = np.stack([xs, np.full_like(xs, height - 1.0)], axis=1)
    left = np.stack([np.zeros_like(ys[1:-1]), ys[1:-1]], axis=1)
    right = np.stack([np.full_like(ys[1:-1], width - 1.0), ys[1:-1]], axis=1)
    return np.concatenate([top, bottom, left, right])


def backward_map(
    src: np.ndarray, dst: np.ndarray, width: int, height: int, step: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """(map_x, map_y) float32 for ``cv2.remap``: where each output pixel reads the source image.

    ``src``/``dst`` (K, 2) are mesh points before and after the motion (border anchors included).
    Triangles are rasterised by index on the coarse grid, then each grid point's barycentric
    coordinates in its triangle carry it back to the source.
    """
    tri = Delaunay(src, qhull_options="QJ")  # the rest mesh; joggled so every point is a vertex
    cols, rows = width // step + 2, height // step + 2
    owner = np.full((rows, cols), -1, np.int32)
    corners_px = np.round(dst[tri.simplices] / step * 16).astype(np.int32)  # 4 fractional bits
    e1 = dst[tri.simplices[:, 0]] - dst[tri.simplices[:, 2]]
    e2 = dst[tri.simplices[:, 1]] - dst[tri.simplices[:, 2]]
    area = np.abs(e1[:, 0] * e2[:, 1] - e2[:, 0] * e1[:, 1])
    # smallest first, so that a sliver (a lid closed onto its partner) never claims its larger
    # neighbours' edge pixels
    for index in np.argsort(area):
        if area[index] > 1e-9:
            cv2.fillConvexPoly(owner, corners_px[index], int(index), lineType=cv2.LINE_8, shift=4)
    gx, gy = np.meshgrid(np.arange(cols) * float(step), np.arange(rows) * float(step))
    grid = np.stack([gx, gy], axis=-1).reshape(-1, 2)
    simplex = owner.reshape(-1)
    inside = simplex >= 0
    sampled = grid.copy()
    s = simplex[inside]
    a, b, c = (dst[tri.simplices[s, k]] for k in range(3))
    # barycentric coordinates by the closed-form 2x2 inverse (u, v weights of a, b; c gets the rest)
    e1, e2, r = a - c, b - c, grid[inside] - c
    det = e1[:, 0] * e2[:, 1] - e2[:, 0] * e1[:, 1]
    det = np.where(np.abs(det) < 1e-12, 1e-12, det)
    u = (r[:, 0] * e2[:, 1] - e2[:, 0] * r[:, 1]) / det
    v = (e1[:, 0] * r[:, 1] - r[:, 0] * e1[:, 1]) / det
    corners = src[tri.simplices[s]]
    sampled[inside] = (
        u[:, None] * corners[:, 0] + v[:, None] * corners[:, 1] + (1 - u - v)[:, None] * corners[:, 2]
    )
    coarse = sampled.reshape(rows, cols, 2).astype(np.float32)
    # bilinear upsampling of the coarse map onto every pixel (grid point k sits at pixel k * step)
    ux, uy = np.meshgrid(
        np.arange(width, dtype=np.float32) / step, np.arange(height, dtype=np.float32) / step
    )
    map_x = cv2.remap(coarse[..., 0], ux, uy, cv2.INTER_LINEAR)
    map_y = cv2.remap(coarse[..., 1], ux, uy, cv2.INTER_LINEAR)
    return map_x, map_y


def fixed_ring(src: np.ndarray, scale: float = RING_SCALE) -> np.ndarray:
    """Fixed anchors on the mesh's convex hull enlarged ``scale`` times about its centroid."""
    centre = src.mean(axis=0)
    hull = cv2.convexHull(src.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    return centre + scale * (hull - centre)


def warp_photo(rgb: np.ndarray, src: np.ndarray, dst: np.ndarray, step: int = 1) -> np.ndarray:
    """The photograph with mesh points ``src`` (K, 2) moved to ``dst``; unchanged when nothing moves.

    A ring of fixed anchors around the mesh (:func:`fixed_ring`) confines the motion, so only the
    window holding the ring is resampled.
    """
    if np.allclose(src, dst, atol=1e-6):
        return rgb.copy()
    height, width = rgb.shape[:2]
    ring = fixed_ring(src)
    extent = np.concatenate([ring, src, dst])
    x0, y0 = np.maximum(np.floor(extent.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(extent.max(axis=0)).astype(int) + 3, (width, height))
    anchors = np.concatenate([ring - (x0, y0), border_anchors(int(x1 - x0), int(y1 - y0))])
    offset = np.array([x0, y0], dtype=np.float64)
    map_x, map_y = backward_map(
        np.concatenate([src - offset, anchors]),
        np.concatenate([dst - offset, anchors]),
        int(x1 - x0),
        int(y1 - y0),
        step,
    )
    out = rgb.copy()
    out[y0:y1, x0:x1] = cv2.remap(
        rgb, map_x + np.float32(x0), map_y + np.float32(y0), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    return out


def _polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def shade_mouth_opening(rgb: np.ndarray, src_points: np.ndarray, dst_points: np.ndarray) -> np.ndarray:
    """Darken the part of the mouth opening that the motion added (lips stretched over a cavity).

    The opening's area grows from ``src_points`` to ``dst_points`` (478, 2); the new fraction of the
    opening is blended towards a mouth-shadow colour, with soft edges.
    """
    before = src_points[list(MOUTH_OPENING)]
    after = dst_points[list(MOUTH_OPENING)]
    area_after = _polygon_area(after)
    if area_after <= 1.0:
        return rgb
    opened = max(0.0, 1.0 - _polygon_area(before) / area_after)
    if opened <= 0.0:
        return rgb
    height, width = rgb.shape[:2]
    x0, y0 = np.maximum(np.floor(after.min(axis=0)).astype(int) - 4, 0)
    x1, y1 = np.minimum(np.ceil(after.max(axis=0)).astype(int) + 5, (width, height))
    mask = np.zeros((int(y1 - y0), int(x1 - x0)), np.float32)
    corners = np.round((after - (x0, y0)) * 4).astype(np.int32)  # 2 fractional bits
    cv2.fillPoly(mask, [corners], 1.0, lineType=cv2.LINE_AA, shift=2)
    mask = cv2.GaussianBlur(mask, (0, 0), 1.0)[..., None] * np.float32(0.85 * opened)
    window = rgb[y0:y1, x0:x1].astype(np.float32)
    shaded = window * (1.0 - mask) + MOUTH_SHADOW_RGB.astype(np.float32) * mask
    out = rgb.copy()
    out[y0:y1, x0:x1] = np.clip(np.round(shaded), 0, 255).astype(np.uint8)
    return out
