"""A user's text file read in one place: it exists, is no larger than such a file can be, and is UTF-8
text — or one sentence naming the file and what to do."""

from __future__ import annotations

import os
from pathlib import Path

from curves.errors import CurvesError

__all__ = ["read_text"]


def _size(n: int) -> str:
    return f"{n // 1_000_000} MB" if n >= 1_000_000 else f"{n // 1000} kB"


def read_text(
    path: str | os.PathLike[str], *, kind: str, max_bytes: int, hint: str = "", encoding: str = "utf-8"
) -> str:
    """The text of ``path``, a ``kind`` of file (e.g. ``"rig table CSV"``), at most ``max_bytes`` long.

    Raises:
        FileNotFoundError: no such file.
        CurvesError: larger than ``max_bytes`` (``hint`` says what to do instead), or not UTF-8 text.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{kind} not found: {p}")
    if p.stat().st_size > max_bytes:
        raise CurvesError(f"{p}: larger than {_size(max_bytes)}; {hint or f'not a {kind}'}")
    try:
        return p.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise CurvesError(
            f"{p}: not UTF-8 text (byte {exc.start} cannot be decoded); save the {kind} as UTF-8"
        ) from None
