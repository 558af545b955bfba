"""Errors meant for people: the message says what was wrong, with which file, and what to do."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input (file, folder, option) rather than a bug."""


class NoFaceError(UserError):
    """No face was found in a clip."""


class ClipReadError(UserError):
    """A clip file or frame folder could not be read."""


class CheckpointError(UserError):
    """A weights file is missing, unsafe (pickle) or does not fit the model."""
