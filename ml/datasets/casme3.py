"""CAS(ME)^2 and CAS(ME)^3: long recordings with micro- (and macro-) expressions coded inside them, 30 fps.

Both corpora store one frame folder per *recording*, not per expression, so records carry
``extra["long_video"] = True`` and :func:`ml.datasets.frames.read_record` cuts the onset..offset span out.

CAS(ME)^2 (``CAS(ME)^2code_final.xlsx``)
    First worksheet, **no header row**; columns ``subject, video, onset, apex, offset, AU, emotion,
    expression type, self-report``. Worksheets ``naming rule1`` (subject number -> folder number) and
    ``naming rule2`` (video name -> 4-digit code) are read as two-column look-up tables when present.
    Quirks: an offset of 0 means "not coded" (None, ``extra["offset_raw"] = 0``); the type column reads
    ``micro-expression``/``macro-expression``: only micro-expressions are loaded unless
    ``micro_only=False``; records keep the type in ``extra["expression_type"]``. Clip ids are
    ``<video>_<onset>`` (one recording holds several expressions). Frames:
    ``[rawpic/]s<folder>/<folder>_<code>*/imgN.jpg``; the recording folder is the one under the subject
    folder whose name holds the video code (or name).

CAS(ME)^3 Part A (``cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx``, or a CSV with the same columns)
    Header ``Subject, Filename, Onset, Apex, Offset, AU, Objective class, emotion``. Quirks: the same
    ``Filename`` repeats within a subject (several expressions in one recording): repeated names get a
    ``_<k>`` suffix (1-based, in sheet order) so clip ids are unique; AU lists are comma-separated and one
    row uses the full-width comma ``，``; Part C sheets have no Apex column (apex None). Frames:
    ``[part_A/]<Subject>/<Filename>/color/N.jpg``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ml.datasets._common import (
    SheetError,
    apply_missing_policy,
    cell_int,
    cell_str,
    check_on_missing,
    column,
    find_header,
    first_existing,
    parse_aus,
    read_csv_rows,
    read_xlsx_rows,
    require_rows,
    subject_number,
)
from ml.datasets.schema import ClipRecord

__all__ = ["CASME3_FPS", "CAS_ME2_FPS", "load_cas_me2", "load_casme3"]

CAS_ME2_FPS = 30.0
CASME3_FPS = 30.0


def _lookup_sheet(path: Path, name: str) -> dict[str, str]:
    """A two-column look-up worksheet as ``{first column: second column}``; empty if absent."""
    try:
        rows = read_xlsx_rows(path, name)
    except SheetError:
        return {}
    table: dict[str, str] = {}
    for row in rows:
        cells = [cell_str(c) for c in row if cell_str(c)]
        if len(cells) >= 2:
            table.setdefault(cells[0].lower(), cells[1])
    return table


def _recording_folder(frames_root: Path, subject_folder: str, keys: list[str]) -> Path:
    """The recording folder under ``frames_root/subject_folder`` whose name holds one of ``keys``."""
    subject_dir = frames_root / subject_folder
    if subject_dir.is_dir():
        for key in keys:
            if not key:
                continue
            for child in sorted(subject_dir.iterdir()):
                if child.is_dir() and key.lower() in child.name.lower():
                    return child
    first = next((key for key in keys if key), "")
    return subject_dir / f"{subject_folder.lstrip('s')}_{first}"


def load_cas_me2(
    sheet: str | Path,
    media_root: str | Path | None = None,
    *,
    on_missing: str = "error",
    micro_only: bool = True,
) -> list[ClipRecord]:
    """Read the CAS(ME)^2 coding sheet (no header row; see module docstring).

    Args:
        sheet: ``CAS(ME)^2code_final.xlsx``.
        media_root: folder holding ``rawpic/`` (or the subject folders directly); None = no paths.
        on_missing: ``"error"`` or ``"skip"`` for clips whose recording folder is absent.
        micro_only: keep only rows typed micro-expression.

    Raises:
        FileNotFoundError: the sheet, or (``on_missing="error"``) a recording folder, is missing.
        SheetError: a row with too few columns or a malformed frame number.
    """
    check_on_missing(on_missing)
    sheet = Path(sheet)
    rows = read_xlsx_rows(sheet, 0)
    rule1 = _lookup_sheet(sheet, "naming rule1")
    rule2 = _lookup_sheet(sheet, "naming rule2")
    frames_root: Path | None = None
    if media_root is not None:
        root = Path(media_root)
        frames_root = first_existing([root / "rawpic", root / "selectedpic"]) or root
    records: list[ClipRecord] = []
    for index, row in enumerate(rows, start=1):
        cells: list[Any] = [*row, *[None] * max(0, 9 - len(row))]
        subject_text, video = cell_str(cells[0]), cell_str(cells[1])
        if not subject_text and not video:
            continue
        where = f"{sheet} row {index}"
        if not subject_text[:1].isdigit() and index == 1:
            continue  # a header row some copies of the sheet have
        if not video:
            raise SheetError(f"{where}: the video name (column B) is empty")
        expression_type = cell_str(cells[7]).lower()
        if micro_only and expression_type and "micro" not in expression_type:
            continue
        number = subject_number(subject_text, where=where)
        onset = cell_int(cells[2], what="onset", where=where)
        offset = cell_int(cells[4], what="offset", where=where)
        extra: dict[str, object] = {"sheet": sheet.name, "row": index, "long_video": True, "video": video}
        if offset == 0:
            offset = None
            extra["offset_raw"] = 0
        aus, skipped, _ = parse_aus(cell_str(cells[5]).replace("，", ","))
        extra["au_raw"] = cell_str(cells[5])
        if skipped:
            extra["au_skipped"] = tuple(skipped)
        if expression_type:
            extra["expression_type"] = expression_type
        if cell_str(cells[8]):
            extra["self_report"] = cell_str(cells[8])
        folder_number = rule1.get(str(number), rule1.get(subject_text.lower(), str(number)))
        subject_folder = f"s{subject_number(folder_number, where=where):02d}"
        path: Path | None = None
        if frames_root is not None:
            code = rule2.get(video.lower(), rule2.get(video.split("_")[0].lower(), ""))
            path = _recording_folder(frames_root, subject_folder, [code, video.split("_")[0], video])
        apex = cell_int(cells[3], what="apex", where=where)
        records.append(
            ClipRecord(
                dataset="cas_me2",
                subject=subject_folder,
                clip=f"{video}_{onset}",
                emotion=cell_str(cells[6]).lower(),
                aus=aus,
                onset=onset,
                apex=apex if apex else None,
                offset=offset,
                fps=CAS_ME2_FPS,
                path=path,
                extra=extra,
            )
        )
    require_rows(records, sheet)
    return apply_missing_policy(records, on_missing, source=sheet)


def load_casme3(
    sheet: str | Path,
    media_root: str | Path | None = None,
    *,
    on_missing: str = "error",
) -> list[ClipRecord]:
    """Read a CAS(ME)^3 label sheet (xlsx or CSV; see module docstring).

    Args:
        sheet: the label sheet.
        media_root: folder holding ``<Subject>/<Filename>/color/`` (or ``part_A/...``); None = no paths.
        on_missing: ``"error"`` or ``"skip"`` for clips whose frame folder is absent.

    Raises:
        FileNotFoundError: the sheet, or (``on_missing="error"``) a frame folder, is missing.
        SheetError: missing columns or a malformed frame number.
    """
    check_on_missing(on_missing)
    sheet = Path(sheet)
    required = ["Subject", "Filename", "Onset", "Offset"]
    if sheet.suffix.lower() == ".csv":
        header, dict_rows = read_csv_rows(sheet)
        rows: list[tuple[Any, ...]] = [
            tuple(header),
            *(tuple(r.get(h, "") for h in header) for r in dict_rows),
        ]
    else:
        rows = read_xlsx_rows(sheet)
    header_row, columns = find_header(rows, required, sheet)
    c_apex = column(columns, "Apex")
    c_au = column(columns, "AU", "Action Units", "AUs")
    c_emotion = column(columns, "emotion", "Estimated Emotion")
    c_objective = column(columns, "Objective class", "Objective classes")
    frames_root: Path | None = None
    if media_root is not None:
        root = Path(media_root)
        frames_root = first_existing([root / "part_A", root / "data" / "part_A"]) or root

    parsed: list[tuple[int, list[Any]]] = []
    for index, row in enumerate(rows[header_row + 1 :], start=header_row + 2):
        cells = [*row, *[None] * (max(columns.values()) + 1 - len(row))]
        if not cell_str(cells[columns["subject"]]) and not cell_str(cells[columns["filename"]]):
            continue
        parsed.append((index, cells))
    names = Counter((cell_str(c[columns["subject"]]), cell_str(c[columns["filename"]])) for _, c in parsed)
    seen: Counter[tuple[str, str]] = Counter()
    records: list[ClipRecord] = []
    for index, cells in parsed:
        where = f"{sheet} row {index}"
        subject, filename = cell_str(cells[columns["subject"]]), cell_str(cells[columns["filename"]])
        if not subject or not filename:
            raise SheetError(
                f"{where}: Subject and Filename must both be filled (got {subject!r}, {filename!r})"
            )
        seen[(subject, filename)] += 1
        clip = filename if names[(subject, filename)] == 1 else f"{filename}_{seen[(subject, filename)]}"
        au_text = cell_str(cells[c_au]).replace("，", ",") if c_au is not None else ""
        aus, skipped, _ = parse_aus(au_text)
        extra: dict[str, object] = {
            "sheet": sheet.name,
            "row": index,
            "long_video": True,
            "recording": filename,
        }
        if c_au is not None:
            extra["au_raw"] = cell_str(cells[c_au])
        if skipped:
            extra["au_skipped"] = tuple(skipped)
        if c_objective is not None and cell_str(cells[c_objective]):
            extra["objective_class"] = cell_str(cells[c_objective])
        path: Path | None = None
        if frames_root is not None:
            recording = frames_root / subject / filename
            path = (
                recording / "color" if (recording / "color").is_dir() or not recording.is_dir() else recording
            )
        records.append(
            ClipRecord(
                dataset="casme3",
                subject=subject,
                clip=clip,
                emotion=cell_str(cells[c_emotion]).lower() if c_emotion is not None else "",
                aus=aus,
                onset=cell_int(cells[columns["onset"]], what="Onset", where=where),
                apex=cell_int(cells[c_apex], what="Apex", where=where) if c_apex is not None else None,
                offset=cell_int(cells[columns["offset"]], what="Offset", where=where),
                fps=CASME3_FPS,
                path=path,
                extra=extra,
            )
        )
    require_rows(records, sheet)
    return apply_missing_policy(records, on_missing, source=sheet)
