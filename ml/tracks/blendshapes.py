"""AU tracks from the landmarker's blendshapes alone: the baseline the measured tracks are compared with.

The mapping is :mod:`curves.blendshape_aus` (shared with Live Link Face captures). The neutral span is
the one with the least blendshape activity, and each AU's mean over it is subtracted, so the baseline is
relative to the subject's neutral like the measured tracks.
"""

from __future__ import annotations

import numpy as np

from curves.blendshape_aus import blendshape_au_values
from ml.errors import NoFaceError
from ml.rules import check_fps
from ml.stages.landmarks import BLENDSHAPE_NAMES
from ml.tracks.inputs import check_present, check_span
from ml.tracks.neutral import EXPRESSION_SHAPES, quietest_span
from ml.tracks.types import AUTracks

__all__ = ["blendshapes_to_aus"]


def blendshapes_to_aus(
    blendshapes: np.ndarray, present: np.ndarray, fps: float = 30.0, *, neutral: tuple[int, int] | None = None
) -> AUTracks:
    """AU tracks in [0, 1] from ``(N, 52)`` ARKit-order blendshapes, relative to their neutral span.

    Raises:
        ValueError: wrong shapes or types, a bad neutral span.
        ml.errors.NoFaceError: no frame has a face.
    """
    if not isinstance(blendshapes, np.ndarray) or blendshapes.ndim != 2 or blendshapes.dtype.kind != "f":
        got = (
            f"shape {blendshapes.shape}"
            if isinstance(blendshapes, np.ndarray)
            else type(blendshapes).__name__
        )
        raise ValueError(f"blendshapes must be a float array (N, {len(BLENDSHAPE_NAMES)}), got {got}")
    mask = check_present(present, len(blendshapes))
    if not mask.any():
        raise NoFaceError("No frame has a face (present is all False): nothing to measure")
    rate = check_fps(fps)
    names, values = blendshape_au_values(blendshapes, BLENDSHAPE_NAMES)
    if neutral is None:
        activity = np.full(len(mask), np.inf)
        activity[mask] = np.nansum(blendshapes[mask][:, EXPRESSION_SHAPES], axis=1)
        span = quietest_span(activity, mask, rate)
    else:
        span = check_span(neutral, mask)
    rest = np.nanmean(values[span[0] : span[1]][mask[span[0] : span[1]]], axis=0)
    out = np.clip(values - rest, 0.0, 1.0)
    out[~mask] = np.nan
    return AUTracks(names=names, values=out, neutral=span, present=mask.copy(), source="blendshapes")
