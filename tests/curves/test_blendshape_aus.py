"""ARKit blendshapes -> AU values: the mapping read by hand from the table."""

from __future__ import annotations

import numpy as np
import pytest

from curves.blendshape_aus import BLENDSHAPE_AUS, blendshape_au_values

NAMES = tuple(sorted({shape for terms in BLENDSHAPE_AUS.values() for shape, _ in terms}))


def test_each_au_reads_its_blendshapes_and_the_bilateral_column_is_the_larger_side() -> None:
    values = np.zeros((2, len(NAMES)))
    values[0, NAMES.index("mouthSmileLeft")] = 0.7
    values[0, NAMES.index("mouthSmileRight")] = 0.2
    values[0, NAMES.index("noseSneerLeft")] = 0.4  # AU9 is the mean of both sneers
    values[0, NAMES.index("jawOpen")] = 0.1  # lips part (x4) long before the jaw drops (x1.5)
    values[1] = np.nan
    names, out = blendshape_au_values(values, NAMES)
    row = dict(zip(names, out[0], strict=True))
    assert row["AU12L"] == pytest.approx(0.7) and row["AU12R"] == pytest.approx(0.2)
    assert row["AU12"] == pytest.approx(0.7)
    assert row["AU9"] == pytest.approx(0.2)
    assert row["AU25"] == pytest.approx(0.4) and row["AU26"] == pytest.approx(0.15)
    assert np.isnan(out[1]).all()
    assert len(set(names)) == len(names)


def test_values_are_clipped_to_0_1() -> None:
    values = np.full((1, len(NAMES)), 0.9)
    _, out = blendshape_au_values(values, NAMES)
    assert out.max() == 1.0 and out.min() >= 0.0


def test_missing_blendshapes_and_wrong_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="blendshape columns missing: browDownLeft;"):
        blendshape_au_values(np.zeros((1, len(NAMES) - 1)), NAMES[1:])
    with pytest.raises(ValueError, match=r"must be \(frames, 3\) for the 3 names given, got shape \(2, 4\)"):
        blendshape_au_values(np.zeros((2, 4)), ("a", "b", "c"))
