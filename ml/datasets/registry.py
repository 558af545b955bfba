"""Open a dataset by name (:func:`load_dataset`) or by pointing at its folder or sheet (:func:`open_dataset`).

Auto-detection (:func:`open_dataset`) looks at file names:

========================================================  =========
file                                                      dataset
========================================================  =========
``CASME2-coding-*.xlsx`` / ``*synthetic*.xlsx``           casme2 (records say ``synthetic`` for the latter)
``SAMM_Micro_FACS_Codes*.xlsx``                           samm
``HS_cropped.csv`` / ``SMIC*.csv``, or an ``HS/`` tree    smic
``MMEW*.csv``                                             mmew
``CAS(ME)^2code*.xlsx``                                   cas_me2
``cas(me)3*.xlsx`` / ``cas(me)3*.csv``                    casme3
``*composite*.csv`` / ``combined_3_class*.csv``           composite
========================================================  =========

A folder is the media root of the sheet found in it; a sheet file's media root is its own folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ml.datasets._common import check_on_missing
from ml.datasets.casme2 import load_casme2
from ml.datasets.casme3 import load_cas_me2, load_casme3
from ml.datasets.composite import load_composite
from ml.datasets.mmew import load_mmew
from ml.datasets.samm import load_samm
from ml.datasets.schema import ClipRecord
from ml.datasets.smic import load_smic, scan_smic_folders

__all__ = ["DATASET_NAMES", "detect_dataset", "load_dataset", "open_dataset"]

#: Names accepted by :func:`load_dataset`.
DATASET_NAMES = ("casme2", "samm", "smic", "mmew", "casme3", "cas_me2", "composite", "synthetic")

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("composite", re.compile(r"(composite|combined_3_?class).*\.csv$", re.IGNORECASE)),
    ("synthetic", re.compile(r"synthetic.*\.xlsx$", re.IGNORECASE)),
    ("casme2", re.compile(r"^casme2?[-_ ]?(ii)?[-_ ]?coding.*\.xlsx$", re.IGNORECASE)),
    ("samm", re.compile(r"^samm.*\.xlsx$", re.IGNORECASE)),
    ("smic", re.compile(r"^(hs_cropped|smic).*\.csv$", re.IGNORECASE)),
    ("mmew", re.compile(r"^mmew.*\.csv$", re.IGNORECASE)),
    ("cas_me2", re.compile(r"^cas\(me\)\^?2.*\.xlsx$", re.IGNORECASE)),
    ("casme3", re.compile(r"^cas\(me\)\^?3.*\.(xlsx|csv)$", re.IGNORECASE)),
)


def _loader(name: str) -> Callable[..., list[ClipRecord]]:
    if name in ("casme2", "synthetic"):
        return load_casme2
    if name == "samm":
        return load_samm
    if name == "smic":
        return load_smic
    if name == "mmew":
        return load_mmew
    if name == "cas_me2":
        return load_cas_me2
    if name == "casme3":
        return load_casme3
    if name == "composite":
        return load_composite
    raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASET_NAMES)}")


def _canonical_name(name: str) -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "")
    aliases = {
        "casmeii": "casme2",
        "casme_ii": "casme2",
        "smic_hs": "smic",
        "smichs": "smic",
        "cas(me)2": "cas_me2",
        "cas(me)^2": "cas_me2",
        "casme_2": "cas_me2",
        "cas(me)3": "casme3",
        "cas(me)^3": "casme3",
        "megc2019": "composite",
        "composite3": "composite",
    }
    key = aliases.get(key, key)
    if key not in DATASET_NAMES:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASET_NAMES)}")
    return key


def load_dataset(
    name: str,
    sheet: str | Path,
    *,
    media_root: str | Path | None = None,
    on_missing: str = "error",
    **options: Any,
) -> list[ClipRecord]:
    """Load a named dataset from its coding sheet.

    Args:
        name: ``casme2``, ``samm``, ``smic``, ``mmew``, ``casme3``, ``cas_me2``, ``composite`` (or
            ``synthetic``: a CASME II-format sheet).
        sheet: the coding sheet (xlsx/CSV) of that dataset.
        media_root: folder with the frames; None = records without ``path`` (labels only).
        on_missing: ``"error"`` (raise naming the first missing frame folder) or ``"skip"`` (warn, drop).
        **options: loader-specific options (``micro_only`` for cas_me2, ``sources`` for composite...).

    Raises:
        ValueError: unknown name or ``on_missing`` value.
        FileNotFoundError: missing sheet or frame folder.
        ml.datasets._common.SheetError: the sheet is not in that dataset's format.
    """
    check_on_missing(on_missing)
    key = _canonical_name(name)
    loader = _loader(key)
    if key == "synthetic":
        options.setdefault("dataset", "synthetic")
    return loader(Path(sheet), media_root, on_missing=on_missing, **options)


def detect_dataset(path: str | Path) -> tuple[str, Path]:
    """Which dataset a folder or sheet file is, and the sheet to load.

    Returns:
        ``(name, sheet)``; for an SMIC folder without a CSV, ``("smic", folder)``.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: nothing recognisable, or several sheets of the same kind (names them).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"dataset path {path} does not exist")
    if path.is_file():
        for name, pattern in _PATTERNS:
            if pattern.search(path.name):
                return name, path
        raise ValueError(
            f"{path.name} is not a coding sheet this tool recognises; call load_dataset(name, sheet) with "
            f"one of {', '.join(DATASET_NAMES)}"
        )
    found: dict[str, list[Path]] = {}
    for child in sorted(path.iterdir()):
        if child.is_file() and not child.name.startswith(("~$", ".")):
            for name, pattern in _PATTERNS:
                if pattern.search(child.name):
                    found.setdefault(name, []).append(child)
                    break
    if not found:
        for hs in (path / "HS", path / "SMIC" / "HS", path / "SMIC-HS"):
            if hs.is_dir():
                return "smic", path
        raise ValueError(
            f"no coding sheet found in {path} (looked for CASME2-coding-*.xlsx, "
            "SAMM_Micro_FACS_Codes*.xlsx, HS_cropped.csv, MMEW*.csv, CAS(ME)^2code*.xlsx, cas(me)3*.xlsx, "
            "*composite*.csv); pass the sheet file itself, or name the dataset"
        )
    if len(found) > 1:
        listing = "; ".join(f"{name}: {', '.join(p.name for p in files)}" for name, files in found.items())
        raise ValueError(f"{path} holds sheets of several datasets ({listing}); pass name= or the sheet file")
    ((name, files),) = found.items()
    if len(files) > 1:
        raise ValueError(
            f"{path} holds {len(files)} {name} sheets ({', '.join(p.name for p in files)}); "
            "pass the one to use"
        )
    return name, files[0]


def open_dataset(
    path: str | Path,
    name: str | None = None,
    *,
    on_missing: str = "error",
    media_root: str | Path | None = None,
    labels_only: bool = False,
    **options: Any,
) -> list[ClipRecord]:
    """Open a dataset from its folder (or its sheet file), detecting which corpus it is.

    A synthetic dataset written by :func:`ml.datasets.synthetic.write_dataset`
    (``CASME2-coding-synthetic.xlsx`` plus ``CASME2_RAW_selected/``) opens as ``dataset == "synthetic"``
    records through the CASME II loader.

    Args:
        path: dataset folder (media root holding the sheet) or the sheet file (media root = its folder).
        name: dataset name to skip detection (in a folder holding several sheets, picks that kind).
        on_missing: ``"error"`` or ``"skip"`` for clips whose frame folder is absent.
        media_root: where the frames are, when not beside the sheet.
        labels_only: read the sheet only (records without ``path``; no frame folder is checked).
        **options: passed to the loader.

    Raises:
        FileNotFoundError: the path, its sheet, or (``on_missing="error"``) a frame folder is missing.
        ValueError: the corpus could not be told, or the sheet is malformed.
    """
    check_on_missing(on_missing)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"dataset path {path} does not exist")
    if name is not None:
        key = _canonical_name(name)
        if path.is_file():
            sheet = path
        else:
            kinds = {"casme2": ("casme2", "synthetic"), "synthetic": ("synthetic", "casme2")}.get(key, (key,))
            candidates = [
                child
                for child in sorted(path.iterdir())
                if child.is_file()
                and any(pattern.search(child.name) for kind, pattern in _PATTERNS if kind in kinds)
            ]
            if not candidates and key == "smic":
                return scan_smic_folders(path)
            if not candidates:
                raise FileNotFoundError(f"no {key} coding sheet found in {path}; pass the sheet file itself")
            if len(candidates) > 1:
                raise ValueError(
                    f"{path} holds {len(candidates)} {key} sheets ({', '.join(c.name for c in candidates)}); "
                    "pass the one to use"
                )
            sheet = candidates[0]
    else:
        key, sheet = detect_dataset(path)
        if sheet.is_dir():  # SMIC folder tree without CSV
            return scan_smic_folders(sheet)
    root = None if labels_only else Path(media_root) if media_root is not None else sheet.parent
    if key == "synthetic" and "synthetic" not in sheet.name.lower():
        options.setdefault("dataset", "synthetic")
    if key == "synthetic":
        key = "casme2"
    return load_dataset(key, sheet, media_root=root, on_missing=on_missing, **options)
