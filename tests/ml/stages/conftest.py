"""Shared fixtures: one landmarker for the module's tests, and frames built from a real photograph."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

from ml.stages.landmarks import Landmarker


@pytest.fixture(scope="session")
def landmarker() -> Landmarker:
    return Landmarker(num_threads=1)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """scikit-image's public-domain portrait (512 x 512 RGB), face near (222, 130), about 90 px wide."""
    return skimage.data.astronaut()


def face_patch(astronaut: np.ndarray, scale: float) -> np.ndarray:
    """The astronaut's head and shoulders (x 140..310, y 40..220) resized by ``scale``."""
    patch = astronaut[40:220, 140:310]
    return cv2.resize(patch, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def paste(canvas: np.ndarray, patch: np.ndarray, x: int, y: int) -> np.ndarray:
    """A copy of ``canvas`` with ``patch`` pasted with its top-left corner at (x, y)."""
    out = canvas.copy()
    out[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
    return out


def blank(width: int = 640, height: int = 360) -> np.ndarray:
    """A plain grey frame."""
    return np.full((height, width, 3), 120, dtype=np.uint8)
