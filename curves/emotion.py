"""Emotion modulation ``c'(t) = c(t) * m_e * i_v`` and seeded variants.

``m_e`` is a per-emotion gain, optionally per AU, read from an editable YAML file (the shipped
``curves/data/emotion_profiles.yaml`` or the user's own); ``i_v`` in [0, 1] is the variant's intensity,
given by the user or sampled from the profile's range. Variants also get a timing jitter: a stretch of
the timeline around the apex and a small shift, both limited so that the expression (onset -> offset)
stays under :data:`MAX_MICRO_SECONDS` (0.5 s), the accepted upper bound of a micro-expression; a source
that is already longer is never lengthened.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from curves.au import canonical_au, parse_au
from curves.reading import read_text
from curves.rules import check_intensity

__all__ = [
    "DEFAULT_PROFILES_PATH",
    "MAX_MICRO_SECONDS",
    "MAX_PROFILE_BYTES",
    "EmotionProfile",
    "Variant",
    "apply_timing",
    "load_profiles",
    "modulate",
    "resolve_emotion",
    "sample_variants",
]

DEFAULT_PROFILES_PATH = Path(__file__).with_name("data") / "emotion_profiles.yaml"
#: Longest onset -> offset duration a micro-expression variant may have (seconds).
MAX_MICRO_SECONDS = 0.5
#: The largest emotion profile file read (bytes); the shipped one is about 3 kB.
MAX_PROFILE_BYTES = 1_000_000


@dataclass(frozen=True)
class EmotionProfile:
    """One emotion's modulation: ``gain`` for every AU, ``aus`` per-AU overrides, jitter ranges."""

    name: str
    gain: float = 1.0
    aus: Mapping[str, float] = field(default_factory=dict)
    intensity: tuple[float, float] = (0.55, 1.0)
    time_scale: tuple[float, float] = (0.85, 1.15)
    shift_ms: tuple[float, float] = (-15.0, 15.0)
    aliases: tuple[str, ...] = ()
    description: str = ""

    def gain_for(self, au: str) -> float:
        """``m_e`` of one AU: a side-specific entry (AU12R), else the bilateral one (AU12), else ``gain``."""
        name = canonical_au(au)
        if name in self.aus:
            return float(self.aus[name])
        bilateral = parse_au(name).bilateral_name
        return float(self.aus.get(bilateral, self.gain))


def _pair(value: Any, what: str, source: str, *, lo: float, hi: float) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in value)
    except (TypeError, ValueError):
        raise ValueError(f"{source}: {what} must be a list [low, high], got {value!r}") from None
    if not (math.isfinite(a) and math.isfinite(b)) or a > b or a < lo or b > hi:
        raise ValueError(f"{source}: {what} [{a}, {b}] must satisfy {lo} <= low <= high <= {hi}")
    return a, b


def _profile(name: str, data: Mapping[str, Any], defaults: Mapping[str, Any], source: str) -> EmotionProfile:
    where = f"{source}: emotion {name!r}"
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be a mapping")
    merged = {**defaults, **data}
    try:
        gain = float(merged.get("gain", 1.0))
    except (TypeError, ValueError):
        raise ValueError(f"{where}: gain must be a number, got {merged.get('gain')!r}") from None
    if not math.isfinite(gain) or gain < 0:
        raise ValueError(f"{where}: gain must be >= 0, got {gain}")
    aus: dict[str, float] = {}
    raw_aus = merged.get("aus") or {}
    if not isinstance(raw_aus, Mapping):
        raise ValueError(f"{where}: aus must be a mapping AU -> gain")
    for key, value in raw_aus.items():
        try:
            au = canonical_au(str(key))
            g = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: bad AU gain {key}: {value!r} ({exc})") from None
        if not math.isfinite(g) or g < 0:
            raise ValueError(f"{where}: gain of {au} must be >= 0, got {g}")
        aus[au] = g
    aliases = tuple(str(a).strip().lower() for a in (merged.get("aliases") or ()))
    return EmotionProfile(
        name=name,
        gain=gain,
        aus=aus,
        intensity=_pair(merged.get("intensity", (0.55, 1.0)), "intensity", where, lo=0.0, hi=1.0),
        time_scale=_pair(merged.get("time_scale", (0.85, 1.15)), "time_scale", where, lo=0.5, hi=2.0),
        shift_ms=_pair(merged.get("shift_ms", (-15, 15)), "shift_ms", where, lo=-200.0, hi=200.0),
        aliases=aliases,
        description=str(merged.get("description", "")),
    )


def load_profiles(path: str | os.PathLike[str] | None = None) -> dict[str, EmotionProfile]:
    """Read emotion profiles from YAML (the shipped file when ``path`` is None).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the YAML is malformed (message names the file and the emotion).
    """
    p = DEFAULT_PROFILES_PATH if path is None else Path(path)
    text = read_text(p, kind="emotion profile file", max_bytes=MAX_PROFILE_BYTES)
    try:
        doc = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as exc:
        raise ValueError(f"{p}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("emotions"), Mapping):
        raise ValueError(f"{p}: expected a top-level 'emotions:' mapping (see {DEFAULT_PROFILES_PATH.name})")
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        raise ValueError(f"{p}: 'defaults' must be a mapping")
    profiles = {}
    for name, data in doc["emotions"].items():
        key = str(name).strip().lower()
        profiles[key] = _profile(key, data or {}, defaults, str(p))
    if not profiles:
        raise ValueError(f"{p}: no emotions defined")
    return profiles


def resolve_emotion(name: str, profiles: Mapping[str, EmotionProfile]) -> EmotionProfile:
    """Find a profile by name or alias (case-insensitive).

    Raises:
        ValueError: unknown emotion; the message lists the known ones.
    """
    key = str(name).strip().lower()
    if key in profiles:
        return profiles[key]
    for profile in profiles.values():
        if key in profile.aliases:
            return profile
    raise ValueError(
        f"unknown emotion {name!r}; known emotions: {', '.join(sorted(profiles))} "
        "(add one to the emotion profile YAML to use it)"
    )


def modulate(
    activations: np.ndarray,
    au_names: Sequence[str],
    profile: EmotionProfile | None,
    intensity: float = 1.0,
) -> np.ndarray:
    """``c'(t) = c(t) * m_e(AU) * i_v``, clamped to [0, 1].

    Args:
        activations: ``(frames, n_aus)`` in [0, 1].
        au_names: one name per column.
        profile: the emotion (None: ``m_e = 1``).
        intensity: ``i_v`` in [0, 1].

    Returns:
        ``(frames, n_aus)`` float64 in [0, 1].
    """
    i_v = check_intensity(intensity)
    act = np.asarray(activations, dtype=np.float64)
    if act.ndim != 2 or act.shape[1] != len(au_names):
        raise ValueError(f"activations must be (frames, {len(au_names)}), got {act.shape}")
    gains = np.array([1.0 if profile is None else profile.gain_for(a) for a in au_names], dtype=np.float64)
    return np.clip(act * gains[None, :] * i_v, 0.0, 1.0)


@dataclass(frozen=True)
class Variant:
    """One variant's sampled parameters (variant 0 is the unjittered one)."""

    index: int
    intensity: float
    time_scale: float = 1.0
    shift_s: float = 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "index": self.index,
            "intensity": round(self.intensity, 6),
            "time_scale": round(self.time_scale, 6),
            "shift_s": round(self.shift_s, 6),
        }


def sample_variants(
    n: int,
    seed: int,
    *,
    profile: EmotionProfile | None,
    intensity: float | None,
    fps: float,
    onset: int,
    offset: int,
) -> list[Variant]:
    """Sample ``n`` variants deterministically from ``seed``.

    Variant 0 keeps the timing and uses ``intensity`` (sampled when None). The others sample an intensity
    around the given one (+-0.15, or from the profile's range when none is given), a time stretch and a
    shift from the profile's ranges; the stretch is limited so ``(offset - onset) / fps * scale`` stays
    under 0.5 s (and sources longer than that are never stretched).
    """
    if int(n) != n or n < 1:
        raise ValueError(f"variants must be a positive integer, got {n!r}")
    prof = profile or EmotionProfile(name="neutral")
    rng = np.random.default_rng(int(seed))
    duration = max(0, int(offset) - int(onset)) / float(fps)
    max_scale = prof.time_scale[1]
    if duration > 0:
        max_scale = min(max_scale, max(1.0, 0.999 * MAX_MICRO_SECONDS / duration))
        if duration * 1.0 >= MAX_MICRO_SECONDS:
            max_scale = 1.0
    min_scale = min(prof.time_scale[0], max_scale)
    variants: list[Variant] = []
    for index in range(int(n)):
        if intensity is None:
            i_v = float(rng.uniform(*prof.intensity))
        elif index == 0:
            i_v = float(intensity)
        else:
            i_v = float(np.clip(float(intensity) + rng.uniform(-0.15, 0.15), 0.0, 1.0))
        if index == 0:
            variants.append(Variant(index=0, intensity=i_v))
            continue
        scale = float(rng.uniform(min_scale, max_scale))
        shift = float(rng.uniform(*prof.shift_ms)) / 1000.0
        variants.append(Variant(index=index, intensity=i_v, time_scale=scale, shift_s=shift))
    return variants


def apply_timing(
    activations: np.ndarray, fps: float, apex: int, *, time_scale: float, shift_s: float
) -> np.ndarray:
    """Stretch the tracks' timeline around the apex and shift it, keeping the frame count.

    The value at output time ``t`` is the input at ``apex_t + (t - apex_t - shift) / scale`` (linear
    interpolation between frames, edge values held outside the clip).

    Args:
        activations: ``(frames, n_aus)``.
        fps: frame rate.
        apex: apex frame index (the stretch's fixed point before shifting).
        time_scale: > 0; 1.2 makes the expression 20 % longer.
        shift_s: seconds; positive moves it later.

    Returns:
        ``(frames, n_aus)`` float64.
    """
    if not math.isfinite(time_scale) or time_scale <= 0:
        raise ValueError(f"time_scale must be > 0, got {time_scale!r}")
    act = np.asarray(activations, dtype=np.float64)
    n = act.shape[0]
    t = np.arange(n) / float(fps)
    apex_t = apex / float(fps)
    src = apex_t + (t - apex_t - shift_s) / time_scale
    out = np.empty_like(act)
    for j in range(act.shape[1]):
        out[:, j] = np.interp(src, t, act[:, j])
    return out
