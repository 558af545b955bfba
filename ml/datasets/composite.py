"""MEGC2019 composite 3-class set: CASME II + SAMM + SMIC-HS as negative / positive / surprise.

Sheet: HTNet's ``combined_3_class2_for_optical_flow.csv`` (shipped here as ``htnet_composite.csv``), columns
``dataset, sub, filename_o, label, apex, imagename, sub_filename``; 442 rows, 68 subjects (CASME II 24 / 145,
SAMM 28 / 133, SMIC 16 / 164). ``label``: 0 negative, 1 positive, 2 surprise. ``apex`` and ``sub_filename``
are empty in that file.

Records keep their *source* corpus as :attr:`ClipRecord.dataset` (``casme2``, ``samm``, ``smic``) so that
subjects stay distinct and frame folders resolve with each corpus's layout; the composite label is in
``extra["composite_label"]`` and the emotion is ``negative``/``positive``/``surprise``.
Subjects are normalised to the spelling of the corpus loaders: ``sub01`` (CASME II), ``011`` (SAMM),
``s03`` (SMIC). SMIC clip ids are spelled as on disk and in ``HS_cropped.csv`` (``s3_ne_01``; the
composite writes ``s03_ne_01``, kept in ``extra["composite_filename"]``). The sheet has no onset/apex/offset
or AUs; pass ``sources={"casme2": sheet, ...}`` to fill
them in from the corpora's own coding sheets (a clip absent from its source sheet keeps None and gets
``extra["source_matched"] = False``).

Media: the media root may hold each corpus's own layout directly (``CASME2_RAW_selected/``, ``SAMM/``,
``HS/``...) or under per-corpus folders (``CASME2/``, ``SAMM/``, ``SMIC/``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from ml.datasets._common import (
    SheetError,
    apply_missing_policy,
    check_on_missing,
    first_existing,
    read_csv_rows,
    require_rows,
    subject_number,
)
from ml.datasets.casme2 import CASME2_FPS, casme2_frames_root, load_casme2
from ml.datasets.samm import SAMM_FPS, load_samm
from ml.datasets.schema import ClipRecord
from ml.datasets.smic import SMIC_CLIP_NAME, SMIC_FPS, load_smic, smic_clip_folder, smic_frames_root
from ml.rules import COMPOSITE_EMOTIONS_3

__all__ = ["load_composite"]

log = logging.getLogger(__name__)

_FPS = {"casme2": CASME2_FPS, "samm": SAMM_FPS, "smic": SMIC_FPS}
_ALIASES = {
    "casme2": "casme2",
    "casmeii": "casme2",
    "casme_2": "casme2",
    "samm": "samm",
    "smic": "smic",
    "smichs": "smic",
    "smic_hs": "smic",
}


def _subject(dataset: str, text: str, where: str) -> str:
    number = subject_number(text, where=where)
    if dataset == "casme2":
        return f"sub{number:02d}"
    if dataset == "samm":
        return f"{number:03d}"
    return f"s{number:02d}"


def _media_path(dataset: str, root: Path, subject: str, clip: str, emotion: str) -> Path:
    if dataset == "casme2":
        base = first_existing([root / "CASME2", root / "casme2", root / "CASME_II"]) or root
        return casme2_frames_root(base) / subject / clip
    if dataset == "samm":
        base = first_existing([root / "SAMM", root / "samm"]) or root
        return base / subject / clip
    base = smic_frames_root(first_existing([root / "SMIC", root / "smic"]) or root)
    return smic_clip_folder(base, int(subject[1:]), emotion, clip)


def load_composite(
    sheet: str | Path,
    media_root: str | Path | None = None,
    *,
    on_missing: str = "error",
    sources: Mapping[str, str | Path] | None = None,
) -> list[ClipRecord]:
    """Read the composite label CSV into records.

    Args:
        sheet: ``htnet_composite.csv`` / ``combined_3_class2_for_optical_flow.csv``.
        media_root: folder with the three corpora's frames (see module docstring); None = no paths.
        on_missing: ``"error"`` or ``"skip"`` for clips whose frame folder is absent.
        sources: optional ``{"casme2": sheet, "samm": sheet, "smic": csv}`` to fill timing and AUs.

    Raises:
        FileNotFoundError: the CSV, a source sheet or (``on_missing="error"``) a frame folder is missing.
        SheetError: missing columns, an unknown dataset name or a label outside 0-2.
    """
    check_on_missing(on_missing)
    sheet = Path(sheet)
    header, rows = read_csv_rows(sheet)
    absent = [name for name in ("dataset", "sub", "filename_o", "label") if name not in header]
    if absent:
        raise SheetError(
            f"{sheet}: missing column(s) {', '.join(absent)}; expected dataset,sub,filename_o,label"
        )
    lookup = _source_lookup(sources or {})
    root = Path(media_root) if media_root is not None else None
    records: list[ClipRecord] = []
    unmatched = 0
    for index, row in enumerate(rows, start=2):
        where = f"{sheet} row {index}"
        dataset = _ALIASES.get(row["dataset"].lower().replace("-", "").replace(" ", ""))
        if dataset is None:
            raise SheetError(f"{where}: dataset {row['dataset']!r} is not casme2, samm or smic")
        try:
            label = int(row["label"])
        except ValueError:
            label = -1
        if label not in (0, 1, 2):
            raise SheetError(
                f"{where}: label {row['label']!r} is not 0 (negative), 1 (positive) or 2 (surprise)"
            )
        subject = _subject(dataset, row["sub"], where)
        clip = row["filename_o"]
        extra: dict[str, object] = {
            "sheet": sheet.name,
            "row": index,
            "composite_label": label,
            "protocol": "composite3",
        }
        if dataset == "smic":
            match = SMIC_CLIP_NAME.match(clip)
            if match:  # the composite pads the subject (s01_ne_01); folders and HS_cropped.csv do not
                extra["composite_filename"] = clip
                clip = f"s{int(match.group(1))}_{match.group(2).lower()}_{match.group(3)}"
        emotion = COMPOSITE_EMOTIONS_3[label]
        record = ClipRecord(
            dataset=dataset,
            subject=subject,
            clip=clip,
            emotion=emotion,
            fps=_FPS[dataset],
            path=_media_path(dataset, root, subject, clip, emotion) if root is not None else None,
            extra=extra,
        )
        if dataset in lookup:
            source = lookup[dataset].get((subject, clip))
            if source is None:
                unmatched += 1
                record = replace(record, extra={**record.extra, "source_matched": False})
            else:
                record = replace(
                    record,
                    aus=source.aus,
                    onset=source.onset,
                    apex=source.apex,
                    offset=source.offset,
                    extra={**record.extra, "source_matched": True, "source_emotion": source.emotion},
                )
        records.append(record)
    if unmatched:
        log.warning(
            "%d composite clip(s) of %s were not found in their source coding sheet", unmatched, sheet
        )
    require_rows(records, sheet)
    return apply_missing_policy(records, on_missing, source=sheet)


def _source_lookup(sources: Mapping[str, str | Path]) -> dict[str, dict[tuple[str, str], ClipRecord]]:
    loaders = {"casme2": load_casme2, "samm": load_samm, "smic": load_smic}
    out: dict[str, dict[tuple[str, str], ClipRecord]] = {}
    for name, path in sources.items():
        key = _ALIASES.get(name.lower())
        if key is None:
            raise ValueError(f"sources: {name!r} is not casme2, samm or smic")
        out[key] = {(rec.subject, rec.clip): rec for rec in loaders[key](path)}
    return out
