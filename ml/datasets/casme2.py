"""CASME II coding sheets (``CASME2-coding-20140508.xlsx``, ``CASME2-coding-20190701.xlsx``) and the
synthetic dataset written in the same layout.

Sheet format (first worksheet, header on the first row)::

    Subject | Filename | (blank) | OnsetFrame | ApexFrame | OffsetFrame | (blank) | Action Units |
    Estimated Emotion | [Objective Classes]

Quirks handled:

- Subjects are the text ``"01"``..``"26"`` (an int if the sheet was re-saved); records use ``"sub01"``, the
  frame-folder name.
- Columns are located by header name, so blank spacer columns and the 2019 sheet's extra
  ``Objective Classes`` column do not matter. The 2014 sheet has an unlabelled column J holding 1/2/3;
  it is kept as ``extra["column_J"]``.
- ``ApexFrame`` is ``/`` for sub04/EP12_01f in the 2019 sheet: apex becomes None, ``extra["apex_raw"]``
  keeps the text.
- Action Units like ``4+R10``, ``L1+L2``, ``none`` or a bare number (Excel stores ``12`` as a number) go
  through :func:`curves.au.parse_au_list`; unreadable tokens are kept in ``extra["au_skipped"]`` and the
  original text in ``extra["au_raw"]``.
- Emotions are lowercased (``happiness``, ``disgust``, ``repression``, ``surprise``, ``others``, and in the
  2019 sheet ``fear``, ``sadness``).
- Frame numbers are the numbers in the frame files (``img46.jpg`` is 46). 200 fps.

Media layouts accepted under the media root: ``CASME2_RAW_selected/subXX/<Filename>/imgN.jpg`` (the
official release), ``CASME2-RAW/``, ``CASME2_RAW/``, ``Cropped/``, ``CASME2_Cropped/``, or ``subXX/``
directly.
A sheet whose file name contains ``synthetic`` yields records with ``dataset == "synthetic"``, at the frame
rate written in the ``synthetic_labels.json`` beside it (the sheet itself has no fps column).
"""

from __future__ import annotations

import json
from pathlib import Path

from ml.datasets._common import (
    SheetError,
    apply_missing_policy,
    cell_int,
    cell_str,
    check_on_missing,
    column,
    find_header,
    parse_aus,
    read_xlsx_rows,
    require_rows,
    subject_number,
)
from ml.datasets.schema import ClipRecord

__all__ = ["CASME2_FPS", "FRAME_FOLDERS", "casme2_frames_root", "load_casme2"]

CASME2_FPS = 200.0

#: Folder names, in order of preference, that hold ``subXX/<Filename>/`` frame folders.
FRAME_FOLDERS = (
    "CASME2_RAW_selected",
    "CASME2-RAW",
    "CASME2_RAW",
    "Cropped",
    "CASME2_Cropped",
    "CASME2-Cropped",
)


def casme2_frames_root(media_root: Path) -> Path:
    """The folder holding ``subXX`` folders under a CASME II media root (see :data:`FRAME_FOLDERS`).

    Falls back to ``media_root/CASME2_RAW_selected`` when nothing matches, so a missing-folder error names
    the official layout.
    """
    for name in FRAME_FOLDERS:
        candidate = media_root / name
        if candidate.is_dir():
            return candidate
    if media_root.is_dir() and any(
        p.is_dir() and p.name.lower().startswith("sub") for p in media_root.iterdir()
    ):
        return media_root
    return media_root / FRAME_FOLDERS[0]


def load_casme2(
    sheet: str | Path,
    media_root: str | Path | None = None,
    *,
    on_missing: str = "error",
    dataset: str | None = None,
    fps: float | None = None,
) -> list[ClipRecord]:
    """Read a CASME II coding sheet (either version) into records.

    Args:
        sheet: the ``.xlsx`` coding sheet.
        media_root: folder containing the frame folders (see module docstring); None = records without paths.
        on_missing: ``"error"`` or ``"skip"`` for clips whose frame folder is absent.
        dataset: dataset key for the records; default ``"synthetic"`` if the sheet's file name says so,
            else ``"casme2"``.
        fps: frame rate to record; default 200 (CASME II), or for a synthetic dataset the rate in its
            ``synthetic_labels.json`` beside the frames.

    Returns:
        One record per clip row, in sheet order.

    Raises:
        FileNotFoundError: the sheet, or (``on_missing="error"``) a frame folder, is missing.
        SheetError: not a CASME II sheet, or a malformed cell (named with its row).
    """
    check_on_missing(on_missing)
    sheet = Path(sheet)
    if dataset is None:
        dataset = "synthetic" if "synthetic" in sheet.name.lower() else "casme2"
    rows = read_xlsx_rows(sheet)
    header_row, columns = find_header(
        rows, ["Subject", "Filename", "OnsetFrame", "OffsetFrame", "Action Units", "Estimated Emotion"], sheet
    )
    if "inducementcode" in columns:
        raise SheetError(
            f"{sheet} is a SAMM coding sheet (it has an 'Inducement Code' column), not a CASME II one: "
            "load it with load_dataset('samm', ...)"
        )
    c_subject = columns["subject"]
    c_file = columns["filename"]
    c_onset = columns["onsetframe"]
    c_apex = column(columns, "ApexFrame")
    c_offset = columns["offsetframe"]
    c_aus = columns["actionunits"]
    c_emotion = columns["estimatedemotion"]
    c_objective = column(columns, "Objective Classes", "Objective Class")
    named = set(columns.values())
    frames_root = casme2_frames_root(Path(media_root)) if media_root is not None else None
    clip_fps: dict[str, float] = {}
    if fps is None and dataset == "synthetic":
        fps, clip_fps = _synthetic_fps(
            [sheet.parent, *([Path(media_root)] if media_root is not None else [])]
        )
    default_fps = float(fps) if fps is not None else CASME2_FPS

    records: list[ClipRecord] = []
    for index, row in enumerate(rows[header_row + 1 :], start=header_row + 2):
        cells = list(row) + [None] * (max(columns.values()) + 1 - len(row))
        subject_text = cell_str(cells[c_subject])
        clip = cell_str(cells[c_file])
        if not subject_text and not clip:
            continue  # blank row
        where = f"{sheet} row {index}"
        if not subject_text or not clip:
            raise SheetError(
                f"{where}: Subject and Filename must both be filled (got {subject_text!r}, {clip!r})"
            )
        subject = f"sub{subject_number(subject_text, where=where):02d}"
        extra: dict[str, object] = {"sheet": sheet.name, "row": index}
        aus, skipped, intensity = parse_aus(cells[c_aus])
        extra["au_raw"] = cell_str(cells[c_aus])
        if skipped:
            extra["au_skipped"] = tuple(skipped)
        if intensity:
            extra["au_intensity"] = intensity
        apex = cell_int(cells[c_apex], what="ApexFrame", where=where) if c_apex is not None else None
        if c_apex is not None and apex is None and cell_str(cells[c_apex]):
            extra["apex_raw"] = cell_str(cells[c_apex])
        if c_objective is not None and cell_str(cells[c_objective]):
            extra["objective_class"] = cell_int(cells[c_objective], what="Objective Classes", where=where)
        for col, value in enumerate(cells):
            if col not in named and cell_str(value):
                extra[f"column_{_letter(col)}"] = value
        records.append(
            ClipRecord(
                dataset=dataset,
                subject=subject,
                clip=clip,
                emotion=cell_str(cells[c_emotion]).lower(),
                aus=aus,
                onset=cell_int(cells[c_onset], what="OnsetFrame", where=where),
                apex=apex,
                offset=cell_int(cells[c_offset], what="OffsetFrame", where=where),
                fps=clip_fps.get(f"{subject}/{clip}", default_fps),
                path=frames_root / subject / clip if frames_root is not None else None,
                extra=extra,
            )
        )
    require_rows(records, sheet)
    return apply_missing_policy(records, on_missing, source=sheet)


def _synthetic_fps(folders: list[Path]) -> tuple[float | None, dict[str, float]]:
    """Frame rates from a synthetic dataset's ``synthetic_labels.json`` (dataset-wide and per clip)."""
    for folder in folders:
        sidecar = folder / "synthetic_labels.json"
        if not sidecar.is_file():
            continue
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SheetError(
                f"{sidecar} is not readable JSON ({exc}); regenerate the synthetic dataset"
            ) from exc
        per_clip = {
            key: float(value["fps"])
            for key, value in (data.get("clips") or {}).items()
            if isinstance(value, dict) and isinstance(value.get("fps"), (int, float))
        }
        overall = data.get("fps")
        return (float(overall) if isinstance(overall, (int, float)) else None), per_clip
    return None, {}


def _letter(col: int) -> str:
    """Excel column letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
