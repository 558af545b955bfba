"""Clip file -> :class:`~curves.microexpression.MicroExpression`: the whole take, measured.

    me = analyze("take.mp4")                     # per-frame AU intensities + every event, strongest first
    me.events[0]                                 # onset, apex, offset, peak, micro/macro, AUs, emotion
    me.event_clip(0)                             # the strongest event on its own
    me = analyze("clip.mp4", method="template")  # the recognition model's window and envelope instead

``method="measured"`` (the default): the face stage (:func:`ml.analyze.front.read_face_track`) gives
stabilised crops, landmarks, blendshapes and head pose for every frame; :func:`ml.tracks.
measure_au_intensities` measures each AU's intensity on every frame with a face, relative to the
subject's own neutral, so holds, repeats and asymmetry are kept and a small movement stays small;
:func:`ml.tracks.spot_events` finds every expression of the take. Each event's emotion comes from its AU
pattern; the recognition model (the shipped AU-GCN, or ``weights``) reads each event's crops too, and
names the emotion of an event whose AU pattern fits no emotion when it is confident
(:data:`MODEL_CONFIDENT`). It labels; it never replaces the measured tracks.

``method="template"``: the recognition model over windows of the clip (:mod:`ml.analyze.windows`), its
strongest window turned into per-frame activations by a template envelope (the analysis before the
measured tracks; kept for comparison and for models trained on CASME II & co.).

Frames without the face are never analysed: their tracks are 0 (the rig at rest), no event uses them,
and ``extra["face"]`` lists them with the spans that were analysed. The same code serves ``microexpr
infer CLIP --json -`` (a subprocess for the editor), so in-process and subprocess results are identical.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from curves.microexpression import ExpressionEvent, MicroExpression
from ml import __version__
from ml.analyze.front import FaceOptions, check_length, face_report, read_face_track
from ml.analyze.streamed import measure_stream
from ml.analyze.windows import (
    DEFAULT_WINDOW_S,
    default_weights_path,
    load_model,
    predict_windows,
    scan_windows,
    suppress,
    window_micro_expression,
)
from ml.errors import ClipReadError, NoFaceError
from ml.rules import MIN_FRAMES
from ml.runtime import resolve_device
from ml.stages.face import FaceTrack, no_face_message
from ml.stages.video import Clip, open_clip
from ml.tracks import AUTracks, measure_au_intensities, spot_events

__all__ = ["METHODS", "MODEL_CONFIDENT", "analyze", "analyze_all", "measure_take"]

log = logging.getLogger(__name__)

METHODS = ("measured", "template")
#: The recognition model names an event's emotion when its AU pattern fits none and the model's most
#: probable emotion has at least this probability.
MODEL_CONFIDENT = 0.7
#: Intensities up to this read as the neutral face: the measurement's jitter on a still face, which would
#: otherwise give every rig curve a few keys of noise.
REST_BAND = 0.03
#: Frames of context on either side of an event when the model reads it (seconds).
_LABEL_PAD_S = 0.1


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def _split_at_cuts(events: list[ExpressionEvent], cuts: tuple[int, ...], fps: float) -> list[ExpressionEvent]:
    """Events never cross a cut: keep the part of each that holds its apex."""
    out = []
    for e in events:
        onset, offset = e.onset, e.offset
        for c in cuts:
            if onset < c <= offset:
                if c <= e.apex:
                    onset = c
                else:
                    offset = c - 1
        if (onset, offset) != (e.onset, e.offset):
            e = replace(e, onset=onset, offset=offset, duration_s=(offset - onset + 1) / fps)
        out.append(e)
    return out


def _activations(tracks: AUTracks) -> tuple[tuple[str, ...], np.ndarray]:
    """The curves' columns: a sided AU as its two sides (each drives its side of the rig), others as is;
    frames without a face at 0 (the rig at rest); intensities within :data:`REST_BAND` of the neutral
    read as rest (soft threshold: the scale above it is kept, so 1 stays 1)."""
    names = list(tracks.names)
    keep = [
        k
        for k, name in enumerate(names)
        if not (name[-1] not in "LR" and f"{name}L" in names and f"{name}R" in names)
    ]
    values = np.nan_to_num(tracks.values[:, keep], nan=0.0)
    values = (values - REST_BAND) / (1.0 - REST_BAND)
    return tuple(names[k] for k in keep), np.clip(values, 0.0, 1.0)


def _label_events(
    events: list[ExpressionEvent], track: FaceTrack, fps: float, weights: str | Path | None, device: str
) -> tuple[list[ExpressionEvent], list[dict[str, Any]]]:
    """The recognition model's reading of each event; an event whose AU pattern fits no emotion takes the
    model's emotion when the model is confident. Returns the events and the model's readings."""
    model = load_model(weights, device=device)
    spans = track.spans(MIN_FRAMES)
    pad = round(_LABEL_PAD_S * fps)
    windows: list[tuple[int, int]] = []
    for e in events:
        span = next((s for s in spans if s[0] <= e.apex < s[1]), None)
        if span is None:
            windows.append((-1, -1))
            continue
        start, stop = max(span[0], e.onset - pad), min(span[1], e.offset + pad + 1)
        if stop - start < MIN_FRAMES:  # widen to the shortest clip the model reads, inside the span
            start, stop = (
                max(span[0], min(start, stop - MIN_FRAMES)),
                min(span[1], max(stop, start + MIN_FRAMES)),
            )
        windows.append((start, stop))
    readable = [w for w in windows if w[1] - w[0] >= MIN_FRAMES]
    found = predict_windows(model, track.crops, readable, device=device, batch_size=8, refine_timing=False)
    by_window = dict(zip(readable, found, strict=True))
    cfg = model.cfg
    labelled: list[ExpressionEvent] = []
    readings: list[dict[str, Any]] = []
    for e, w in zip(events, windows, strict=True):
        win = by_window.get(w)
        if win is None:
            readings.append({})
            labelled.append(e)
            continue
        probs = {
            name: round(float(p), 4) for name, p in zip(cfg.emotion_names, win.emotion_probs, strict=True)
        }
        best = max(probs, key=lambda k: probs[k])
        readings.append(
            {
                "model": cfg.name,
                "window": [int(w[0]), int(w[1])],
                "emotion_probs": probs,
                "au_probs": {a: round(float(p), 4) for a, p in zip(cfg.au_names, win.au_probs, strict=True)},
            }
        )
        if e.emotion == "others" and probs[best] >= MODEL_CONFIDENT and best != "others":
            e = replace(e, emotion=best)
        labelled.append(e)
    return labelled, readings


def measure_take(
    track: FaceTrack,
    fps: float,
    *,
    tracks: AUTracks | None = None,
    neutral: tuple[int, int] | None = None,
    weights: str | Path | None = None,
    device: str = "cpu",
    label: bool = True,
    source: str = "",
) -> MicroExpression:
    """The measured take of a face track: per-frame AU intensities and every event (strongest first).

    Args:
        track: the face track (:func:`ml.analyze.front.read_face_track`).
        fps: frame rate.
        tracks: the track's AU intensities when already measured (:func:`ml.analyze.streamed.measure_stream`).
        neutral: ``(start, stop)`` frames of the subject's neutral face (default: found automatically).
        weights, device: the recognition model that labels events (``label=False``: none).
        source: the clip's name for the result.
    """
    started = time.perf_counter()
    if tracks is None:
        tracks = measure_au_intensities(
            track.crops, track.landmarks, track.blendshapes, track.pose, track.present, fps, neutral=neutral
        )
    events = _split_at_cuts(list(spot_events(tracks, fps, track.present)), track.cuts, fps)
    measured = time.perf_counter()
    readings: list[dict[str, Any]] = []
    if label and events:
        events, readings = _label_events(events, track, fps, weights, device)
    names, values = _activations(tracks)
    strength = values.max(axis=1)
    if events:
        first = events[0]
        onset, apex, offset = first.onset, first.apex, first.offset
        scores = {k: v for k, v in first.emotion_scores.items() if v > 0} or {first.emotion: 1.0}
        total = sum(scores.values())
        emotion_probs = {k: v / total for k, v in scores.items()}
        if (
            first.emotion not in emotion_probs
            or max(emotion_probs, key=lambda k: emotion_probs[k]) != first.emotion
        ):
            emotion_probs = {first.emotion: 1.0}
    else:
        onset = apex = offset = int(np.argmax(strength))
        emotion_probs = {"others": 1.0}
    peaks = {name: round(float(values[:, k].max(initial=0.0)), 4) for k, name in enumerate(names)}
    extra: dict[str, Any] = {
        "method": "measured",
        "neutral": list(tracks.neutral),
        "blinks": [list(b) for b in tracks.blinks],
        "face": face_report(track, measured=True),
        "first_frame_number": int(track.frame_numbers[0]) if track.num_frames else 0,
        "model_readings": readings,
        "seconds": {
            "measure": round(measured - started, 4),
            "label": round(time.perf_counter() - measured, 4),
        },
    }
    return MicroExpression(
        fps=fps,
        onset=onset,
        apex=apex,
        offset=offset,
        emotion_probs=emotion_probs,
        au_names=names,
        activations=values,
        model="au-tracks",
        model_version=__version__,
        au_probs=peaks,
        source=source or str(track.source),
        extra=extra,
        events=tuple(events),
    )


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
    method: str = "measured",
    neutral: tuple[int, int] | None = None,
) -> MicroExpression:
    """Analyse a clip: the whole take with its events (``measured``), or the strongest model window.

    Args:
        clip: video file (mp4/avi/mov), folder of numbered frames, or an in-memory
            :class:`ml.stages.video.Clip`.
        weights: the recognition model's safetensors checkpoint (default: the shipped weights).
        device: ``"cpu"``, ``"cuda"`` or None (CUDA when available).
        fps: frame rate; required for a folder of frames (CASME II and SAMM 200, SMIC-HS 100), and
            overrides a video's container rate (high-speed clips are often stored at 25/30 fps).
        progress: show the face stage's progress on stderr.
        window_s, refine_timing: the template method's window length and timing fit
            (:mod:`ml.analyze.windows`).
        face: how the face is found and which span is read (:class:`FaceOptions`).
        method: ``"measured"`` (default) or ``"template"`` (see the module docstring).
        neutral: the measured method's neutral frames ``(start, stop)`` (default: found automatically).

    Returns:
        The take: per-frame activations over all source frames, onset/apex/offset of its strongest
        event, and (measured) every event.

    Raises:
        FileNotFoundError: the clip does not exist.
        ml.errors.ClipReadError, NoFaceError, CheckpointError: unreadable clip, no face, bad weights.
        ValueError: fewer than 4 frames, or a bad option.
    """
    _check_method(method)
    t0 = time.perf_counter()
    if isinstance(clip, (str, Path)) and not Path(clip).exists():
        raise FileNotFoundError(f"clip not found: {clip}")
    dev = resolve_device(device)
    load_model(weights, device=dev)  # a bad weights file is refused before the clip is read
    opts = face or FaceOptions()
    # the crops and landmarks of a take wait on disk (memory stays flat with the take's length)
    with (
        tempfile.TemporaryDirectory(prefix="microexpr-take-", ignore_cleanup_errors=True) as work,
        contextlib.ExitStack() as stack,
    ):
        if isinstance(clip, Clip):
            check_length(clip.num_frames, clip.source)
            frames: Iterable[tuple[int, np.ndarray]] = zip(
                clip.frame_numbers.tolist(), clip.frames, strict=True
            )
            total: int | None = clip.num_frames
            rate, source = float(fps or clip.fps), clip.source
        else:
            stream = stack.enter_context(
                open_clip(
                    Path(clip),
                    fps,
                    start_s=opts.start_s,
                    end_s=opts.end_s,
                    max_frames=opts.max_frames,
                    allow_truncated=opts.allow_truncated,
                )
            )
            frames = ((f.number, f.rgb) for f in stream)
            rate, source = stream.fps, stream.source
            total = stream.info.declared_frames
        track, tracks = measure_stream(
            frames,
            rate,
            Path(work),
            source=source,
            face=opts,
            neutral=neutral,
            progress=progress,
            total=total,
            measure=method == "measured",
        )
        if track.num_frames == 0:
            raise ClipReadError(f"{source}: no readable frame in the selected span (empty or corrupt)")
        check_length(track.num_frames, source)
        if not track.present.any():
            raise NoFaceError(no_face_message(source, track.num_frames, track.detector))
        read = time.perf_counter() - t0
        if track.missing_frames:
            log.warning(
                "%s: no face on %d of %d frames; those frames are not analysed",
                source,
                len(track.missing_frames),
                track.num_frames,
            )
        if method == "measured" and tracks is None:
            log.warning(
                "%s: the Haar face detector gives no landmarks, so AU intensities cannot be measured; using "
                "the recognition model's template instead (install ai-edge-litert for measured tracks)",
                source,
            )
            method = "template"
        if method == "measured":
            me = measure_take(track, rate, tracks=tracks, weights=weights, device=dev, source=str(source))
            return replace(
                me, extra={**me.extra, "seconds": {"read_faces": round(read, 4), **me.extra["seconds"]}}
            )
        return _template_takes(track, rate, weights, dev, window_s, refine_timing, strongest_only=True)[0]


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
    method: str = "measured",
) -> list[MicroExpression]:
    """Every expression of a clip on its own, in time order.

    ``measured``: each event of :func:`analyze`'s take (:meth:`MicroExpression.event_clip`). ``template``:
    every model window whose strength is at least ``threshold``, overlapping ones merged (each result
    spans the whole clip, its activations zero outside its window).
    """
    _check_method(method)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    if method == "measured":
        take = analyze(clip, weights=weights, device=device, fps=fps, progress=progress, face=face)
        pieces = [take.event_clip(i) for i in range(len(take.events))]
        return sorted(pieces, key=lambda m: m.extra["window"][0])
    if isinstance(clip, (str, Path)) and not Path(clip).exists():
        raise FileNotFoundError(f"clip not found: {clip}")
    dev = resolve_device(device)
    load_model(weights, device=dev)
    track = read_face_track(clip, fps=fps, progress=progress, face=face)
    rate = float(fps) if fps is not None else track.fps
    return _template_takes(track, rate, weights, dev, window_s, refine_timing, threshold=threshold)


def _template_takes(
    track: FaceTrack,
    rate: float,
    weights: str | Path | None,
    device: str,
    window_s: float,
    refine_timing: bool,
    *,
    strongest_only: bool = False,
    threshold: float = 0.0,
) -> list[MicroExpression]:
    model = load_model(weights, device=device)
    source = str(track.source)
    started = time.perf_counter()
    windows, n = scan_windows(
        track.crops,
        rate,
        model,
        source=source,
        window_s=window_s,
        device=device,
        refine_timing=refine_timing,
        spans=track.spans(MIN_FRAMES),
    )
    extra: dict[str, Any] = {
        "method": "template",
        "frames_without_face": len(track.missing_frames),
        "face": face_report(track),
        "first_frame_number": int(track.frame_numbers[0]),
        "seconds": {"model": round(time.perf_counter() - started, 4)},
        "weights": str(Path(weights) if weights is not None else default_weights_path().name),
        "windows": len(windows),
    }
    if strongest_only:
        best = max(windows, key=lambda w: w.strength)
        return [window_micro_expression(best, model, n, rate, source, extra)]
    kept = suppress([w for w in windows if w.strength >= threshold])
    return [window_micro_expression(w, model, n, rate, source, extra) for w in kept]
