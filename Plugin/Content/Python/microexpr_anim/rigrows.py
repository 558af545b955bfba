"""AU-to-rig table rows as the plugin reads them from a DataTable or CSV, validated (pure, no ``unreal``).

The table format is the one ``curves.rigmap`` reads and Unreal imports as a DataTable of the C++ row
struct ``FMicroExprAURigRow``: header ``Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes``. Python has
no DataTable ``FindRow``, so a DataTable is read through ``export_to_json_string()``, whose rows are
objects keyed by ``Name`` and the property names; an empty ``FName`` exports as ``"None"``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from microexpr_anim.errors import RigTableError

__all__ = [
    "CSV_HEADER",
    "RigRowData",
    "check_rows_against_skeleton",
    "rows_from_csv_text",
    "rows_from_datatable_json",
    "rows_from_records",
    "rows_to_csv",
]

CSV_HEADER = ("Name", "AU", "Curve", "Weight", "Side", "RangeMin", "RangeMax", "Notes")
_EMPTY_NAMES = ("", "none")


@dataclass(frozen=True)
class RigRowData:
    """One row: AU ``au`` drives rig curve ``curve`` by ``weight``, clamped to ``[range_min, range_max]``."""

    name: str
    au: str
    curve: str
    weight: float
    side: str = ""
    range_min: float = 0.0
    range_max: float = 1.0
    notes: str = ""


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _float(record: Mapping[str, Any], key: str, row: str, source: str, default: float | None) -> float:
    raw = record.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if default is None:
            raise RigTableError(f"{source}: row {row!r} has no {key}; give a number")
        return default
    if isinstance(raw, bool):
        raise RigTableError(f"{source}: row {row!r}: {key} {raw!r} is not a number")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise RigTableError(f"{source}: row {row!r}: {key} {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise RigTableError(f"{source}: row {row!r}: {key} {raw!r} is not a finite number")
    return value


def rows_from_records(records: Iterable[Mapping[str, Any]], source: str) -> list[RigRowData]:
    """Validate table rows (dicts keyed by the CSV header names) and return them.

    Raises:
        RigTableError: naming ``source`` and the row, when the AU is missing or not an Action Unit code,
            the curve is missing, a number does not parse, ``RangeMin > RangeMax``, a row name repeats, or
            the table has no rows.
    """
    from microexpr_anim._project import canonical_au

    rows: list[RigRowData] = []
    seen: set[str] = set()
    for index, record in enumerate(records):
        name = _text(record.get("Name")) or f"#{index + 1}"
        if name in seen:
            raise RigTableError(f"{source}: row name {name!r} appears twice; row names must be unique")
        seen.add(name)
        au_raw = _text(record.get("AU"))
        if au_raw.lower() in _EMPTY_NAMES:
            raise RigTableError(f"{source}: row {name!r} has no AU; fill the AU column (e.g. AU12)")
        try:
            au = canonical_au(au_raw)
        except ValueError:
            raise RigTableError(
                f"{source}: row {name!r}: AU {au_raw!r} is not an Action Unit code (e.g. AU12, AU12L)"
            ) from None
        curve = _text(record.get("Curve"))
        if curve.lower() in _EMPTY_NAMES:
            raise RigTableError(f"{source}: row {name!r} has no Curve; give the rig curve name")
        weight = _float(record, "Weight", name, source, None)
        range_min = _float(record, "RangeMin", name, source, 0.0)
        range_max = _float(record, "RangeMax", name, source, 1.0)
        if range_min > range_max:
            raise RigTableError(f"{source}: row {name!r}: RangeMin {range_min} is above RangeMax {range_max}")
        side = _text(record.get("Side"))
        rows.append(
            RigRowData(
                name=name,
                au=au,
                curve=curve,
                weight=weight,
                side="" if side.lower() == "none" else side,
                range_min=range_min,
                range_max=range_max,
                notes=_text(record.get("Notes")),
            )
        )
    if not rows:
        raise RigTableError(f"{source}: the rig table has no rows")
    return rows


def rows_from_datatable_json(text: str | None, source: str) -> list[RigRowData]:
    """Rows of ``DataTable.export_to_json_string()`` output, validated."""
    if not text:
        raise RigTableError(f"{source}: the DataTable exported nothing; is it a table of MicroExprAURigRow?")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RigTableError(f"{source}: DataTable JSON does not parse: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise RigTableError(f"{source}: DataTable JSON is not a list of rows")
    missing = [c for c in ("AU", "Curve", "Weight") if data and c not in data[0]]
    if missing:
        raise RigTableError(
            f"{source}: rows lack the columns {missing}; the DataTable's row struct must be MicroExprAURigRow"
        )
    return rows_from_records(data, source)


def rows_from_csv_text(text: str, source: str) -> list[RigRowData]:
    """Rows of a rig CSV (header ``Name,AU,Curve,Weight,...``), validated."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("Name", "AU", "Curve", "Weight") if c not in header]
    if missing:
        raise RigTableError(f"{source}: CSV header lacks {missing}; expected {','.join(CSV_HEADER)}")
    records = [{(k or "").strip(): v for k, v in r.items()} for r in reader]
    return rows_from_records(records, source)


def check_rows_against_skeleton(
    rows: Iterable[RigRowData], skeleton_curves: Collection[str], skeleton: str, source: str
) -> None:
    """Raise if a row's curve is not a curve of the skeleton.

    Raises:
        RigTableError: naming the first such row, its curve, the skeleton and the table.
    """
    known = set(skeleton_curves)
    for row in rows:
        if row.curve not in known:
            raise RigTableError(
                f"{source}: row {row.name!r} maps {row.au} to curve {row.curve!r}, which skeleton "
                f"{skeleton} does not have; fix the row, pick the matching skeleton, or pass "
                "check_skeleton=False if the curve is driven elsewhere (e.g. a morph target added later)"
            )


def rows_to_csv(rows: Iterable[RigRowData]) -> str:
    """Write rows back in the shared CSV format (``curves.rigmap`` reads it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow(
            [r.name, r.au, r.curve, repr(r.weight), r.side, repr(r.range_min), repr(r.range_max), r.notes]
        )
    return out.getvalue()
