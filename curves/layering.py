"""Layer a micro-expression CurveSet onto a base facial performance.

The micro-expression's curves are added to the base curves from ``at_time`` on, faded in and out over
``blend`` seconds with a smoothstep weight (so the base performance is not disturbed at the seams), and
clamped to each curve's range. The summed tracks, sampled on the base's frames, are re-keyed with
:func:`curves.keys.select_keys` so the result is again auto-tangent cubic keys for Unreal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from curves.curveset import CurveKeys, CurveSet
from curves.keys import DEFAULT_TOLERANCE, select_keys
from curves.richcurve import evaluate

__all__ = ["blend_weight", "layer_curveset"]


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
) -> CurveSet:
    """Add ``micro`` onto ``base`` starting at ``at_time`` seconds of the base.

    Args:
        base: the base performance (its fps and length are kept).
        micro: the micro-expression curves (rest value 0).
        at_time: where the micro-expression's time 0 lands in the base, seconds.
        blend: fade-in/out duration in seconds (at most half the micro-expression).
        ranges: curve -> (min, max) clamp; default ``settings["curve_ranges"]`` of either set, else [0, 1].
        tolerance: key-selection tolerance for the re-keyed curves.

    Returns:
        A new CurveSet: base curves untouched where the micro-expression has no curve, summed (and re-keyed)
        where it has; micro curves absent from the base are added onto a rest value of 0.

    Raises:
        ValueError: ``at_time`` negative, or the micro-expression would run past the base's end.
    """
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
    base_names = set(base.names)
    out: list[CurveKeys] = []
    for c in base.curves:
        if c.name not in micro.names:
            out.append(c)
    for m in micro.curves:
        base_val = np.zeros_like(t)
        prev = None
        if m.name in base_names:
            prev = base.curve(m.name)
            base_val = evaluate(prev.times, prev.values, t, interp=prev.interp)
        inside = (t >= at) & (t <= end)
        add = np.zeros_like(t)
        add[inside] = evaluate(m.times, m.values, t[inside] - at, interp=m.interp)
        lo, hi = _range(m.name, micro, base, ranges)
        track = np.clip(base_val + w * add, lo, hi)
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
    }
    return CurveSet(
        fps=base.fps, n_frames=base.n_frames, curves=tuple(out), settings=settings, source=base.source
    )
