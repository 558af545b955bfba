"""PNG previews of what lands in Unreal: the AU tracks of the take, then one panel per rig curve.

The top panel shows the take's AU tracks (and, when known, the true ones dashed in the same colour) with
its events shaded. Each curve panel shows the driving AU tracks (thin, faded), the target curve after
smoothing, emotion and rig mapping (dashed), the curve Unreal will evaluate from the chosen keys (solid)
and the keys themselves (dots), with the onset/apex/offset frames marked. Rendered with matplotlib's
Agg canvas (no display).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    truth: Mapping[str, np.ndarray] | None = None,
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
        truth: AU name -> true per-frame intensity of ``me``'s frames (a clip with known motion), drawn
            dashed beside the measured tracks.

    Returns:
        The PNG path.
    """

    curves = list(cs.curves)[:_MAX_PANELS]
    n = max(1, len(curves))
    cols = max(1, min(int(columns), n))
    rows = math.ceil(n / cols)
    top = 1 if me is not None else 0
    fig = Figure(figsize=(4.6 * cols, 2.3 * (rows + 1.3 * top) + 0.8), dpi=100)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(rows + top, cols, height_ratios=[2.3] * top + [1.0] * rows)
    if me is not None:
        _draw_tracks(fig.add_subplot(grid[0, :]), me, truth)
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
        ax = fig.add_subplot(grid[top + i // cols, i % cols])
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
    height = 2.3 * (rows + 1.3 * top) + 0.8
    fig.subplots_adjust(
        left=0.05, right=0.98, bottom=0.5 / height, top=1.0 - 1.3 / height, hspace=0.55, wspace=0.22
    )
    with atomic_path(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)


def _draw_tracks(ax: Any, me: MicroExpression, truth: Mapping[str, np.ndarray] | None) -> None:
    """The take's AU tracks that move (measured solid, truth dashed), events shaded and labelled."""
    t = np.arange(me.n_frames) / me.fps
    shown = [a for a in me.au_names if float(me.track(a).max(initial=0.0)) > 0.05]
    if truth:
        shown += [a for a in truth if a not in shown and a in me.au_names]
    colours = [f"C{k % 10}" for k in range(len(shown))]
    for au, colour in zip(shown, colours, strict=True):
        ax.plot(t, me.track(au), color=colour, lw=1.3, label=au)
        if truth is not None and au in truth:
            ax.plot(t, np.asarray(truth[au])[: me.n_frames], color=colour, lw=1.0, ls="--")
    for event in me.events:
        ax.axvspan(event.onset / me.fps, (event.offset + 1) / me.fps, color="0.85", alpha=0.5, lw=0)
        ax.text(event.apex / me.fps, 1.02, f"{event.emotion} ({event.kind})", fontsize=7, ha="center")
    ax.set_ylim(0.0, 1.1)
    ax.set_xlim(0.0, max(t[-1], 1e-6))
    ax.set_ylabel("AU intensity", fontsize=8)
    ax.set_title(
        "AU tracks"
        + (" (solid: measured, dashed: truth)" if truth else "")
        + f" - {len(me.events)} event(s)",
        fontsize=9,
    )
    ax.tick_params(labelsize=7)
    ax.grid(True, lw=0.3, alpha=0.5)
    if shown:
        ax.legend(fontsize=6, loc="upper right", ncol=min(6, len(shown)))
