"""Head motion, separated from expression: a rigid face model fitted on landmarks expressions leave alone.

Each frame's landmarks are fitted from the neutral face's 3-D landmarks by ``p = A c + b z + t``:
``A`` (2x2) is the in-plane rotation, scale and the first-order foreshortening of a turn, ``b`` the
parallax of depth ``z`` when the head turns or nods, ``t`` the translation. The fit uses points on the
nose bridge, the forehead and the face's outline above the mouth, which no action of the lower face and
little of the upper face moves. Inverting it puts any point of the frame back into the neutral face's
coordinates, where what is left is expression.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RIGID_LANDMARKS", "fit_head_motion", "to_neutral_frame"]

#: Nose bridge and tip, inner eye corners, forehead, temples and the face outline beside the eyes.
RIGID_LANDMARKS: tuple[int, ...] = (
    168, 6, 197, 195, 5, 4, 1, 133, 362, 10, 151, 109, 338, 67, 297, 127, 356, 234, 454, 162, 389, 21, 251,
    93, 323,
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
