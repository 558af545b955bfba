"""Fixture writers: small coding sheets in each corpus's exact format, and frame folders."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
#: The real coding sheets (absent on machines without the shared folder: those tests skip).
ANNOTATIONS = REPO.parent / "shared" / "data" / "annotations"

CASME2_2014_HEADER = (
    "Subject",
    "Filename",
    None,
    "OnsetFrame",
    "ApexFrame",
    "OffsetFrame",
    None,
    "Action Units",
    "Estimated Emotion",
)
CASME2_2019_HEADER = (*CASME2_2014_HEADER, "Objective Classes")

SAMM_PREAMBLE: tuple[tuple[Any, ...], ...] = (
    ("SAMM Dataset - Master FACS Codes", None, None, None, "(Note to the users: please cite ...)"),
    (),
    ("9/9/17 - New updates with Emotional and Objective Classes. For details please refer to: ",),
    (None, None, None, None, "(Note to the users: if you're using the emotional or objective classes ...)"),
    (),
    ("Symbol Key:",),
    ('"/" = or',),
    ('"?" = some AU\'s continue for a while and have unclear offset',),
    (),
    ("AU Help:",),
    ('"L2 or R2" = Unilateral AU 2 on left side of face / right side of face',),
    ('"A2" = Asymmetric AU 2. Occurs on both sides of face but stronger on one side',),
    (),
)
SAMM_HEADER = (
    "Subject",
    "Filename",
    "Inducement Code",
    "Onset Frame",
    "Apex Frame",
    "Offset Frame",
    "Duration",
    "Micro",
    "Action Units",
    "Estimated Emotion",
    "Objective Classes",
    "Notes",
)


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """Write worksheets (name -> rows) with openpyxl; an empty tuple is an empty row."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row) if row else [None])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], *, crlf: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n" if crlf else "\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_casme2(path: Path, rows: Sequence[Sequence[Any]], *, version: str = "2014") -> Path:
    """A CASME II sheet; rows are (subject, filename, onset, apex, offset, aus, emotion[, objective])."""
    out: list[tuple[Any, ...]] = [CASME2_2014_HEADER if version == "2014" else CASME2_2019_HEADER]
    for row in rows:
        subject, name, onset, apex, offset, aus, emotion, *rest = row
        line: tuple[Any, ...] = (subject, name, None, onset, apex, offset, None, aus, emotion)
        # the 2014 sheet has an unlabelled column J; the 2019 sheet has Objective Classes there
        line = (*line, rest[0] if rest else (1 if version == "2014" else 3))
        out.append(line)
    return write_xlsx(path, {"Sheet1": out, "Sheet2": [], "Sheet3": []})


def write_samm(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    """SAMM sheet MICRO_ONLY; rows are (subject, filename, onset, apex, offset, aus, emotion[, notes])."""
    out: list[tuple[Any, ...]] = [*SAMM_PREAMBLE, SAMM_HEADER]
    for row in rows:
        subject, name, onset, apex, offset, aus, emotion, *rest = row
        out.append(
            (
                subject,
                name,
                1,
                onset,
                apex,
                offset,
                offset - onset + 1,
                "Micro - 1/2",
                aus,
                emotion,
                3,
                rest[0] if rest else None,
            )
        )
    return write_xlsx(path, {"MICRO_ONLY": out})


def make_frames(folder: Path, numbers: Sequence[int], pattern: str = "img{}.jpg", size: int = 8) -> Path:
    """A frame folder of tiny JPEGs whose pixel value encodes the frame number."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        image = np.full((size, size, 3), (n * 10) % 250, dtype=np.uint8)
        cv2.imwrite(str(folder / pattern.format(n)), image)
    return folder


@pytest.fixture
def fx() -> SimpleNamespace:
    """The writers above, for tests."""
    return SimpleNamespace(
        write_xlsx=write_xlsx,
        write_csv=write_csv,
        write_casme2=write_casme2,
        write_samm=write_samm,
        make_frames=make_frames,
        annotations=ANNOTATIONS,
        samm_preamble=SAMM_PREAMBLE,
    )
