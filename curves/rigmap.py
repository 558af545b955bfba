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

__all__ = [
    "HEADER",
    "RIG_NAMES",
    "RigMapping",
    "RigRow",
    "RigTable",
    "combine_contributions",
    "load_rig_table",
    "map_to_rig",
    "parse_rig_csv",
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


def _float(text: str, column: str, row: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: row {row!r}: {column} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: row {row!r}: {column} must be finite, got {text!r}")
    return value


def parse_rig_csv(text: str, source: str = "<string>") -> RigTable:
    """Parse the DataTable CSV text of a rig table.

    Raises:
        ValueError: wrong header, a row with the wrong number of cells, an empty or duplicate row name, a
            non-numeric weight/range, an unreadable AU code or side, RangeMin >= RangeMax, or one curve
            given different ranges; the message names the file, line and row.
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
    rows: list[RigRow] = []
    seen: dict[str, int] = {}
    ranges: dict[str, tuple[float, float, str]] = {}
    for lineno, row in lines[1:]:
        where = f"{source}, line {lineno}"
        if len(row) != len(HEADER):
            raise ValueError(
                f"{where}: expected {len(HEADER)} cells ({','.join(HEADER)}), got {len(row)}: {','.join(row)}"
            )
        name, au_text, curve, weight, side, rmin, rmax, notes = (c.strip() for c in row)
        if not name:
            raise ValueError(f"{where}: empty row name")
        if name in seen:
            raise ValueError(f"{where}: duplicate row name {name!r} (first on line {seen[name]})")
        seen[name] = lineno
        if not curve:
            raise ValueError(f"{where}: row {name!r} has no Curve")
        try:
            code = parse_au(au_text)
        except ValueError as exc:
            raise ValueError(f"{where}: row {name!r}: {exc}") from None
        side_key = side.lower()
        if side_key not in _SIDES:
            raise ValueError(f"{where}: row {name!r}: Side must be L, R or empty, got {side!r}")
        side_norm = _SIDES[side_key]
        if code.side:
            if side_norm and side_norm != code.side:
                raise ValueError(f"{where}: row {name!r}: AU {au_text!r} contradicts Side {side!r}")
            side_norm = code.side
        w = _float(weight, "Weight", name, where)
        lo = _float(rmin, "RangeMin", name, where)
        hi = _float(rmax, "RangeMax", name, where)
        if lo >= hi:
            raise ValueError(f"{where}: row {name!r}: RangeMin {lo} must be below RangeMax {hi}")
        if curve in ranges and ranges[curve][:2] != (lo, hi):
            raise ValueError(
                f"{where}: row {name!r} gives curve {curve} range [{lo}, {hi}] but row {ranges[curve][2]!r} "
                f"gave [{ranges[curve][0]}, {ranges[curve][1]}]; one curve has one range"
            )
        ranges.setdefault(curve, (lo, hi, name))
        rows.append(RigRow(name, code.bilateral_name, curve, w, side_norm, lo, hi, notes))
    if not rows:
        raise ValueError(f"{source}: the rig table has a header but no rows")
    return RigTable(rows=tuple(rows), source=source)


def load_rig_table(name_or_path: str | os.PathLike[str]) -> RigTable:
    """Load ``"metahuman"``, ``"arkit"`` or a DataTable CSV file.

    Raises:
        FileNotFoundError: the CSV does not exist.
        ValueError: unknown rig name, or a malformed table (see :func:`parse_rig_csv`).
    """
    text = str(name_or_path)
    if text.strip().lower() in RIG_NAMES:
        path = rig_table_path(text)
    else:
        path = Path(name_or_path)
        if path.suffix.lower() != ".csv" and not path.exists():
            raise ValueError(f"unknown rig {text!r}; use {' or '.join(RIG_NAMES)}, or the path of a rig CSV")
    if not path.is_file():
        raise FileNotFoundError(f"rig table not found: {path}")
    return parse_rig_csv(path.read_text(encoding="utf-8"), str(path))


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
