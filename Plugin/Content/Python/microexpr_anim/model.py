"""Turn a clip into a ``MicroExpression``: imported tracks directly, videos through the model.

The model runs in Unreal's own Python when torch imports there, or in a separate Python
(``python -m ml infer CLIP --json -``), chosen by :class:`microexpr_anim.settings.Settings`. Both give the
same ``MicroExpression`` JSON document.
"""

from __future__ import annotations

import importlib.util
import logging
import subprocess
from pathlib import Path

import unreal

from microexpr_anim import _project
from microexpr_anim._project import MicroExpressionObj
from microexpr_anim.errors import ClipAnalysisError, ModelUnavailableError
from microexpr_anim.settings import Settings

__all__ = ["FPS_HINT", "TRACK_SUFFIXES", "analyze_clip", "in_process_available", "load_micro_expression"]

LOG = logging.getLogger(__name__)

#: Files read as tracks (MicroExpression JSON, OpenFace/py-feat CSV) instead of running the model.
TRACK_SUFFIXES = (".json", ".csv")

_INSTALL_HINT = (
    "Either install torch into the plugin (Plugin/README.md, 'Install', step 2) or set an "
    "external Python with microexpr-anim installed: "
    "microexpr_anim.settings.set_model('external', python='C:/path/to/python.exe')"
)


def in_process_available() -> bool:
    """Whether torch and the ``ml`` package can be imported in this Python."""
    try:
        return importlib.util.find_spec("torch") is not None and importlib.util.find_spec("ml") is not None
    except (ImportError, ValueError):
        return False


#: How each way of starting a generation takes the frame rate (for the error about frame folders).
FPS_HINT = (
    "give its frame rate: the Frame Rate field of the Generate/Batch dialog, generate(..., fps=200) in "
    "Python, or -fps=200 on the command line (CASME II and SAMM: 200, SMIC-HS: 100, CAS(ME)^2: 30)"
)


def load_micro_expression(
    clip: str | Path, settings: Settings | None = None, *, fps: float | None = None
) -> MicroExpressionObj:
    """Read a clip: ``.json``/``.csv`` as tracks (``curves.pipeline.load_tracks``), else run the model.

    Args:
        fps: the clip's frame rate; required for a folder of frames (unless the settings'
            ``frame_folder_fps`` is set), and overrides the rate stored in a video, JSON or CSV.

    Raises:
        FileNotFoundError: the clip does not exist.
        ValueError: a folder of frames without ``fps``.
        ModelUnavailableError: a video needs the model and neither way of running it works.
    """
    path = Path(clip)
    if not path.exists():
        raise FileNotFoundError(f"clip not found: {path}")
    if path.is_file() and path.suffix.lower() in TRACK_SUFFIXES:
        return _project.load_tracks(path, fps=fps)
    run_settings = settings or Settings()
    if path.is_dir() and fps is None:
        fps = run_settings.frame_folder_fps or None
    if path.is_dir() and fps is None:
        raise ValueError(f"{path} is a folder of frames, which carries no frame rate; {FPS_HINT}")
    return analyze_clip(path, run_settings, fps=fps)


def analyze_clip(clip: Path, settings: Settings, *, fps: float | None = None) -> MicroExpressionObj:
    """Run the model on a video file or frame folder, in process or externally per ``settings``."""
    mode = settings.model_mode
    if mode == "in_process" or (mode == "auto" and in_process_available()):
        if not in_process_available():
            raise ModelUnavailableError(
                f"model_mode is 'in_process' but torch/ml do not import here. {_INSTALL_HINT}"
            )
        return _shown(
            _project.analyze(clip, weights=settings.weights or None, device=settings.device or None, fps=fps)
        )
    if settings.external_python:
        return _shown(_analyze_external(clip, settings, fps))
    raise ModelUnavailableError(
        f"cannot analyse {clip}: torch is not importable in Unreal's Python and no external Python is set. "
        + _INSTALL_HINT
    )


def _shown(me: MicroExpressionObj) -> MicroExpressionObj:
    """``me``, its analysis's warnings about the face (e.g. too small for micro-expressions) logged."""
    face = me.extra.get("face")  # as the result's JSON gave it: checked before it is read
    for warning in face.get("warnings", []) if isinstance(face, dict) else []:
        unreal.log_warning(f"MicroExprAnim: {warning}")
    return me


def _analyze_external(clip: Path, settings: Settings, fps: float | None) -> MicroExpressionObj:
    python = settings.external_python
    cmd = [python, "-m", "ml", "infer", str(clip), "--json", "-"]
    if settings.weights:
        cmd += ["--weights", settings.weights]
    if fps is not None:
        cmd += ["--fps", repr(float(fps))]
    LOG.info("running %s", " ".join(cmd))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=settings.timeout_s, check=False)
    except FileNotFoundError:
        raise ModelUnavailableError(f"external Python {python!r} not found. {_INSTALL_HINT}") from None
    except subprocess.TimeoutExpired:
        raise ModelUnavailableError(
            f"external model on {clip} took longer than {settings.timeout_s:.0f} s and was stopped"
        ) from None
    if proc.returncode == 2:  # the command line's "your input" exit code: one sentence on stderr
        reason = (proc.stderr or proc.stdout).strip().splitlines()
        raise ClipAnalysisError(f"{clip} cannot be analysed: {reason[-1] if reason else 'no reason given'}")
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-2000:]
        raise ModelUnavailableError(
            f"external model failed on {clip} (exit code {proc.returncode}) with {python}:\n{tail}"
        )
    try:
        return _project.micro_expression_from_json(proc.stdout)
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelUnavailableError(
            f"external model on {clip} printed no valid MicroExpression JSON ({exc}); is microexpr-anim "
            f"installed in {python}?"
        ) from exc
