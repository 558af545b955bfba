"""SMIC-HS (CSV and folder labels) and MMEW loaders."""

from __future__ import annotations

import pytest

from ml.datasets import SheetError, open_dataset
from ml.datasets.mmew import load_mmew
from ml.datasets.smic import load_smic, scan_smic_folders

SMIC_HEADER = ["Subject", "Filename", "OnsetFrame", "OffsetFrame", "Estimated Emotion"]
SMIC_ROWS = [
    [1, "s1_ne_01", 559740, 559775, "negative"],
    [1, "s1_po_01", 701843, 701865, "positive"],
    [11, "s11_sur_01", 425358, 425378, "surprise"],
]


def test_smic_csv_has_no_apex(tmp_path, fx):
    sheet = fx.write_csv(tmp_path / "HS_cropped.csv", SMIC_HEADER, SMIC_ROWS)
    records = load_smic(sheet)
    assert [r.subject for r in records] == ["s01", "s01", "s11"]
    assert [r.emotion for r in records] == ["negative", "positive", "surprise"]
    assert all(r.apex is None and r.fps == 100.0 and r.aus == () for r in records)
    assert (records[0].onset, records[0].offset) == (559740, 559775)


def test_smic_media_layout(tmp_path, fx):
    fx.write_csv(tmp_path / "HS_cropped.csv", SMIC_HEADER, SMIC_ROWS[:1])
    folder = tmp_path / "HS" / "s1" / "micro" / "negative" / "s1_ne_01"
    folder.mkdir(parents=True)
    (record,) = open_dataset(tmp_path)
    assert record.path == folder


def test_smic_emotion_contradicting_file_name(tmp_path, fx):
    sheet = fx.write_csv(tmp_path / "HS_cropped.csv", SMIC_HEADER, [[1, "s1_ne_01", 1, 9, "positive"]])
    with pytest.raises(SheetError, match="row 2: clip s1_ne_01 is coded 'ne'"):
        load_smic(sheet)


def test_smic_missing_column_and_unknown_emotion(tmp_path, fx):
    sheet = fx.write_csv(tmp_path / "HS_cropped.csv", SMIC_HEADER[:4], [[1, "s1_ne_01", 1, 9]])
    with pytest.raises(SheetError, match="missing column\\(s\\) Estimated Emotion"):
        load_smic(sheet)
    sheet = fx.write_csv(tmp_path / "HS_cropped.csv", SMIC_HEADER, [[1, "clip7", 1, 9, "joy"]])
    with pytest.raises(SheetError, match="emotion 'joy' is not one of negative, positive, surprise"):
        load_smic(sheet)


def test_smic_folder_labels_without_csv(tmp_path, fx):
    fx.make_frames(tmp_path / "HS" / "s2" / "micro" / "positive" / "s2_po_01", [101, 102, 103], "image{}.bmp")
    fx.make_frames(tmp_path / "HS" / "s2" / "micro" / "surprise" / "s2_sur_01", [7, 8], "image{}.bmp")
    records = open_dataset(tmp_path)
    assert [(r.subject, r.clip, r.emotion, r.onset, r.apex, r.offset) for r in records] == [
        ("s02", "s2_po_01", "positive", 101, None, 103),
        ("s02", "s2_sur_01", "surprise", 7, None, 8),
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SheetError, match="no SMIC clip folders found"):
        scan_smic_folders(empty)


MMEW_HEADER = [
    "Subject",
    "Filename",
    "OnsetFrame",
    "ApexFrame",
    "OffsetFrame",
    "Action Units",
    "Estimated Emotion",
    "remarks",
]


def test_mmew_csv(tmp_path, fx):
    sheet = fx.write_csv(
        tmp_path / "MMEW_Micro_Exp.csv",
        MMEW_HEADER,
        [
            [1, "S01-01-001", 1, 15, 31, "6+12", "happiness", ""],
            [30, "S30-02-001", 1, 11, 43, "L12", "others", ""],
        ],
    )
    first, last = load_mmew(sheet)
    assert (first.dataset, first.subject, first.clip, first.emotion) == (
        "mmew",
        "S01",
        "S01-01-001",
        "happiness",
    )
    assert (first.onset, first.apex, first.offset) == (1, 15, 31)
    assert first.aus == ("AU6", "AU12")
    assert "remarks" not in first.extra
    assert last.subject == "S30" and last.aus == ("AU12L",)
    (tmp_path / "Micro_Expression" / "happiness" / "S01-01-001").mkdir(parents=True)
    with pytest.warns(UserWarning, match="S30-02-001"):
        records = open_dataset(tmp_path, on_missing="skip")
    assert [r.path for r in records] == [tmp_path / "Micro_Expression" / "happiness" / "S01-01-001"]


def test_mmew_bad_frame_number(tmp_path, fx):
    sheet = fx.write_csv(
        tmp_path / "MMEW_Micro_Exp.csv",
        MMEW_HEADER,
        [[1, "S01-01-001", 1, "15.5", 31, "12", "happiness", ""]],
    )
    with pytest.raises(SheetError, match=r"row 2: ApexFrame is '15\.5'"):
        load_mmew(sheet)
