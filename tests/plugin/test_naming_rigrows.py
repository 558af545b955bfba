"""Pure helpers: asset names and folders, rig table rows."""

from __future__ import annotations

import pytest


def test_sanitize(mx) -> None:
    from microexpr_anim.naming import MAX_NAME_LENGTH, asset_name_for_clip, sanitize_asset_name

    assert sanitize_asset_name("sub01 / EP02_01f.mp4") == "sub01_EP02_01f_mp4"
    assert sanitize_asset_name("  ...  ") == "MicroExpr"
    assert sanitize_asset_name("a" * 300) == "a" * MAX_NAME_LENGTH
    assert asset_name_for_clip("D:/clips/EP02 01f.mp4") == "AS_MicroExpr_EP02_01f"
    assert asset_name_for_clip("/data/sub01/EP02_01f/") == "AS_MicroExpr_EP02_01f"
    assert asset_name_for_clip("x.json", variant=2) == "AS_MicroExpr_x_v2"


def test_package_path(mx) -> None:
    from microexpr_anim.errors import AssetPathError
    from microexpr_anim.naming import check_package_path, split_object_path

    assert check_package_path("/Game//Micro/") == "/Game/Micro"
    assert check_package_path("/MyPlug/A", ["Game", "MyPlug"]) == "/MyPlug/A"
    for bad in ("/Engine/A", "/Script/A", "/Temp", "relative/path", "/", "/Game/a b", "/Game/a.b"):
        with pytest.raises(AssetPathError):
            check_package_path(bad)
    assert split_object_path("/Game/A/B.B") == ("/Game/A", "B")
    with pytest.raises(AssetPathError, match="not an asset path"):
        split_object_path("B")


def test_rows_from_csv_and_json(mx) -> None:
    from microexpr_anim.rigrows import rows_from_csv_text, rows_from_datatable_json, rows_to_csv

    text = "Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\nr1,12,CurveA,0.5,L,0,1,hi\n"
    rows = rows_from_csv_text(text, "t.csv")
    assert rows[0].au == "AU12" and rows[0].weight == 0.5 and rows[0].side == "L"
    again = rows_from_csv_text(rows_to_csv(rows), "t2.csv")
    assert again == rows
    js = (
        '[{"Name":"r1","AU":"AU4","Curve":"C","Weight":1,"Side":"None","RangeMin":0,"RangeMax":1,"Notes":""}]'
    )
    assert rows_from_datatable_json(js, "DT")[0].side == ""


@pytest.mark.parametrize(
    ("record", "match"),
    [
        ({"Name": "r", "AU": "None", "Curve": "C", "Weight": 1}, "row 'r' has no AU"),
        ({"Name": "r", "AU": "smile", "Curve": "C", "Weight": 1}, "AU 'smile' is not an Action Unit"),
        ({"Name": "r", "AU": "AU1", "Curve": "None", "Weight": 1}, "row 'r' has no Curve"),
        ({"Name": "r", "AU": "AU1", "Curve": "C", "Weight": "x"}, "row 'r': Weight 'x' is not a number"),
        ({"Name": "r", "AU": "AU1", "Curve": "C", "Weight": "nan"}, "not a finite number"),
        ({"Name": "r", "AU": "AU1", "Curve": "C"}, "row 'r' has no Weight"),
        (
            {"Name": "r", "AU": "AU1", "Curve": "C", "Weight": 1, "RangeMin": 2, "RangeMax": 1},
            "RangeMin 2.0 is above",
        ),
    ],
)
def test_bad_rows(mx, record: dict, match: str) -> None:
    from microexpr_anim.errors import RigTableError
    from microexpr_anim.rigrows import rows_from_records

    with pytest.raises(RigTableError, match=match):
        rows_from_records([record], "DT_X")


def test_duplicate_and_empty_tables(mx) -> None:
    from microexpr_anim.errors import RigTableError
    from microexpr_anim.rigrows import rows_from_csv_text, rows_from_records

    rec = {"Name": "r", "AU": "AU1", "Curve": "C", "Weight": 1}
    with pytest.raises(RigTableError, match="appears twice"):
        rows_from_records([rec, rec], "DT")
    with pytest.raises(RigTableError, match="no rows"):
        rows_from_records([], "DT")
    with pytest.raises(RigTableError, match="header lacks"):
        rows_from_csv_text("a,b\n1,2\n", "x.csv")
