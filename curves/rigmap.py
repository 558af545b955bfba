"""AU -> rig-curve mapping tables (one CSV format inside and outside Unreal).

A table is a CSV that Unreal imports as a DataTable of the plugin's row struct ``FMicroExprAURigRow``:

    Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes
    AU12_mouthCornerPullL,AU12,CTRL_expressions_mouthCornerPullL,1,L,0,1,lip corner puller

* ``Name`` is the row name (unique). Unreal's own DataTable export writes ``---`` as the first header
  cell; that spelling is accepted too, so a table exported from the editor reads back unchanged.
* ``AU`` is a bilateral FACS code (``AU12``); ``Side`` is the face side the curve belongs to (``L``,
  ``R``; empty for a midline curve such as ``jawOpen``), from the subject's own point of view.
* ``Weight`` scales the AU activation; ``RangeMin``/``RangeMax`` bound the curve's value.

Sides: a bilateral AU (``AU12``) drives every row of that AU. A unilateral AU (CASME II ``R12`` ->
``AU12R``) drives only the rows of its side, plus midline rows at half weight (one side of a symmetric
shape moves half of it).

Combining: when several AUs drive one curve their contributions ``c_i = clip(w_i * a_i, 0, 1)`` are
combined with a probabilistic OR, ``1 - prod(1 - c_i)`` (negative weights form a second OR that is
subtracted), then clamped to ``[RangeMin, RangeMax]``. Unlike a sum it can never leave [0, 1] however many
AUs agree; unlike ``max`` it is smooth (no kinks that would cost keys) and still grows when a second AU
adds to the first; and with one AU it is exactly ``w * a``.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from curves.au import parse_au
from curves.reading import read_text

__all__ = [
    "FORBIDDEN_NAME_CHARACTERS",
    "HEADER",
    "MAX_CURVE_NAME_LENGTH",
    "RIG_NAMES",
    "RigMapping",
    "RigRow",
    "RigTable",
    "combine_contributions",
    "curve_name_problem",
    "load_rig_table",
    "map_to_rig",
    "parse_rig_csv",
    "parse_rig_records",
    "rig_table_path",
    "rig_table_to_csv",
]

logger = logging.getLogger(__name__)

HEADER = ("Name", "AU", "Curve", "Weight", "Side", "RangeMin", "RangeMax", "Notes")
_DATA_DIR = Path(__file__).with_name("data")
RIG_NAMES = ("metahuman", "arkit")
_SIDES = {
    "": "",
    "l": "L",
    "left": "L",
    "r": "R",
    "right": "R",
    "c": "",
    "center": "",
    "centre": "",
    "m": "",
    "mid": "",
    "midline": "",
    "none": "",
    "both": "",
    "b": "",
}
#: Weight applied to a midline curve driven by a unilateral AU.
MIDLINE_UNILATERAL_WEIGHT = 0.5


@dataclass(frozen=True)
class RigRow:
    """One DataTable row: AU ``au`` drives rig curve ``curve`` with ``weight`` on ``side``."""

    name: str
    au: str
    curve: str
    weight: float = 1.0
    side: str = ""
    range_min: float = 0.0
    range_max: float = 1.0
    notes: str = ""


@dataclass(frozen=True)
class RigTable:
    """A parsed rig table.

    Attributes:
        rows: the rows in file order.
        source: the file (or name) it came from.
    """

    rows: tuple[RigRow, ...]
    source: str = ""

    def __str__(self) -> str:
        return self.source or "<rig table>"

    def with_curve_names(self, spelling: Mapping[str, str]) -> RigTable:
        """The same table with curves renamed (``old -> new``; names not in ``spelling`` are kept).

        Used to write a skeleton's own spelling of a curve the table spells in another case.
        """
        return replace(self, rows=tuple(replace(r, curve=spelling.get(r.curve, r.curve)) for r in self.rows))

    @property
    def curves(self) -> list[str]:
        """Curve names in order of first appearance."""
        return list(dict.fromkeys(r.curve for r in self.rows))

    @property
    def aus(self) -> list[str]:
        """Bilateral AU names the table knows, in order of first appearance."""
        return list(dict.fromkeys(r.au for r in self.rows))

    def range_of(self, curve: str) -> tuple[float, float]:
        """``(RangeMin, RangeMax)`` of a curve (all its rows agree, checked on load)."""
        for r in self.rows:
            if r.curve == curve:
                return r.range_min, r.range_max
        raise KeyError(f"curve {curve!r} is not in rig table {self.source}")

    def for_au(self, au: str) -> list[RigRow]:
        """Rows an AU drives, weights adjusted for its side.

        ``AU12`` -> all AU12 rows; ``AU12R`` -> the AU12 rows with side R, plus midline rows at half weight.
        """
        code = parse_au(au)
        rows = [r for r in self.rows if r.au == code.bilateral_name]
        if not code.side:
            return rows
        out = []
        for r in rows:
            if r.side == code.side:
                out.append(r)
            elif r.side == "":
                out.append(replace(r, weight=r.weight * MIDLINE_UNILATERAL_WEIGHT))
        return out


def rig_table_path(name: str) -> Path:
    """Path of a shipped table: ``"metahuman"`` or ``"arkit"``."""
    key = str(name).strip().lower()
    if key not in RIG_NAMES:
        raise ValueError(f"unknown rig {name!r}; shipped rigs: {', '.join(RIG_NAMES)} (or pass a CSV path)")
    return _DATA_DIR / f"rig_{key}.csv"


#: Characters Unreal refuses in object and asset names (``INVALID_OBJECTNAME_CHARACTERS``, plus the
#: backslash of package paths); a curve name with one of them cannot be relied on in the editor (the
#: curve picker, Sequencer and Control Rig look curves up by name), so a rig table refuses it. Control
#: characters (tab, newline) are refused too.
FORBIDDEN_NAME_CHARACTERS = "\"' ,/.:|&!~@#(){}[]=;^%$`\\"
#: Longest FName Unreal stores (``NAME_SIZE`` 1024, with the terminating zero).
MAX_CURVE_NAME_LENGTH = 1023
_NONE_NAMES = ("", "none")  # an empty FName exports from a DataTable as "None"


def curve_name_problem(name: str) -> str | None:
    """Why Unreal cannot use ``name`` as a curve name, or None when it can.

    >>> curve_name_problem("CTRL_expressions_browDownL") is None
    True
    >>> curve_name_problem("jaw/open")[:16]
    "it contains '/';"
    """
    if len(name) > MAX_CURVE_NAME_LENGTH:
        return f"it is {len(name)} characters long; Unreal names have at most {MAX_CURVE_NAME_LENGTH}"
    bad = [c for c in dict.fromkeys(name) if c in FORBIDDEN_NAME_CHARACTERS or not c.isprintable()]
    if not bad:
        return None
    shown = ", ".join(
        "' ' (space)" if c == " " else repr(c) if c.isprintable() else f"control character {ord(c):#04x}"
        for c in bad
    )
    visible = FORBIDDEN_NAME_CHARACTERS.replace(" ", "")
    return f"it contains {shown}; Unreal names may not contain spaces or any of {visible}"


def _cell(record: Mapping[str, object], column: str) -> str:
    value = record.get(column)
    return "" if value is None else str(value).strip()


def _number(record: Mapping[str, object], column: str, where: str, default: float | None) -> float:
    raw = record.get(column)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if default is None:
            raise ValueError(f"{where}: {column} is empty; give a number")
        return default
    if isinstance(raw, bool):
        raise ValueError(f"{where}: {column} must be a number, got {raw!r}")
    try:
        value = float(raw) if isinstance(raw, int | float) else float(str(raw).strip())
    except ValueError:
        raise ValueError(f"{where}: {column} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {column} must be finite, got {raw!r}")
    return value


def parse_rig_records(
    records: Iterable[Mapping[str, object]], source: str, *, lines: Sequence[int] | None = None
) -> RigTable:
    """Validate rig-table rows given as records (column name -> cell) and return the table.

    The one rule for every rig table, whether it comes from a CSV file or from an Unreal DataTable's
    ``export_to_json_string()`` (whose cells are numbers and strings, an empty FName being ``"None"``).

    Args:
        records: one mapping per row, keyed by the :data:`HEADER` names (``Name`` is the row name).
        source: what the user calls the table: the CSV file, or the DataTable asset path.
        lines: the file line of each record (CSV); without it errors count rows from 1.

    Raises:
        ValueError: naming ``source``, the line or row number and the row name, for an empty or duplicate
            row name; a missing or unreadable AU code; a missing curve or one Unreal cannot name (spaces,
            ``/``, ``.`` ...: the message says which character); a Weight that is not a finite number
            (RangeMin/RangeMax default to 0 and 1 when empty); a Side other than L, R or empty, or one
            the AU contradicts; RangeMin >= RangeMax; one curve given two ranges, or two spellings that
            differ only in case (Unreal's names ignore case); or no rows at all.
    """
    rows: list[RigRow] = []
    seen: dict[str, str] = {}
    ranges: dict[str, tuple[float, float, str]] = {}
    spellings: dict[str, tuple[str, str]] = {}
    for index, record in enumerate(records):
        place = f"line {lines[index]}" if lines is not None else f"row {index + 1}"
        where = f"{source}, {place}"
        name = _cell(record, "Name")
        if not name:
            raise ValueError(f"{where}: empty row name")
        if name.casefold() in seen:
            raise ValueError(f"{where}: duplicate row name {name!r} (first on {seen[name.casefold()]})")
        seen[name.casefold()] = place
        where = f"{where}: row {name!r}"
        au_text = _cell(record, "AU")
        if au_text.lower() in _NONE_NAMES:
            raise ValueError(f"{where} has no AU; fill the AU column (e.g. AU12, AU12L)")
        try:
            code = parse_au(au_text)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        curve = _cell(record, "Curve")
        if curve.lower() in _NONE_NAMES:
            raise ValueError(f"{where} has no Curve; give the rig curve it drives")
        problem = curve_name_problem(curve)
        if problem:
            raise ValueError(f"{where}: curve {curve!r} cannot be an Unreal curve name: {problem}")
        first = spellings.setdefault(curve.casefold(), (curve, name))
        if first[0] != curve:
            raise ValueError(
                f"{where} spells curve {curve!r} but row {first[1]!r} spells it {first[0]!r}; Unreal "
                "treats them as one curve (names ignore case): spell it one way"
            )
        side = _cell(record, "Side")
        side_key = side.lower()
        if side_key not in _SIDES:
            raise ValueError(f"{where}: Side must be L, R or empty, got {side!r}")
        side_norm = _SIDES[side_key]
        if code.side:
            if side_norm and side_norm != code.side:
                raise ValueError(f"{where}: AU {au_text!r} contradicts Side {side!r}")
            side_norm = code.side
        w = _number(record, "Weight", where, None)
        lo = _number(record, "RangeMin", where, 0.0)
        hi = _number(record, "RangeMax", where, 1.0)
        if lo >= hi:
            raise ValueError(f"{where}: RangeMin {lo:g} must be below RangeMax {hi:g}")
        if curve in ranges and ranges[curve][:2] != (lo, hi):
            raise ValueError(
                f"{where} gives curve {curve} range [{lo:g}, {hi:g}] but row {ranges[curve][2]!r} "
                f"gave [{ranges[curve][0]:g}, {ranges[curve][1]:g}]; one curve has one range"
            )
        ranges.setdefault(curve, (lo, hi, name))
        rows.append(RigRow(name, code.bilateral_name, curve, w, side_norm, lo, hi, _cell(record, "Notes")))
    if not rows:
        raise ValueError(f"{source}: the rig table has a header but no rows")
    return RigTable(rows=tuple(rows), source=source)


def parse_rig_csv(text: str, source: str = "<string>") -> RigTable:
    """Parse the DataTable CSV text of a rig table (the rules of :func:`parse_rig_records`).

    Raises:
        ValueError: wrong header, a row with the wrong number of cells, or a bad row; the message names
            the file, line and row.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    lines = [(i + 1, row) for i, row in enumerate(reader) if any(cell.strip() for cell in row)]
    if not lines:
        raise ValueError(f"{source}: empty rig table; expected the header {','.join(HEADER)}")
    _, header = lines[0]
    cells = [c.strip() for c in header]
    if cells[:1] in (["---"], [""]):
        cells[0] = "Name"
    if tuple(cells) != HEADER:
        raise ValueError(f"{source}: header must be exactly {','.join(HEADER)}; got {','.join(header)}")
    for lineno, row in lines[1:]:
        if len(row) != len(HEADER):
            raise ValueError(
                f"{source}, line {lineno}: expected {len(HEADER)} cells ({','.join(HEADER)}), got "
                f"{len(row)}: {','.join(row)}"
            )
    records = [dict(zip(HEADER, row, strict=True)) for _, row in lines[1:]]
    return parse_rig_records(records, source, lines=[n for n, _ in lines[1:]])


#: A rig table has a row per curve and AU: hundreds of rows, never megabytes.
MAX_RIG_TABLE_BYTES = 16_000_000


def load_rig_table(name_or_path: str | os.PathLike[str] | RigTable) -> RigTable:
    """Load ``"metahuman"``, ``"arkit"`` or a DataTable CSV file; a :class:`RigTable` is returned as is
    (a table already parsed, e.g. from an Unreal DataTable by :func:`parse_rig_records`).

    Raises:
        FileNotFoundError: the CSV does not exist.
        ValueError: unknown rig name, or a malformed table (see :func:`parse_rig_csv`).
    """
    if isinstance(name_or_path, RigTable):
        return name_or_path
    text = str(name_or_path)
    if text.strip().lower() in RIG_NAMES:
        path = rig_table_path(text)
    else:
        path = Path(name_or_path)
        if path.suffix.lower() != ".csv" and not path.exists():
            raise ValueError(f"unknown rig {text!r}; use {' or '.join(RIG_NAMES)}, or the path of a rig CSV")
    text = read_text(path, kind="rig table CSV", max_bytes=MAX_RIG_TABLE_BYTES, encoding="utf-8-sig")
    return parse_rig_csv(text, str(path))


def rig_table_to_csv(table: RigTable) -> str:
    """The table as DataTable CSV text (header :data:`HEADER`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    for r in table.rows:
        writer.writerow(
            [r.name, r.au, r.curve, f"{r.weight:g}", r.side, f"{r.range_min:g}", f"{r.range_max:g}", r.notes]
        )
    return buf.getvalue()


def combine_contributions(
    contributions: Sequence[np.ndarray],
    weights: Sequence[float],
    range_min: float = 0.0,
    range_max: float = 1.0,
) -> np.ndarray:
    """Combine weighted AU activations on one curve (probabilistic OR), clamped to the curve's range.

    Args:
        contributions: AU activation tracks ``(frames,)`` in [0, 1].
        weights: one weight per track (negative pulls the curve down).
        range_min, range_max: the curve's range.

    Returns:
        ``(frames,)`` curve values in ``[range_min, range_max]``.
    """
    if not contributions:
        raise ValueError("no contributions to combine")
    n = np.asarray(contributions[0]).shape[0]
    keep_pos = np.ones(n)
    keep_neg = np.ones(n)
    if len(contributions) != len(weights):
        raise ValueError(f"{len(contributions)} tracks but {len(weights)} weights")
    for track, w in zip(contributions, weights, strict=True):
        c = np.clip(abs(float(w)) * np.asarray(track, dtype=np.float64), 0.0, 1.0)
        if w >= 0:
            keep_pos *= 1.0 - c
        else:
            keep_neg *= 1.0 - c
    value = (1.0 - keep_pos) - (1.0 - keep_neg)
    return np.clip(value, range_min, range_max)


@dataclass(frozen=True)
class RigMapping:
    """Rig-curve targets made from AU tracks.

    Attributes:
        curves: curve name -> values per frame ``(frames,)``, in table order.
        sources: curve name -> the AUs that drive it.
        rows: curve name -> the table rows used.
        ranges: curve name -> (RangeMin, RangeMax).
        skipped_aus: AUs of the tracks that no row maps (they drive nothing).
        skipped_curves: curves left out because the skeleton lacks them.
    """

    curves: Mapping[str, np.ndarray]
    sources: Mapping[str, tuple[str, ...]]
    rows: Mapping[str, tuple[str, ...]]
    ranges: Mapping[str, tuple[float, float]]
    skipped_aus: tuple[str, ...] = ()
    skipped_curves: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def map_to_rig(
    activations: np.ndarray,
    au_names: Sequence[str],
    table: RigTable,
    *,
    skeleton_curves: Iterable[str] | None = None,
    strict: bool = False,
) -> RigMapping:
    """Turn AU tracks ``(frames, n_aus)`` into rig-curve tracks through a table.

    Args:
        activations: AU activations in [0, 1], one column per name in ``au_names``.
        au_names: canonical AU names (``AU12``, ``AU12R``...).
        table: the rig table.
        skeleton_curves: curve names the target skeleton has; curves outside it are skipped.
        strict: raise instead of warning about skipped AUs/curves.

    Returns:
        The mapping; whatever was skipped is listed (and logged as a warning), never dropped silently.

    Raises:
        ValueError: no AU maps to any curve, or (``strict``) anything was skipped.
    """
    act = np.asarray(activations, dtype=np.float64)
    if act.ndim != 2 or act.shape[1] != len(au_names):
        raise ValueError(f"activations must be (frames, {len(au_names)}), got {act.shape}")
    per_curve: dict[str, list[tuple[np.ndarray, float, str, str]]] = {}
    skipped_aus: list[str] = []
    for j, au in enumerate(au_names):
        rows = table.for_au(au)
        if not rows:
            skipped_aus.append(str(au))
            continue
        for r in rows:
            per_curve.setdefault(r.curve, []).append((act[:, j], r.weight, str(au), r.name))
    skeleton = None if skeleton_curves is None else set(skeleton_curves)
    skipped_curves = [c for c in per_curve if skeleton is not None and c not in skeleton]
    messages = []
    if skipped_aus:
        messages.append(
            f"AUs with no row in rig table {table.source}: {', '.join(skipped_aus)} (they drive no curve; "
            "add rows to the table to use them)"
        )
    if skipped_curves:
        messages.append(
            f"curves not on the skeleton, skipped: {', '.join(skipped_curves)} (rig table {table.source})"
        )
    if messages and strict:
        raise ValueError("; ".join(messages))
    for m in messages:
        logger.warning(m)
    order = [c for c in table.curves if c in per_curve and c not in skipped_curves]
    if not order:
        raise ValueError(
            f"none of the AUs {list(au_names)} drives a curve of rig table {table.source}"
            + (" on this skeleton" if skeleton is not None else "")
            + f"; the table maps {', '.join(table.aus)}"
        )
    curves: dict[str, np.ndarray] = {}
    sources: dict[str, tuple[str, ...]] = {}
    rows_used: dict[str, tuple[str, ...]] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for c in order:
        items = per_curve[c]
        lo, hi = table.range_of(c)
        curves[c] = combine_contributions([i[0] for i in items], [i[1] for i in items], lo, hi)
        sources[c] = tuple(dict.fromkeys(i[2] for i in items))
        rows_used[c] = tuple(dict.fromkeys(i[3] for i in items))
        ranges[c] = (lo, hi)
    return RigMapping(
        curves=curves,
        sources=sources,
        rows=rows_used,
        ranges=ranges,
        skipped_aus=tuple(skipped_aus),
        skipped_curves=tuple(skipped_curves),
        notes=tuple(messages),
    )
