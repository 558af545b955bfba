"""The ``--overwrite`` option of the commands that write an output folder (the rule: ``curves.atomic``)."""

from __future__ import annotations

import argparse

__all__ = ["add_overwrite_argument"]


def add_overwrite_argument(p: argparse.ArgumentParser) -> None:
    """``--overwrite``: write into a folder that already holds files, replacing only this command's."""
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a folder that holds files: replaces this command's files, keeps all others",
    )
