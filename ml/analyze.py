"""Clip file -> :class:`~curves.microexpression.MicroExpression`, in one call.

    me = analyze("clip.mp4")                 # strongest micro-expression, default weights
    events = analyze_all("long_take.mp4")    # every window whose strength passes a threshold

Pipeline: :func:`ml.stages.video.read_clip` -> :func:`ml.stages.face.align_clip` (112 x 112 aligned crops) ->
:func:`ml.stages.inputs.build_input` (TIM to T frames) -> model -> emotion probabilities, AU probabilities,
normalised onset/apex/offset -> onset/apex/offset fitted to the crops' motion around the network's
(:mod:`ml.timing.motion_fit`; ``refine_timing=False`` keeps the network's) ->
:func:`ml.timing.envelope.au_activations` -> per-frame activations on the source frames.

Long clips (more frames than ``window_s`` seconds) are scanned with overlapping windows (hop = half a
window). Each window gets a *strength*, the largest AU probability of its prediction times the
motion contrast between its predicted apex and onset crops relative to the clip's typical
frame-to-frame change (a window without facial movement scores low whatever the classifier says).
:func:`analyze` returns the strongest window; :func:`analyze_all` returns every window above
``threshold`` after suppressing overlapping detections. Every result spans the whole clip (activations
are zero outside its window), so frame indices are always source frames of the clip.

The same code serves ``microexpr infer CLIP --json -`` (a subprocess for the editor), so in-process and
subprocess results are identical.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curves.microexpression import MicroExpression
from ml.checkpoint import load_checkpoint
from ml.errors import CheckpointError, ClipReadError, NoFaceError
from ml.models._base import MicroExprModel
from ml.rules import MIN_FRAMES
from ml.runtime import predict, resolve_device
from ml.stages.face import FaceTrack, align_clip, no_face_message, track_faces
from ml.stages.inputs import build_input, input_traits
from ml.stages.video import Clip, open_clip
from ml.timing.envelope import au_activations, timing_to_frames
from ml.timing.keyframes import select_keyframes
from ml.timing.motion_fit import refine_fractions

__all__ = [
    "DEFAULT_WEIGHTS_NAME",
    "FaceOptions",
    "Window",
    "analyze",
    "analyze_all",
    "analyze_crops",
    "default_weights_path",
    "face_report",
    "load_model",
    "read_face_track",
]

log = logging.getLogger(__name__)

#: File name (in ``ml/weights/``) of the shipped default weights.
DEFAULT_WEIGHTS_NAME = "au_gcn_small.safetensors"
#: Default longest clip analysed in one pass, in seconds (CASME II clips last up to 0.7 s).
DEFAULT_WINDOW_S = 1.0

_MODEL_CACHE: dict[tuple[str, int, str], MicroExprModel] = {}


def default_weights_path() -> Path:
    """Path of the shipped default weights (``ml/weights/au_gcn_small.safetensors``)."""
    return Path(__file__).resolve().parent / "weights" / DEFAULT_WEIGHTS_NAME


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


def _motion_scale(crops: np.ndarray) -> float:
    """Typical frame-to-frame change of the clip (median over frames of the mean absolute difference)."""
    diffs = np.abs(np.diff(crops.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))
    return float(np.median(diffs)) if diffs.size else 0.0


def _predict_windows(
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


def _to_micro_expression(
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


def _suppress(windows: Sequence[Window], overlap: float = 0.3) -> list[Window]:
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


def analyze_crops(
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
    predicted = _predict_windows(
        model, crops, windows, device=device, batch_size=batch_size, refine_timing=refine_timing
    )
    return predicted, n


def _runs(mask: np.ndarray) -> list[list[int]]:
    """``[start, stop)`` runs of True in a boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2], strict=True)]


@dataclass(frozen=True)
class FaceOptions:
    """How the face is found and which part of the clip is read (the ``faces``/``infer`` options).

    Attributes:
        detector: ``"landmarks"`` (default) or ``"haar"`` (see :mod:`ml.stages.face`).
        choose, index: which face is the subject when several are seen (``largest``, ``center``,
            ``index`` counting from the left).
        start_s, end_s, max_frames: the span of the clip to read.
        allow_truncated: go on with the frames that decode when a video is truncated.
    """

    detector: str = "landmarks"
    choose: str = "largest"
    index: int = 0
    start_s: float | None = None
    end_s: float | None = None
    max_frames: int | None = None
    allow_truncated: bool = False


def _check_length(frames: int, source: Path | str) -> None:
    if frames < MIN_FRAMES:
        raise ValueError(
            f"{source}: has {frames} frame(s); at least {MIN_FRAMES} are needed for a micro-expression"
        )


def read_face_track(
    clip: str | Path | Clip,
    *,
    fps: float | None = None,
    progress: bool = False,
    face: FaceOptions | None = None,
) -> FaceTrack:
    """Read a clip (streaming from a file) and follow its face: the front end of every analysis.

    Raises:
        NoFaceError: no frame has the face.
        ml.errors.ClipReadError: unreadable, truncated (unless allowed) or empty clip.
    """
    opts = face or FaceOptions()
    if isinstance(clip, Clip):
        _check_length(clip.num_frames, clip.source)
        return align_clip(
            clip, progress=progress, detector=opts.detector, choose=opts.choose, index=opts.index
        )
    with open_clip(
        Path(clip),
        fps,
        start_s=opts.start_s,
        end_s=opts.end_s,
        max_frames=opts.max_frames,
        allow_truncated=opts.allow_truncated,
    ) as stream:
        chunks = list(
            track_faces(
                ((f.number, f.rgb) for f in stream),
                stream.fps,
                source=stream.source,
                detector=opts.detector,
                choose=opts.choose,
                index=opts.index,
                progress=progress,
                total=stream.info.declared_frames,
            )
        )
    track = FaceTrack.concatenate(chunks)
    if track.num_frames == 0:
        raise ClipReadError(f"{stream.source}: no readable frame in the selected span (empty or corrupt)")
    _check_length(track.num_frames, stream.source)
    if not track.present.any():
        raise NoFaceError(no_face_message(stream.source, track.num_frames, track.detector))
    return track


def face_report(track: FaceTrack) -> dict[str, Any]:
    """What the analysis says about the face: the spans analysed, the frames without it, other faces."""
    report: dict[str, Any] = {
        "detector": track.detector,
        "analysed_spans": [list(s) for s in track.spans(MIN_FRAMES)],
        "faceless_spans": _runs(~track.present),
        "cuts": list(track.cuts),
        "other_faces_present": int(track.other_faces.max(initial=0)),
    }
    if track.detector == "landmarks":
        report["head_pose_deg"] = [
            None if not np.isfinite(p).all() else [round(float(v), 1) for v in p] for p in track.pose
        ]
    return report


def _run(
    clip: str | Path | Clip,
    weights: str | Path | None,
    device: str | None,
    fps: float | None,
    progress: bool,
    window_s: float,
    refine_timing: bool = True,
    face: FaceOptions | None = None,
) -> tuple[list[Window], MicroExprModel, int, float, str, dict[str, Any]]:
    t0 = time.perf_counter()
    if isinstance(clip, (str, Path)) and not Path(clip).exists():
        raise FileNotFoundError(f"clip not found: {clip}")
    dev = resolve_device(device)
    model = load_model(weights, device=dev)
    track = read_face_track(clip, fps=fps, progress=progress, face=face)
    rate = float(fps) if fps is not None else track.fps
    source = str(track.source)
    t1 = time.perf_counter()
    windows, n = analyze_crops(
        track.crops,
        rate,
        model,
        source=source,
        window_s=window_s,
        device=dev,
        refine_timing=refine_timing,
        spans=track.spans(MIN_FRAMES),
    )
    t2 = time.perf_counter()
    missing = track.missing_frames
    extra: dict[str, Any] = {
        "frames_without_face": len(missing),
        "face": face_report(track),
        "first_frame_number": int(track.frame_numbers[0]),
        "seconds": {"read_align": round(t1 - t0, 4), "model": round(t2 - t1, 4)},
        "weights": str(Path(weights) if weights is not None else default_weights_path().name),
    }
    if missing:
        log.warning("%s: no face on %d of %d frames; those frames are not analysed", source, len(missing), n)
    return windows, model, n, rate, source, extra


def analyze(
    clip: str | Path | Clip,
    *,
    weights: str | Path | None = None,
    device: str | None = None,
    fps: float | None = None,
    progress: bool = False,
    window_s: float = DEFAULT_WINDOW_S,
    refine_timing: bool = True,
    face: FaceOptions | None = None,
) -> MicroExpression:
    """Find the strongest micro-expression in a clip.

    Args:
        clip: video file (mp4/avi/mov), folder of numbered frames, or an in-memory
            :class:`ml.stages.video.Clip`.
        weights: safetensors checkpoint (default: the shipped weights, :func:`default_weights_path`).
        device: ``"cpu"``, ``"cuda"`` or None (CUDA when available).
        fps: frame rate; required for a folder of frames (CASME II and SAMM 200, SMIC-HS 100), and
            overrides a video's container rate (high-speed clips are often stored at 25/30 fps).
        progress: show face-alignment progress on stderr.
        window_s: longest span analysed in one pass, seconds; longer clips are scanned.
        refine_timing: move the network's onset/apex/offset onto the clip's own motion
            (:mod:`ml.timing.motion_fit`); False keeps the timing head's.
        face: how the face is found and which span is read (:class:`FaceOptions`).

    Returns:
        The micro-expression, with per-frame activations over all source frames.

    Raises:
        FileNotFoundError: the clip does not exist.
        ml.errors.ClipReadError, NoFaceError, CheckpointError: unreadable clip, no face, bad weights.
        ValueError: fewer than 4 frames.
    """
    windows, model, n, rate, source, extra = _run(
        clip, weights, device, fps, progress, window_s, refine_timing, face
    )
    best = max(windows, key=lambda w: w.strength)
    extra["windows"] = len(windows)
    return _to_micro_expression(best, model, n, rate, source, extra)


def analyze_all(
    clip: str | Path | Clip,
    *,
    weights: str | Path | None = None,
    device: str | None = None,
    fps: float | None = None,
    progress: bool = False,
    window_s: float = DEFAULT_WINDOW_S,
    threshold: float = 0.5,
    refine_timing: bool = True,
    face: FaceOptions | None = None,
) -> list[MicroExpression]:
    """Every micro-expression in a (long) clip whose window strength is at least ``threshold``.

    Overlapping detections are merged by keeping the strongest. Same arguments as :func:`analyze`;
    results are in time order (possibly empty).
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    windows, model, n, rate, source, extra = _run(
        clip, weights, device, fps, progress, window_s, refine_timing, face
    )
    extra["windows"] = len(windows)
    kept = _suppress([w for w in windows if w.strength >= threshold])
    return [_to_micro_expression(w, model, n, rate, source, extra) for w in kept]
