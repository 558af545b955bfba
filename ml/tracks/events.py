"""Expression events over a whole take: where the face leaves its neutral and comes back.

The expression strength of a frame is the largest skin movement among its AUs beyond what measurement
noise reaches, in millimetres (intensity times the AU's movement at intensity E,
:data:`ml.tracks.calibration.SCALE_MM`, less the AU's noise; blinks and eye closure left out: they are not
expressions). An AU's noise is the larger of :data:`ml.tracks.calibration.NOISE_MM` (measured on the
development clips) and :data:`NEUTRAL_SPREAD` times its spread over the take's own neutral frames, so a
noisier camera, compression or a shakier face raises the bar for its own take; and it grows by
:data:`TURN_LEAK_MM` per degree the head is turned from its neutral pose (what a turn leaves in the
measurement; a degree of drift barely counts, a turn does). Movement rather than intensity, because what
makes a micro-expression is how little the face moves: a 1.5 mm lip-corner pull is a small AU12 but a 1.5
mm lid raise is a large AU5, and both are expressions. An event starts where the strength rises above
:data:`HIGH_MM` and spans the frames around it above :data:`LOW_MM` (hysteresis), widened to where the
movement (noise included) stops falling away from it or falls to :data:`END_MM` (so onset and offset sit
where the movement starts and ends, not where it crosses a threshold). Two peaks inside one span stay one
event unless the strength dips between them below :data:`DIP` of the smaller peak, as a held expression
wavers without ending. Frames without a face end an event. An event lasting at most :data:`MICRO_MAX_S` is
``"micro"``, longer ones ``"macro"``; its ``peak`` is the intensity of its strongest AU at the apex.
"""

from __future__ import annotations

import numpy as np

from curves.quiet import true_runs
from ml.rules import check_fps
from ml.tracks.calibration import FLOW_NOISE_MM, NOISE_MM, REST_DEADZONE, SCALE_MM
from ml.tracks.emotions import emotion_of
from ml.tracks.inputs import check_present
from ml.tracks.types import AUTracks, ExpressionEvent

__all__ = [
    "DIP",
    "END_MM",
    "HIGH_MM",
    "LOW_MM",
    "MICRO_MAX_S",
    "NEUTRAL_SPREAD",
    "TURN_LEAK_MM",
    "expression_strength",
    "movement_beyond_noise",
    "noise_mm",
    "spot_events",
]

#: Movement beyond noise that starts an event, movement that keeps it going, mm. Set on the development
#: clips (spotting F1 of micro and macro events).
HIGH_MM = 0.3
LOW_MM = 0.1
#: An AU's noise is at least this many standard deviations of its values over the neutral frames.
NEUTRAL_SPREAD = 4.0
#: Noise added per degree of head turn from the neutral pose, mm: a 12 degree turn of a photographed face
#: (the head-motion test) leaves up to 0.85 mm on the brows, and the development clips' turns of 2-7
#: degrees leave 0-0.9 mm, mostly within the AUs' own noise.
TURN_LEAK_MM = 0.06
#: Movement below which the face is back at rest, mm.
END_MM = 0.1
#: Movement at intensity E of an AU the calibration does not list, mm.
_DEFAULT_MM = 5.0
#: Two peaks are two events when the strength between them falls below this share of the smaller.
DIP = 0.2
#: The longest micro-expression, seconds.
MICRO_MAX_S = 0.5
#: An AU is listed at the apex from this share of the apex's largest movement (and at least LOW_MM).
_APEX_SHARE = 0.25
_NOT_EXPRESSIONS = ("AU43", "AU45")


def _expressive(tracks: AUTracks) -> list[int]:
    return [i for i, n in enumerate(tracks.names) if n[-1] not in "LR" and n not in _NOT_EXPRESSIONS]


def _scale_mm(names: tuple[str, ...]) -> np.ndarray:
    return np.array([SCALE_MM.get(name, _DEFAULT_MM) for name in names])


def noise_mm(tracks: AUTracks) -> dict[str, float]:
    """Each expressive AU's noise in this take, mm (see the module doc)."""
    columns = _expressive(tracks)
    names = tuple(tracks.names[i] for i in columns)
    start, stop = tracks.neutral
    quiet = tracks.values[start:stop][:, columns]
    spread = (
        np.nan_to_num(np.nanstd(quiet, axis=0), nan=0.0) if np.isfinite(quiet).any() else np.zeros(len(names))
    )
    own = NEUTRAL_SPREAD * spread * _scale_mm(names)
    # the face measurement has already taken REST_DEADZONE of the measured noise off its intensities
    left = 1.0 - REST_DEADZONE if tracks.source == "face" else 1.0
    return {
        name: max(left * NOISE_MM.get(name, FLOW_NOISE_MM), float(v))
        for name, v in zip(names, own, strict=True)
    }


def _movement_mm(
    names: tuple[str, ...],
    values: np.ndarray,
    floor: dict[str, float] | None,
    extra: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Movement, mm, of ``values`` (..., len(names)) of the AUs ``names``; beyond ``floor`` (if given)
    plus ``extra`` (mm, broadcast over the AUs)."""
    if floor is None:
        return np.clip(values * _scale_mm(names), 0.0, None)
    below = np.array([floor[name] for name in names])
    extra = np.asarray(extra, dtype=np.float64)
    return np.clip(values * _scale_mm(names) - below - (extra[..., None] if extra.ndim else extra), 0.0, None)


def _turn_leak(tracks: AUTracks) -> np.ndarray:
    """``(N,)`` noise added by the head's turn, mm (0 where the turn is unknown)."""
    if tracks.head_turn is None:
        return np.zeros(tracks.n_frames)
    return TURN_LEAK_MM * np.nan_to_num(tracks.head_turn, nan=0.0)


def movement_beyond_noise(tracks: AUTracks, names: tuple[str, ...]) -> np.ndarray:
    """``(N, len(names))`` movement of the expressive AUs ``names`` beyond their noise and the turn's leak,
    mm (0 at or below it; NaN without a face)."""
    floor, leak = noise_mm(tracks), _turn_leak(tracks)
    values = np.column_stack([tracks.track(name) for name in names])
    return _movement_mm(names, values, floor, leak)


def expression_strength(tracks: AUTracks, *, noise: bool = True) -> np.ndarray:
    """``(N,)`` largest movement of an expressive AU per frame, mm (NaN without a face).

    Beyond measurement noise (:func:`noise_mm`) unless ``noise`` is False.
    """
    return _strength(tracks, noise_mm(tracks) if noise else None, _turn_leak(tracks))


def _strength(tracks: AUTracks, floor: dict[str, float] | None, leak: np.ndarray) -> np.ndarray:
    """:func:`expression_strength` beyond ``floor`` plus ``leak`` (mm per frame), or raw when no floor."""
    columns = _expressive(tracks)
    names = tuple(tracks.names[i] for i in columns)
    values = _movement_mm(names, tracks.values[:, columns], floor, leak)
    out = np.full(tracks.n_frames, np.nan)
    seen = np.isfinite(values).any(axis=1)
    out[seen] = np.nanmax(values[seen], axis=1)
    return out


def _split_at_dips(strength: np.ndarray, start: int, stop: int) -> list[tuple[int, int]]:
    """Split ``[start, stop)`` at its deepest dip, recursively.

    A frame's dip is its strength over the smaller of the highest strengths on either side of it; the
    span is cut at the deepest one when that is below DIP and both sides reach HIGH_MM.
    """
    part = strength[start:stop]
    if len(part) < 3:
        return [(start, stop)]
    left = np.maximum.accumulate(part)[:-2]  # highest strength before each inner frame
    right = np.maximum.accumulate(part[::-1])[::-1][2:]  # highest after it
    sides = np.minimum(left, right)
    depth = np.where(sides >= HIGH_MM, part[1:-1] / np.maximum(sides, 1e-9), np.inf)
    valley = int(np.argmin(depth))
    if depth[valley] >= DIP:
        return [(start, stop)]
    cut = start + 1 + valley
    return _split_at_dips(strength, start, cut) + _split_at_dips(strength, cut + 1, stop)


def _widen(movement: np.ndarray, start: int, stop: int, lo: int, hi: int) -> tuple[int, int]:
    """Extend ``[start, stop)`` within ``[lo, hi)`` while the movement keeps falling away from it."""
    while start > lo and END_MM < movement[start - 1] < movement[start]:
        start -= 1
    while stop < hi and END_MM < movement[stop] < movement[stop - 1]:
        stop += 1
    return start, stop


def spot_events(tracks: AUTracks, fps: float, present: np.ndarray) -> list[ExpressionEvent]:
    """Every expression event of the take, strongest first (see the module doc)."""
    rate = check_fps(fps)
    floor, leak = noise_mm(tracks), _turn_leak(tracks)
    beyond = _strength(tracks, floor, leak)
    mask = check_present(present, tracks.n_frames) & np.isfinite(beyond)
    strength = np.nan_to_num(beyond, nan=0.0)
    raw = np.nan_to_num(_strength(tracks, None, leak), nan=0.0)
    events: list[ExpressionEvent] = []
    for lo, hi in true_runs(mask):
        above = np.zeros(tracks.n_frames, bool)
        above[lo:hi] = strength[lo:hi] >= LOW_MM
        for start, stop in true_runs(above):
            if strength[start:stop].max() < HIGH_MM:
                continue
            for a, b in _split_at_dips(strength, start, stop):
                if b - a < 1 or strength[a:b].max() < HIGH_MM:
                    continue
                onset, end = _widen(raw, a, b, lo, hi)
                events.append(_event(tracks, strength, onset, end - 1, rate, floor, leak))
    return sorted(events, key=lambda e: (-e.peak, e.onset))


def _event(
    tracks: AUTracks,
    strength: np.ndarray,
    onset: int,
    offset: int,
    fps: float,
    floor: dict[str, float],
    leak: np.ndarray,
) -> ExpressionEvent:
    apex = onset + int(np.argmax(strength[onset : offset + 1]))
    row = {name: float(np.nan_to_num(v)) for name, v in zip(tracks.names, tracks.values[apex], strict=True)}
    expressive = [tracks.names[i] for i in _expressive(tracks)]
    moved = _movement_mm(tuple(expressive), np.array([row[n] for n in expressive]), floor, leak[apex])
    movement = dict(zip(expressive, moved, strict=True))
    listed = max(LOW_MM, _APEX_SHARE * float(strength[apex]))
    aus = tuple(sorted((n for n in expressive if movement[n] >= listed), key=lambda n: -row[n]))
    peak = max(row[n] for n in expressive)
    emotion, scores = emotion_of(row)
    duration = (offset - onset + 1) / fps
    return ExpressionEvent(
        onset=onset,
        apex=apex,
        offset=offset,
        peak=peak,
        duration_s=duration,
        kind="micro" if duration <= MICRO_MAX_S else "macro",
        aus=aus,
        emotion=emotion,
        emotion_scores=scores,
    )
