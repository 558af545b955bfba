"""Facial action regions as named landmark index sets, and their masks in any coordinate frame.

A region is either a *patch* (the convex hull of its landmarks) or a *band* between two landmark
chains (a lip between its outer and inner contour, an eyelid between its margin and the crease above it),
so crescents do not swallow the eye or mouth opening. Chains are ordered at rasterisation time along
the face's eye line, which keeps the definitions free of winding order. "right"/"left" are the
subject's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ml.stages.landmarks.mesh import LEFT_EYE_OUTER, RIGHT_EYE_OUTER


@dataclass(frozen=True)
class Region:
    """Landmarks outlining one region: a patch (``chain_b`` empty) or a band ``chain_a``/``chain_b``."""

    chain_a: tuple[int, ...]
    chain_b: tuple[int, ...] = ()

    @property
    def landmarks(self) -> tuple[int, ...]:
        return self.chain_a + self.chain_b


def _patch(*indices: int) -> Region:
    return Region(tuple(indices))


def _band(chain_a: tuple[int, ...], chain_b: tuple[int, ...]) -> Region:
    return Region(chain_a, chain_b)


#: The lips' inner contours (the edges of the mouth opening), from the subject's right corner of the
#: opening to the left, that corner pair excluded; the two contours' points face each other in order.
UPPER_LIP_INNER = (191, 80, 81, 82, 13, 312, 311, 310, 415)
LOWER_LIP_INNER = (95, 88, 178, 87, 14, 317, 402, 318, 324)
MOUTH_OPENING_CORNERS = (78, 308)

REGIONS: dict[str, Region] = {
    "inner_brow_right": _patch(107, 66, 55, 65, 108, 69),
    "inner_brow_left": _patch(336, 296, 285, 295, 337, 299),
    "outer_brow_right": _patch(105, 63, 70, 52, 53, 46, 104, 68, 71),
    "outer_brow_left": _patch(334, 293, 300, 282, 283, 276, 333, 298, 301),
    "glabella": _patch(9, 8, 168, 55, 285, 193, 417),
    "upper_eyelid_right": _band((33, 246, 161, 160, 159, 158, 157, 173, 133), (247, 30, 29, 27, 28, 56, 190)),
    "upper_eyelid_left": _band(
        (263, 466, 388, 387, 386, 385, 384, 398, 362), (467, 260, 259, 257, 258, 286, 414)
    ),
    "lower_eyelid_right": _band(
        (33, 7, 163, 144, 145, 153, 154, 155, 133), (130, 25, 110, 24, 23, 22, 26, 112, 243)
    ),
    "lower_eyelid_left": _band(
        (263, 249, 390, 373, 374, 380, 381, 382, 362), (359, 255, 339, 254, 253, 252, 256, 341, 463)
    ),
    "cheek_right": _patch(50, 101, 36, 205, 187, 123, 116, 117, 118, 119, 100),
    "cheek_left": _patch(280, 330, 266, 425, 411, 352, 345, 346, 347, 348, 329),
    "nasolabial_right": _patch(129, 203, 206, 216, 92, 98, 64),
    "nasolabial_left": _patch(358, 423, 426, 436, 322, 327, 294),
    "nose_wrinkle": _patch(6, 197, 195, 196, 419, 3, 248, 122, 351),
    "lip_corner_right": _patch(61, 185, 40, 146, 91, 76, 62, 78, 57, 43, 186),
    "lip_corner_left": _patch(291, 409, 270, 375, 321, 306, 292, 308, 287, 273, 410),
    "upper_lip": _band((61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291), (78, *UPPER_LIP_INNER, 308)),
    "lower_lip": _band((61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291), (78, *LOWER_LIP_INNER, 308)),
    "chin": _patch(18, 200, 199, 175, 152, 83, 313, 201, 421, 208, 428, 171, 396),
    "jaw": _band(
        (172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397),
        (135, 169, 170, 140, 171, 175, 396, 369, 395, 394, 364),
    ),
}


def midway_line(
    points: np.ndarray, upper: tuple[int, ...], lower: tuple[int, ...], ends: tuple[int, int]
) -> np.ndarray:
    """``(K, 2)`` the curve midway between two facing contours of ``(478, 2)`` points (``upper[i]`` faces
    ``lower[i]``), with the two ``ends``, sorted by the first coordinate: a closed eye's or mouth's line."""
    middle = (points[list(upper)] + points[list(lower)]) / 2.0
    curve = np.concatenate([middle, points[list(ends)]])
    return curve[np.argsort(curve[:, 0])]


def region_polygon(points_xy: np.ndarray, region: Region, across: np.ndarray) -> np.ndarray:
    """(K, 2) outline of ``region`` from (478, 2) points; ``across`` is the eye-line direction."""
    if not region.chain_b:
        return cv2.convexHull(points_xy[list(region.chain_a)].astype(np.float32)).reshape(-1, 2)
    a = points_xy[list(region.chain_a)]
    b = points_xy[list(region.chain_b)]
    a = a[np.argsort(a @ across)]
    b = b[np.argsort(b @ across)]
    return np.vstack([a, b[::-1]])


def region_masks(
    points: np.ndarray,
    shape: tuple[int, int],
    affine: np.ndarray | None = None,
    names: tuple[str, ...] | None = None,
) -> dict[str, np.ndarray]:
    """Boolean masks ``(H, W)`` of the named regions (all by default) in the frame given by ``affine``.

    ``points`` are (478, 2+) frame-pixel landmarks; ``affine`` is the 2x3 map from frame pixels to the
    target frame (e.g. an aligned 112 px crop); ``None`` rasterises in frame pixels.
    """
    xy = points[:, :2].astype(np.float64)
    if affine is not None:
        xy = xy @ np.asarray(affine, dtype=np.float64)[:, :2].T + np.asarray(affine, dtype=np.float64)[:, 2]
    across = xy[LEFT_EYE_OUTER] - xy[RIGHT_EYE_OUTER]
    across = across / max(float(np.linalg.norm(across)), 1e-12)
    masks: dict[str, np.ndarray] = {}
    for name in names if names is not None else tuple(REGIONS):
        if name not in REGIONS:
            raise KeyError(f"Unknown face region {name!r}; known regions: {', '.join(REGIONS)}")
        canvas = np.zeros(shape, dtype=np.uint8)
        # Fixed-point vertices (4 fractional bits) keep sub-pixel placement in small crops.
        polygon = np.round(region_polygon(xy, REGIONS[name], across) * 16).astype(np.int32)
        cv2.fillPoly(canvas, [polygon], 1, lineType=cv2.LINE_8, shift=4)
        masks[name] = canvas.astype(bool)
    return masks
