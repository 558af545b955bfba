"""Layer a micro-expression CurveSet onto a base facial performance.

The micro-expression's curves are added to the base curves from ``at_time`` on, faded in and out over
``blend`` seconds with a smoothstep weight (so the base performance is not disturbed at the seams), and
clamped to each curve's range. The summed tracks, sampled on the base's frames, are re-keyed with
:func:`curves.keys.select_keys` so the result is again auto-tangent cubic keys for Unreal.

Speech: a micro-expression laid over dialogue must not fight the lip sync. A curve belongs to the mouth
when its source AUs are lip or jaw actions (:func:`curves.coverage.au_region`) or, with no source AU, when
its name is a jaw, mouth, lip, tongue or viseme control. ``regions="upper"`` leaves the micro-expression's
mouth curves out (brows, lids, cheeks and nose are added). With ``regions="all"`` and ``duck_mouth``, the
mouth curves are scaled by ``1 - s(t)``, where the speech activity ``s(t)`` in [0, 1] is how far the base's
own mouth curves move within :data:`SPEECH_WINDOW_S` around ``t`` (no duck below
:data:`SPEECH_RANGE_QUIET`, full duck from :data:`SPEECH_RANGE_TALKING`): where the base talks, its lips
are left alone; where it is silent, the whole micro-expression plays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from curves.coverage import UPPER_FACE_REGIONS, au_region
from curves.curveset import CurveKeys, CurveSet
from curves.errors import CurvesError
from curves.keys import DEFAULT_TOLERANCE, select_keys
from curves.richcurve import evaluate

__all__ = ["REGIONS", "blend_weight", "is_mouth_curve", "layer_curveset", "speech_activity"]

#: What ``regions`` accepts: every curve, or the upper face only.
REGIONS = ("all", "upper")
#: Seconds around a frame over which the base's mouth movement is measured.
SPEECH_WINDOW_S = 0.25
#: Peak-to-peak movement of a mouth curve within the window (curve units) below which the base is silent,
#: and from which it is surely talking (a syllable opens the jaw by 0.2 or more).
SPEECH_RANGE_QUIET = 0.03
SPEECH_RANGE_TALKING = 0.15
_MOUTH_NAMES = ("jaw", "mouth", "lip", "tongue", "viseme")


def is_mouth_curve(curve: CurveKeys) -> bool:
    """Whether a curve is driven by lip or jaw actions (see the module notes)."""
    if curve.source_aus:
        return any(au_region(a) not in UPPER_FACE_REGIONS for a in curve.source_aus)
    lowered = curve.name.lower()
    return any(part in lowered for part in _MOUTH_NAMES)


def speech_activity(base: CurveSet, t: np.ndarray) -> np.ndarray:
    """``s(t)`` in [0, 1]: how much the base's mouth curves move around each time (0: silent)."""
    t = np.asarray(t, dtype=np.float64)
    mouth = [c for c in base.curves if is_mouth_curve(c)]
    if not mouth or t.size == 0:
        return np.zeros_like(t)
    frames = np.arange(base.n_frames) / base.fps
    half = max(1, round(SPEECH_WINDOW_S * base.fps / 2))
    span = np.zeros_like(frames)
    for c in mouth:
        v = evaluate(c.times, c.values, frames, interp=c.interp)
        windows = np.lib.stride_tricks.sliding_window_view(np.pad(v, half, mode="edge"), 2 * half + 1)
        span = np.maximum(span, windows.max(axis=1) - windows.min(axis=1))
    x = np.clip((span - SPEECH_RANGE_QUIET) / (SPEECH_RANGE_TALKING - SPEECH_RANGE_QUIET), 0.0, 1.0)
    return np.interp(t, frames, x * x * (3.0 - 2.0 * x))


def blend_weight(t: np.ndarray, start: float, end: float, blend: float) -> np.ndarray:
    """Smoothstep fade-in over ``[start, start + blend]``, fade-out over ``[end - blend, end]``, 0 outside."""
    t = np.asarray(t, dtype=np.float64)
    b = min(max(float(blend), 0.0), (end - start) / 2.0)
    if b <= 0:
        return ((t >= start) & (t <= end)).astype(np.float64)
    x = np.clip(np.minimum(t - start, end - t) / b, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _range(
    name: str, micro: CurveSet, base: CurveSet, ranges: Mapping[str, tuple[float, float]] | None
) -> tuple[float, float]:
    for source in (ranges, micro.settings.get("curve_ranges"), base.settings.get("curve_ranges")):
        if isinstance(source, Mapping) and name in source:
            lo, hi = source[name]
            return float(lo), float(hi)
    return 0.0, 1.0


def layer_curveset(
    base: CurveSet,
    micro: CurveSet,
    at_time: float,
    *,
    blend: float = 0.05,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    regions: str = "all",
    duck_mouth: bool = True,
) -> CurveSet:
    """Add ``micro`` onto ``base`` starting at ``at_time`` seconds of the base.

    Args:
        base: the base performance (its fps and length are kept).
        micro: the micro-expression curves (rest value 0).
        at_time: where the micro-expression's time 0 lands in the base, seconds.
        blend: fade-in/out duration in seconds (at most half the micro-expression).
        ranges: curve -> (min, max) clamp; default ``settings["curve_ranges"]`` of either set, else [0, 1].
        tolerance: key-selection tolerance for the re-keyed curves.
        regions: ``"all"`` or ``"upper"`` (the micro-expression's mouth curves are left out).
        duck_mouth: with ``"all"``, scale the mouth curves down where the base talks.

    Returns:
        A new CurveSet: base curves untouched where the micro-expression has no curve, summed (and re-keyed)
        where it has; micro curves absent from the base are added onto a rest value of 0.

    Raises:
        ValueError: ``at_time`` negative, the micro-expression would run past the base's end, or an
            unknown ``regions``.
    """
    if regions not in REGIONS:
        raise CurvesError(f"regions must be one of {', '.join(REGIONS)}, got {regions!r}")
    at = float(at_time)
    if not math.isfinite(at) or at < 0:
        raise ValueError(f"at_time must be >= 0 seconds, got {at_time!r}")
    end = at + micro.duration
    if end > base.duration + 1e-9:
        raise ValueError(
            f"the micro-expression ({micro.duration:.3f} s) placed at {at:.3f} s ends at {end:.3f} s, "
            f"after the base performance's end ({base.duration:.3f} s); place it earlier"
        )
    t = np.arange(base.n_frames) / base.fps
    w = blend_weight(t, at, end, blend)
    mouth = {m.name for m in micro.curves if is_mouth_curve(m)}
    left_out = sorted(mouth) if regions == "upper" else []
    layered = [m for m in micro.curves if m.name not in left_out]
    duck = np.ones_like(t)
    if regions == "all" and duck_mouth and mouth:
        duck = 1.0 - speech_activity(base, t)
    base_names = set(base.names)
    out: list[CurveKeys] = []
    for c in base.curves:
        if c.name not in {m.name for m in layered}:
            out.append(c)
    ducked: dict[str, float] = {}
    for m in layered:
        base_val = np.zeros_like(t)
        prev = None
        if m.name in base_names:
            prev = base.curve(m.name)
            base_val = evaluate(prev.times, prev.values, t, interp=prev.interp)
        inside = (t >= at) & (t <= end)
        add = np.zeros_like(t)
        add[inside] = evaluate(m.times, m.values, t[inside] - at, interp=m.interp)
        lo, hi = _range(m.name, micro, base, ranges)
        gain = duck if m.name in mouth else np.ones_like(t)
        if m.name in mouth and np.any(inside):
            ducked[m.name] = float(gain[inside].min())
        track = np.clip(base_val + w * gain * add, lo, hi)
        sel = select_keys(track, base.fps, tolerance=tolerance, value_range=(lo, hi))
        sources = tuple(dict.fromkeys((*(prev.source_aus if prev else ()), *m.source_aus)))
        rows = tuple(dict.fromkeys((*(prev.mapping_rows if prev else ()), *m.mapping_rows)))
        out.append(
            CurveKeys(
                m.name,
                sel.times,
                sel.values,
                source_aus=sources,
                mapping_rows=rows,
                max_error=sel.max_error,
                rms_error=sel.rms_error,
            )
        )
    settings = dict(base.settings)
    settings["layered"] = {
        "at_time": at,
        "blend": float(blend),
        "micro_source": micro.source,
        "micro_settings": dict(micro.settings),
        "tolerance": float(tolerance),
        "regions": regions,
        "duck_mouth": bool(duck_mouth),
        "curves": [m.name for m in layered],
        "left_out": left_out,
        "mouth_gain_min": ducked,
    }
    return CurveSet(
        fps=base.fps, n_frames=base.n_frames, curves=tuple(out), settings=settings, source=base.source
    )
