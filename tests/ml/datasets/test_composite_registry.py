"""MEGC2019 composite CSV, and dataset detection in open_dataset / load_dataset."""

from __future__ import annotations

import pytest

from ml.datasets import DATASET_NAMES, SheetError, detect_dataset, load_dataset, open_dataset
from ml.datasets.composite import load_composite

HEADER = ["dataset", "sub", "filename_o", "label", "apex", "imagename", "sub_filename"]
ROWS = [
    ["casme2", "sub01", "EP02_01f", 1, "", "sub01_EP02_01f.jpg", ""],
    ["casme2", "sub01", "EP19_05f", 0, "", "sub01_EP19_05f.jpg", ""],
    ["smic", "s03", "s03_sur_01", 2, "", "s03_s3_sur_01.jpg", ""],
    ["samm", "006", "006_1_2", 0, "", "006_006_1_2.jpg", ""],
]


def test_composite_records(tmp_path, fx):
    sheet = fx.write_csv(tmp_path / "htnet_composite.csv", HEADER, ROWS, crlf=False)
    records = load_composite(sheet)
    assert [(r.dataset, r.subject, r.clip, r.emotion) for r in records] == [
        ("casme2", "sub01", "EP02_01f", "positive"),
        ("casme2", "sub01", "EP19_05f", "negative"),
        ("smic", "s03", "s3_sur_01", "surprise"),
        ("samm", "006", "006_1_2", "negative"),
    ]
    assert [r.extra["composite_label"] for r in records] == [1, 0, 2, 0]
    assert records[2].extra["composite_filename"] == "s03_sur_01"
    assert [r.fps for r in records] == [200.0, 200.0, 100.0, 200.0]
    assert all(r.onset is None for r in records)


def test_composite_joins_source_sheets(tmp_path, fx):
    sheet = fx.write_csv(tmp_path / "htnet_composite.csv", HEADER, ROWS)
    casme2 = fx.write_casme2(
        tmp_path / "src" / "CASME2-coding-20140508.xlsx",
        [("01", "EP02_01f", 46, 59, 86, 12, "happiness")],
    )
    smic = fx.write_csv(
        tmp_path / "src" / "HS_cropped.csv",
        ["Subject", "Filename", "OnsetFrame", "OffsetFrame", "Estimated Emotion"],
        [[3, "s3_sur_01", 10, 40, "surprise"]],
    )
    records = load_composite(sheet, sources={"casme2": casme2, "smic": smic})
    happy, missing, surprise, samm = records
    assert (happy.onset, happy.apex, happy.offset, happy.aus) == (46, 59, 86, ("AU12",))
    assert happy.extra["source_emotion"] == "happiness"
    assert missing.extra["source_matched"] is False and missing.onset is None
    assert (surprise.onset, surprise.offset) == (10, 40)
    assert "source_matched" not in samm.extra


def test_composite_media_paths(tmp_path, fx):
    sheet = fx.write_csv(tmp_path / "htnet_composite.csv", HEADER, ROWS)
    folders = [
        tmp_path / "CASME2_RAW_selected" / "sub01" / "EP02_01f",
        tmp_path / "CASME2_RAW_selected" / "sub01" / "EP19_05f",
        tmp_path / "HS" / "s3" / "micro" / "surprise" / "s3_sur_01",
        tmp_path / "SAMM" / "006" / "006_1_2",
    ]
    for folder in folders:
        folder.mkdir(parents=True)
    assert [r.path for r in load_composite(sheet, tmp_path)] == folders


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["casme3", "sub01", "x", 0], "dataset 'casme3' is not casme2, samm or smic"),
        (["casme2", "sub01", "x", 3], "label '3' is not 0"),
        (["casme2", "sub01", "x", "neg"], "label 'neg' is not 0"),
    ],
)
def test_composite_bad_rows(tmp_path, fx, row, message):
    sheet = fx.write_csv(tmp_path / "htnet_composite.csv", HEADER[:4], [row])
    with pytest.raises(SheetError, match=message):
        load_composite(sheet)


def test_detection_by_file_name(tmp_path, fx):
    casme = fx.write_casme2(
        tmp_path / "a" / "CASME2-coding-20140508.xlsx", [("01", "E", 1, 2, 3, "4", "others")]
    )
    assert detect_dataset(casme) == ("casme2", casme)
    assert detect_dataset(casme.parent) == ("casme2", casme)
    synthetic = fx.write_casme2(
        tmp_path / "s" / "CASME2-coding-synthetic.xlsx", [("01", "E", 1, 2, 3, 4, "others")]
    )
    assert detect_dataset(synthetic.parent) == ("synthetic", synthetic)
    composite = fx.write_csv(tmp_path / "c" / "combined_3_class2_for_optical_flow.csv", HEADER, ROWS)
    assert detect_dataset(composite)[0] == "composite"
    samm = fx.write_samm(
        tmp_path / "m" / "SAMM_Micro_FACS_Codes_v2.xlsx", [("006", "006_1_2", 1, 2, 3, "4", "Anger")]
    )
    assert detect_dataset(samm)[0] == "samm"


def test_detection_errors(tmp_path, fx):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_dataset(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no coding sheet found"):
        open_dataset(tmp_path / "empty")
    odd = tmp_path / "notes.txt"
    odd.write_text("x")
    with pytest.raises(ValueError, match="not a coding sheet this tool recognises"):
        open_dataset(odd)
    both = tmp_path / "both"
    fx.write_casme2(both / "CASME2-coding-20140508.xlsx", [("01", "E", 1, 2, 3, "4", "others")])
    fx.write_casme2(
        both / "CASME2-coding-20190701.xlsx", [("01", "E", 1, 2, 3, "4", "others")], version="2019"
    )
    with pytest.raises(ValueError, match="holds 2 casme2 sheets"):
        open_dataset(both)
    with pytest.raises(ValueError, match="unknown dataset 'casme9'"):
        load_dataset("casme9", both / "CASME2-coding-20140508.xlsx")
    assert "composite" in DATASET_NAMES


def test_open_dataset_options(tmp_path, fx):
    sheet = fx.write_casme2(tmp_path / "CASME2-coding-20140508.xlsx", [("01", "EP1", 1, 2, 3, "4", "others")])
    assert open_dataset(sheet, labels_only=True)[0].path is None
    media = tmp_path / "media"
    (media / "Cropped" / "sub01" / "EP1").mkdir(parents=True)
    assert open_dataset(sheet, media_root=media)[0].path == media / "Cropped" / "sub01" / "EP1"
    assert open_dataset(tmp_path, name="casme2", labels_only=True)[0].dataset == "casme2"
