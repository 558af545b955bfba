"""The output bundle that ``microexpr curves`` and ``microexpr demo`` write into their output folder.

For each variant (names get ``_v00``, ``_v01``... when there are several):

* ``curveset{suffix}.json``: the CurveSet, the plugin's input;
* ``curve_table{suffix}.csv``: an Unreal CurveTable import;
* ``live_link_face{suffix}.csv``: a Live Link Face recording, when every curve is an ARKit blendshape;
* ``preview{suffix}.png``: one panel per curve (unless ``preview=False``);

plus ``summary.json`` (keys and replay errors per variant) and, when asked, ``micro_expression.json``
(the tracks the curves came from).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from curves.io import ARKIT_BLENDSHAPES, write_curve_table_csv, write_live_link_csv
from curves.microexpression import MicroExpression
from curves.pipeline import CurveBuild
from curves.preview import render_preview

__all__ = ["bundle_summary", "write_bundle"]


def bundle_summary(builds: Sequence[CurveBuild]) -> list[dict[str, Any]]:
    """Per variant: its parameters, curve and key counts, and replay errors (what ``summary.json`` holds)."""
    summary = []
    for b in builds:
        cs = b.curveset
        summary.append(
            {
                "variant": b.variant.to_dict(),
                "curves": len(cs.curves),
                "keys": sum(c.n_keys for c in cs.curves),
                "frames": cs.n_frames,
                "max_error": max((c.max_error for c in cs.curves), default=0.0),
                "per_curve": {
                    c.name: {"keys": c.n_keys, "max_error": c.max_error, "rms_error": c.rms_error}
                    for c in cs.curves
                },
                "skipped_aus": list(cs.settings.get("skipped_aus", [])),
                "skipped_curves": list(cs.settings.get("skipped_curves", [])),
            }
        )
    return summary


def write_bundle(
    folder: str | os.PathLike[str],
    me: MicroExpression,
    builds: Sequence[CurveBuild],
    *,
    preview: bool = True,
    with_micro_expression: bool = False,
    truth: Mapping[str, np.ndarray] | None = None,
) -> list[Path]:
    """Write the bundle of ``builds`` (made from ``me``) into ``folder``; returns the files written.

    ``truth`` (AU name -> true per-frame intensity, for a clip with known motion) is drawn in the previews.
    ``folder`` is normally the staging folder of :func:`curves.atomic.atomic_directory`, so that the
    files reach the user's output folder only once all of them are written.
    """
    out = Path(folder)
    written: list[Path] = []
    if with_micro_expression:
        written.append(me.save(out / "micro_expression.json"))
    for b in builds:
        cs = b.curveset
        suffix = "" if len(builds) == 1 else f"_v{b.variant.index:02d}"
        written.append(cs.save(out / f"curveset{suffix}.json"))
        written.append(write_curve_table_csv(cs, out / f"curve_table{suffix}.csv"))
        if cs.curves and all(n in ARKIT_BLENDSHAPES for n in cs.names):
            written.append(write_live_link_csv(cs, out / f"live_link_face{suffix}.csv"))
        if preview:
            written.append(
                render_preview(me, cs, out / f"preview{suffix}.png", targets=b.targets, truth=truth)
            )
    summary = out / "summary.json"
    summary.write_text(json.dumps(bundle_summary(builds), indent=1) + "\n", encoding="utf-8")
    written.append(summary)
    return written
