"""AU-to-rig tables as the plugin reads them (pure, no ``unreal``): DataTable JSON -> records -> the one
parser of ``curves.rigmap``, and the skeleton's own spelling of each curve.

The table format is the one ``curves.rigmap`` reads and Unreal imports as a DataTable of the C++ row
struct ``FMicroExprAURigRow``: header ``Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes``. Python has
no DataTable ``FindRow``, so a DataTable is read through ``export_to_json_string()``, whose rows are
objects keyed by ``Name`` and the property names (an empty ``FName`` exports as ``"None"``). Every rule
about a row lives in ``curves.rigmap.parse_rig_records``; this module only turns the JSON into its
records and names the user's table in the errors.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Iterable, Mapping

from microexpr_anim import _project
from microexpr_anim._project import RigTableObj
from microexpr_anim.errors import RigTableError

__all__ = [
    "REQUIRED_COLUMNS",
    "records_from_datatable_json",
    "skeleton_spelling",
    "table_from_csv",
    "table_from_records",
]

#: Columns a DataTable of ``FMicroExprAURigRow`` exports (besides ``Name``, the row name).
REQUIRED_COLUMNS = ("AU", "Curve", "Weight", "Side", "RangeMin", "RangeMax")


def records_from_datatable_json(text: str | None, source: str) -> list[dict[str, object]]:
    """The rows of ``DataTable.export_to_json_string()`` as records for ``curves.rigmap``.

    Raises:
        RigTableError: naming ``source`` when the export is empty, not JSON, not a list of rows, or the
            rows lack the row struct's columns (a DataTable of another struct).
    """
    if not text:
        raise RigTableError(f"{source}: the DataTable exported nothing; is it a table of MicroExprAURigRow?")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RigTableError(f"{source}: DataTable JSON does not parse: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise RigTableError(f"{source}: DataTable JSON is not a list of rows")
    missing = [c for c in REQUIRED_COLUMNS if data and c not in data[0]]
    if missing:
        raise RigTableError(
            f"{source}: rows lack the columns {', '.join(missing)}; the DataTable's row struct must be "
            "MicroExprAURigRow"
        )
    return [dict(r) for r in data]


def table_from_records(records: Iterable[Mapping[str, object]], source: str) -> RigTableObj:
    """``curves.rigmap.parse_rig_records`` with the plugin's error type.

    Raises:
        RigTableError: the message of ``curves.rigmap`` (names ``source``, the row and the rule).
    """
    try:
        return _project.parse_rig_records(records, source)
    except ValueError as exc:
        raise RigTableError(str(exc)) from None


def table_from_csv(path: str) -> RigTableObj:
    """A rig CSV file through ``curves.rigmap`` (errors name the file and line)."""
    try:
        return _project.load_rig_table(path)
    except (ValueError, FileNotFoundError) as exc:
        raise RigTableError(str(exc)) from None


def skeleton_spelling(table: RigTableObj, skeleton_curves: Collection[str], skeleton: str) -> dict[str, str]:
    """Map each table curve to the skeleton's own spelling (Unreal's curve names ignore case).

    Returns:
        ``table curve -> skeleton curve`` for the curves spelt differently (empty when all match).

    Raises:
        RigTableError: naming the table, the first row whose curve the skeleton lacks, the skeleton,
            and the closest curve names the skeleton has ("did you mean").
    """
    by_fold = {name.casefold(): name for name in skeleton_curves}
    spelling: dict[str, str] = {}
    for row in table.rows:
        found = by_fold.get(row.curve.casefold())
        if found is None:
            close = difflib.get_close_matches(row.curve.casefold(), list(by_fold), n=3, cutoff=0.75)
            hint = f" (did you mean {' or '.join(repr(by_fold[c]) for c in close)}?)" if close else ""
            raise RigTableError(
                f"{table.source}: row {row.name!r} maps {row.au} to curve {row.curve!r}, which skeleton "
                f"{skeleton} does not have{hint}; fix the row, pick the matching skeleton, or pass "
                "check_skeleton=False if the curve is driven elsewhere (e.g. a morph target added later)"
            )
        if found != row.curve:
            spelling[row.curve] = found
    return spelling
