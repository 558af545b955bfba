"""``microexpr rig check``: what a rig table can show, before any curve is written.

    microexpr rig check metahuman
    microexpr rig check my_rig.csv --skeleton-curves face_curves.txt

Lists the AUs the table shows, those it shows only in part (ARKit has no inner-brow pinch for AU4's
drawing together: it falls back to browDown), those it cannot show (they are skipped), the table's curves
the skeleton lacks, and rows that never move their curve.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from curves.io import read_curve_names

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "rig",
        help="check a rig table: AUs it can and cannot show, curves the skeleton lacks, rows that do nothing",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="rig_action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="report a rig table's coverage")
    check.add_argument("table", help="metahuman, arkit or a rig-table CSV")
    check.add_argument(
        "--skeleton-curves",
        "--skeleton",
        dest="skeleton_curves",
        type=Path,
        default=None,
        help="text file with the skeleton's curve names, one per line",
    )
    check.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # numpy and the statistics load only when the command runs: `microexpr --help` stays instant
    from curves.coverage import rig_coverage
    from curves.generate import load_statistics
    from curves.rigmap import load_rig_table

    table = load_rig_table(args.table)
    skeleton = read_curve_names(args.skeleton_curves)
    stats = load_statistics()
    coverage = rig_coverage(
        table, skeleton_curves=skeleton, au_sets=[c for v in stats.combos.values() for c in v]
    )
    for line in coverage.lines():
        sys.stdout.write(line + "\n")
    return 0
