"""The recognition model over windows of a clip: the template analysis, and labels for measured events.

Long clips (more frames than ``window_s`` seconds) are scanned with overlapping windows (hop = half a
window), never across a frame without the face or a cut. Each window gets the model's emotion and AU
probabilities, onset/apex/offset (fitted to the crops' motion, :mod:`ml.timing.motion_fit`, unless
``refine_timing=False``) and a *strength*: the largest AU probability times the motion contrast between
its apex and onset crops relative to the clip's typical frame-to-frame change.

The *template* analysis turns a window into per-frame activations as AU probability x a rise-and-fall
envelope through its onset, apex and offset (:func:`ml.timing.envelope.au_activations`). It is kept for
comparison and for models trained on CASME II & co.; the default analysis measures the tracks instead
(:mod:`ml.analyze.take`) and uses the model only to label events.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curves.microexpression import MicroExpression
from ml.checkpoint import load_checkpoint
from ml.errors import CheckpointError
from ml.models._base import MicroExprModel
from ml.rules import MIN_FRAMES
from ml.runtime import predict, resolve_device
from ml.stages.inputs import build_input, input_traits
from ml.timing.envelope import au_activations, timing_to_frames
from ml.timing.keyframes import select_keyframes
from ml.timing.motion_fit import refine_fractions

__all__ = [
    "DEFAULT_WEIGHTS_NAME",
    "DEFAULT_WINDOW_S",
    "Window",
    "default_weights_path",
    "load_model",
    "predict_windows",
    "scan_windows",
    "suppress",
    "window_micro_expression",
]

log = logging.getLogger(__name__)

#: File name (in ``ml/weights/``) of the shipped default weights.
DEFAULT_WEIGHTS_NAME = "au_gcn_small.safetensors"
#: Default longest clip analysed in one pass, in seconds (CASME II clips last up to 0.7 s).
DEFAULT_WINDOW_S = 1.0

_MODEL_CACHE: dict[tuple[str, int, str], MicroExprModel] = {}


def default_weights_path() -> Path:
    """Path of the shipped default weights (``ml/weights/au_gcn_small.safetensors``)."""
    return Path(__file__).resolve().parent.parent / "weights" / DEFAULT_WEIGHTS_NAME


def load_model(weights: str | Path | None = None, *, device: str | None = None) -> MicroExprModel:
    """Load a safetensors checkpoint (default: the shipped weights), cached per file and device.

    Raises:
        ml.errors.CheckpointError: missing, pickled or inconsistent weights file.
    """

    path = Path(weights) if weights is not None else default_weights_path()
    if not path.is_file():
        hint = (
            "the default weights are missing from this installation; reinstall the package or train them "
            "with `python tools/train_default_weights.py`"
            if weights is None
            else "check the path given with --weights"
        )
        raise CheckpointError(f"weights file not found: {path}; {hint}")
    dev = resolve_device(device)
    key = (str(path.resolve()), path.stat().st_mtime_ns, dev)
    model = _MODEL_CACHE.get(key)
    if model is None:
        model = load_checkpoint(path, device=dev)
        model.eval()
        _MODEL_CACHE.clear()
        _MODEL_CACHE[key] = model
    return model


@dataclass(frozen=True)
class Window:
    """The prediction of one analysis window (frame indices are the clip's source frames).

    Attributes:
        start, stop: the window's frames ``[start, stop)``.
        emotion_probs: ``(E,)``; au_probs: ``(A,)``; timing: ``(3,)`` fractions of the window.
        onset, apex, offset: source frame indices.
        strength: detection score in [0, 1] (see the module docstring).
    """

    start: int
    stop: int
    emotion_probs: np.ndarray
    au_probs: np.ndarray
    timing: np.ndarray
    onset: int
    apex: int
    offset: int
    strength: float


def _windows(n: int, length: int) -> list[tuple[int, int]]:
    """Overlapping ``[start, stop)`` windows covering ``n`` frames (hop = half a window)."""
    if n <= length:
        return [(0, n)]
    hop = max(1, length // 2)
    starts = list(range(0, n - length + 1, hop))
    if starts[-1] + length < n:
        starts.append(n - length)
    return [(s, s + length) for s in starts]


def _motion_scale(crops: np.ndarray, block: int = 256) -> float:
    """Typical frame-to-frame change of the clip (median over frames of the mean absolute difference).

    Read ``block`` frames at a time, so a long take's crops (on disk) are never all in memory at once.
    """
    diffs = [
        np.abs(np.diff(crops[start : start + block + 1].astype(np.float32), axis=0)).mean(axis=(1, 2, 3))
        for start in range(0, max(0, len(crops) - 1), block)
    ]
    return float(np.median(np.concatenate(diffs))) if diffs else 0.0


def predict_windows(
    model: MicroExprModel,
    crops: np.ndarray,
    spans: Sequence[tuple[int, int]],
    *,
    device: str,
    batch_size: int,
    refine_timing: bool = True,
) -> list[Window]:

    cfg = model.cfg
    keyframes_needed = input_traits(cfg.input_kind).keyframes
    inputs = []
    for start, stop in spans:
        part = crops[start:stop]
        kf = None
        if keyframes_needed:
            kf = tuple(int(v) for v in select_keyframes(crops[start:stop]))
        inputs.append(build_input(cfg, part, kf))  # type: ignore[arg-type]
    # bf16 autocast on CUDA; ml.runtime.autocast leaves CPU inference in float32
    pred = predict(
        model, np.stack(inputs).astype(np.float32), device=device, batch_size=batch_size, amp="bf16"
    )
    scale = max(_motion_scale(crops), 1e-3)
    out = []
    for i, (start, stop) in enumerate(spans):
        timing = np.maximum.accumulate(np.clip(pred.timing[i], 0.0, 1.0))
        if refine_timing and stop - start >= 4:
            timing = refine_fractions(crops[start:stop], timing)
        on, ap, off = timing_to_frames(timing, stop - start)
        contrast = float(
            np.abs(crops[start + ap].astype(np.float32) - crops[start + on].astype(np.float32)).mean()
        )
        motion = float(np.clip(contrast / (4.0 * scale), 0.0, 1.0)) if len(spans) > 1 else 1.0
        out.append(
            Window(
                start=start,
                stop=stop,
                emotion_probs=pred.emotion_probs[i],
                au_probs=pred.au_probs[i],
                timing=timing,
                onset=start + on,
                apex=start + ap,
                offset=start + off,
                strength=float(pred.au_probs[i].max()) * motion,
            )
        )
    return out


def window_micro_expression(
    win: Window, model: MicroExprModel, n_frames: int, fps: float, source: str, extra: dict[str, Any]
) -> MicroExpression:

    cfg = model.cfg
    act = np.zeros((n_frames, len(cfg.au_names)), dtype=np.float64)
    act[win.start : win.stop] = au_activations(
        np.clip(win.au_probs, 0.0, 1.0), win.timing, win.stop - win.start
    )
    return MicroExpression(
        fps=fps,
        onset=win.onset,
        apex=win.apex,
        offset=win.offset,
        emotion_probs={name: float(p) for name, p in zip(cfg.emotion_names, win.emotion_probs, strict=True)},
        au_names=tuple(cfg.au_names),
        activations=act,
        model=cfg.name,
        model_version=cfg.version,
        au_probs={name: float(p) for name, p in zip(cfg.au_names, win.au_probs, strict=True)},
        source=source,
        extra={"window": [win.start, win.stop], "strength": round(win.strength, 6), **extra},
    )


def suppress(windows: Sequence[Window], overlap: float = 0.3) -> list[Window]:
    """Greedy non-maximum suppression on the [onset, offset] spans, strongest first."""
    kept: list[Window] = []
    for w in sorted(windows, key=lambda w: -w.strength):
        ok = True
        for k in kept:
            inter = max(0, min(w.offset, k.offset) - max(w.onset, k.onset) + 1)
            union = max(w.offset, k.offset) - min(w.onset, k.onset) + 1
            if union > 0 and inter / union > overlap:
                ok = False
                break
        if ok:
            kept.append(w)
    return sorted(kept, key=lambda w: w.onset)


def scan_windows(
    crops: np.ndarray,
    fps: float,
    model: MicroExprModel,
    *,
    source: str = "",
    window_s: float = DEFAULT_WINDOW_S,
    device: str = "cpu",
    batch_size: int = 16,
    extra: dict[str, Any] | None = None,
    refine_timing: bool = True,
    spans: Sequence[tuple[int, int]] | None = None,
) -> tuple[list[Window], int]:
    """Predict every analysis window of aligned ``(N, S, S, 3)`` uint8 crops; returns (windows, N).

    ``spans`` are the ``[start, stop)`` runs of frames with the face (:meth:`FaceTrack.spans`); windows
    never leave a span, so no window uses a frame without the face or crosses a cut. None: the whole
    clip is one span. With ``refine_timing`` the network's onset/apex/offset are moved onto the crops'
    own motion (:func:`ml.timing.motion_fit.refine_timing`, within 12 % of the window); without, they
    are the timing head's.

    Raises:
        ValueError: no span of at least 4 frames, or a bad ``window_s``.
    """
    crops = np.asarray(crops)
    if crops.ndim != 4 or crops.dtype != np.uint8:
        raise ValueError(f"crops must be (N, H, W, 3) uint8, got {crops.shape} {crops.dtype}")
    n = int(crops.shape[0])
    if not window_s > 0:
        raise ValueError(f"window_s must be > 0 seconds, got {window_s!r}")
    usable = [(a, b) for a, b in (spans if spans is not None else [(0, n)]) if b - a >= MIN_FRAMES]
    if not usable:
        raise ValueError(
            f"{source or 'clip'}: has no run of at least {MIN_FRAMES} frames with the face ({n} frames); at "
            f"least {MIN_FRAMES} are needed for a micro-expression"
        )
    length = max(MIN_FRAMES, round(window_s * fps))
    windows = [(a + s, a + e) for a, b in usable for s, e in _windows(b - a, length)]
    predicted = predict_windows(
        model, crops, windows, device=device, batch_size=batch_size, refine_timing=refine_timing
    )
    return predicted, n
