"""What a rig table can show: AUs expressed fully, partly or not at all; curves a skeleton lacks; dead rows.

An AU with several visible parts (AU4 lowers the brows *and* draws them together) is expressed fully only
when the table has a curve for each part; the parts are recognised by the curve names the common rigs use
(``browLateral`` is MetaHuman's corrugator pull). ARKit's 52 blendshapes, for example, have no inner-brow
pinch: AU4 falls back to ``browDownLeft``/``browDownRight``, which lower the brows without drawing them
together. An AU with no row drives nothing and is skipped.

The catalogue :data:`FACS_AUS` also gives each AU's face region, which layering uses to leave speech alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from curves.au import parse_au
from curves.rigmap import RigRow, RigTable, combine_contributions

__all__ = [
    "FACS_AUS",
    "FacsAU",
    "RigCoverage",
    "au_region",
    "rig_coverage",
]


@dataclass(frozen=True)
class FacsAU:
    """One FACS action: its name, face region and, for an action with several visible parts, the curve
    name fragments (lower case) that show each part."""

    name: str
    region: str
    parts: Mapping[str, tuple[str, ...]] | None = None


#: Regions: ``brows``, ``eyes``, ``cheeks``, ``nose`` (the upper face, layered over speech) and ``mouth``,
#: ``jaw`` (what lip sync drives).
FACS_AUS: dict[str, FacsAU] = {
    "AU1": FacsAU("inner brow raiser", "brows"),
    "AU2": FacsAU("outer brow raiser", "brows"),
    "AU4": FacsAU(
        "brow lowerer",
        "brows",
        {
            "lowers the brows": ("browdown", "browlower"),
            "draws the brows together": ("browlateral", "browpinch", "browsqueeze", "corrugator"),
        },
    ),
    "AU5": FacsAU("upper lid raiser", "eyes"),
    "AU6": FacsAU("cheek raiser", "cheeks"),
    "AU7": FacsAU("lid tightener", "eyes"),
    "AU9": FacsAU("nose wrinkler", "nose"),
    "AU10": FacsAU("upper lip raiser", "mouth"),
    "AU11": FacsAU("nasolabial deepener", "mouth"),
    "AU12": FacsAU("lip corner puller", "mouth"),
    "AU13": FacsAU("sharp lip puller", "mouth"),
    "AU14": FacsAU("dimpler", "mouth"),
    "AU15": FacsAU("lip corner depressor", "mouth"),
    "AU16": FacsAU("lower lip depressor", "mouth"),
    "AU17": FacsAU("chin raiser", "mouth"),
    "AU18": FacsAU("lip pucker", "mouth"),
    "AU20": FacsAU("lip stretcher", "mouth"),
    "AU21": FacsAU("neck tightener", "jaw"),
    "AU22": FacsAU("lip funneler", "mouth"),
    "AU23": FacsAU(
        "lip tightener",
        "mouth",
        {"narrows and tightens the lips": ("tighten",)},
    ),
    "AU24": FacsAU("lip presser", "mouth"),
    "AU25": FacsAU("lips part", "mouth"),
    "AU26": FacsAU("jaw drop", "jaw"),
    "AU27": FacsAU("mouth stretch", "jaw"),
    "AU28": FacsAU("lip suck", "mouth"),
    "AU31": FacsAU("jaw clencher", "jaw"),
    "AU38": FacsAU("nostril dilator", "nose"),
    "AU39": FacsAU("nostril compressor", "nose"),
    "AU43": FacsAU("eyes closed", "eyes"),
    "AU45": FacsAU("blink", "eyes"),
    "AU46": FacsAU("wink", "eyes"),
}

#: Regions that lip sync does not drive.
UPPER_FACE_REGIONS = frozenset({"brows", "eyes", "cheeks", "nose"})


def au_region(au: str) -> str:
    """The face region of an AU (``AU12R`` -> ``mouth``); AUs outside the catalogue count as ``other``."""
    code = parse_au(au).bilateral_name
    entry = FACS_AUS.get(code)
    return entry.region if entry else "other"


@dataclass(frozen=True)
class RigCoverage:
    """A rig table's coverage.

    Attributes:
        table: the table's source.
        expressed: AUs with every visible part shown.
        partial: AU -> (missing parts, curves it falls back to).
        missing: catalogue AUs with no row (they drive nothing).
        missing_curves: curves of the table the skeleton lacks -> the AUs that drive them.
        dead_rows: row name -> why it never moves its curve.
        micro_share: share of the coding sheets' micro-expression clips whose every AU is shown (fully or
            partly), None when the statistics are not given.
    """

    table: str
    expressed: tuple[str, ...]
    partial: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]
    missing: tuple[str, ...]
    missing_curves: Mapping[str, tuple[str, ...]]
    dead_rows: Mapping[str, str]
    micro_share: float | None = None

    @property
    def shown(self) -> tuple[str, ...]:
        """AUs the rig shows, fully or in part."""
        return (*self.expressed, *self.partial)

    def summary_line(self) -> str:
        """One line for every run's output."""
        n = len(self.expressed) + len(self.partial)
        parts = [f"rig {self.table}: shows {n} of {n + len(self.missing)} AUs"]
        if self.partial:
            parts.append("partly " + ", ".join(self.partial))
        if self.missing:
            parts.append("cannot show " + ", ".join(self.missing))
        if self.missing_curves:
            parts.append(f"{len(self.missing_curves)} curves not on the skeleton")
        if self.dead_rows:
            parts.append(f"{len(self.dead_rows)} rows do nothing")
        if self.micro_share is not None:
            parts.append(f"{self.micro_share:.0%} of the coded micro-expressions' AU sets map to it")
        return "; ".join(parts)

    def lines(self) -> list[str]:
        """The full report, one finding per line."""
        out = [self.summary_line()]
        out.append("shows: " + (", ".join(self.expressed) or "none"))
        for au, (parts, fallback) in self.partial.items():
            out.append(
                f"{au} ({FACS_AUS[au].name}) partly: the table has no curve that "
                f"{' or '.join(parts)}; it falls back to {', '.join(fallback)}"
            )
        for au in self.missing:
            out.append(f"{au} ({FACS_AUS[au].name}) cannot be shown: no row drives a curve, so it is skipped")
        for curve, aus in self.missing_curves.items():
            out.append(f"curve {curve} (driven by {', '.join(aus)}) is not on the skeleton: it is skipped")
        for row, why in self.dead_rows.items():
            out.append(f"row {row} does nothing: {why}")
        return out


def _dead_reason(row: RigRow) -> str | None:
    if row.weight == 0:
        return "its Weight is 0"
    if row.weight < 0:  # pulls down what other rows of its curve raise: dead only on a zero-width range
        if row.range_max > row.range_min:
            return None
        return f"its curve's range [{row.range_min:g}, {row.range_max:g}] has no room to move"
    rest = combine_contributions([np.zeros(1)], [row.weight], row.range_min, row.range_max)[0]
    full = combine_contributions([np.ones(1)], [row.weight], row.range_min, row.range_max)[0]
    if abs(full - rest) < 1e-9:
        return (
            f"with Weight {row.weight:g} and range [{row.range_min:g}, {row.range_max:g}] the curve stays at "
            f"{rest:g} however strong the AU; widen RangeMin/RangeMax or fix the Weight's sign"
        )
    return None


def rig_coverage(
    table: RigTable,
    *,
    skeleton_curves: Iterable[str] | None = None,
    au_sets: Sequence[tuple[tuple[str, ...], int]] | None = None,
) -> RigCoverage:
    """The coverage of ``table`` (on a skeleton with ``skeleton_curves``, when given).

    Args:
        table: the rig table.
        skeleton_curves: the skeleton's curve names; curves the table drives that are not among them are
            reported and do not count as showing their AU.
        au_sets: (AU set, clip count) of coded micro-expressions, for the share the rig shows.
    """
    skeleton = None if skeleton_curves is None else set(skeleton_curves)
    dead = {r.name: why for r in table.rows if (why := _dead_reason(r)) is not None}
    missing_curves: dict[str, list[str]] = {}
    live: dict[str, list[RigRow]] = {}
    for r in table.rows:
        if skeleton is not None and r.curve not in skeleton:
            missing_curves.setdefault(r.curve, [])
            if r.au not in missing_curves[r.curve]:
                missing_curves[r.curve].append(r.au)
            continue
        if r.name not in dead:
            live.setdefault(r.au, []).append(r)
    names = sorted(set(FACS_AUS) | set(table.aus), key=lambda a: parse_au(a).number)
    expressed: list[str] = []
    partial: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    missing: list[str] = []
    for au in names:
        rows = live.get(au, [])
        if not rows:
            if au in FACS_AUS:
                missing.append(au)
            continue
        entry = FACS_AUS.get(au)
        parts = entry.parts if entry is not None and entry.parts else {}
        curves = tuple(dict.fromkeys(r.curve for r in rows))
        lacking = tuple(
            part
            for part, fragments in parts.items()
            if not any(f in c.lower() for c in curves for f in fragments)
        )
        if lacking:
            partial[au] = (lacking, curves)
        else:
            expressed.append(au)
    share = None
    if au_sets:
        shown = set(expressed) | set(partial)
        total = sum(n for _, n in au_sets)
        share = sum(n for aus, n in au_sets if set(aus) <= shown) / total if total else None
    return RigCoverage(
        table=table.source,
        expressed=tuple(expressed),
        partial=partial,
        missing=tuple(missing),
        missing_curves={c: tuple(a) for c, a in missing_curves.items()},
        dead_rows=dead,
        micro_share=share,
    )
