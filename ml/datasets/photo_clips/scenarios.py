"""Seeded scenarios with known truth: expression events, blinks, head motion, lighting, sensor noise.

A scenario is defined in seconds and sampled at any frame rate, so one performance renders at 30 and at
200 fps. Expression events follow emotion prototypes (EMFACS-style, below); their envelope is a chain of
key levels joined by smooth steps: onset 0 -> apex 1 -> (hold at 1 | dip then a second peak) -> offset 0,
with independent rise and fall times. An event is *micro* when it lasts at most 0.5 s (amplitude
0.1-0.4 here) and *macro* otherwise (0.5-4 s, amplitude 0.4-1.0). Blinks (AU45) are recorded apart from
expression events. Head motion is a slow drift of yaw, pitch, roll and translation plus, in some
scenarios, a head turn of a few degrees at a time with no action. Lighting drifts in gain and offset.

Families: ``micro`` (micro events only), ``macro`` (a held expression, a double peak, asymmetric
events). Seeds from ``HELD_OUT_SEED_START`` up are kept for held-out figures.

| emotion   | prototype (relative weights)                         |
|-----------|------------------------------------------------------|
| happiness | AU6 0.8, AU12 1.0                                    |
| surprise  | AU1 1.0, AU2 1.0, AU5 0.8, AU26 0.7                  |
| sadness   | AU1 1.0, AU4 0.8, AU15 1.0                           |
| disgust   | AU9 1.0, AU10 0.8, AU17 0.5                          |
| fear      | AU1 1.0, AU2 0.8, AU4 0.7, AU5 1.0, AU20 0.9, AU25 0.6 |
| anger     | AU4 1.0, AU7 0.8, AU23 1.0                           |
| contempt  | AU12R 0.6, AU14R 1.0 (one side)                      |
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ml.datasets.photo_clips.actions import MOTIONS, SIDED_AUS, TRUTH_AUS, drive_units

Family = Literal["micro", "macro"]
#: Slow head drift amplitude ranges: yaw, pitch, roll in degrees, translation in IOD (period 3-6 s).
DRIFT_RANGES = {
    "yaw": (0.5, 1.5),
    "pitch": (0.3, 1.0),
    "roll": (0.3, 1.5),
    "tx": (0.01, 0.05),
    "ty": (0.01, 0.04),
}
FAMILIES: tuple[str, ...] = ("micro", "macro")
HELD_OUT_SEED_START = 1000
MICRO_MAX_S = 0.5

EMOTION_PROTOTYPES: dict[str, dict[str, float]] = {
    "happiness": {"AU6": 0.8, "AU12": 1.0},
    "surprise": {"AU1": 1.0, "AU2": 1.0, "AU5": 0.8, "AU26": 0.7},
    "sadness": {"AU1": 1.0, "AU4": 0.8, "AU15": 1.0},
    "disgust": {"AU9": 1.0, "AU10": 0.8, "AU17": 0.5},
    "fear": {"AU1": 1.0, "AU2": 0.8, "AU4": 0.7, "AU5": 1.0, "AU20": 0.9, "AU25": 0.6},
    "anger": {"AU4": 1.0, "AU7": 0.8, "AU23": 1.0},
    "contempt": {"AU12R": 0.6, "AU14R": 1.0},
}
EMOTIONS: tuple[str, ...] = tuple(EMOTION_PROTOTYPES)

#: Units that move the mesh, in a fixed order (sided units per side).
UNITS: tuple[str, ...] = tuple(MOTIONS)


@dataclass(frozen=True)
class Envelope:
    """Key (time s, level) pairs joined by smooth steps; level 0 before the first and after the last."""

    keys: tuple[tuple[float, float], ...]

    def __call__(self, t: np.ndarray) -> np.ndarray:
        out = np.zeros(t.shape, dtype=np.float64)
        for (t0, v0), (t1, v1) in zip(self.keys[:-1], self.keys[1:], strict=True):
            inside = (t >= t0) & (t <= t1)
            u = (t[inside] - t0) / max(t1 - t0, 1e-9)
            out[inside] = v0 + (v1 - v0) * u * u * (3.0 - 2.0 * u)
        return out

    @property
    def start(self) -> float:
        return self.keys[0][0]

    @property
    def end(self) -> float:
        return self.keys[-1][0]

    @property
    def peak_time(self) -> float:
        """Time of the first key at the highest level."""
        top = max(level for _, level in self.keys)
        return next(t for t, level in self.keys if level == top)


@dataclass(frozen=True)
class ScriptedEvent:
    """One expression (or blink) in a scenario: its units' weights scaled by ``amplitude`` x envelope."""

    emotion: str  # an EMOTION_PROTOTYPES key, or "blink"
    weights: dict[str, float]
    amplitude: float
    envelope: Envelope
    shape: str  # "micro", "single", "hold", "double", "asymmetric" or "blink"


@dataclass(frozen=True)
class HeadTurn:
    """A head turn with no action: yaw rising smoothly to ``degrees``, held, and back (``envelope``)."""

    degrees: float
    envelope: Envelope


@dataclass(frozen=True)
class Scenario:
    """A seeded performance in seconds; sampled per frame at any rate by the functions below.

    ``drift`` maps yaw, pitch, roll (degrees) and tx, ty (IOD) to (amplitude, period s, phase) of a
    sine; ``gain`` and ``offset`` drift linearly from their first to their second value.
    """

    seed: int
    family: str
    duration_s: float
    events: tuple[ScriptedEvent, ...]
    blinks: tuple[ScriptedEvent, ...]
    head_turns: tuple[HeadTurn, ...]
    drift: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    gain: tuple[float, float] = (1.0, 1.0)
    offset: tuple[float, float] = (0.0, 0.0)
    noise_sigma: float = 1.5

    @property
    def held_out(self) -> bool:
        return self.seed >= HELD_OUT_SEED_START


def _frame(t: float, fps: float, n: int) -> int:
    return min(n - 1, max(0, round(t * fps)))


def event_truth(event: ScriptedEvent, fps: float, n: int) -> dict[str, object]:
    """Frames and labels of one scripted event at ``fps`` (``n`` frames in the clip)."""
    duration = event.envelope.end - event.envelope.start
    return {
        "onset": _frame(event.envelope.start, fps, n),
        "apex": _frame(event.envelope.peak_time, fps, n),
        "offset": _frame(event.envelope.end, fps, n),
        "peak": round(event.amplitude * max(level for _, level in event.envelope.keys), 6),
        "duration_s": round(duration, 6),
        "kind": "micro" if duration <= MICRO_MAX_S else "macro",
        "emotion": event.emotion,
        "aus": sorted(event.weights),
        "shape": event.shape,
    }


def unit_intensities(scenario: Scenario, t: np.ndarray) -> np.ndarray:
    """(N, len(UNITS)) intensities of every mesh unit at times ``t`` (s), clipped to [0, 1]."""
    out = np.zeros((len(t), len(UNITS)))
    for event in (*scenario.events, *scenario.blinks):
        level = event.amplitude * event.envelope(t)
        for unit, weight in drive_units(event.weights).items():
            out[:, UNITS.index(unit)] += weight * level
    return np.clip(out, 0.0, 1.0)


def truth_intensities(units: np.ndarray) -> np.ndarray:
    """(N, len(TRUTH_AUS)) from unit intensities: a sided unit's bilateral value is its stronger side."""
    out = np.zeros((units.shape[0], len(TRUTH_AUS)))
    for j, name in enumerate(TRUTH_AUS):
        if name in SIDED_AUS:
            out[:, j] = np.maximum(units[:, UNITS.index(name + "L")], units[:, UNITS.index(name + "R")])
        else:
            out[:, j] = units[:, UNITS.index(name)]
    return out


def head_pose(scenario: Scenario, t: np.ndarray) -> np.ndarray:
    """(N, 5): yaw, pitch, roll (degrees, signs as ``ml.stages.landmarks.head_pose``), tx, ty (IOD)."""
    pose = np.zeros((len(t), 5))
    for j, name in enumerate(("yaw", "pitch", "roll", "tx", "ty")):
        if name in scenario.drift:
            amplitude, period, phase = scenario.drift[name]
            pose[:, j] = amplitude * np.sin(2.0 * math.pi * t / period + phase)
    for turn in scenario.head_turns:
        pose[:, 0] += turn.degrees * turn.envelope(t)
    return pose


def lighting(scenario: Scenario, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame gain and offset (grey levels), drifting linearly over the clip."""
    u = np.clip(t / max(scenario.duration_s, 1e-9), 0.0, 1.0)
    gain = scenario.gain[0] + (scenario.gain[1] - scenario.gain[0]) * u
    offset = scenario.offset[0] + (scenario.offset[1] - scenario.offset[0]) * u
    return gain, offset


def frame_times(scenario: Scenario, fps: float) -> np.ndarray:
    if not fps > 0:
        raise ValueError(f"Frame rate must be positive, got {fps!r}")
    return np.arange(round(scenario.duration_s * fps)) / fps


# ----------------------------------------------------------------------------------------------------------
# Generation


def _weights(rng: np.random.Generator, emotion: str) -> dict[str, float]:
    """The emotion's prototype with each weight varied by up to 15 %, capped at 1."""
    return {au: float(min(1.0, w * rng.uniform(0.85, 1.15))) for au, w in EMOTION_PROTOTYPES[emotion].items()}


def _single(rng: np.random.Generator, start: float, duration: float) -> Envelope:
    rise = duration * rng.uniform(0.3, 0.6)
    return Envelope(((start, 0.0), (start + rise, 1.0), (start + duration, 0.0)))


def _hold(rng: np.random.Generator, start: float, duration: float) -> Envelope:
    rise = min(0.5, duration * rng.uniform(0.12, 0.2))
    fall = min(0.6, duration * rng.uniform(0.15, 0.25))
    return Envelope(
        ((start, 0.0), (start + rise, 1.0), (start + duration - fall, 1.0), (start + duration, 0.0))
    )


def _double(rng: np.random.Generator, start: float, duration: float) -> Envelope:
    a, dip, b = (np.cumsum(rng.dirichlet([2.0, 2.0, 2.0, 2.5])) * duration)[:3]
    return Envelope(
        (
            (start, 0.0),
            (start + a, 1.0),
            (start + dip, rng.uniform(0.3, 0.55)),
            (start + b, rng.uniform(0.75, 0.95)),
            (start + duration, 0.0),
        )
    )


def _asymmetric(rng: np.random.Generator, start: float, duration: float) -> Envelope:
    rise = duration * (rng.uniform(0.12, 0.25) if rng.random() < 0.5 else rng.uniform(0.65, 0.8))
    return Envelope(((start, 0.0), (start + rise, 1.0), (start + duration, 0.0)))


def _blink(rng: np.random.Generator, start: float) -> ScriptedEvent:
    duration = rng.uniform(0.1, 0.3)
    close = duration * rng.uniform(0.3, 0.45)
    envelope = Envelope(((start, 0.0), (start + close, 1.0), (start + duration, 0.0)))
    return ScriptedEvent("blink", {"AU45": 1.0}, float(rng.uniform(0.85, 1.0)), envelope, "blink")


def _plan(rng: np.random.Generator, family: str, duration_s: float) -> list[tuple[str, float]]:
    """Items (kind, length s) to lay out in order: expression shapes, blinks and head turns.

    Long clips (5 s or more) get a blink or a head turn after every micro event; short (high-speed)
    clips after every second one, so that they still hold several events.
    """
    long_clip = duration_s >= 5.0
    turn = ("turn", 0.9 if long_clip else 0.4)
    if family == "micro":
        items: list[tuple[str, float]] = []
        while sum(length + 0.4 for _, length in items) < duration_s:
            items.append(("micro", float(rng.uniform(0.2, MICRO_MAX_S))))
            if long_clip or len(items) % 3 == 2:
                items.append(("blink", 0.3) if rng.random() < 0.5 else turn)
        return items
    if family == "macro":
        if long_clip:
            items = [
                ("hold", float(rng.uniform(1.5, 2.2))),
                ("blink", 0.3),
                ("double", float(rng.uniform(0.9, 1.3))),
            ]
            items += [("turn", 0.6), ("asymmetric", float(rng.uniform(0.6, 1.0))), ("blink", 0.3)]
            return [*items, ("single", float(rng.uniform(0.6, 1.0)))]
        items = [("hold", float(rng.uniform(0.6, 0.8))), ("double", float(rng.uniform(0.55, 0.7)))]
        return [*items, ("blink", 0.3), ("asymmetric", float(rng.uniform(0.5, 0.6))), turn]
    raise ValueError(f"Unknown scenario family {family!r}; use one of: {', '.join(FAMILIES)}")


def make_scenario(seed: int, family: str = "micro", duration_s: float = 8.0) -> Scenario:
    """A deterministic scenario for ``seed``: events laid out in order with neutral gaps between.

    The first 0.4 s stay neutral (where a measurement finds the subject's neutral face); items that
    would end within 0.3 s of the end are dropped.
    """
    if not 1.5 <= duration_s <= 60.0:
        raise ValueError(f"Scenario duration must be between 1.5 and 60 s, got {duration_s!r}")
    rng = np.random.default_rng(seed)
    events: list[ScriptedEvent] = []
    blinks: list[ScriptedEvent] = []
    turns: list[HeadTurn] = []
    clock = 0.4
    for kind, length in _plan(rng, family, duration_s):
        start = clock + float(rng.uniform(0.25, 0.45))
        if start + length > duration_s - 0.3:
            continue
        if kind == "blink":
            blinks.append(_blink(rng, start))
        elif kind == "turn":
            degrees = float(rng.choice([-1.0, 1.0]) * rng.uniform(3.0, 6.0))
            turns.append(HeadTurn(degrees, _hold(rng, start, length)))
        else:
            emotion = str(rng.choice(EMOTIONS))
            if kind == "micro":
                amplitude, envelope = rng.uniform(0.1, 0.4), _single(rng, start, length)
            else:
                make = {"hold": _hold, "double": _double, "asymmetric": _asymmetric, "single": _single}
                amplitude, envelope = rng.uniform(0.4, 1.0), make[kind](rng, start, length)
                emotion = "happiness" if kind == "hold" else emotion  # the held smile
            events.append(ScriptedEvent(emotion, _weights(rng, emotion), float(amplitude), envelope, kind))
        clock = start + length
    drift = {
        name: (
            float(rng.uniform(low, high)),
            float(rng.uniform(3.0, 6.0)),
            float(rng.uniform(0, 2 * math.pi)),
        )
        for name, (low, high) in DRIFT_RANGES.items()
    }
    return Scenario(
        seed=seed,
        family=family,
        duration_s=float(duration_s),
        events=tuple(events),
        blinks=tuple(blinks),
        head_turns=tuple(turns),
        drift=drift,
        gain=(float(rng.uniform(0.9, 1.1)), float(rng.uniform(0.85, 1.15))),
        offset=(float(rng.uniform(-8, 8)), float(rng.uniform(-12, 12))),
        noise_sigma=float(rng.uniform(1.0, 2.0)),
    )
