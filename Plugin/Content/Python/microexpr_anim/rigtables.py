"""AU-to-rig tables inside Unreal: the shipped CSVs as DataTables of ``FMicroExprAURigRow``, and reading them.

The default tables (MetaHuman ``CTRL_expressions_*``, ARKit 52) ship as CSV under
``Plugin/Content/RigTables/``. On first use (or :func:`import_rig_tables` from the console) they are
imported into DataTables of the C++ row struct under :data:`TABLE_FOLDER`, where users can copy and edit
them. Python has no DataTable ``FindRow``: rows are read through ``export_to_json_string()``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import unreal

from microexpr_anim._project import RigTableObj
from microexpr_anim.errors import RigTableError
from microexpr_anim.naming import split_object_path
from microexpr_anim.rigrows import (
    records_from_datatable_json,
    skeleton_spelling,
    table_from_csv,
    table_from_records,
)

__all__ = [
    "ROW_STRUCT_PATH",
    "SHIPPED_TABLES",
    "TABLE_FOLDER",
    "ResolvedRigTable",
    "datatable_source",
    "ensure_rig_datatable",
    "import_rig_tables",
    "read_datatable",
    "resolve_rig_table",
    "shipped_csv_path",
    "skeleton_curve_names",
]

LOG = logging.getLogger(__name__)

#: The C++ row struct, as Unreal names it.
ROW_STRUCT_PATH = "/Script/MicroExprAnim.MicroExprAURigRow"
#: Where the default tables are imported (in the user's project, so they can be saved and edited).
TABLE_FOLDER = "/Game/MicroExprAnim/RigTables"
#: Shipped table name -> (CSV file under Plugin/Content/RigTables, DataTable asset name).
SHIPPED_TABLES: dict[str, tuple[str, str]] = {
    "metahuman": ("rig_metahuman.csv", "DT_MicroExpr_MetaHuman"),
    "arkit": ("rig_arkit.csv", "DT_MicroExpr_ARKit"),
}


@dataclass(frozen=True)
class ResolvedRigTable:
    """A validated rig table (``curves.rigmap.RigTable``, curves spelt as the skeleton spells them) and
    where it came from (the DataTable asset or the CSV file)."""

    table: RigTableObj
    source: str


def shipped_csv_path(name: str) -> Path:
    """Path of a shipped rig CSV (``Plugin/Content/RigTables/rig_<name>.csv``)."""
    key = name.lower()
    if key not in SHIPPED_TABLES:
        raise RigTableError(f"unknown shipped rig table {name!r}; choose one of {sorted(SHIPPED_TABLES)}")
    return Path(__file__).resolve().parents[2] / "RigTables" / SHIPPED_TABLES[key][0]


def _row_struct() -> unreal.ScriptStruct:
    struct = unreal.load_object(None, ROW_STRUCT_PATH)
    if struct is None:
        raise RigTableError(
            f"the row struct {ROW_STRUCT_PATH} is not loaded: build the MicroExprAnim C++ module "
            "(open the project in your IDE or let the editor compile it) and enable the plugin"
        )
    return unreal.ScriptStruct.cast(struct)


def ensure_rig_datatable(
    name: str, *, folder: str = TABLE_FOLDER, overwrite: bool = False
) -> unreal.DataTable:
    """The DataTable of a shipped table, imported from its CSV if it does not exist yet (or ``overwrite``)."""
    key = name.lower()
    csv_path = shipped_csv_path(key)
    asset_path = f"{folder}/{SHIPPED_TABLES[key][1]}"
    lib = unreal.EditorAssetLibrary
    if lib.does_asset_exist(asset_path) and not overwrite:
        return unreal.DataTable.cast(lib.load_asset(asset_path))
    if not csv_path.is_file():
        raise RigTableError(f"shipped rig table {csv_path} is missing; reinstall the plugin")
    text = csv_path.read_text(encoding="utf-8")
    table_from_csv(str(csv_path))  # refuse a broken CSV before creating anything
    struct = _row_struct()
    previous: str | None = None
    if lib.does_asset_exist(asset_path):
        table = unreal.DataTable.cast(lib.load_asset(asset_path))
        previous = table.export_to_json_string() or "[]"
    else:
        factory = unreal.DataTableFactory()
        factory.struct = struct
        created = unreal.AssetToolsHelpers.get_asset_tools().create_asset(
            SHIPPED_TABLES[key][1], folder, unreal.DataTable, factory
        )
        if created is None:
            raise RigTableError(f"could not create the DataTable {asset_path}")
        table = unreal.DataTable.cast(created)
    if not table.fill_from_csv_string(text, struct):
        if previous is None:  # made just now: nothing of the user's is lost
            lib.delete_loaded_asset(table)
            outcome = "the new DataTable was deleted"
        else:
            table.fill_from_json_string(previous, struct)
            outcome = f"{asset_path} keeps its rows"
        raise RigTableError(f"importing {csv_path} into {asset_path} failed ({outcome}); see the Output Log")
    if not lib.save_loaded_asset(table, False):
        raise RigTableError(f"could not save {asset_path} (read-only, or checked out in source control?)")
    LOG.info("imported %s into %s", csv_path, asset_path)
    return table


def import_rig_tables(*, folder: str = TABLE_FOLDER, overwrite: bool = False) -> list[unreal.DataTable]:
    """Import every shipped rig table into DataTables (console: ``microexpr_anim.import_rig_tables()``)."""
    return [ensure_rig_datatable(name, folder=folder, overwrite=overwrite) for name in SHIPPED_TABLES]


def datatable_source(table: unreal.DataTable) -> str:
    """How errors name a DataTable: ``DataTable /Game/Rigs/DT_MyRig`` (its asset path)."""
    try:
        folder, name = split_object_path(table.get_path_name())
    except ValueError:
        return f"DataTable {table.get_path_name()}"
    return f"DataTable {folder}/{name}"


def read_datatable(table: unreal.DataTable) -> RigTableObj:
    """A DataTable of ``FMicroExprAURigRow``, validated by ``curves.rigmap``'s one rule."""
    source = datatable_source(table)
    return table_from_records(records_from_datatable_json(table.export_to_json_string(), source), source)


def skeleton_curve_names(skeleton: unreal.Skeleton) -> set[str] | None:
    """Curve names the skeleton declares (curve metadata), or None when the engine cannot tell."""
    subsystem = getattr(unreal, "SkeletalMeshEditorSubsystem", None)
    if subsystem is None or not hasattr(subsystem, "get_skeleton_curve_meta_data_names"):
        return None
    names = unreal.SkeletalMeshEditorSubsystem.get_skeleton_curve_meta_data_names(
        skeleton, unreal.SkelSubSysQueryCurvesMetatdataNamesFilter.ALL
    )
    return {str(n) for n in names} or None


def resolve_rig_table(
    rig_table: unreal.DataTable | str | Path,
    skeleton: unreal.Skeleton | None = None,
    *,
    check_skeleton: bool = True,
) -> ResolvedRigTable:
    """Read and validate a rig table: a DataTable, a shipped name, a DataTable asset path or a CSV file.

    Args:
        rig_table: ``unreal.DataTable``; ``"metahuman"``/``"arkit"`` (imported on first use); an asset
            path such as ``/Game/Rigs/DT_MyRig``; or a CSV file on disk in the shared format.
        skeleton: when given (and ``check_skeleton``), every row's curve must be a curve of it.

    Curve names are matched to the skeleton's ignoring case (as Unreal does) and written in the
    skeleton's own spelling.

    Raises:
        RigTableError: the table cannot be found or read, or a row is bad (names the table and the row).
    """
    if isinstance(rig_table, unreal.DataTable):
        table = read_datatable(rig_table)
    else:
        text = str(rig_table).strip()
        if text.lower() in SHIPPED_TABLES:
            table = read_datatable(ensure_rig_datatable(text))
        elif text.lower().endswith(".csv") and Path(text).is_file():
            table = table_from_csv(text)
        elif text.startswith("/") and unreal.EditorAssetLibrary.does_asset_exist(text):
            asset = unreal.EditorAssetLibrary.load_asset(text)
            if not isinstance(asset, unreal.DataTable):
                raise RigTableError(f"{text} is not a DataTable")
            table = read_datatable(asset)
        else:
            raise RigTableError(
                f"rig table {text!r} not found: give 'metahuman', 'arkit', a DataTable asset path "
                "(/Game/...) or a CSV file"
            )
    if skeleton is not None and check_skeleton:
        names = skeleton_curve_names(skeleton)
        if names is None:
            LOG.warning(
                "skeleton %s declares no curves; rig curve names are not checked", skeleton.get_path_name()
            )
        else:
            spelling = skeleton_spelling(table, names, skeleton.get_path_name())
            if spelling:
                LOG.info(
                    "writing the skeleton's spelling of %s",
                    ", ".join(f"{a} -> {b}" for a, b in spelling.items()),
                )
                table = table.with_curve_names(spelling)
    return ResolvedRigTable(table=table, source=table.source)
