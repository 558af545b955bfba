"""From AU tracks to CurveSets: smoothing -> emotion -> timing jitter -> rig mapping -> keys.

``load_tracks`` reads a MicroExpression JSON, an OpenFace 2.x CSV, a py-feat CSV, a Live Link Face CSV or
MediaPipe blendshape tracks (detected by content; the last two through :mod:`curves.captures`).
:func:`build_curvesets` is the one pipeline: every variant's CurveSet with the intermediate tracks (what
previews draw); :func:`make_curvesets` is the same call returning only the CurveSets (what the plugin
asks for). :func:`build_curveset` is one variant's step. The files of a result are written by
:func:`curves.bundle.write_bundle`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curves.captures import capture_format, read_live_link_csv, read_mediapipe_csv, read_openface_capture
from curves.curveset import CurveKeys, CurveSet
from curves.emotion import (
    EmotionProfile,
    Variant,
    apply_timing,
    load_profiles,
    modulate,
    resolve_emotion,
    sample_variants,
)
from curves.io import read_pyfeat_csv
from curves.keys import DEFAULT_TOLERANCE, KeySelection, select_keys
from curves.microexpression import MicroExpression
from curves.rigmap import RigTable, load_rig_table, map_to_rig
from curves.rules import check_intensity
from curves.spline import smooth_activations, validate_activations

__all__ = ["CurveBuild", "build_curveset", "detect_format", "load_tracks", "make_curvesets"]

logger = logging.getLogger(__name__)


def detect_format(path: str | os.PathLike[str]) -> str:
    """``"json"``, ``"openface"``, ``"pyfeat"``, ``"livelink"`` or ``"mediapipe"`` from the file's content.

    Raises:
        FileNotFoundError; ValueError when the content is none of them.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"AU track file not found: {p}")
    with p.open("r", encoding="utf-8-sig", errors="replace") as f:
        head = f.read(4096)
    stripped = head.lstrip()
    if stripped.startswith(("{", "[")):  # a take, or the older ``infer --all`` list of detections
        return "json"
    first = stripped.splitlines()[0] if stripped else ""
    cells = [c.strip() for c in first.split(",")]
    if any(c.startswith("AU") and (c.endswith("_r") or c.endswith("_c")) for c in cells):
        return "openface"
    if any(len(c) == 4 and c.startswith("AU") and c[2:].isdigit() for c in cells):
        return "pyfeat"
    capture = capture_format(cells)
    if capture is not None:
        return capture
    raise ValueError(
        f"{p}: not a MicroExpression JSON, an OpenFace CSV (AU01_r ... columns), a py-feat CSV "
        "(AU01 ... columns), a Live Link Face CSV or MediaPipe blendshape tracks"
    )


def load_tracks(path: str | os.PathLike[str], *, fps: float | None = None) -> MicroExpression:
    """Read AU tracks from a MicroExpression JSON, an OpenFace 2.x CSV, a py-feat CSV, a Live Link Face
    CSV or MediaPipe blendshape tracks (the last two with their automatic neutral span subtracted; OpenFace
    frames under :data:`curves.captures.DEFAULT_MIN_CONFIDENCE` dropped and filled).

    Args:
        path: the file.
        fps: frame rate override (needed for CSVs without time columns; for JSON it replaces the stored fps).
    """
    kind = detect_format(path)
    if kind == "openface":
        return read_openface_capture(path, fps=fps)
    if kind == "pyfeat":
        return read_pyfeat_csv(path, fps=fps)
    if kind == "livelink":
        return read_live_link_csv(path, fps=fps)
    if kind == "mediapipe":
        return read_mediapipe_csv(path, fps=fps)
    me = MicroExpression.load(path)
    if fps is not None:
        data = me.to_dict()
        data["fps"] = fps
        me = MicroExpression.from_dict(data)
    return me


@dataclass(frozen=True)
class CurveBuild:
    """One variant with its intermediate tracks.

    Attributes:
        curveset: the result.
        smoothed: ``(frames, n_aus)`` AU tracks after smoothing, emotion and timing.
        targets: curve name -> target track per frame (what the keys reproduce).
        variant: the variant's parameters.
    """

    curveset: CurveSet
    smoothed: np.ndarray
    targets: Mapping[str, np.ndarray]
    variant: Variant


def _profile_for(
    me: MicroExpression, emotion: str | None, profiles: Mapping[str, EmotionProfile]
) -> EmotionProfile | None:
    if emotion is not None:
        return resolve_emotion(emotion, profiles)
    if me.emotion:
        try:
            return resolve_emotion(me.emotion, profiles)
        except ValueError:
            logger.warning("emotion %r of the tracks has no profile; AU tracks are not modulated", me.emotion)
    return None


def build_curveset(
    me: MicroExpression,
    table: RigTable,
    variant: Variant,
    *,
    profile: EmotionProfile | None,
    tolerance: float = DEFAULT_TOLERANCE,
    smoothing: float = 1.0,
    skeleton_curves: Iterable[str] | None = None,
    strict: bool = False,
    settings: Mapping[str, Any] | None = None,
) -> CurveBuild:
    """One variant: smooth -> modulate -> timing -> map -> keys."""
    smoothed = smooth_activations(me.activations, me.fps, smoothing=smoothing, names=me.au_names)
    tracks = modulate(smoothed, me.au_names, profile, variant.intensity)
    if variant.time_scale != 1.0 or variant.shift_s != 0.0:
        tracks = apply_timing(tracks, me.fps, me.apex, time_scale=variant.time_scale, shift_s=variant.shift_s)
    mapping = map_to_rig(tracks, me.au_names, table, skeleton_curves=skeleton_curves, strict=strict)
    curves = []
    done: dict[tuple[bytes, float, float], KeySelection] = {}  # L/R curves of one AU share their keys
    for name, target in mapping.curves.items():
        lo, hi = mapping.ranges[name]
        memo = (np.ascontiguousarray(target).tobytes(), lo, hi)
        if memo not in done:
            done[memo] = select_keys(target, me.fps, tolerance=tolerance, value_range=(lo, hi))
        sel = done[memo]
        curves.append(
            CurveKeys(
                name=name,
                times=sel.times,
                values=sel.values,
                source_aus=mapping.sources[name],
                mapping_rows=mapping.rows[name],
                max_error=sel.max_error,
                rms_error=sel.rms_error,
            )
        )
    info: dict[str, Any] = dict(settings or {})
    info.update(
        {
            "variant": variant.to_dict(),
            "intensity": variant.intensity,
            "emotion": profile.name if profile else None,
            "emotion_gains": {a: profile.gain_for(a) for a in me.au_names} if profile else {},
            "curve_ranges": {k: list(v) for k, v in mapping.ranges.items()},
            "skipped_aus": list(mapping.skipped_aus),
            "skipped_curves": list(mapping.skipped_curves),
            "keys_total": sum(c.n_keys for c in curves),
            "max_error": max((c.max_error for c in curves), default=0.0),
        }
    )
    cs = CurveSet(fps=me.fps, n_frames=me.n_frames, curves=tuple(curves), settings=info, source=me.source)
    return CurveBuild(curveset=cs, smoothed=tracks, targets=dict(mapping.curves), variant=variant)


def build_curvesets(
    me: MicroExpression,
    *,
    rig: str | os.PathLike[str] = "metahuman",
    emotion: str | None = None,
    intensity: float | None = 1.0,
    variants: int = 1,
    seed: int = 0,
    tolerance: float = DEFAULT_TOLERANCE,
    smoothing: float = 1.0,
    profiles: str | os.PathLike[str] | None = None,
    skeleton_curves: Iterable[str] | None = None,
    strict: bool = False,
) -> list[CurveBuild]:
    """Like :func:`make_curvesets`, returning the intermediate tracks too."""
    validate_activations(me.activations, me.fps, names=me.au_names)
    if intensity is not None:
        check_intensity(intensity)
    table = load_rig_table(rig)
    known = load_profiles(profiles)
    profile = _profile_for(me, emotion, known)
    plan = sample_variants(
        variants, seed, profile=profile, intensity=intensity, fps=me.fps, onset=me.onset, offset=me.offset
    )
    skeleton = None if skeleton_curves is None else list(skeleton_curves)
    base_settings = {
        "rig": str(rig),
        "rig_table": table.source,
        "emotion_requested": emotion,
        "emotion_profiles": str(profiles) if profiles is not None else "default",
        "intensity_requested": intensity,
        "variants": int(variants),
        "seed": int(seed),
        "tolerance": float(tolerance),
        "smoothing": float(smoothing),
        "interp": "RCIM_Cubic",
        "tangent": "RCTM_Auto",
        "model": me.model,
        "model_version": me.model_version,
        "onset": me.onset,
        "apex": me.apex,
        "offset": me.offset,
        "au_names": list(me.au_names),
    }
    return [
        build_curveset(
            me,
            table,
            v,
            profile=profile,
            tolerance=tolerance,
            smoothing=smoothing,
            skeleton_curves=skeleton,
            strict=strict,
            settings=base_settings,
        )
        for v in plan
    ]


def make_curvesets(
    me: MicroExpression,
    *,
    rig: str | Path = "metahuman",
    emotion: str | None = None,
    intensity: float | None = 1.0,
    variants: int = 1,
    seed: int = 0,
    tolerance: float = 0.01,
    smoothing: float = 1.0,
    profiles: str | Path | None = None,
    skeleton_curves: Iterable[str] | None = None,
    strict: bool = False,
) -> list[CurveSet]:
    """AU tracks -> one CurveSet per variant (variant 0 unjittered).

    Args:
        me: the micro-expression (AU tracks per frame).
        rig: ``"metahuman"``, ``"arkit"`` or a rig-table CSV.
        emotion: emotion profile to apply (None: the tracks' own emotion if it has a profile, else none).
        intensity: ``i_v`` in [0, 1] of variant 0 (others sample around it); None samples every
            variant's intensity from the emotion profile's range.
        variants: number of CurveSets.
        seed: seed of the variant sampling.
        tolerance: largest replay error of the keys at any source frame.
        smoothing: B-spline smoothing factor (0 interpolates).
        profiles: emotion profile YAML (default: the shipped one).
        skeleton_curves: curve names the target skeleton has (others are skipped with a warning).
        strict: raise instead of warning on skipped AUs/curves.
    """
    builds = build_curvesets(
        me,
        rig=rig,
        emotion=emotion,
        intensity=intensity,
        variants=variants,
        seed=seed,
        tolerance=tolerance,
        smoothing=smoothing,
        profiles=profiles,
        skeleton_curves=skeleton_curves,
        strict=strict,
    )
    return [b.curveset for b in builds]
