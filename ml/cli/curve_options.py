"""The options of the commands that write rig curves (``curves``, ``generate``), defined once."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_curve_arguments"]


def add_curve_arguments(p: argparse.ArgumentParser) -> None:
    """``--tolerance`` (checked by :func:`curves.rules.check_tolerance`), ``--emotion-profiles`` and
    ``--skeleton-curves``."""
    p.add_argument(
        "--tolerance",
        type=float,
        default=0.01,
        help="max replay error per frame, between 0 and 1 (default 0.01)",
    )
    p.add_argument("--emotion-profiles", type=Path, default=None, help="your own emotion profile YAML")
    p.add_argument(
        "--skeleton-curves",
        type=Path,
        default=None,
        help="text file with the skeleton's curve names, one per line (others are skipped)",
    )
