"""Skin movement in each facial region: one dense optical flow per frame from the neutral face.

Crops are made insensitive to lighting before the flow: grey, lightly blurred, less their local mean
(a broad Gaussian removes smooth shading and lighting gradients) and scaled to a fixed contrast over the
face, so a brighter, darker or unevenly lit frame of the same face gives the same image.

Each crop is first put back into the neutral pose with the landmark head-motion fit
(:func:`ml.tracks.rigid.stabilising_map`), so the flow only has expression (and small fitting error) to
find. Farneback flow from the neutral reference to the stabilised crop then gives, at every pixel, where
the neutral skin went. Its window is 7 px at 112 px (15 px in :func:`ml.stages.temporal.optical_flow`,
made for whole-frame motion): a larger window averages a brow or a lid with the still skin around it (a
local brow raise on a photograph read 0.6 as much at 15 px as at 7 px).

Landmarks shift as a whole by up to a pixel or two when part of the face moves (the landmark model's
shape prior), so what the landmark fit leaves of head motion, and what it adds, is fitted on the flow
itself and removed. Two fits: the brows, the upper lids and the nose are corrected by a fit on the skin
away from the brows, the cheeks and the mouth (forehead, lids, nose, temples; an affine motion, the
parallax of a turn and the first-order perspective of a turn), because raised brows with a dropped
jaw stretch the whole face and a fit over all of it takes part of that stretch for head motion (the
brows then read low); every other region by an affine motion plus parallax fitted robustly over the
whole face (the half of it that moves least decides, so a local expression does not pull it), which
follows the cheeks and the mouth better. Each region's movement is the mean remaining flow over its mask
(drawn on the neutral landmarks; the lip corners also above the mouth line alone, the chin also against
the still-skin fit); the lid margins, too thin for a region, are read in small windows at their landmarks.
"""

from __future__ import annotations

import cv2
import numpy as np

from ml.stages.landmarks import (
    LOWER_LIP_INNER,
    MOUTH_OPENING_CORNERS,
    REGIONS,
    UPPER_LIP_INNER,
    midway_line,
    region_masks,
)
from ml.tracks.rigid import depth_map, stabilising_map

__all__ = [
    "ABOVE_MOUTH_PARTS",
    "AGAINST_THE_HEAD",
    "POINT_SETS",
    "REGION_NAMES",
    "FlowRegions",
    "above_mouth_line",
    "farneback",
    "lighting_invariant",
    "region_movement",
    "robust_affine",
    "steady_detail",
]

#: Thin features read in windows at their landmarks: the middle of each upper lid's margin, the wings
#: of the nose.
POINT_SETS: dict[str, tuple[int, ...]] = {
    "upper_lid_margin_right": (160, 159, 158),
    "upper_lid_margin_left": (387, 386, 385),
    "nose_wing_right": (64, 98, 129, 48),
    "nose_wing_left": (294, 327, 358, 278),
}
#: The part of a region above the mouth line (midway between the lips' inner contours), by name: the lip
#: corner's lower half rides on the jaw and the lower lip, so a jaw drop or the lips parting would read as
#: the corner pulled down (AU15) or stretched (AU20). Set on the development clips (AU15 PCC 0.99 against
#: 0.89 with the whole corner; AU12 and AU20 unchanged).
ABOVE_MOUTH_PARTS: dict[str, str] = {
    "lip_corner_above_right": "lip_corner_right",
    "lip_corner_above_left": "lip_corner_left",
}
#: Regions read a second time, corrected by the fit on still skin instead of the whole face's, by name:
#: the chin's movement against the head (the whole-face fit follows the lower face, so its reading of the
#: chin is the chin against the skin around it).
AGAINST_THE_HEAD: dict[str, str] = {"chin_against_head": "chin"}
REGION_NAMES: tuple[str, ...] = (*REGIONS, *POINT_SETS, *ABOVE_MOUTH_PARTS, *AGAINST_THE_HEAD)

#: Detail kept (Gaussian sigma, as a fraction of the crop size) and shading removed (broad sigma).
_FINE_SIGMA = 1.0 / 112.0
_BROAD_SIGMA = 8.0 / 112.0
_CONTRAST = 32.0
#: Half-width of the window averaged around each landmark of a point set, px at 112 px.
_WINDOW_HALF = 1
#: Spacing of the flow samples the face's affine motion is fitted on, px at 112 px; share kept.
_SAMPLE_STEP = 4
_KEEP = 0.5
#: Regions corrected by the fit on still skin (see the module doc): brows, glabella, upper lids, nose.
#: Set on the development clips (PCC of AU1/AU2 0.97-0.99 with it, 0.86-0.94 without; AU5 0.94 against
#: 0.85; AU9 0.77 against 0.50); the lower lids, the cheeks and the mouth read better with the whole-face
#: fit (AU7 0.83 against 0.63, AU10 0.75 against 0.48).
STILL_FIT_REGIONS = (
    "inner_brow_right",
    "inner_brow_left",
    "outer_brow_right",
    "outer_brow_left",
    "glabella",
    "upper_eyelid_right",
    "upper_eyelid_left",
    "upper_lid_margin_right",
    "upper_lid_margin_left",
    "nose_wing_right",
    "nose_wing_left",
    "nose_wrinkle",
)
#: Regions whose skin moves too much to be in the still-skin fit, and the margin around them, px at 112 px.
#: The cheeks are among them: a smile raises them (AU6), and a fit that takes that for the head moving up
#: reads the brows lowered (development AU4 PCC 0.61 with the cheeks in the fit, 0.72 without).
_MOVING_REGIONS = (
    "inner_brow_right",
    "inner_brow_left",
    "outer_brow_right",
    "outer_brow_left",
    "glabella",
    "cheek_right",
    "cheek_left",
    "chin",
    "jaw",
    "lower_lip",
    "upper_lip",
    "lip_corner_right",
    "lip_corner_left",
)
_MOVING_MARGIN = 3
#: Fewest samples the still-skin fit needs (its 6 terms, kept half, with room to spare).
_MIN_STILL_SAMPLES = 24
#: Farneback settings: pyramid scale, levels, window (px at 112 px), iterations, poly_n, poly_sigma.
_FARNEBACK = (0.5, 3, 7, 3, 5, 1.1)


def _affine_design(xy: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Rows ``[x, y, depth, 1]``: an affine motion and the parallax of a turn."""
    return np.column_stack([xy, depth, np.ones(len(xy))])


def _perspective_design(xy: np.ndarray, depth: np.ndarray, size: int) -> np.ndarray:
    """:func:`_affine_design` plus ``[u^2, u v]`` (u, v about the crop's centre, in crop sizes): the
    first-order perspective of a turn (the near side of the face grows, the far side shrinks)."""
    u = (xy[:, 0] - size / 2) / size
    v = (xy[:, 1] - size / 2) / size
    return np.column_stack([_affine_design(xy, depth), u * u, u * v])


class FlowRegions:
    """The regions of one neutral face in crop pixels.

    Masks as rows of ``weights`` (each sums to 1), their ``centroids``, the ``face`` mask, the flow
    samples and design matrices of the two head-motion fits (``samples``: the whole face;
    ``still_samples``: away from the brows and the mouth), which regions the still-skin fit corrects
    (``still_fit``), and the ``depth`` surface.
    """

    def __init__(self, neutral_points: np.ndarray, size: int) -> None:
        masks = region_masks(neutral_points, (size, size))
        above = above_mouth_line(neutral_points, size)
        for name, whole in ABOVE_MOUTH_PARTS.items():
            masks[name] = masks[whole] & above
        for name, region in AGAINST_THE_HEAD.items():
            masks[name] = masks[region]
        half = max(1, round(_WINDOW_HALF * size / 112))
        for name, indices in POINT_SETS.items():
            window = np.zeros((size, size), bool)
            for x, y in np.clip(np.round(neutral_points[list(indices), :2]), half, size - 1 - half).astype(
                int
            ):
                window[y - half : y + half + 1, x - half : x + half + 1] = True
            masks[name] = window
        self.size = size
        self.weights = np.zeros((len(REGION_NAMES), size * size), np.float32)
        self.centroids = np.zeros((len(REGION_NAMES), 2))
        ys, xs = np.mgrid[0:size, 0:size]
        for r, name in enumerate(REGION_NAMES):
            mask = masks[name].ravel()
            if not mask.any():  # a region squeezed to nothing: take its landmarks' pixel
                centre = neutral_points[list(REGIONS[name].landmarks), :2].mean(axis=0)
                x, y = np.clip(np.round(centre), 0, size - 1).astype(int)
                mask = np.zeros(size * size, bool)
                mask[y * size + x] = True
            self.weights[r] = mask / mask.sum()
            self.centroids[r] = (xs.ravel()[mask].mean(), ys.ravel()[mask].mean())
        self.face = np.zeros((size, size), np.uint8)
        hull = cv2.convexHull(neutral_points[:, :2].astype(np.float32))
        cv2.fillConvexPoly(self.face, np.round(hull).astype(np.int32), 1)
        step = max(1, round(_SAMPLE_STEP * size / 112))
        grid = np.zeros((size, size), bool)
        grid[step // 2 :: step, step // 2 :: step] = True
        expressive = np.any([masks[name] for name in _MOVING_REGIONS], axis=0).astype(np.uint8)
        reach = max(1, round(_MOVING_MARGIN * size / 112))
        moving = cv2.dilate(expressive, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0
        self.samples = np.flatnonzero((grid & (self.face > 0)).ravel())
        self.still_samples = np.flatnonzero((grid & (self.face > 0) & ~moving).ravel())
        if len(self.still_samples) < _MIN_STILL_SAMPLES:  # a face too small or odd for it: the whole face
            self.still_samples = self.samples
        self.still_fit = np.array([name in (*STILL_FIT_REGIONS, *AGAINST_THE_HEAD) for name in REGION_NAMES])
        self.grid_y, self.grid_x = np.mgrid[0:size, 0:size].astype(np.float64)
        self.depth = depth_map(neutral_points, size)
        flat_depth = self.depth.ravel()
        pixels = np.column_stack([xs.ravel(), ys.ravel()]).astype(np.float64)
        self.sample_design = _affine_design(pixels[self.samples], flat_depth[self.samples])
        self.still_design = _perspective_design(
            pixels[self.still_samples], flat_depth[self.still_samples], size
        )
        region_depth = self.weights @ flat_depth
        self.centroid_design = _affine_design(self.centroids, region_depth)
        self.centroid_perspective = _perspective_design(self.centroids, region_depth, size)

    def index(self, name: str) -> int:
        return REGION_NAMES.index(name)


def above_mouth_line(points: np.ndarray, size: int) -> np.ndarray:
    """``(S, S)`` bool: crop pixels above the mouth line of ``(478, 2+)`` landmarks, along the face's up.

    The mouth line runs midway between the lips' inner contours, from one corner of the opening to the
    other, and straight on beyond them.
    """
    xy = points[:, :2].astype(np.float64)
    across = xy[MOUTH_OPENING_CORNERS[1]] - xy[MOUTH_OPENING_CORNERS[0]]
    across /= max(float(np.linalg.norm(across)), 1e-12)
    up = np.array([across[1], -across[0]])  # image y grows downwards
    basis = np.column_stack([across, up])  # (along the mouth, up the face)
    line = midway_line(xy @ basis, UPPER_LIP_INNER, LOWER_LIP_INNER, MOUTH_OPENING_CORNERS)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    pixels = np.stack([xs, ys], axis=-1) @ basis
    return pixels[..., 1] > np.interp(pixels[..., 0], line[:, 0], line[:, 1])


def lighting_invariant(crop: np.ndarray, face: np.ndarray) -> np.ndarray:
    """``(S, S)`` float32 detail image of an RGB crop: shading removed, fixed contrast over ``face``."""
    size = crop.shape[0]
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
    fine = cv2.GaussianBlur(grey, (0, 0), _FINE_SIGMA * size)
    broad = cv2.GaussianBlur(grey, (0, 0), _BROAD_SIGMA * size)
    detail = fine - broad
    spread = float(detail[face > 0].std()) if face.any() else float(detail.std())
    return detail * (_CONTRAST / max(spread, 1e-3))


def _to_uint8(detail: np.ndarray) -> np.ndarray:
    return np.clip(detail + 128.0, 0, 255).astype(np.uint8)


def farneback(reference: np.ndarray, image: np.ndarray) -> np.ndarray:
    """``(S, S, 2)`` flow (dx, dy) from ``reference`` to ``image`` (uint8 grey, same size)."""
    scale, levels, window, iterations, poly_n, poly_sigma = _FARNEBACK
    size = max(5, round(window * reference.shape[0] / 112) | 1)
    return cv2.calcOpticalFlowFarneback(  # type: ignore[call-overload]
        reference, image, None, scale, levels, size, iterations, poly_n, poly_sigma, 0
    )


def robust_affine(design: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``(P, 2)`` linear flow model ``design @ A`` fitted to the half of the samples it fits best.

    ``design`` (M, P) holds each sample's terms (here ``[x, y, depth, 1]``: an affine motion plus the
    parallax of a turn), ``flow`` (M, 2) their flow.
    """
    keep = np.arange(len(design))
    count = max(design.shape[1] + 1, int(_KEEP * len(design)))
    for _ in range(3):
        affine = np.linalg.lstsq(design[keep], flow[keep], rcond=None)[0]
        residual = np.einsum("mc,mc->m", *(2 * (flow - design @ affine,)))
        keep = np.argpartition(residual, count - 1)[:count]
    return np.linalg.lstsq(design[keep], flow[keep], rcond=None)[0]


def steady_detail(crop: np.ndarray, head: np.ndarray, regions: FlowRegions) -> np.ndarray:
    """The lighting-invariant detail image of ``crop`` put back into the neutral pose by ``head`` (2, 4)."""
    where = stabilising_map(head, regions.grid_x, regions.grid_y, regions.depth)
    steady = cv2.remap(crop, where[..., 0], where[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return lighting_invariant(steady, regions.face)


def region_movement(
    crops: np.ndarray, present: np.ndarray, neutral: list[int], regions: FlowRegions, heads: np.ndarray
) -> np.ndarray:
    """``(N, R, 2)`` expression movement (dx, dy) of every region, neutral-crop px, NaN without a face.

    ``neutral`` are the frames whose mean detail image is the reference; ``heads`` the ``(N, 2, 4)``
    landmark head-motion maps.
    """
    ref = _to_uint8(np.mean([steady_detail(crops[t], heads[t], regions) for t in neutral], axis=0))
    out = np.full((len(crops), len(REGION_NAMES), 2), np.nan)
    for t in np.flatnonzero(present):
        flow = farneback(ref, _to_uint8(steady_detail(crops[t], heads[t], regions)))
        flat = flow.reshape(-1, 2)
        samples = flat.astype(np.float64)
        face = robust_affine(regions.sample_design, samples[regions.samples])
        still = robust_affine(regions.still_design, samples[regions.still_samples])
        head = np.where(
            regions.still_fit[:, None], regions.centroid_perspective @ still, regions.centroid_design @ face
        )
        out[t] = regions.weights @ flat - head
    return out
