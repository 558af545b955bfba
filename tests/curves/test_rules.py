"""The key-selection tolerance's rule: strictly between 0 and 1, any other value named with the limit."""

from __future__ import annotations

import math

import pytest

from curves.rules import check_tolerance


@pytest.mark.parametrize("value", [0.01, 1e-6, 0.999, "0.05"])
def test_a_tolerance_between_0_and_1_is_kept(value: object) -> None:
    assert check_tolerance(value) == pytest.approx(float(value))  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0.0, 1.0, 1.5, -0.01, math.nan, math.inf, "fine", None])
def test_any_other_tolerance_is_refused_with_the_limit(value: object) -> None:
    with pytest.raises(ValueError, match=r"--tolerance must be (a number )?between 0 and 1"):
        check_tolerance(value, what="--tolerance")
