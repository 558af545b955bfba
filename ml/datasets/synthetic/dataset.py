"""A synthetic dataset on disk in the CASME II layout (coding sheet, JPEG frames, labels sidecar)."""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import openpyxl
from tqdm import tqdm

from curves.atomic import atomic_directory
from ml.datasets.synthetic.action_units import AU_NAMES
from ml.datasets.synthetic.clip import SyntheticClip, generate_clip
from ml.datasets.synthetic.labels import subject_allocation

__all__ = [
    "FRAMES_DIR",
    "LABELS_FILE",
    "LABELS_FORMAT",
    "SHEET_FILE",
    "SHEET_HEADER",
    "SHEET_NAME",
    "iter_dataset",
    "load_synthetic_activations",
    "write_dataset",
]


#: The coding sheet's worksheet name and header row, cell for cell as in CASME2-coding-20140508.xlsx.
SHEET_NAME = "Sheet1"
SHEET_HEADER: tuple[str | None, ...] = (
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
SHEET_FILE = "CASME2-coding-synthetic.xlsx"
FRAMES_DIR = "CASME2_RAW_selected"
LABELS_FILE = "synthetic_labels.json"
LABELS_FORMAT = "microexpr-synthetic-labels"
_JPEG_QUALITY = 90
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _clip_name(index: int, subject: int, allocation: np.ndarray) -> str:
    take = int(np.count_nonzero(allocation[:index] == subject)) + 1
    return f"EP{take:02d}_01"


def iter_dataset(subjects: int = 26, clips: int = 255, seed: int = 7, **kw: Any) -> Iterator[SyntheticClip]:
    """Yield the dataset's clips in memory, in the order :func:`write_dataset` writes them.

    Keyword arguments go to :func:`generate_clip` (``size``, ``fps``, ``distractors``).
    """
    allocation = subject_allocation(subjects, clips)
    for index in range(clips):
        subject = int(allocation[index])
        clip = generate_clip(seed, index, subject=subject, **kw)
        name = _clip_name(index, subject, allocation)
        record = dataclasses.replace(clip.record, clip=name)
        yield SyntheticClip(
            frames=clip.frames,
            fps=clip.fps,
            record=record,
            activations=clip.activations,
            au_names=clip.au_names,
            frame_numbers=clip.frame_numbers,
            meta=clip.meta,
        )


def _au_cell(aus: tuple[str, ...]) -> int | str:
    numbers = [a[2:] for a in aus]
    if len(numbers) == 1:
        return int(numbers[0])  # the CASME II sheet stores single AUs as numbers
    return "+".join(numbers) if numbers else "none"


def _deterministic_xlsx(rows: list[tuple[Any, ...]]) -> bytes:
    """The coding sheet as xlsx bytes that depend only on ``rows`` (fixed timestamps and zip dates)."""

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    ws.append(list(SHEET_HEADER))
    for row in rows:
        ws.append(list(row))
    fixed = datetime.datetime(2014, 5, 8)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "microexpr synth"
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _fix_core_dates(data)
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data)
    return out.getvalue()


def _fix_core_dates(data: bytes) -> bytes:

    text = data.decode("utf-8")
    text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", r"\g<1>2014-05-08T00:00:00Z\g<2>", text)
    return text.encode("utf-8")


def write_dataset(
    out: str | Path,
    subjects: int = 26,
    clips: int = 255,
    seed: int = 7,
    *,
    overwrite: bool = False,
    progress: bool = False,
    **kw: Any,
) -> Path:
    """Write a synthetic dataset in the CASME II layout, atomically; same arguments, same bytes.

    Layout::

        <out>/CASME2-coding-synthetic.xlsx     Sheet1: Subject ("01"), Filename (EP01_01), -, OnsetFrame,
                                               ApexFrame, OffsetFrame, -, Action Units ("4+7", 12),
                                               Estimated Emotion
        <out>/CASME2_RAW_selected/sub01/EP01_01/img1.jpg ... (JPEG quality 90, numbers from 1)
        <out>/synthetic_labels.json            {"format", "version", "seed", "fps", "au_names",
                                                "clips": {"sub01/EP01_01": {...}}}

    Args:
        out: the dataset folder (must not exist or be empty unless ``overwrite``).
        subjects, clips, seed: dataset size and seed.
        overwrite: replace an existing folder (only once the new one is complete).
        progress: show a tqdm bar.
        **kw: passed to :func:`generate_clip` (``size``, ``fps``, ``distractors``).

    Returns:
        The dataset folder.
    """

    if subjects < 1 or clips < 1:
        raise ValueError(f"need at least one subject and one clip, got subjects={subjects}, clips={clips}")
    target = Path(out)
    rows: list[tuple[Any, ...]] = []
    labels: dict[str, Any] = {}
    fps_used = float(kw.get("fps", 200.0))
    with atomic_directory(target, overwrite=overwrite) as tmp:
        frames_root = tmp / FRAMES_DIR
        for clip in tqdm(
            iter_dataset(subjects, clips, seed, **kw),
            total=clips,
            disable=not progress,
            desc="synthetic clips",
            unit="clip",
        ):
            rec = clip.record
            folder = frames_root / rec.subject / rec.clip
            folder.mkdir(parents=True)
            for number, frame in zip(clip.frame_numbers, clip.frames, strict=True):
                ok, buf = cv2.imencode(
                    ".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY]
                )
                if not ok:
                    raise OSError(f"{folder}: JPEG encoding failed")
                (folder / f"img{int(number)}.jpg").write_bytes(buf.tobytes())
            rows.append(
                (
                    rec.subject[3:],
                    rec.clip,
                    None,
                    rec.onset,
                    rec.apex,
                    rec.offset,
                    None,
                    _au_cell(rec.aus),
                    rec.emotion,
                )
            )
            labels[f"{rec.subject}/{rec.clip}"] = {
                "subject": rec.subject,
                "clip": rec.clip,
                "emotion": rec.emotion,
                "aus": list(rec.aus),
                "onset": rec.onset,
                "apex": rec.apex,
                "offset": rec.offset,
                "fps": clip.fps,
                "first_frame": int(clip.frame_numbers[0]),
                "num_frames": int(clip.frames.shape[0]),
                "intensity": {a: round(v, 4) for a, v in clip.meta["intensity"].items()},
                "blink_frames": clip.meta["blink_frames"],
                "au_names": list(clip.au_names),
                "activations": [[round(float(v), 4) for v in row] for row in clip.activations],
            }
        (tmp / SHEET_FILE).write_bytes(_deterministic_xlsx(rows))
        doc = {
            "format": LABELS_FORMAT,
            "version": 1,
            "seed": seed,
            "subjects": subjects,
            "fps": fps_used,
            "au_names": list(AU_NAMES),
            "clips": labels,
        }
        (tmp / LABELS_FILE).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.chmod(0o755)
    return target


def load_synthetic_activations(root: str | Path) -> dict[str, np.ndarray]:
    """Per-frame AU activations from a written dataset's ``synthetic_labels.json``.

    Returns:
        ``{"sub01/EP01_01": (N, A) float32}`` with columns in the file's ``au_names`` order.

    Raises:
        FileNotFoundError: the sidecar is missing.
        ValueError: the file is not a synthetic labels file.
    """
    path = Path(root) / LABELS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no synthetic labels here; is {root} a `microexpr synth` dataset?")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != LABELS_FORMAT:
        raise ValueError(f"{path}: not a synthetic labels file (format {LABELS_FORMAT!r} expected)")
    return {key: np.asarray(entry["activations"], np.float32) for key, entry in doc["clips"].items()}
