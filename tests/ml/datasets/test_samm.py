"""SAMM loader: MICRO_ONLY sheet with 13 preamble rows and the header on Excel row 14."""

from __future__ import annotations

import pytest

from ml.datasets import SheetError, open_dataset
from ml.datasets.samm import load_samm, parse_samm_aus

ROWS = [
    ("006", "006_1_2", 5562, 5588, 5632, "4+7", "Anger"),
    (6, "006_1_3", 3912, 3948, 3988, 4, "Anger", "While blinking"),  # subject re-saved as a number
    ("014", "014_2_3", 100, 120, 150, "5C", "Surprise"),
    ("026", "026_5_1", 10, 30, 60, "R14+17+soft focus", "Contempt"),
    ("030", "030_1_1", 10, 30, 60, "(R6 or R12)+R15", "Other"),
]


def test_header_on_row_14_and_fields(tmp_path, fx):
    sheet = fx.write_samm(tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx", ROWS)
    records = load_samm(sheet)
    assert len(records) == 5
    first = records[0]
    assert first.extra["row"] == 15  # first clip row: right under the header on Excel row 14
    assert (first.dataset, first.subject, first.clip, first.emotion) == ("samm", "006", "006_1_2", "anger")
    assert (first.onset, first.apex, first.offset, first.fps) == (5562, 5588, 5632, 200.0)
    assert first.aus == ("AU4", "AU7")
    assert first.extra["duration"] == 5632 - 5562 + 1
    assert first.extra["inducement_code"] == 1
    assert records[1].subject == "006"
    assert records[1].extra["notes"] == "While blinking"
    assert records[2].aus == ("AU5",)
    assert records[2].extra["au_intensity"] == {"AU5": "C"}
    assert records[3].aus == ("AU14R", "AU17")
    assert records[3].extra["au_skipped"] == ("soft", "focus")
    assert records[4].aus == ("AU15R",)
    assert records[4].extra["au_uncertain"] == ("AU6R", "AU12R")


@pytest.mark.parametrize(
    ("text", "aus", "key", "value"),
    [
        ("7B", ("AU7",), "au_intensity", {"AU7": "B"}),
        ("A1B+A2C", ("AU1", "AU2"), "au_asymmetric", ("AU1", "AU2")),
        ("ref(7B)+43", ("AU7", "AU43"), "au_reference", ("AU7",)),
        ("4D+ref(6)+7C+43E", ("AU4", "AU6", "AU7", "AU43"), "au_reference", ("AU6",)),
        ("L12 or L14", (), "au_uncertain", ("AU12L", "AU14L")),
        ("R14A or 17A or 24A", (), "au_uncertain", ("AU14R", "AU17", "AU24")),
        ("10A/B", ("AU10",), "au_intensity", {"AU10": "A"}),
        ("A/L12", ("AU12",), "au_asymmetric", ("AU12",)),
        ("12+15 ", ("AU12", "AU15"), "au_raw", "12+15"),
        ("T18+39", ("AU18", "AU39"), "au_raw", "T18+39"),
    ],
)
def test_samm_au_strings(text, aus, key, value):
    got, extra = parse_samm_aus(text)
    assert got == aus
    assert extra[key] == value


def test_preamble_length_does_not_matter(tmp_path, fx):
    sheet = fx.write_samm(tmp_path / "SAMM_short.xlsx", ROWS[:1])
    import openpyxl

    workbook = openpyxl.load_workbook(sheet)
    workbook["MICRO_ONLY"].delete_rows(1, 5)
    workbook.save(sheet)
    (record,) = load_samm(sheet)
    assert record.extra["row"] == 10
    assert record.clip == "006_1_2"


def test_media_layout_and_missing(tmp_path, fx):
    fx.write_samm(tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx", ROWS[:2])
    (tmp_path / "SAMM" / "006" / "006_1_2").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="006_1_3"):
        open_dataset(tmp_path)
    with pytest.warns(UserWarning, match="006_1_3"):
        (record,) = open_dataset(tmp_path, on_missing="skip")
    assert record.path == tmp_path / "SAMM" / "006" / "006_1_2"


def test_missing_header_is_a_clear_error(tmp_path, fx):
    sheet = fx.write_xlsx(tmp_path / "SAMM_x.xlsx", {"MICRO_ONLY": [*fx.samm_preamble, ("Subject", "File")]})
    with pytest.raises(SheetError, match="no header row with the columns Subject, Filename"):
        load_samm(sheet)
