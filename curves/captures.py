"""Captures from other face tools read as AU tracks, ready to retarget to any rig table.

* Live Link Face CSV (an iPhone ARKit take): ``Timecode,BlendShapeCount,EyeBlinkLeft,...`` with the 52
  blendshapes in PascalCase, sometimes followed by head and eye rotations; ``Timecode`` is
  ``HH:MM:SS:FF.mmm`` (frame ``FF`` at the timecode rate, ``mmm`` thousandths of a frame).
* MediaPipe blendshape tracks: a CSV with a time column (``timestamp_ms``, ``timestamp``, ``time`` or
  ``frame`` with ``--fps``) and the face landmarker's camelCase blendshape names (``_neutral`` ignored);
  an empty cell is a frame without a face.
* OpenFace 2.x and py-feat CSVs (read by :mod:`curves.io`).

Blendshapes become AUs through :mod:`curves.blendshape_aus`, the one ARKit -> AU mapping. Then:

* frames a tracker was not sure of (OpenFace ``confidence`` under ``min_confidence`` or ``success`` 0, a
  ``confidence``/``presence`` column elsewhere, empty cells) are dropped and filled from their confident
  neighbours, so the timeline keeps its length;
* a neutral span is subtracted (each AU's mean over it): given in seconds, or found as the quietest
  :data:`NEUTRAL_SECONDS` of the take (least summed AU activity), since a resting face does not read 0 on
  every blendshape.

The result is a :class:`~curves.microexpression.MicroExpression`, so an iPhone take goes through the same
pipeline (smoothing, rig mapping, key reduction) as our own model's output.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from curves.blendshape_aus import blendshape_au_values
from curves.errors import CurvesError
from curves.io import (
    ARKIT_BLENDSHAPES,
    CsvTable,
    first_face_only,
    frame_rate_of,
    in_time_order,
    read_csv_rows,
    read_openface_csv,
    read_pyfeat_csv,
    sorted_by_time,
)
from curves.microexpression import MicroExpression
from curves.quiet import quietest_window
from curves.rules import check_fps

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "NEUTRAL_SECONDS",
    "capture_format",
    "parse_timecode",
    "quietest_span",
    "read_capture",
    "read_live_link_csv",
    "read_mediapipe_csv",
    "read_openface_capture",
    "subtract_neutral",
]

logger = logging.getLogger(__name__)

#: OpenFace's own threshold for a reliable frame is about 0.75-0.8; frames below are dropped.
DEFAULT_MIN_CONFIDENCE = 0.75
#: Length of the automatic neutral span (seconds), or a quarter of a shorter take.
NEUTRAL_SECONDS = 0.5
#: Timecode rates tried, lowest first, when a take's frame numbers give the rate.
_TIMECODE_RATES = (24.0, 25.0, 30.0, 48.0, 50.0, 60.0, 120.0)
_TIMECODE_RE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})[:;](\d{1,3})(?:\.(\d{1,3}))?$")
_PASCAL = {n[0].upper() + n[1:]: n for n in ARKIT_BLENDSHAPES}


def capture_format(header: Sequence[str]) -> str | None:
    """``"livelink"``, ``"mediapipe"`` or None from a CSV's header cells."""
    cells = {c.strip() for c in header}
    if {"Timecode", "BlendShapeCount"} <= cells and len(cells & set(_PASCAL)) >= 40:
        return "livelink"
    if len(cells & set(ARKIT_BLENDSHAPES)) >= 40:
        return "mediapipe"
    return None


def parse_timecode(text: str, rate: float) -> float:
    """Seconds of a ``HH:MM:SS:FF.mmm`` timecode at ``rate`` frames per second.

    Raises:
        ValueError: not a timecode, or a frame number not below the rate.
    """
    m = _TIMECODE_RE.match(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not a timecode HH:MM:SS:FF.mmm")
    hours, minutes, seconds, frame = (int(g) for g in m.groups()[:4])
    sub = int((m.group(5) or "0").ljust(3, "0"))
    if frame >= rate or minutes >= 60 or seconds >= 60:
        raise ValueError(
            f"timecode {text!r}: frame {frame} at {rate:g} fps or its minutes/seconds are out of range"
        )
    return hours * 3600 + minutes * 60 + seconds + (frame + sub / 1000.0) / rate


def _timecode_rate(table: CsvTable) -> float:
    frames: list[int] = []
    seconds: set[tuple[str, ...]] = set()  # the frame numbers give the rate once the take passes a second
    cell = table.header.index("Timecode")
    for i, row in enumerate(table.rows):
        m = _TIMECODE_RE.match(row[cell])
        if m is None:
            raise CurvesError(
                f"{table.path}, line {table.lines[i]}: Timecode {row[cell]!r} is not HH:MM:SS:FF.mmm; "
                "export the take again from Live Link Face"
            )
        frames.append(int(m.group(4)))
        seconds.add(m.group(1, 2, 3))
    top = max(frames)
    rate = next((r for r in _TIMECODE_RATES if top < r), None)
    if rate is None or len(seconds) < 2:
        raise CurvesError(
            f"{table.path}: the take is shorter than a second of timecode, so its frame rate cannot be read "
            "from the Timecode column; pass --fps (the rate set in Live Link Face)"
        )
    return rate


def _blendshape_matrix(table: CsvTable, names: Sequence[str]) -> np.ndarray:
    return np.stack([table.column(n, missing_ok=True) for n in names], axis=1)


def _tracked(table: CsvTable, min_confidence: float, values: np.ndarray) -> np.ndarray:
    ok = np.all(np.isfinite(values), axis=1)
    for column in ("confidence", "presence", "face_presence"):
        if column in table.header:
            ok &= np.nan_to_num(table.column(column, missing_ok=True), nan=0.0) >= min_confidence
    if "success" in table.header:
        ok &= np.nan_to_num(table.column("success", missing_ok=True), nan=0.0) > 0.5
    return ok


def _fill(path: Path, values: np.ndarray, ok: np.ndarray, min_confidence: float) -> np.ndarray:
    if not ok.any():
        raise CurvesError(
            f"{path}: no frame has a face tracked with confidence >= {min_confidence:g}; nothing to animate "
            "(check the capture, or lower the confidence threshold)"
        )
    out = np.array(values, dtype=np.float64)
    if not ok.all():
        logger.warning(
            "%s: %d of %d frames dropped (no face or confidence < %g); filled from their neighbours",
            path,
            int((~ok).sum()),
            ok.size,
            min_confidence,
        )
        idx = np.arange(ok.size)
        for j in range(out.shape[1]):
            out[:, j] = np.interp(idx, idx[ok], out[ok, j])
    return out


def quietest_span(activations: np.ndarray, fps: float, seconds: float = NEUTRAL_SECONDS) -> tuple[int, int]:
    """``[start, end)`` frames of the window with the least summed AU activity (the earliest on a tie)."""
    n = activations.shape[0]
    width = max(1, min(round(seconds * fps), max(1, n // 4)))
    return quietest_window(np.asarray(activations, np.float64).sum(axis=1), width)


def subtract_neutral(
    activations: np.ndarray, fps: float, neutral: str | tuple[float, float] | None = "auto"
) -> tuple[np.ndarray, tuple[int, int] | None]:
    """Each AU's mean over the neutral span subtracted (clipped at 0); returns the tracks and the span.

    Args:
        neutral: ``"auto"`` (the quietest span), ``(start_s, end_s)`` seconds, or None (unchanged).

    Raises:
        ValueError: a span outside the take, empty, or reversed.
    """
    act = np.asarray(activations, np.float64)
    if neutral is None:
        return act, None
    if isinstance(neutral, str):
        if neutral != "auto":
            raise CurvesError(
                f"neutral must be 'auto', a (start, end) span in seconds or None, got {neutral!r}"
            )
        span = quietest_span(act, fps)
    else:
        start_s, end_s = (float(x) for x in neutral)
        duration = (act.shape[0] - 1) / fps
        if not (math.isfinite(start_s) and math.isfinite(end_s) and 0 <= start_s < end_s <= duration + 1e-9):
            raise CurvesError(
                f"neutral span {start_s:g}-{end_s:g} s must lie within the take (0-{duration:.3f} s) with "
                "start < end; give the seconds where the face rests"
            )
        span = (round(start_s * fps), max(round(end_s * fps), round(start_s * fps) + 1))
    rest = act[span[0] : span[1]].mean(axis=0)
    return np.clip(act - rest, 0.0, 1.0), span


def _one_column_per_side(names: Sequence[str], values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Sided columns where the sides differ, else the bilateral one: never both, since a rig row driven by
    ``AU12`` and ``AU12L`` at once would add the smile to itself."""
    index = {n: j for j, n in enumerate(names)}
    keep: list[str] = []
    for name in names:
        bilateral = name[:-1] if name[-1] in "LR" and name[:-1] in index else name
        left, right = index.get(bilateral + "L"), index.get(bilateral + "R")
        if left is None or right is None:
            keep.append(name)
            continue
        symmetric = np.allclose(values[:, left], values[:, right], atol=1e-9)
        if (name == bilateral) == symmetric:
            keep.append(name)
    return keep, values[:, [index[n] for n in keep]]


def _to_micro(
    path: Path,
    names: Sequence[str],
    values: np.ndarray,
    fps: float,
    model: str,
    neutral: str | tuple[float, float] | None,
    dropped: int,
) -> MicroExpression:
    names, values = _one_column_per_side(names, values)
    act, span = subtract_neutral(values, fps, neutral)
    return MicroExpression.from_tracks(
        {n: act[:, j] for j, n in enumerate(names)},
        fps,
        model=model,
        source=str(path),
        extra={"capture": {"neutral_frames": list(span) if span else None, "dropped_frames": dropped}},
    )


def read_live_link_csv(
    path: str | os.PathLike[str],
    *,
    fps: float | None = None,
    neutral: str | tuple[float, float] | None = "auto",
) -> MicroExpression:
    """A Live Link Face take as AU tracks (see the module notes).

    Raises:
        FileNotFoundError; ValueError naming the file and line (bad timecode, missing blendshapes, ...).
    """
    table = read_csv_rows(path)
    missing = [n for n in _PASCAL if n not in table.header]
    if "Timecode" not in table.header or missing:
        raise CurvesError(
            f"{table.path}: not a Live Link Face CSV (needs Timecode and the 52 blendshape columns; "
            f"missing {', '.join((['Timecode'] if 'Timecode' not in table.header else []) + missing[:5])})"
        )
    rate = _timecode_rate(table) if fps is None else check_fps(fps, what="--fps")
    cell = table.header.index("Timecode")
    times = np.asarray([parse_timecode(r[cell], rate) for r in table.rows])
    table, times = sorted_by_time(table, times, "Timecode", show_time=False)
    steps = np.diff(times)
    take_fps = rate if fps is not None or steps.size == 0 else check_fps(1.0 / float(np.median(steps)))
    values = _blendshape_matrix(table, list(_PASCAL))
    ok = _tracked(table, 0.0, values)
    values = _fill(table.path, values, ok, 0.0)
    names, aus = blendshape_au_values(values, list(_PASCAL.values()))
    return _to_micro(table.path, names, aus, round(take_fps, 3), "live-link-face", neutral, int((~ok).sum()))


def read_mediapipe_csv(
    path: str | os.PathLike[str],
    *,
    fps: float | None = None,
    neutral: str | tuple[float, float] | None = "auto",
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> MicroExpression:
    """MediaPipe face-landmarker blendshape tracks as AU tracks (see the module notes)."""
    table = read_csv_rows(path)
    missing = [n for n in ARKIT_BLENDSHAPES if n not in table.header]
    if missing:
        raise CurvesError(
            f"{table.path}: blendshape columns missing: {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}; MediaPipe's 52 names are expected"
        )
    time_cols = ("timestamp_ms", "timestamp", "time")
    column = next((c for c in time_cols if c in table.header), None)
    table, ts = in_time_order(table, (column,) if column else ("frame",))
    if ts is not None and column == "timestamp_ms":
        ts = ts / 1000.0
    rate = frame_rate_of(table, ts if column else None, fps, time_cols)
    raw = _blendshape_matrix(table, ARKIT_BLENDSHAPES)
    ok = _tracked(table, min_confidence, raw)
    values = _fill(table.path, raw, ok, min_confidence)
    names, aus = blendshape_au_values(values, ARKIT_BLENDSHAPES)
    return _to_micro(table.path, names, aus, rate, "mediapipe", neutral, int((~ok).sum()))


def read_openface_capture(
    path: str | os.PathLike[str], *, fps: float | None = None, min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> MicroExpression:
    """An OpenFace 2.x CSV (:func:`curves.io.read_openface_csv`) whose frames under ``min_confidence``
    are dropped and filled from their confident neighbours (its ``success`` 0 frames already are)."""
    me = read_openface_csv(path, fps=fps)
    table = first_face_only(read_csv_rows(path))
    if "confidence" not in table.header:
        return me
    table, _ = in_time_order(table, ("timestamp",))
    ok = _tracked(table, min_confidence, me.activations)
    if ok.all():
        return me
    values = _fill(table.path, me.activations, ok, min_confidence)
    return MicroExpression.from_tracks(
        {n: values[:, j] for j, n in enumerate(me.au_names)},
        me.fps,
        model=me.model,
        source=me.source,
        extra={"capture": {"dropped_frames": int((~ok).sum())}},
    )


def _header(path: str | os.PathLike[str]) -> list[str]:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"AU track file not found: {p}")
    with p.open("r", encoding="utf-8-sig", errors="replace") as f:
        first = f.readline(1_000_000)
    return [c.strip() for c in first.split(",")]


def read_capture(
    path: str | os.PathLike[str],
    *,
    fps: float | None = None,
    neutral: str | tuple[float, float] | None = "auto",
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> MicroExpression:
    """Any supported capture as AU tracks, low-confidence frames dropped and the neutral subtracted.

    Args:
        path: Live Link Face, MediaPipe, OpenFace or py-feat CSV (told apart by the header).
        fps: frame rate override (needed when the file's times cannot give it).
        neutral: ``"auto"``, ``(start_s, end_s)`` or None.
        min_confidence: frames whose tracker confidence is below it are dropped and filled.
    """
    if not (isinstance(min_confidence, (int, float)) and 0.0 <= min_confidence <= 1.0):
        raise CurvesError(f"min_confidence must be in [0, 1], got {min_confidence!r}")
    header = _header(path)
    kind = capture_format(header)
    if kind == "livelink":
        return read_live_link_csv(path, fps=fps, neutral=neutral)
    if kind == "mediapipe":
        return read_mediapipe_csv(path, fps=fps, neutral=neutral, min_confidence=min_confidence)
    if any(re.match(r"^AU\d{2}_[rc]$", c) for c in header):
        me = read_openface_capture(path, fps=fps, min_confidence=min_confidence)
    elif any(re.match(r"^AU\d{2}$", c) for c in header):
        me = read_pyfeat_csv(path, fps=fps)
    else:
        raise CurvesError(
            f"{path}: not a Live Link Face, MediaPipe blendshape, OpenFace or py-feat CSV (no blendshape or "
            "AU columns in the header)"
        )
    act, span = subtract_neutral(me.activations, me.fps, neutral)
    return MicroExpression.from_tracks(
        {n: act[:, j] for j, n in enumerate(me.au_names)},
        me.fps,
        model=me.model,
        source=me.source,
        emotion_probs=me.emotion_probs,
        extra={
            "capture": {**dict(me.extra.get("capture", {})), "neutral_frames": list(span) if span else None}
        },
    )
