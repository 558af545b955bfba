"""PNG previews of what lands in Unreal: one panel per rig curve.

Each panel shows the driving AU tracks (thin, faded), the target curve after smoothing, emotion and rig
mapping (dashed), the curve Unreal will evaluate from the chosen keys (solid) and the keys themselves
(dots), with the onset/apex/offset frames marked. Rendered with matplotlib's Agg canvas (no display).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from curves.atomic import atomic_path
from curves.curveset import CurveSet
from curves.microexpression import MicroExpression
from curves.richcurve import evaluate

__all__ = ["render_preview"]

_MAX_PANELS = 60


def render_preview(
    me: MicroExpression | None,
    cs: CurveSet,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    targets: Mapping[str, np.ndarray] | None = None,
    columns: int = 3,
    title: str | None = None,
) -> Path:
    """Draw ``cs`` (and the AU tracks of ``me``) to a PNG at ``path`` (atomic).

    Args:
        me: the source micro-expression (AU tracks, onset/apex/offset), or None.
        cs: the curves and keys.
        path: the PNG to write.
        overwrite: replace an existing file.
        targets: curve name -> target track per frame (drawn dashed), optional.
        columns: panels per row.
        title: figure title (defaults to a summary of the CurveSet).

    Returns:
        The PNG path.
    """

    curves = list(cs.curves)[:_MAX_PANELS]
    n = max(1, len(curves))
    cols = max(1, min(int(columns), n))
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.6 * cols, 2.3 * rows + 0.8), dpi=100)
    FigureCanvasAgg(fig)
    t = np.arange(cs.n_frames) / cs.fps
    dense = np.linspace(0.0, cs.duration, max(200, cs.n_frames * 4)) if cs.n_frames > 1 else t
    total_keys = sum(c.n_keys for c in cs.curves)
    fig.suptitle(
        title
        or (
            f"{len(cs.curves)} curves, {total_keys} keys, {cs.n_frames} frames @ {cs.fps:g} fps"
            + (f" - emotion {cs.settings.get('emotion')}" if cs.settings.get("emotion") else "")
            + (
                f", intensity {cs.settings.get('intensity'):.2f}"
                if isinstance(cs.settings.get("intensity"), float)
                else ""
            )
        ),
        fontsize=11,
    )
    for i, c in enumerate(curves):
        ax = fig.add_subplot(rows, cols, i + 1)
        if me is not None:
            me_t = np.arange(me.n_frames) / me.fps
            for au in c.source_aus:
                if au in me.au_names:
                    ax.plot(me_t, me.track(au), color="0.6", lw=0.8, alpha=0.7, label=f"{au} track")
            for frame, style in ((me.onset, ":"), (me.apex, "--"), (me.offset, ":")):
                ax.axvline(frame / me.fps, color="0.75", lw=0.8, ls=style)
        if targets is not None and c.name in targets:
            ax.plot(t, targets[c.name], color="tab:orange", lw=1.2, ls="--", label="target")
        ax.plot(
            dense,
            evaluate(c.times, c.values, dense, interp=c.interp),
            color="tab:blue",
            lw=1.5,
            label="Unreal curve",
        )
        ax.plot(c.times, c.values, "o", color="tab:red", ms=3.5, label=f"{c.n_keys} keys")
        short = c.name.replace("CTRL_expressions_", "")
        err = "" if math.isnan(c.max_error) else f"  max err {c.max_error:.3f}"
        ax.set_title(f"{short}{err}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.locator_params(nbins=4)
        ax.set_xlim(0.0, max(cs.duration, 1e-6))
        ax.grid(True, lw=0.3, alpha=0.5)
        if i == 0:
            ax.legend(fontsize=6, loc="upper right")
        if i >= n - cols:
            ax.set_xlabel("time (s)", fontsize=8)
    height = 2.3 * rows + 0.8
    fig.subplots_adjust(
        left=0.05, right=0.98, bottom=0.5 / height, top=1.0 - 0.9 / height, hspace=0.55, wspace=0.22
    )
    with atomic_path(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)
