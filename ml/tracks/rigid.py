"""Head motion, separated from expression: a rigid face model fitted on landmarks expressions leave alone.

Each frame's landmarks are fitted from the neutral face's 3-D landmarks by ``p = s R [c, z] + t``, a
weak-perspective view of a rigid head: ``R`` is the first two rows of a 3-D rotation (roll in the
image plane, and the foreshortening of a turn or a nod together with its parallax, the movement of a
point at depth ``z``), ``s`` the scale (the head nearer or further), ``t`` the translation. Written
``p = A c + b z + t`` (``A = s R[:, :2]``, ``b = s R[:, 2]``), the maps keep that form. The fit uses
points on the nose and the face's outline above the mouth, which facial actions barely move; it is
the least-squares affine map ``[A | b]`` made rigid: the nearest scaled rotation (same singular
vectors, the two singular values replaced by their mean), then the translation that keeps the points'
centroid. The landmark model stretches its whole mesh a little when the brows rise or the jaw drops
(the temples and the nose follow the brows, the outline's lower points the jaw); an affine fit takes
that stretch for the head and puts it back, so the chin of raised brows over a dropped jaw read half
its drop. A rigid head cannot stretch: on the development faces, the jaw of a surprise read 4-5 mm of
its 10 mm drop with the affine fit and 6-8 mm with the rigid one (development PCC 0.725 -> 0.750).

Inverting the fit puts any point of the frame back into the neutral face's coordinates, where what is
left is expression; :func:`stabilising_map` does the same for every pixel of a crop, with the neutral
landmarks' depth interpolated for the skin between them.

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
    rigid = neutral[list(RIGID_LANDMARKS)].astype(np.float64)
    pinv = np.linalg.pinv(_design(rigid))  # (4, K)
    targets = points[:, list(RIGID_LANDMARKS), :2].astype(np.float64)  # (N, K, 2)
    maps = np.einsum("pk,nkc->ncp", pinv, targets)
    found = np.isfinite(maps).all(axis=(1, 2))
    linear = maps[found, :, :3]  # [A | b]
    u, singular, vt = np.linalg.svd(linear, full_matrices=False)
    rigid_linear = singular.mean(axis=1)[:, None, None] * (u @ vt)
    maps[found, :, :3] = rigid_linear
    maps[found, :, 3] = targets[found].mean(axis=1) - rigid_linear @ rigid.mean(axis=0)
    return maps


def turn_from_neutral(maps: np.ndarray) -> np.ndarray:
    """``(N,)`` degrees the head is turned or tilted from the neutral face, from the maps' parallax.

    A turn by ``a`` moves a point at depth ``z`` by ``s z sin a`` across the image, so the parallax ``b``
    of a map, over its scale ``s``, is the sine of the turn (yaw and pitch together). Read from the
    face's own landmarks, this follows what the images show even where a head-pose estimate lags. NaN
    without a face.
    """
    scale = np.linalg.norm(maps[:, 0, :3], axis=1)
    parallax = np.linalg.norm(maps[:, :, 2], axis=1) / np.where(scale > 0, scale, np.nan)
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
