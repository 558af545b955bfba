"""SMIC-HS: the high-speed (100 fps) part of SMIC.

SMIC has no official coding sheet; the emotion is the name of the folder a clip sits in::

    HS/s1/micro/negative/s1_ne_01/image559740.bmp ...

Two sources are accepted:

- ``HS_cropped.csv`` (``Subject, Filename, OnsetFrame, OffsetFrame, Estimated Emotion``; 164 rows): the
  emotion column, onset and offset (absolute frame numbers within the session recording). There is **no
  apex**: records have ``apex=None`` (:func:`ml.datasets.frames.keyframe_indices` then uses the midpoint).
- The folder tree alone (:func:`scan_smic_folders`): the emotion from the ``negative``/``positive``/
  ``surprise`` folder, onset and offset from the first and last frame file numbers.

Quirks handled: subjects are ``1``..``20`` in the CSV and ``s1`` in folders; records use ``"s01"`` (the
MEGC2019 composite's spelling). The emotion code in the file name (``ne``/``po``/``sur``) is checked against
the emotion column; a mismatch is a :class:`~ml.datasets._common.SheetError` naming the row. Emotions are
``negative``, ``positive``, ``surprise``.

Media layouts accepted under the media root: ``[SMIC/][HS/]s<N>/micro/<emotion>/<Filename>/``,
and ``s<N>/<Filename>/``, with ``s<N>`` spelled ``s1`` or ``s01``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ml.datasets._common import (
    SheetError,
    apply_missing_policy,
    cell_int,
    check_on_missing,
    read_csv_rows,
    require_rows,
    subject_number,
)
from ml.datasets.schema import ClipRecord
from ml.rules import COMPOSITE_EMOTIONS_3

__all__ = [
    "SMIC_CLIP_NAME",
    "SMIC_FPS",
    "load_smic",
    "scan_smic_folders",
    "smic_clip_folder",
    "smic_frames_root",
]

SMIC_FPS = 100.0
_CODES = {"ne": "negative", "po": "positive", "sur": "surprise"}
#: A SMIC-HS clip name, ``s<subject>_<ne|po|sur>_<take>`` (``s1_ne_01``; the composite pads: ``s01_ne_01``).
#: Groups: subject number, emotion code, take.
SMIC_CLIP_NAME = re.compile(r"^s(\d+)_(ne|po|sur)_(\d+)$", re.IGNORECASE)
_FRAME_NUMBER = re.compile(r"(\d+)(?=\.[A-Za-z0-9]+$)")


def smic_frames_root(media_root: Path) -> Path:
    """The folder holding ``s<N>`` subject folders under a SMIC media root."""
    for candidate in (
        media_root / "SMIC" / "HS",
        media_root / "HS",
        media_root / "SMIC-HS",
        media_root / "SMIC",
    ):
        if candidate.is_dir():
            return candidate
    return media_root


def smic_clip_folder(frames_root: Path, number: int, emotion: str, clip: str) -> Path:
    """The frame folder of one SMIC-HS clip under ``frames_root`` (see :func:`smic_frames_root`).

    Tries ``s<N>/micro/<emotion>/<clip>/`` then ``s<N>/<clip>/``, with ``s<N>`` spelled ``s1`` and ``s01``.

    Args:
        frames_root: the folder holding the ``s<N>`` subject folders.
        number: the subject number (``1`` for ``s1``/``s01``).
        emotion: ``negative``, ``positive`` or ``surprise`` (the ``micro/<emotion>`` folder).
        clip: the clip folder name (``s1_ne_01``).

    Returns:
        The first candidate that exists, else the official layout ``s<N>/micro/<emotion>/<clip>``.
    """
    candidates = []
    for subject_dir in (f"s{number}", f"s{number:02d}"):
        candidates.append(frames_root / subject_dir / "micro" / emotion / clip)
        candidates.append(frames_root / subject_dir / clip)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def load_smic(
    sheet: str | Path,
    media_root: str | Path | None = None,
    *,
    on_missing: str = "error",
) -> list[ClipRecord]:
    """Read ``HS_cropped.csv`` (or a CSV with the same columns) into records.

    Args:
        sheet: the CSV file.
        media_root: the SMIC folder (see module docstring); None = records without paths.
        on_missing: ``"error"`` or ``"skip"`` for clips whose frame folder is absent.

    Raises:
        FileNotFoundError: the CSV, or (``on_missing="error"``) a frame folder, is missing.
        SheetError: missing columns, an unknown emotion, or an emotion that contradicts the file name.
    """
    check_on_missing(on_missing)
    sheet = Path(sheet)
    header, rows = read_csv_rows(sheet)
    needed = ["Subject", "Filename", "OnsetFrame", "OffsetFrame", "Estimated Emotion"]
    absent = [name for name in needed if name not in header]
    if absent:
        raise SheetError(
            f"{sheet}: missing column(s) {', '.join(absent)}; expected a header {','.join(needed)}"
        )
    frames_root = smic_frames_root(Path(media_root)) if media_root is not None else None
    records: list[ClipRecord] = []
    for index, row in enumerate(rows, start=2):
        where = f"{sheet} row {index}"
        clip = row["Filename"]
        number = subject_number(row["Subject"], where=where)
        emotion = row["Estimated Emotion"].lower()
        match = SMIC_CLIP_NAME.match(clip)
        if not emotion and match:
            emotion = _CODES[match.group(2).lower()]
        if emotion not in COMPOSITE_EMOTIONS_3:
            raise SheetError(f"{where}: emotion {emotion!r} is not one of {', '.join(COMPOSITE_EMOTIONS_3)}")
        if match and _CODES[match.group(2).lower()] != emotion:
            raise SheetError(
                f"{where}: clip {clip} is coded {match.group(2)!r} in its name but {emotion!r} in the sheet"
            )
        records.append(
            ClipRecord(
                dataset="smic",
                subject=f"s{number:02d}",
                clip=clip,
                emotion=emotion,
                onset=cell_int(row["OnsetFrame"], what="OnsetFrame", where=where),
                apex=None,
                offset=cell_int(row["OffsetFrame"], what="OffsetFrame", where=where),
                fps=SMIC_FPS,
                path=smic_clip_folder(frames_root, number, emotion, clip)
                if frames_root is not None
                else None,
                extra={"sheet": sheet.name, "row": index},
            )
        )
    require_rows(records, sheet)
    return apply_missing_policy(records, on_missing, source=sheet)


def scan_smic_folders(media_root: str | Path) -> list[ClipRecord]:
    """Build records from the SMIC-HS folder tree alone (no CSV).

    Every ``s<N>/micro/<emotion>/<clip>/`` folder holding numbered image files is one clip; onset and offset
    are its first and last frame numbers, apex None.

    Raises:
        FileNotFoundError: the folder does not exist.
        SheetError: no clip folder found.
    """
    root = Path(media_root)
    if not root.is_dir():
        raise FileNotFoundError(f"SMIC folder {root} does not exist")
    frames_root = smic_frames_root(root)
    records: list[ClipRecord] = []
    for subject_dir in sorted(
        p for p in frames_root.iterdir() if p.is_dir() and re.fullmatch(r"s\d+", p.name)
    ):
        number = int(subject_dir.name[1:])
        for emotion in COMPOSITE_EMOTIONS_3:
            emotion_dir = subject_dir / "micro" / emotion
            if not emotion_dir.is_dir():
                continue
            for clip_dir in sorted(p for p in emotion_dir.iterdir() if p.is_dir()):
                numbers = sorted(
                    int(m.group(1))
                    for f in clip_dir.iterdir()
                    if f.is_file() and (m := _FRAME_NUMBER.search(f.name))
                )
                if not numbers:
                    continue
                records.append(
                    ClipRecord(
                        dataset="smic",
                        subject=f"s{number:02d}",
                        clip=clip_dir.name,
                        emotion=emotion,
                        onset=numbers[0],
                        apex=None,
                        offset=numbers[-1],
                        fps=SMIC_FPS,
                        path=clip_dir,
                        extra={"source": "folders"},
                    )
                )
    if not records:
        raise SheetError(
            f"{root}: no SMIC clip folders found (expected s<N>/micro/<negative|positive|surprise>/<clip>/ "
            "holding numbered images)"
        )
    return records
