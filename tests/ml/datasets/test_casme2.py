"""CASME II loader on fixture sheets written in the exact 2014 / 2019 formats."""

from __future__ import annotations

import warnings

import pytest

from ml.datasets import SheetError, load_dataset, open_dataset
from ml.datasets.casme2 import load_casme2

ROWS_2014 = [
    ("01", "EP02_01f", 46, 59, 86, 12, "happiness"),  # numeric AU cell, as Excel stores it
    ("01", "EP19_05f", 396, 416, 446, "4+L10", "disgust"),
    ("02", "EP01_11f", 46, 91, 96, "L1+L2", "surprise"),
    ("02", "EP03_02", 131, 139, 161, "none", "others"),
    ("10", "EP13_01", 1, 10, 20, "4+R10", "Repression "),
]


def test_2014_sheet_fields(tmp_path, fx):
    sheet = fx.write_casme2(tmp_path / "CASME2-coding-20140508.xlsx", ROWS_2014)
    records = load_casme2(sheet)
    assert len(records) == 5
    first = records[0]
    assert (first.dataset, first.subject, first.clip, first.emotion) == (
        "casme2",
        "sub01",
        "EP02_01f",
        "happiness",
    )
    assert (first.onset, first.apex, first.offset, first.fps) == (46, 59, 86, 200.0)
    assert first.aus == ("AU12",)
    assert first.path is None
    assert first.extra["column_J"] == 1  # the unlabelled 2014 column is kept, not lost
    assert records[1].aus == ("AU4", "AU10L")
    assert records[2].aus == ("AU1L", "AU2L")
    assert records[2].bilateral_aus == ("AU1", "AU2")
    assert records[3].aus == ()
    assert records[4].aus == ("AU4", "AU10R")
    assert records[4].subject == "sub10"
    assert records[4].emotion == "repression"  # stripped and lowercased


def test_2019_sheet_apex_slash_and_objective_class(tmp_path, fx):
    rows = [
        ("04", "EP12_01f", 261, "/", 321, "4+7+L10", "disgust", 4),
        ("05", "EP09_05f", 51, 51, 91, "12", "happiness", 1),
    ]
    sheet = fx.write_casme2(tmp_path / "CASME2-coding-20190701.xlsx", rows, version="2019")
    slash, same = load_casme2(sheet)
    assert slash.apex is None
    assert slash.extra["apex_raw"] == "/"
    assert slash.extra["objective_class"] == 4
    assert (same.onset, same.apex) == (51, 51)


def test_free_text_au_is_reported_not_dropped_silently(tmp_path, fx):
    sheet = fx.write_casme2(
        tmp_path / "CASME2-coding-x.xlsx", [("03", "EP01_01", 1, 2, 3, "4+blink", "others")]
    )
    (record,) = load_casme2(sheet)
    assert record.aus == ("AU4",)
    assert record.extra["au_skipped"] == ("blink",)
    assert record.extra["au_raw"] == "4+blink"


@pytest.mark.parametrize("layout", ["CASME2_RAW_selected", "CASME2-RAW", "Cropped"])
def test_media_layouts(tmp_path, fx, layout):
    sheet = fx.write_casme2(tmp_path / "CASME2-coding-20140508.xlsx", ROWS_2014[:2])
    for subject, clip in (("sub01", "EP02_01f"), ("sub01", "EP19_05f")):
        (tmp_path / layout / subject / clip).mkdir(parents=True)
    records = load_casme2(sheet, tmp_path)
    assert [r.path for r in records] == [
        tmp_path / layout / "sub01" / "EP02_01f",
        tmp_path / layout / "sub01" / "EP19_05f",
    ]


def test_missing_frame_folder_error_names_it(tmp_path, fx):
    sheet = fx.write_casme2(tmp_path / "CASME2-coding-20140508.xlsx", ROWS_2014[:3])
    (tmp_path / "CASME2_RAW_selected" / "sub01" / "EP02_01f").mkdir(parents=True)
    (tmp_path / "CASME2_RAW_selected" / "sub02" / "EP01_11f").mkdir(parents=True)
    missing = tmp_path / "CASME2_RAW_selected" / "sub01" / "EP19_05f"
    with pytest.raises(FileNotFoundError, match=str(missing).replace("\\", "\\\\")):
        load_casme2(sheet, tmp_path)
    with pytest.raises(FileNotFoundError, match="on_missing='skip'"):
        open_dataset(tmp_path)


def test_missing_frame_folder_skip_warns_and_loads_the_rest(tmp_path, fx):
    sheet = fx.write_casme2(tmp_path / "CASME2-coding-20140508.xlsx", ROWS_2014[:3])
    (tmp_path / "CASME2_RAW_selected" / "sub01" / "EP02_01f").mkdir(parents=True)
    (tmp_path / "CASME2_RAW_selected" / "sub02" / "EP01_11f").mkdir(parents=True)
    with pytest.warns(UserWarning, match="sub01/EP19_05f"):
        records = open_dataset(tmp_path, on_missing="skip")
    assert [r.clip for r in records] == ["EP02_01f", "EP01_11f"]
    assert sheet.exists()


def test_bad_on_missing_value(tmp_path, fx):
    sheet = fx.write_casme2(tmp_path / "CASME2-coding-20140508.xlsx", ROWS_2014[:1])
    with pytest.raises(ValueError, match="on_missing must be 'error' or 'skip'"):
        load_casme2(sheet, tmp_path, on_missing="ignore")


def test_malformed_frame_number_names_row(tmp_path, fx):
    sheet = fx.write_casme2(
        tmp_path / "CASME2-coding-bad.xlsx", [("01", "EP01", 5, "ten", 20, "4", "others")]
    )
    with pytest.raises(SheetError, match=r"row 2: ApexFrame is 'ten'"):
        load_casme2(sheet)


def test_wrong_sheet_and_missing_sheet(tmp_path, fx):
    samm = fx.write_samm(
        tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx", [("006", "006_1_2", 1, 2, 3, "4", "Anger")]
    )
    with pytest.raises(SheetError, match="is a SAMM coding sheet"):
        load_casme2(samm)
    smic = fx.write_csv(tmp_path / "HS_cropped.csv", ["Subject", "Filename"], [[1, "s1_ne_01"]])
    with pytest.raises(SheetError, match=r"not a readable \.xlsx"):
        load_casme2(smic)
    other = fx.write_xlsx(tmp_path / "other.xlsx", {"Sheet1": [("a", "b"), (1, 2)]})
    with pytest.raises(SheetError, match="right coding sheet"):
        load_casme2(other)
    with pytest.raises(FileNotFoundError, match=r"nope\.xlsx does not exist"):
        load_casme2(tmp_path / "nope.xlsx")
    not_xlsx = tmp_path / "CASME2-coding-broken.xlsx"
    not_xlsx.write_text("not a workbook")
    with pytest.raises(SheetError, match=r"not a readable \.xlsx"):
        load_casme2(not_xlsx)


def test_header_only_sheet_is_an_error(tmp_path, fx):
    sheet = fx.write_casme2(tmp_path / "CASME2-coding-empty.xlsx", [])
    with pytest.raises(SheetError, match="holds no clip rows"):
        load_casme2(sheet)


def test_synthetic_name_and_load_dataset_alias(tmp_path, fx):
    sheet = fx.write_casme2(tmp_path / "CASME2-coding-synthetic.xlsx", ROWS_2014[:1])
    assert load_casme2(sheet)[0].dataset == "synthetic"
    assert load_dataset("CASME-II", sheet)[0].dataset == "synthetic"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_dataset("casme2", sheet, media_root=None)[0].path is None


def test_duplicate_clip_rows_are_named(tmp_path, fx):
    rows = [
        ("01", "EP01", 1, 2, 3, "4", "others"),
        ("02", "EP01", 1, 2, 3, "4", "others"),
        ("1", "EP01", 5, 6, 7, "4", "others"),
    ]
    sheet = fx.write_casme2(tmp_path / "CASME2-coding-dup.xlsx", rows)
    with pytest.raises(SheetError, match=r"clip sub01/EP01 is listed twice \(rows 2 and 4\)"):
        load_casme2(sheet)
