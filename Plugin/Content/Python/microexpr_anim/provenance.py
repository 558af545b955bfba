"""What a generated AnimSequence records about itself (pure, no ``unreal``).

Each asset carries:

* **sync markers** ``MicroExpr_Onset``, ``MicroExpr_Apex`` and ``MicroExpr_Offset`` on the notify track
  ``MicroExpr``, at the times (seconds) the micro-expression starts, peaks and ends in *this* asset (a
  variant's timing jitter and a layering offset included). Sequencer shows them, and gameplay code finds
  the apex with ``AnimationLibrary.get_animation_sync_markers`` (Blueprint: *Get Animation Sync Markers*).
  Sync markers need no notify class, unlike AnimNotifies, so nothing has to be compiled or loaded.
* **asset metadata tags** (``EditorAssetLibrary.get_metadata_tag``) under the prefix ``MicroExprAnim.``:
  the generator and its version, the clip, the model and its version, the emotion, the intensity, the
  variant, the rig table, the source frame rate and the three times again. The generator tag is how the
  plugin recognises an asset it made (it only ever overwrites those).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GENERATOR",
    "GENERATOR_TAG",
    "MARKER_TRACK",
    "TAG_PREFIX",
    "Provenance",
    "describe",
    "variant_time",
]

#: Written to every asset under :data:`GENERATOR_TAG`.
GENERATOR = "MicroExprAnim 0.1.0"
TAG_PREFIX = "MicroExprAnim."
GENERATOR_TAG = TAG_PREFIX + "Generator"
#: The notify track holding the onset/apex/offset sync markers.
MARKER_TRACK = "MicroExpr"
_MARKERS = (("onset", "MicroExpr_Onset"), ("apex", "MicroExpr_Apex"), ("offset", "MicroExpr_Offset"))


@dataclass(frozen=True)
class Provenance:
    """Markers (name -> seconds into the asset) and metadata tags (name -> text) of one asset."""

    markers: tuple[tuple[str, float], ...]
    tags: tuple[tuple[str, str], ...]

    def tag(self, key: str) -> str:
        """The value of tag ``MicroExprAnim.<key>`` ("" when absent)."""
        return dict(self.tags).get(TAG_PREFIX + key, "")


def variant_time(source_s: float, apex_s: float, time_scale: float, shift_s: float) -> float:
    """Where a source time lands after a variant's timing jitter (``curves.emotion.apply_timing``
    stretches around the apex by ``time_scale``, then shifts by ``shift_s``).

    >>> variant_time(0.1, 0.2, 2.0, 0.05)
    0.05
    """
    return round(apex_s + shift_s + (source_s - apex_s) * time_scale, 9)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def describe(
    settings: Mapping[str, Any],
    *,
    clip: str,
    source_fps: float,
    duration_s: float,
    rig_table: str,
    at_time: float = 0.0,
) -> Provenance:
    """The markers and tags of an asset made from a CurveSet whose ``settings`` are ``curves.pipeline``'s.

    Args:
        settings: ``CurveSet.settings``: ``onset``/``apex``/``offset`` (source frames), ``variant``
            (``time_scale``, ``shift_s``, ``index``), ``emotion``, ``intensity``, ``model``,
            ``model_version``. Missing entries leave the tag empty and the marker out.
        clip: the clip the user gave.
        source_fps: the clip's frame rate (to turn frames into seconds).
        duration_s: the micro-expression's length; markers are kept inside ``[0, duration_s]``.
        rig_table: the table's source (DataTable asset or CSV file).
        at_time: where the micro-expression starts in the asset (layering), seconds.
    """
    variant = settings.get("variant") or {}
    scale = float(variant.get("time_scale", 1.0))
    shift = float(variant.get("shift_s", 0.0))
    frames = {key: settings.get(key) for key, _ in _MARKERS}
    apex = frames["apex"]
    markers: list[tuple[str, float]] = []
    seconds: dict[str, float] = {}
    # the engine drops a marker after the play length; rounding must not push the last one past it
    last = math.floor(duration_s * 1e6) / 1e6
    if isinstance(apex, int | float) and source_fps > 0:
        apex_s = float(apex) / source_fps
        for key, marker in _MARKERS:
            frame = frames[key]
            if isinstance(frame, int | float) and math.isfinite(float(frame)):
                t = variant_time(float(frame) / source_fps, apex_s, scale, shift)
                t = min(max(round(t, 6), 0.0), last) + at_time
                seconds[key] = round(t, 6)
                markers.append((marker, round(t, 6)))
    tags = {
        "Generator": GENERATOR,
        "Clip": clip,
        "Model": _text(settings.get("model")),
        "ModelVersion": _text(settings.get("model_version")),
        "Emotion": _text(settings.get("emotion")),
        "Intensity": _text(settings.get("intensity")),
        "Variant": _text(variant.get("index", 0)),
        "RigTable": rig_table,
        "SourceFps": _text(float(source_fps)),
        "OnsetSeconds": _text(seconds.get("onset")),
        "ApexSeconds": _text(seconds.get("apex")),
        "OffsetSeconds": _text(seconds.get("offset")),
    }
    return Provenance(
        markers=tuple(markers),
        tags=tuple((TAG_PREFIX + k, v) for k, v in tags.items()),
    )
