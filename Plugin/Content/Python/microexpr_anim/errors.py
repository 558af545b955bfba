"""Errors raised by the editor plugin; every message says what failed, where, and what to do."""

from __future__ import annotations

__all__ = [
    "AssetExistsError",
    "AssetPathError",
    "AssetWriteError",
    "BatchFailedError",
    "ClipAnalysisError",
    "GenerationCancelledError",
    "MicroExprPluginError",
    "ModelUnavailableError",
    "RigTableError",
]


class MicroExprPluginError(Exception):
    """Base class of the plugin's errors meant for people."""


class AssetPathError(MicroExprPluginError, ValueError):
    """An asset folder or name is not allowed (outside /Game or a mounted plugin root, bad characters)."""


class AssetExistsError(MicroExprPluginError, FileExistsError):
    """The target asset exists and ``overwrite`` was not given."""


class AssetWriteError(MicroExprPluginError, RuntimeError):
    """Writing the AnimSequence failed: a new, half-made asset has been deleted; an asset being
    overwritten has been put back as it was (the message says which)."""


class RigTableError(MicroExprPluginError, ValueError):
    """An AU-to-rig table (DataTable or CSV) has a bad row."""


class ClipAnalysisError(MicroExprPluginError, ValueError):
    """The analysis read the clip and refused it (no face, too short, truncated): nothing was written."""


class ModelUnavailableError(MicroExprPluginError, RuntimeError):
    """Neither the in-process model (torch in Unreal's Python) nor the external Python works."""


class BatchFailedError(MicroExprPluginError, RuntimeError):
    """At least one clip of a batch failed (the report lists which and why)."""


class GenerationCancelledError(MicroExprPluginError):
    """The user cancelled (progress dialog); nothing was written for the current asset."""
