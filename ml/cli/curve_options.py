"""The options of the commands that write rig curves (``curves``, ``generate``), defined once."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

__all__ = ["add_curve_arguments", "check_tolerance"]


def check_tolerance(value: float) -> float:
    """``--tolerance``, the largest replay error of the keys in curve units, strictly between 0 and 1.

    Curves run over [0, 1] (AU intensities, morph targets, rig controls), so a tolerance of 1 or more
    would let every curve collapse to a flat line, and 0 cannot be met by finitely many keys.

    Raises:
        ValueError: any other value, with the limit.
    """
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        raise ValueError(f"--tolerance must be between 0 and 1 (curve units, e.g. 0.01), got {value}")
    return value


def add_curve_arguments(p: argparse.ArgumentParser) -> None:
    """``--tolerance``, ``--emotion-profiles`` and ``--skeleton-curves``."""
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
