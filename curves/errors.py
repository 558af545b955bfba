"""The error type of ``curves``: a ``ValueError`` (so existing ``except ValueError`` keeps working) whose
message says what was wrong, with which file, and what to do."""

from __future__ import annotations

__all__ = ["CurvesError", "FolderBusyError"]


class CurvesError(ValueError):
    """A problem with the user's input or output location, not a bug."""


class FolderBusyError(CurvesError):
    """Another run is writing into the same output folder."""
