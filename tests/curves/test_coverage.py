"""Rig coverage of hand-made tables, checked against what the rows plainly say."""

from __future__ import annotations

import pytest

from curves.coverage import FACS_AUS, au_region, rig_coverage
from curves.rigmap import load_rig_table, parse_rig_csv

HEADER = "Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\n"
TABLE = parse_rig_csv(
    HEADER
    + "AU4_down,AU4,browDown,1,,0,1,\n"  # lowers the brows, no pinch
    + "AU12_L,AU12,smileL,1,L,0,1,\n"
    + "AU12_R,AU12,smileR,1,R,0,1,\n"
    + "AU1_zero,AU1,browInner,0,,0,1,\n"  # weight 0
    + "AU2_stuck,AU2,browOuter,1,,-1,0,\n"  # can only fall, the AU only raises
    + "AU6_cheek,AU6,cheek,1,,0,1,\n",
    "hand.csv",
)


def test_a_hand_made_table():
    cov = rig_coverage(TABLE)
    assert cov.expressed == ("AU6", "AU12")
    parts, fallback = cov.partial["AU4"]
    assert parts == ("draws the brows together",) and fallback == ("browDown",)
    assert set(cov.dead_rows) == {"AU1_zero", "AU2_stuck"}
    assert "Weight is 0" in cov.dead_rows["AU1_zero"]
    assert "AU1" in cov.missing and "AU2" in cov.missing  # their only rows do nothing
    assert len(cov.missing) == len(FACS_AUS) - 3


def test_skeleton_without_a_curve():
    cov = rig_coverage(TABLE, skeleton_curves=["browDown", "smileL", "smileR"])
    assert cov.missing_curves == {"browInner": ("AU1",), "browOuter": ("AU2",), "cheek": ("AU6",)}
    assert "AU6" in cov.missing
    assert any("curve cheek (driven by AU6) is not on the skeleton" in line for line in cov.lines())


def test_share_of_coded_sets():
    cov = rig_coverage(TABLE, au_sets=[(("AU12",), 3), (("AU6", "AU12"), 1), (("AU1",), 4)])
    assert cov.micro_share == pytest.approx(4 / 8)


def test_arkit_lacks_the_brow_pinch_and_metahuman_has_it():
    arkit = rig_coverage(load_rig_table("arkit"))
    assert arkit.partial["AU4"][0] == ("draws the brows together",)
    assert set(arkit.partial["AU4"][1]) == {"browDownLeft", "browDownRight"}
    line = next(x for x in arkit.lines() if x.startswith("AU4"))
    assert "falls back to browDownLeft, browDownRight" in line
    metahuman = rig_coverage(load_rig_table("metahuman"))
    assert "AU4" in metahuman.expressed and "AU23" in metahuman.expressed


def test_regions():
    assert au_region("AU12R") == "mouth" and au_region("AU4") == "brows" and au_region("AU26") == "jaw"
    assert au_region("AU99") == "other"
