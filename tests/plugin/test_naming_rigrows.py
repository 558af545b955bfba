"""Pure helpers: asset names and folders, rig table rows."""

from __future__ import annotations

import json

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


ROW = {"Name": "r1", "AU": "AU4", "Curve": "C", "Weight": 1.0, "Side": "None", "RangeMin": 0.0,
       "RangeMax": 1.0, "Notes": ""}  # fmt: skip


def test_datatable_json_becomes_records_of_the_one_parser(mx) -> None:
    from microexpr_anim.rigrows import records_from_datatable_json, table_from_records

    text = json.dumps([ROW])
    table = table_from_records(records_from_datatable_json(text, "DataTable /Game/DT"), "DataTable /Game/DT")
    row = table.rows[0]
    assert (row.au, row.curve, row.weight, row.side) == ("AU4", "C", 1.0, "")  # FString "None" -> midline
    assert table.source == "DataTable /Game/DT"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "exported nothing"),
        ("{not json", "DataTable JSON does not parse"),
        ('{"a": 1}', "not a list of rows"),
        ('[{"Name": "r", "AU": "AU1"}]', "lack the columns Curve, Weight, Side, RangeMin, RangeMax"),
    ],
)
def test_unreadable_datatable_export(mx, text: str, match: str) -> None:
    from microexpr_anim.errors import RigTableError
    from microexpr_anim.rigrows import records_from_datatable_json

    with pytest.raises(RigTableError, match=f"DataTable /Game/DT: .*{match}"):
        records_from_datatable_json(text, "DataTable /Game/DT")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"AU": "None"}, "row 'r1' has no AU"),
        ({"AU": "smile"}, "row 'r1': .*smile"),
        ({"Curve": "None"}, "row 'r1' has no Curve"),
        ({"Curve": "brow down"}, r"row 'r1': curve 'brow down' cannot be an Unreal curve name"),
        ({"Weight": "x"}, "row 'r1': Weight must be a number, got 'x'"),
        ({"Side": "up"}, "row 'r1': Side must be L, R or empty, got 'up'"),
        ({"RangeMin": 2.0}, "row 'r1': RangeMin 2 must be below RangeMax 1"),
        ({"RangeMin": 1.0}, "row 'r1': RangeMin 1 must be below RangeMax 1"),
    ],
)
def test_bad_rows_name_the_datatable_and_row(mx, change: dict, match: str) -> None:
    from microexpr_anim.errors import RigTableError
    from microexpr_anim.rigrows import table_from_records

    with pytest.raises(RigTableError, match=f"^DataTable /Game/DT, row 1: {match}"):
        table_from_records([{**ROW, **change}], "DataTable /Game/DT")


def test_skeleton_spelling_ignores_case_and_suggests(mx) -> None:
    from microexpr_anim.errors import RigTableError
    from microexpr_anim.rigrows import skeleton_spelling, table_from_records

    rows = [
        {**ROW, "Name": "a", "Curve": "eyeBlinkLeft"},
        {**ROW, "Name": "b", "Curve": "jawOpen"},
    ]
    table = table_from_records(rows, "DT")
    # Live Link Face spells the ARKit curves in PascalCase; Unreal's names ignore case
    assert skeleton_spelling(table, ["EyeBlinkLeft", "JawOpen", "MouthClose"], "/Game/LLF") == {
        "eyeBlinkLeft": "EyeBlinkLeft",
        "jawOpen": "JawOpen",
    }
    assert skeleton_spelling(table, ["eyeBlinkLeft", "jawOpen"], "/Game/S") == {}
    with pytest.raises(
        RigTableError, match=r"row 'b' maps AU4 to curve 'jawOpen'.*did you mean 'JawOpenX'\?"
    ):
        skeleton_spelling(table, ["EyeBlinkLeft", "JawOpenX"], "/Game/LLF")
    with pytest.raises(RigTableError, match=r"skeleton /Game/LLF does not have; fix the row"):
        skeleton_spelling(table, ["EyeBlinkLeft", "Tongue"], "/Game/LLF")
