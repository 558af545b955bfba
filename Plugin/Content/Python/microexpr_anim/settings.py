"""Plugin settings: how the model runs (in Unreal's Python, or an external Python), stored as JSON.

The file lives at ``<Project>/Saved/MicroExprAnim/settings.json``; :func:`set_model` writes it from the
Python console, e.g. ``microexpr_anim.settings.set_model("external", python="C:/py311/python.exe")``, and
:func:`set_frame_folder_fps` the frame rate used for folders of frames when none is given.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import unreal

from microexpr_anim import _project
from microexpr_anim._project import atomic_write_text

__all__ = [
    "MODEL_MODES",
    "Settings",
    "load_settings",
    "save_settings",
    "saved_dir",
    "set_frame_folder_fps",
    "set_model",
    "settings_path",
]

LOG = logging.getLogger(__name__)

#: ``auto``: in process when torch and ``ml`` import, else the external Python if configured.
MODEL_MODES = ("auto", "in_process", "external")


@dataclass(frozen=True)
class Settings:
    """How the plugin runs the model.

    Attributes:
        model_mode: one of :data:`MODEL_MODES`.
        external_python: a Python with ``microexpr-anim`` installed, run as ``python -m ml infer CLIP
            --json -``; empty for none.
        weights: weights file for the model ("" for the shipped default).
        device: torch device for the in-process model ("" picks CUDA when available).
        timeout_s: longest time one external inference may take.
        frame_folder_fps: frame rate of a folder of frames when the caller gives none (0: none, the
            caller must give it; CASME II and SAMM are 200, SMIC-HS 100).
    """

    model_mode: str = "auto"
    external_python: str = ""
    weights: str = ""
    device: str = ""
    timeout_s: float = 900.0
    frame_folder_fps: float = 0.0

    def __post_init__(self) -> None:
        if self.model_mode not in MODEL_MODES:
            raise ValueError(f"model_mode {self.model_mode!r} is not one of {', '.join(MODEL_MODES)}")
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s!r}")
        if self.frame_folder_fps != 0:  # 0: no default rate
            _project.check_fps(self.frame_folder_fps, what="frame_folder_fps")


def saved_dir() -> Path:
    """``<Project>/Saved/MicroExprAnim`` as a full path (Unreal's own is relative to the engine binaries)."""
    saved = unreal.Paths.convert_relative_path_to_full(unreal.Paths.project_saved_dir())
    return Path(saved) / "MicroExprAnim"


def settings_path() -> Path:
    """``<Project>/Saved/MicroExprAnim/settings.json`` (full path)."""
    return saved_dir() / "settings.json"


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file (defaults when it does not exist).

    Raises:
        ValueError: the file exists but is not valid settings JSON (names the file).
    """
    p = settings_path() if path is None else Path(path)
    if not p.is_file():
        return Settings()
    try:
        data: Any = json.loads(p.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        known = {k: v for k, v in data.items() if k in Settings.__dataclass_fields__}
        return Settings(**known)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{p}: bad MicroExprAnim settings ({exc}); fix or delete the file") from exc


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings file atomically and return its path."""
    p = settings_path() if path is None else Path(path)
    return atomic_write_text(p, json.dumps(asdict(settings), indent=1), overwrite=True)


def set_model(
    mode: str,
    *,
    python: str | None = None,
    weights: str | None = None,
    device: str | None = None,
    path: Path | None = None,
) -> Settings:
    """Change how the model runs and save it; returns the new settings."""
    current = load_settings(path)
    changes: dict[str, Any] = {"model_mode": mode}
    if python is not None:
        changes["external_python"] = python
    if weights is not None:
        changes["weights"] = weights
    if device is not None:
        changes["device"] = device
    new = replace(current, **changes)
    save_settings(new, path)
    LOG.info("MicroExprAnim settings saved: %s", new)
    return new


def set_frame_folder_fps(fps: float, *, path: Path | None = None) -> Settings:
    """Set the frame rate used for folders of frames when none is given (0 to require one); saves it."""
    new = replace(load_settings(path), frame_folder_fps=float(fps))
    save_settings(new, path)
    LOG.info("MicroExprAnim settings saved: %s", new)
    return new
