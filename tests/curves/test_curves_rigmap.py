"""Rig tables: shipped MetaHuman/ARKit tables, DataTable CSV round trip, sides, combining, bad tables."""

import logging

import numpy as np
import pytest

from curves.io import ARKIT_BLENDSHAPES
from curves.rigmap import (
    HEADER,
    combine_contributions,
    curve_name_problem,
    load_rig_table,
    map_to_rig,
    parse_rig_csv,
    parse_rig_records,
    rig_table_path,
    rig_table_to_csv,
)

MH_REQUIRED = {
    "AU1": ["browRaiseInL", "browRaiseInR"],
    "AU2": ["browRaiseOuterL", "browRaiseOuterR"],
    "AU4": ["browDownL", "browDownR", "browLateralL", "browLateralR"],
    "AU5": ["eyeWidenL", "eyeWidenR"],
    "AU6": ["eyeCheekRaiseL", "eyeCheekRaiseR"],
    "AU7": ["eyeSquintInnerL", "eyeSquintInnerR"],
    "AU9": ["noseWrinkleL", "noseWrinkleR"],
    "AU10": ["mouthUpperLipRaiseL", "mouthUpperLipRaiseR"],
    "AU12": ["mouthCornerPullL", "mouthCornerPullR"],
    "AU14": ["mouthDimpleL", "mouthDimpleR"],
    "AU15": ["mouthCornerDepressL", "mouthCornerDepressR"],
    "AU16": ["mouthLowerLipDepressL", "mouthLowerLipDepressR"],
    "AU17": ["jawChinRaiseDL", "jawChinRaiseDR", "jawChinRaiseUL", "jawChinRaiseUR"],
    "AU18": ["mouthLipsPurseUL", "mouthLipsPurseUR", "mouthLipsPurseDL", "mouthLipsPurseDR"],
    "AU20": ["mouthStretchL", "mouthStretchR"],
    "AU22": ["mouthFunnelUL", "mouthFunnelUR", "mouthFunnelDL", "mouthFunnelDR"],
    "AU23": ["mouthLipsTightenUL", "mouthLipsTightenUR", "mouthLipsTightenDL", "mouthLipsTightenDR"],
    "AU24": ["mouthLipsPressL", "mouthLipsPressR"],
    "AU26": ["jawOpen"],
    "AU28": ["mouthUpperLipBiteL", "mouthLowerLipBiteR"],
    "AU43": ["eyeBlinkL", "eyeBlinkR"],
    "AU45": ["eyeBlinkL", "eyeBlinkR"],
}


def test_shipped_metahuman_table_has_the_facs_controls():
    table = load_rig_table("metahuman")
    for au, names in MH_REQUIRED.items():
        curves = {r.curve for r in table.for_au(au)}
        for name in names:
            assert f"CTRL_expressions_{name}" in curves, (au, name)
    assert all(c.startswith("CTRL_expressions_") for c in table.curves)
    assert not any("browRaiseInner" in c for c in table.curves)


def test_shipped_arkit_table_uses_apple_names():
    table = load_rig_table("arkit")
    assert set(table.curves) <= set(ARKIT_BLENDSHAPES)
    assert len(ARKIT_BLENDSHAPES) == 52
    assert {r.curve for r in table.for_au("AU1")} == {"browInnerUp"}
    assert {r.curve for r in table.for_au("AU12")} == {"mouthSmileLeft", "mouthSmileRight"}
    assert {r.curve for r in table.for_au("AU6")} == {"cheekSquintLeft", "cheekSquintRight"}
    assert {r.curve for r in table.for_au("AU9")} == {"noseSneerLeft", "noseSneerRight"}


def test_csv_round_trips():
    for name in ("metahuman", "arkit"):
        table = load_rig_table(name)
        again = parse_rig_csv(rig_table_to_csv(table))
        assert again.rows == table.rows
        assert rig_table_path(name).read_text().splitlines()[0] == ",".join(HEADER)


def test_unreal_export_header_and_quotes_are_accepted():
    text = '---,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\n"r1","AU12","smileL","0.5","L","0","1","a, b"\n'
    table = parse_rig_csv(text)
    row = table.rows[0]
    got = (row.name, row.au, row.curve, row.weight, row.side, row.notes)
    assert got == ("r1", "AU12", "smileL", 0.5, "L", "a, b")


def test_unilateral_au_drives_only_its_side():
    table = load_rig_table("metahuman")
    act = np.linspace(0, 0.8, 10)[:, None]
    m = map_to_rig(act, ["AU12R"], table)
    assert list(m.curves) == ["CTRL_expressions_mouthCornerPullR"]
    np.testing.assert_allclose(m.curves["CTRL_expressions_mouthCornerPullR"], act[:, 0])


def test_unilateral_au_on_midline_curve_is_halved():
    table = load_rig_table("arkit")
    act = np.full((5, 1), 0.6)
    m = map_to_rig(act, ["AU1L"], table)
    np.testing.assert_allclose(m.curves["browInnerUp"], 0.3)


def test_several_aus_on_one_curve_stay_in_range():
    # probabilistic OR: 1 - (1 - 0.8)(1 - 0.8) = 0.96; one AU alone is exactly w * a.
    both = combine_contributions([np.array([0.8]), np.array([0.8])], [1.0, 1.0])
    assert both[0] == pytest.approx(0.96)
    one = combine_contributions([np.array([0.4])], [0.5])
    assert one[0] == pytest.approx(0.2)
    many = combine_contributions([np.ones(3)] * 5, [1.0] * 5, 0.0, 0.7)
    np.testing.assert_allclose(many, 0.7)
    table = load_rig_table("metahuman")
    act = np.array([[1.0, 1.0, 1.0]] * 4)
    m = map_to_rig(act, ["AU25", "AU26", "AU27"], table)
    assert m.curves["CTRL_expressions_jawOpen"].max() <= 1.0
    assert m.sources["CTRL_expressions_jawOpen"] == ("AU25", "AU26", "AU27")


def test_unknown_au_is_reported_not_dropped(caplog):
    table = load_rig_table("arkit")
    act = np.full((4, 2), 0.5)
    with caplog.at_level(logging.WARNING):
        m = map_to_rig(act, ["AU12", "AU99"], table)
    assert m.skipped_aus == ("AU99",)
    assert "AU99" in caplog.text
    with pytest.raises(ValueError, match="AU99"):
        map_to_rig(act, ["AU12", "AU99"], table, strict=True)
    with pytest.raises(ValueError, match="drives a curve"):
        map_to_rig(act[:, :1], ["AU99"], table)


def test_curves_missing_from_skeleton_are_listed(caplog):
    table = load_rig_table("arkit")
    act = np.full((4, 1), 0.5)
    with caplog.at_level(logging.WARNING):
        m = map_to_rig(act, ["AU12"], table, skeleton_curves=["mouthSmileLeft"])
    assert list(m.curves) == ["mouthSmileLeft"]
    assert m.skipped_curves == ("mouthSmileRight",)
    assert "mouthSmileRight" in caplog.text


GOOD = "Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\nr1,AU1,c1,1,L,0,1,\n"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (GOOD + "r2,AU2,c2,1,L,0\n", r"line 3: expected 8 cells"),
        (GOOD + "r1,AU2,c2,1,L,0,1,\n", r"duplicate row name 'r1' \(first on line 2\)"),
        (GOOD + "r2,AU2,c2,heavy,L,0,1,\n", r"row 'r2': Weight must be a number, got 'heavy'"),
        (GOOD + "r2,AU2,c2,1,L,1,0,\n", "RangeMin"),
        (GOOD + "r2,AUx,c2,1,L,0,1,\n", "not an Action Unit"),
        (GOOD + "r2,AU2,c2,1,up,0,1,\n", "Side"),
        (GOOD + "r2,AU2,c1,1,L,0,2,\n", "one curve has one range"),
        (GOOD + "r2,AU2,c2,1,L,1,1,\n", r"line 3: row 'r2': RangeMin 1 must be below RangeMax 1"),
        (GOOD + "r2,AU2,C1,1,L,0,1,\n", r"row 'r2' spells curve 'C1' but row 'r1' spells it 'c1'"),
        (GOOD + "r2,AU2,mouth smile,1,L,0,1,\n", r"row 'r2': curve 'mouth smile'.*' ' \(space\)"),
        (GOOD + "r2,AU2,,1,L,0,1,\n", "row 'r2' has no Curve"),
        (GOOD + "r2,,c2,1,L,0,1,\n", "row 'r2' has no AU"),
        (GOOD + "r2,AU2,c2,,L,0,1,\n", "row 'r2': Weight is empty"),
        ("Name,AU,Curve,Weight\nr1,AU1,c1,1\n", "header must be exactly"),
        ("", "empty rig table"),
    ],
)
def test_malformed_tables_name_file_row_and_problem(tmp_path, text, match):
    path = tmp_path / "my_rig.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        load_rig_table(path)
    assert "my_rig.csv" in str(info.value)


def test_unknown_rig_name_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="metahuman or arkit"):
        load_rig_table("daz")
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        load_rig_table(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("curve", "named"),
    [
        ("jaw/open", "'/'"),
        ("jaw..open", "'.'"),
        ("jaw open", "' ' (space)"),
        ("jaw,open", "','"),
        ("jaw:open", "':'"),
        ("jaw\topen", "control character 0x09"),
        ("a" * 1024, "1024 characters long"),
    ],
)
def test_curve_names_follow_unreal_name_rules(curve, named):
    problem = curve_name_problem(curve)
    assert problem is not None and named in problem
    assert curve_name_problem("CTRL_expressions_mouthCornerPullL") is None
    assert curve_name_problem("mouthSmile_L-1") is None


def _records():
    # what Unreal's DataTable.export_to_json_string() gives: numbers as numbers, empty FName as "None"
    return [
        {
            "Name": "r1",
            "AU": "AU12",
            "Curve": "smileL",
            "Weight": 0.5,
            "Side": "L",
            "RangeMin": 0.0,
            "RangeMax": 1.0,
            "Notes": "",
        },
        {
            "Name": "r2",
            "AU": "AU26",
            "Curve": "jawOpen",
            "Weight": 1.0,
            "Side": "",
            "RangeMin": 0.0,
            "RangeMax": 1.0,
            "Notes": "jaw",
        },
    ]


def test_records_and_csv_give_the_same_table():
    from_records = parse_rig_records(_records(), "/Game/Rigs/DT_Mine")
    text = HEADER_LINE + "r1,AU12,smileL,0.5,L,0,1,\nr2,AU26,jawOpen,1,,0,1,jaw\n"
    assert from_records.rows == parse_rig_csv(text, "mine.csv").rows
    assert from_records.source == "/Game/Rigs/DT_Mine" and str(from_records) == "/Game/Rigs/DT_Mine"
    assert load_rig_table(from_records) is from_records  # what make_curvesets(rig=...) accepts


HEADER_LINE = "Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\n"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"Side": "up"}, r"/Game/Rigs/DT_Mine, row 2: row 'r2': Side must be L, R or empty, got 'up'"),
        ({"RangeMin": 1.0}, r"/Game/Rigs/DT_Mine, row 2: row 'r2': RangeMin 1 must be below RangeMax 1"),
        ({"AU": "None"}, r"/Game/Rigs/DT_Mine, row 2: row 'r2' has no AU"),
        ({"Curve": "None"}, r"/Game/Rigs/DT_Mine, row 2: row 'r2' has no Curve"),
        ({"Curve": "jaw/open"}, r"row 'r2': curve 'jaw/open' cannot be an Unreal curve name: .*'/'"),
        ({"Weight": True}, r"row 'r2': Weight must be a number, got True"),
        ({"Weight": "nan"}, r"row 'r2': Weight must be finite"),
        ({"Name": "R1"}, r"row 2: duplicate row name 'R1' \(first on row 1\)"),
    ],
)
def test_bad_record_names_table_and_row(change, match):
    records = _records()
    records[1] = {**records[1], **change}
    with pytest.raises(ValueError, match=match):
        parse_rig_records(records, "/Game/Rigs/DT_Mine")


def test_empty_ranges_take_the_row_struct_defaults():
    records = [{"Name": "r", "AU": "AU1", "Curve": "c", "Weight": 1, "RangeMin": "", "RangeMax": None}]
    row = parse_rig_records(records, "DT").rows[0]
    assert (row.range_min, row.range_max) == (0.0, 1.0)
    with pytest.raises(ValueError, match="DT: the rig table has a header but no rows"):
        parse_rig_records([], "DT")


def test_renamed_curves_keep_everything_else():
    table = parse_rig_records(_records(), "DT")
    renamed = table.with_curve_names({"smileL": "SmileL"})
    assert [r.curve for r in renamed.rows] == ["SmileL", "jawOpen"]
    assert [r.weight for r in renamed.rows] == [0.5, 1.0] and renamed.source == "DT"
