"""Helpers shared by the plugin tests: fake assets, a MicroExpression clip, a stand-in curve fitter."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from curves.curveset import CurveKeys, CurveSet
from curves.microexpression import MicroExpression
from curves.rigmap import load_rig_table

RIG_CSV = (
    "Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\n"
    "AU12_L,AU12,CTRL_expressions_mouthCornerPullL,1,L,0,1,lip corner puller\n"
    "AU12_R,AU12,CTRL_expressions_mouthCornerPullR,0.5,R,0,1,lip corner puller\n"
    "AU4_L,AU4,CTRL_expressions_browDownL,1,L,0,1,brow lowerer\n"
)
SKELETON_CURVES = [
    "CTRL_expressions_mouthCornerPullL",
    "CTRL_expressions_mouthCornerPullR",
    "CTRL_expressions_browDownL",
    "CTRL_expressions_browDownR",
]


def make_skeleton(
    fake: ModuleType, path: str = "/Game/Face/Face_Skeleton", curves: list[str] | None = None
) -> Any:
    skel = fake.Skeleton()
    skel._curve_names = list(SKELETON_CURVES if curves is None else curves)
    fake._register(skel, path)
    return skel


def make_table(fake: ModuleType, csv_text: str = RIG_CSV, path: str = "/Game/Rigs/DT_Test") -> Any:
    table = fake.DataTable()
    table.fill_from_csv_string(csv_text, None)
    fake._register(table, path)
    return table


def write_micro_json(path: Path, fps: float = 200.0, n: int = 21) -> Path:
    """A MicroExpression JSON with AU12 rising and falling and AU4 flat at 0.25 (apex in the middle)."""
    t = np.arange(n)
    au12 = np.sin(np.pi * t / (n - 1)) * 0.8
    au4 = np.full(n, 0.25)
    me = MicroExpression(
        fps=fps,
        onset=0,
        apex=(n - 1) // 2,
        offset=n - 1,
        emotion_probs={"happiness": 0.9, "others": 0.1},
        au_names=("AU12", "AU4"),
        activations=np.stack([au12, au4], axis=1),
        source=str(path),
        model="au_gcn_small",
        model_version="2",
    )
    me.save(path)
    return path


def stand_in_make_curvesets(
    me: Any,
    *,
    rig: Any,
    emotion: Any = None,
    intensity: float = 1.0,
    variants: int = 1,
    seed: int = 0,
    **_: Any,
) -> list[Any]:
    """A transparent stand-in for ``curves.pipeline.make_curvesets``: one key per source frame,
    value = weight * intensity * activation (+ 0.01 * variant), curve per rig row. ``rig`` is the parsed
    ``curves.rigmap.RigTable`` the plugin hands over (never a file)."""
    table = load_rig_table(rig)
    times = np.arange(me.n_frames) / me.fps
    settings = {
        "onset": me.onset,
        "apex": me.apex,
        "offset": me.offset,
        "model": me.model,
        "model_version": me.model_version,
        "emotion": emotion or me.emotion,
        "intensity": intensity,
    }
    sets = []
    for v in range(variants):
        curves = []
        for row in table.rows:
            idx = list(me.au_names).index(row.au)
            values = row.weight * intensity * me.activations[:, idx] + 0.01 * v
            curves.append(
                CurveKeys(
                    name=row.curve, times=times, values=values, source_aus=(row.au,), mapping_rows=(row.name,)
                )
            )
        info = {**settings, "variant": {"index": v, "time_scale": 1.0, "shift_s": 0.0}}
        sets.append(CurveSet(fps=me.fps, n_frames=me.n_frames, curves=tuple(curves), settings=info))
    return sets
