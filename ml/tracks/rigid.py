"""Head motion, separated from expression: a rigid face model fitted on landmarks expressions leave alone.

Each frame's landmarks are fitted from the neutral face's 3-D landmarks by ``p = A c + b z + t``: ``A``
(2x2) is the in-plane rotation, scale and the first-order foreshortening of a turn, ``b`` the parallax
of depth ``z`` when the head turns or nods, ``t`` the translation. The fit uses points on the nose and
the face's outline above the mouth, which facial actions barely move. Inverting it puts any point of the
frame back into the neutral face's coordinates, where what is left is expression;
:func:`stabilising_map` does the same for every pixel of a crop, with the neutral landmarks' depth
interpolated for the skin between them.

Landmarks shift as a whole by up to a pixel or two when part of the face moves, so this fit is only the
coarse step for flow: :mod:`ml.tracks.flow` removes what it leaves on the image itself.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import griddata

__all__ = [
    "RIGID_LANDMARKS",
    "depth_map",
    "fit_head_motion",
    "stabilising_map",
    "to_neutral_frame",
    "turn_from_neutral",
]

#: Nose bridge and tip, and the face's outline from the temples to the cheeks. Not the forehead (it
#: follows the brows), not the eye corners (they follow the lids).
RIGID_LANDMARKS: tuple[int, ...] = (
    6, 197, 195, 5, 4, 1, 127, 356, 234, 454, 162, 389, 21, 251, 93, 323,
)  # fmt: skip


def _design(points: np.ndarray) -> np.ndarray:
    return np.column_stack([points[:, 0], points[:, 1], points[:, 2], np.ones(len(points))])


def fit_head_motion(neutral: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``(N, 2, 4)`` rigid maps ``[x, y, z, 1] -> (x, y)`` from the neutral face to each frame.

    ``neutral`` (478, 3); ``points`` (N, 478, 3). Frames without a face (NaN) get NaN maps.
    """
    design = _design(neutral[list(RIGID_LANDMARKS)].astype(np.float64))
    pinv = np.linalg.pinv(design)  # (4, K)
    targets = points[:, list(RIGID_LANDMARKS), :2].astype(np.float64)  # (N, K, 2)
    return np.einsum("pk,nkc->ncp", pinv, targets)


def turn_from_neutral(maps: np.ndarray) -> np.ndarray:
    """``(N,)`` degrees the head is turned or tilted from the neutral face, from the maps' parallax.

    A turn by ``a`` moves a point at depth ``z`` by ``z sin a`` across the image, so the parallax ``b``
    of a map is the sine of the turn (yaw and pitch together). Read from the face's own landmarks,
    this follows what the images show even where a head-pose estimate lags. NaN without a face.
    """
    parallax = np.linalg.norm(maps[:, :, 2], axis=1)
    return np.degrees(np.arcsin(np.clip(parallax, 0.0, 1.0)))


def to_neutral_frame(maps: np.ndarray, xy: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Where the points ``xy`` (N, K, 2) of each frame were on the neutral face; ``z`` (K,): their depths.

    Inverts ``p = A c + b z + t`` for ``c``: ``c = A^-1 (p - b z - t)``.
    """
    a = maps[:, :, :2]  # (N, 2, 2)
    b = maps[:, :, 2]  # (N, 2)
    t = maps[:, :, 3]  # (N, 2)
    rest = xy - b[:, None, :] * z[None, :, None] - t[:, None, :]
    inverse = np.linalg.inv(np.where(np.isfinite(a), a, np.eye(2)))
    out = np.einsum("nij,nkj->nki", inverse, rest)
    out[~np.isfinite(a).all(axis=(1, 2))] = np.nan
    return out


def depth_map(neutral: np.ndarray, size: int) -> np.ndarray:
    """``(size, size)`` depth of the neutral face at every crop pixel, linear between its landmarks.

    Pixels outside the landmarks' hull take the nearest landmark's depth.
    """
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    inside = griddata(neutral[:, :2], neutral[:, 2], (xs, ys), method="linear")
    nearest = griddata(neutral[:, :2], neutral[:, 2], (xs, ys), method="nearest")
    return np.where(np.isfinite(inside), inside, nearest)


def stabilising_map(
    head: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray, depth: np.ndarray
) -> np.ndarray:
    """``(H, W, 2)`` float32 frame positions of neutral-face pixels under one frame's map ``head`` (2, 4).

    ``cv2.remap(crop, map[..., 0], map[..., 1], ...)`` then shows the frame's face in the neutral pose.
    """
    x = head[0, 0] * grid_x + head[0, 1] * grid_y + head[0, 2] * depth + head[0, 3]
    y = head[1, 0] * grid_x + head[1, 1] * grid_y + head[1, 2] * depth + head[1, 3]
    return np.stack([x, y], axis=-1).astype(np.float32)
