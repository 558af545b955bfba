"""The blendshape-only baseline: ARKit values mapped to AUs, relative to their quietest span."""

from __future__ import annotations

import numpy as np
import pytest

from ml.stages.landmarks import BLENDSHAPE_NAMES
from ml.tracks import blendshapes_to_aus


def column(name: str) -> int:
    return BLENDSHAPE_NAMES.index(name)


def test_smile_blendshapes_become_au12_above_their_neutral() -> None:
    n = 20
    shapes = np.full((n, 52), 0.05)
    shapes[:, column("mouthSmileLeft")] = 0.2  # the subject's resting face already smiles a little
    shapes[:, column("mouthSmileRight")] = 0.2
    shapes[10:15, column("mouthSmileLeft")] = 0.8
    shapes[10:15, column("mouthSmileRight")] = 0.5
    present = np.ones(n, bool)
    present[18] = False
    shapes[18] = np.nan
    tracks = blendshapes_to_aus(shapes, present, 30.0)
    assert tracks.source == "blendshapes"
    assert tracks.neutral[1] <= 10 or tracks.neutral[0] >= 15
    assert tracks.track("AU12L")[12] == pytest.approx(0.6)
    assert tracks.track("AU12R")[12] == pytest.approx(0.3)
    assert tracks.track("AU12")[12] == pytest.approx(0.6)  # the larger side
    assert tracks.track("AU12")[:10] == pytest.approx(np.zeros(10))
    assert np.isnan(tracks.values[18]).all()


def test_wrong_blendshape_arrays_are_refused() -> None:
    with pytest.raises(ValueError, match=r"blendshapes must be a float array \(N, 52\)"):
        blendshapes_to_aus(np.zeros((5, 52), int), np.ones(5, bool))
    with pytest.raises(ValueError, match=r"blendshape values must be \(frames, 52\)"):
        blendshapes_to_aus(np.zeros((5, 51)), np.ones(5, bool))
    with pytest.raises(ValueError, match=r"present must be a bool array of shape \(5,\)"):
        blendshapes_to_aus(np.zeros((5, 52)), np.ones(4, bool))
