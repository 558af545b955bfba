"""Skin movement in each facial region: one dense optical flow per frame from the neutral face.

Crops are made insensitive to lighting before the flow: grey, lightly blurred, less their local mean
(a broad Gaussian removes smooth shading and lighting gradients) and scaled to a fixed contrast over the
face, so a brighter, darker or unevenly lit frame of the same face gives the same image. Farneback flow
from the neutral reference to each frame then gives, at every pixel, where the neutral skin went; each
region's movement is the mean flow over its mask (drawn on the neutral landmarks).
"""

from __future__ import annotations

import cv2
import numpy as np

from ml.stages.landmarks import REGIONS, region_masks
from ml.stages.temporal import optical_flow

__all__ = ["REGION_NAMES", "FlowRegions", "lighting_invariant", "region_flow"]

REGION_NAMES: tuple[str, ...] = tuple(REGIONS)

#: Detail kept (Gaussian sigma, as a fraction of the crop size) and shading removed (broad sigma).
_FINE_SIGMA = 1.0 / 112.0
_BROAD_SIGMA = 8.0 / 112.0
_CONTRAST = 32.0


class FlowRegions:
    """The regions of one neutral face in crop pixels: masks as weights, centroids, landmark depths."""

    def __init__(self, neutral_points: np.ndarray, size: int) -> None:
        masks = region_masks(neutral_points, (size, size))
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
        self.depths = np.array([neutral_points[list(REGIONS[n].landmarks), 2].mean() for n in REGION_NAMES])
        self.face = np.zeros((size, size), np.uint8)
        hull = cv2.convexHull(neutral_points[:, :2].astype(np.float32))
        cv2.fillConvexPoly(self.face, np.round(hull).astype(np.int32), 1)

    def index(self, name: str) -> int:
        return REGION_NAMES.index(name)


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


def region_flow(
    crops: np.ndarray, present: np.ndarray, reference: np.ndarray, regions: FlowRegions
) -> np.ndarray:
    """``(N, R, 2)`` mean flow (dx, dy) of every region from ``reference`` (a detail image) to each crop.

    NaN for frames without a face.
    """
    ref = _to_uint8(reference)
    out = np.full((len(crops), len(REGION_NAMES), 2), np.nan)
    for t in np.flatnonzero(present):
        flow = optical_flow(ref, _to_uint8(lighting_invariant(crops[t], regions.face)))
        out[t] = regions.weights @ flow.reshape(-1, 2)
    return out
