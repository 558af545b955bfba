"""Helpers shared by the coding-sheet loaders: reading xlsx/CSV rows, locating header rows, reading frame
numbers and AU strings, finding frame folders and applying the ``on_missing`` policy.

Loaders read sheets with :mod:`openpyxl` (``read_only``, ``data_only``: formulas give their cached values)
and :mod:`csv` (``utf-8-sig``, so an Excel BOM is harmless). No pandas.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl

from curves.au import parse_au_list
from ml.datasets.schema import ClipRecord

__all__ = [
    "ON_MISSING",
    "SheetError",
    "apply_missing_policy",
    "cell_int",
    "cell_str",
    "check_on_missing",
    "column",
    "find_header",
    "first_existing",
    "parse_aus",
    "read_csv_rows",
    "read_xlsx_rows",
    "require_rows",
    "subject_number",
]


#: Accepted values of the ``on_missing`` argument of every loader.
ON_MISSING = ("error", "skip")

#: Cell texts that mean "no value" in the sheets (CASME II 2019 codes a missing apex as ``/``).
_EMPTY = {"", "/", "-", "?", "n/a", "na", "none", "nan"}


class SheetError(ValueError):
    """A coding sheet could not be read: wrong file, missing header, or a malformed cell."""


def read_xlsx_rows(path: Path, sheet: str | int | None = None) -> list[tuple[Any, ...]]:
    """All rows of one worksheet as tuples of cell values.

    Args:
        path: the ``.xlsx`` file.
        sheet: worksheet name or 0-based index; None = the first worksheet.

    Raises:
        FileNotFoundError: no such file.
        SheetError: not a readable xlsx, or no such worksheet.
    """

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"coding sheet {path} does not exist")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise SheetError(
            f"{path} is not a readable .xlsx workbook ({exc}); export the sheet as .xlsx"
        ) from exc
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(workbook.worksheets):
                raise SheetError(
                    f"{path} has {len(workbook.worksheets)} worksheet(s); index {sheet} is out of range"
                )
            worksheet = workbook.worksheets[sheet]
        else:
            if sheet not in workbook.sheetnames:
                raise SheetError(
                    f"{path} has no worksheet {sheet!r} (it has {', '.join(workbook.sheetnames)})"
                )
            worksheet = workbook[sheet]
        return [tuple(row) for row in worksheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV file (UTF-8 with or without BOM, any newline style).

    Header cells are stripped of surrounding blanks; so are values.

    Raises:
        FileNotFoundError: no such file.
        SheetError: the file is empty or not text.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"coding sheet {path} does not exist")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise SheetError(f"{path} is not a UTF-8 CSV file ({exc})") from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise SheetError(f"{path} is empty: expected a header row and one row per clip")
    header = [cell.strip() for cell in rows[0]]
    out: list[dict[str, str]] = []
    for row in rows[1:]:
        padded = list(row) + [""] * (len(header) - len(row))
        out.append({name: padded[i].strip() for i, name in enumerate(header) if name})
    return header, out


def _norm(text: object) -> str:
    """Header cell normalised for matching: lowercase, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower()) if text is not None else ""


def find_header(
    rows: Sequence[Sequence[Any]],
    required: Iterable[str],
    path: Path,
    *,
    max_scan: int = 40,
) -> tuple[int, dict[str, int]]:
    """Find the header row by content (SAMM has 13 preamble rows) and map column names to indices.

    Args:
        rows: sheet rows.
        required: column names that must all be in the header (compared case- and space-insensitively).
        path: the sheet, for messages.
        max_scan: how many leading rows to search.

    Returns:
        ``(row_index, columns)``: 0-based index of the header row and ``{normalised name: column index}``
        for every non-empty header cell (the first occurrence wins).

    Raises:
        SheetError: no row in the first ``max_scan`` holds all required names.
    """
    wanted = [_norm(name) for name in required]
    for index, row in enumerate(rows[:max_scan]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = _norm(cell)
            if key and key not in columns:
                columns[key] = col
        if all(name in columns for name in wanted):
            return index, columns
    raise SheetError(
        f"{path}: no header row with the columns {', '.join(required)} in its first {max_scan} rows; "
        "is this the right coding sheet for this dataset?"
    )


def column(columns: Mapping[str, int], *names: str) -> int | None:
    """Index of the first of ``names`` present in a header mapping from :func:`find_header`."""
    for name in names:
        key = _norm(name)
        if key in columns:
            return columns[key]
    return None


def cell_str(value: object) -> str:
    """A cell as stripped text; integral floats lose their ``.0`` (Excel stores ``12`` as ``12.0``)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def cell_int(value: object, *, what: str, where: str) -> int | None:
    """A frame-number cell as int, or None for an empty/``/`` cell.

    Args:
        value: the cell value (int, float, text such as ``"46"`` or ``"/"``).
        what: the column, for messages (``"ApexFrame"``).
        where: file and row, for messages.

    Raises:
        SheetError: the cell holds something that is not a whole number.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer():
            return int(value)
        raise SheetError(f"{where}: {what} is {value!r}, expected a whole frame number")
    text = str(value).strip()
    if text.lower() in _EMPTY:
        return None
    try:
        number = float(text)
    except ValueError:
        raise SheetError(f"{where}: {what} is {text!r}, expected a frame number (or '/' for none)") from None
    if not number.is_integer():
        raise SheetError(f"{where}: {what} is {text!r}, expected a whole frame number")
    return int(number)


def parse_aus(text: object) -> tuple[tuple[str, ...], list[str], dict[str, str]]:
    """Parse an AU cell with :func:`curves.au.parse_au_list`.

    Returns:
        ``(names, skipped, intensity)``: canonical AU names with sides kept (``AU10R``), the tokens that were
        not AU codes (free text), and ``{name: intensity letter}`` for coded intensities (SAMM ``7B``).
    """
    codes, skipped = parse_au_list(text)
    names = tuple(code.name for code in codes)
    intensity = {code.name: code.intensity for code in codes if code.intensity}
    return names, skipped, intensity


def first_existing(candidates: Iterable[Path]) -> Path | None:
    """The first candidate path that exists, or None."""
    for path in candidates:
        if path.exists():
            return path
    return None


def apply_missing_policy(records: list[ClipRecord], on_missing: str, *, source: Path) -> list[ClipRecord]:
    """Check that every record's media exists; raise or drop (with one warning) per ``on_missing``.

    Records with ``path is None`` (no media root given) are kept unchecked.

    Args:
        records: parsed records.
        on_missing: ``"error"`` raises on the first missing frame folder/video, ``"skip"`` drops those
            clips and warns once, naming every missing folder.
        source: the coding sheet, for messages.

    Raises:
        ValueError: ``on_missing`` is not one of :data:`ON_MISSING`.
        FileNotFoundError: a clip's frame folder is missing and ``on_missing == "error"``.
    """
    check_on_missing(on_missing)
    missing = [rec for rec in records if rec.path is not None and not rec.path.exists()]
    if not missing:
        return records
    if on_missing == "error":
        others = f" (and {len(missing) - 1} more clip(s))" if len(missing) > 1 else ""
        raise FileNotFoundError(
            f"frame folder {missing[0].path} for clip {missing[0].key} (listed in {source}) does not exist"
            f"{others}; check the media root, or pass on_missing='skip' to load the clips that are present"
        )
    shown = ", ".join(str(rec.path) for rec in missing[:20])
    more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
    message = f"skipping {len(missing)} clip(s) of {source} whose frame folder is missing: {shown}{more}"
    warnings.warn(message, UserWarning, stacklevel=3)
    gone = {id(rec) for rec in missing}
    return [rec for rec in records if id(rec) not in gone]


def check_on_missing(on_missing: str) -> None:
    """Raise ValueError unless ``on_missing`` is ``"error"`` or ``"skip"``."""
    if on_missing not in ON_MISSING:
        raise ValueError(f"on_missing must be 'error' or 'skip', not {on_missing!r}")


def require_rows(records: list[ClipRecord], source: Path) -> list[ClipRecord]:
    """Raise SheetError when a sheet produced no clip at all, or lists the same clip twice."""
    if not records:
        raise SheetError(f"{source} holds no clip rows (only a header, or an empty sheet)")
    first_row: dict[str, object] = {}
    for rec in records:
        row = rec.extra.get("row", "?")
        if rec.key in first_row:
            raise SheetError(
                f"{source}: clip {rec.subject}/{rec.clip} is listed twice "
                f"(rows {first_row[rec.key]} and {row}); remove or rename one"
            )
        first_row[rec.key] = row
    return records


def subject_number(text: str, *, where: str) -> int:
    """The integer in a subject cell (``"01"``, ``"sub01"``, ``"s3"``, ``"S01"``, ``3.0``)."""
    match = re.search(r"(\d+)", text)
    if match is None:
        raise SheetError(f"{where}: subject {text!r} holds no subject number")
    return int(match.group(1))
