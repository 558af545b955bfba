"""MMEW micro-expressions (``MMEW_Micro_Exp.csv``).

Format: CSV ``Subject, Filename, OnsetFrame, ApexFrame, OffsetFrame, Action Units, Estimated Emotion,
remarks``; 300 rows, 30 subjects. Frame numbers count from 1 within each clip's own folder (every onset is
1). Emotions: ``happiness``, ``surprise``, ``disgust``, ``fear``, ``sadness``, ``anger``, ``others``.

Quirks handled: subjects are ``1``..``30``; records use ``"S01"`` (the prefix of the file names
``S01-01-001``). AU strings as in CASME II (``1+2+5``, ``L12``). The empty ``remarks`` column is kept in
``extra["remarks"]`` only when filled. The frame rate is taken as 90 fps (published as 90 fps at 1920x1080;
pass ``fps=`` to override).

Media layouts accepted under the media root: ``[MMEW/]Micro_Expression/<emotion>/<Filename>/``,
``<emotion>/<Filename>/`` and ``<Filename>/``.
"""

from __future__ import annotations

from pathlib import Path

from ml.datasets._common import (
    SheetError,
    apply_missing_policy,
    cell_int,
    check_on_missing,
    parse_aus,
    read_csv_rows,
    require_rows,
    subject_number,
)
from ml.datasets.schema import ClipRecord

__all__ = ["MMEW_FPS", "load_mmew"]

MMEW_FPS = 90.0


def load_mmew(
    sheet: str | Path,
    media_root: str | Path | None = None,
    *,
    on_missing: str = "error",
    fps: float = MMEW_FPS,
) -> list[ClipRecord]:
    """Read ``MMEW_Micro_Exp.csv`` into records.

    Args:
        sheet: the CSV.
        media_root: the MMEW folder; None = records without paths.
        on_missing: ``"error"`` or ``"skip"`` for clips whose frame folder is absent.
        fps: frame rate to record.

    Raises:
        FileNotFoundError: the CSV, or (``on_missing="error"``) a frame folder, is missing.
        SheetError: missing columns or a malformed frame number.
    """
    check_on_missing(on_missing)
    sheet = Path(sheet)
    header, rows = read_csv_rows(sheet)
    needed = [
        "Subject",
        "Filename",
        "OnsetFrame",
        "ApexFrame",
        "OffsetFrame",
        "Action Units",
        "Estimated Emotion",
    ]
    absent = [name for name in needed if name not in header]
    if absent:
        raise SheetError(
            f"{sheet}: missing column(s) {', '.join(absent)}; expected a header {','.join(needed)}"
        )
    root = Path(media_root) if media_root is not None else None
    bases: list[Path] = []
    if root is not None:
        bases = [root / "MMEW" / "Micro_Expression", root / "Micro_Expression", root]
    records: list[ClipRecord] = []
    for index, row in enumerate(rows, start=2):
        where = f"{sheet} row {index}"
        clip = row["Filename"]
        if not clip:
            raise SheetError(f"{where}: Filename is empty")
        emotion = row["Estimated Emotion"].lower()
        aus, skipped, intensity = parse_aus(row["Action Units"])
        extra: dict[str, object] = {"sheet": sheet.name, "row": index, "au_raw": row["Action Units"]}
        if skipped:
            extra["au_skipped"] = tuple(skipped)
        if intensity:
            extra["au_intensity"] = intensity
        if row.get("remarks"):
            extra["remarks"] = row["remarks"]
        path: Path | None = None
        if root is not None:
            candidates = [b / emotion / clip for b in bases] + [root / clip]
            path = next((c for c in candidates if c.is_dir()), candidates[0])
        records.append(
            ClipRecord(
                dataset="mmew",
                subject=f"S{subject_number(row['Subject'], where=where):02d}",
                clip=clip,
                emotion=emotion,
                aus=aus,
                onset=cell_int(row["OnsetFrame"], what="OnsetFrame", where=where),
                apex=cell_int(row["ApexFrame"], what="ApexFrame", where=where),
                offset=cell_int(row["OffsetFrame"], what="OffsetFrame", where=where),
                fps=fps,
                path=path,
                extra=extra,
            )
        )
    require_rows(records, sheet)
    return apply_missing_policy(records, on_missing, source=sheet)
