"""CAS(ME)^2 (headerless sheet with naming-rule look-ups) and CAS(ME)^3 Part A loaders."""

from __future__ import annotations

import pytest

from ml.datasets import load_dataset
from ml.datasets.casme3 import load_cas_me2, load_casme3


def _cas_me2_sheet(tmp_path, fx):
    return fx.write_xlsx(
        tmp_path / "CAS(ME)^2code_final.xlsx",
        {
            "CASFEcode": [
                (1, "anger1_1", 557, 572, 608, "4+R10", "negative", "micro-expression", "angry"),
                (1, "anger1_1", 900, 950, 1100, "4", "negative", "macro-expression", ""),
                (2, "disgust1_2", 100, 0, 0, "L12", "others", "micro-expression", ""),
            ],
            "naming rule1": [(1, 15), (2, 16)],
            "naming rule2": [("anger1", "0401"), ("disgust1", "0101")],
        },
    )


def test_cas_me2_micro_only_and_naming_rules(tmp_path, fx):
    sheet = _cas_me2_sheet(tmp_path, fx)
    (tmp_path / "rawpic" / "s15" / "15_0401girlcrashing").mkdir(parents=True)
    (tmp_path / "rawpic" / "s16" / "16_0101disgustingteeth").mkdir(parents=True)
    records = load_cas_me2(sheet, tmp_path)
    assert len(records) == 2  # the macro-expression is left out
    first, second = records
    assert (first.dataset, first.subject, first.clip) == ("cas_me2", "s15", "anger1_1_557")
    assert (first.onset, first.apex, first.offset, first.fps) == (557, 572, 608, 30.0)
    assert first.aus == ("AU4", "AU10R")
    assert first.path == tmp_path / "rawpic" / "s15" / "15_0401girlcrashing"
    assert first.extra["long_video"] is True
    assert second.subject == "s16" and second.apex is None and second.offset is None
    assert second.extra["offset_raw"] == 0
    assert second.path == tmp_path / "rawpic" / "s16" / "16_0101disgustingteeth"
    assert len(load_cas_me2(sheet, micro_only=False)) == 3


def test_cas_me2_missing_recording_folder(tmp_path, fx):
    sheet = _cas_me2_sheet(tmp_path, fx)
    (tmp_path / "rawpic" / "s15" / "15_0401girlcrashing").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="s16"):
        load_dataset("cas_me2", sheet, media_root=tmp_path)


def test_casme3_duplicates_chinese_comma_and_paths(tmp_path, fx):
    sheet = fx.write_xlsx(
        tmp_path / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx",
        {
            "Sheet1": [
                ("Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"),
                ("spNO.1", "a", 175, 181, 190, "4,L12", "3", "Disgust"),
                ("spNO.1", "a", 300, 305, 320, "1，2", "2", "surprise"),
                ("spNO.1", "b", 10, 12, 20, "", "7", "others"),
            ]
        },
    )
    (tmp_path / "spNO.1" / "a" / "color").mkdir(parents=True)
    (tmp_path / "spNO.1" / "b" / "color").mkdir(parents=True)
    records = load_casme3(sheet, tmp_path)
    assert [r.clip for r in records] == ["a_1", "a_2", "b"]
    assert records[0].aus == ("AU4", "AU12L")
    assert records[1].aus == ("AU1", "AU2")
    assert records[0].emotion == "disgust"
    assert records[0].path == tmp_path / "spNO.1" / "a" / "color"
    assert records[0].extra["recording"] == "a"


def test_casme3_csv_without_apex(tmp_path, fx):
    sheet = fx.write_csv(
        tmp_path / "cas(me)3_part_C.csv",
        ["Subject", "Filename", "Onset", "Offset", "AU", "emotion"],
        [["spNO.2", "c", 1, 20, "12", "happy"]],
    )
    (record,) = load_casme3(sheet)
    assert (record.onset, record.apex, record.offset) == (1, None, 20)
    assert record.aus == ("AU12",)
