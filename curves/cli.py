"""``microexpr curves``: AU tracks (MicroExpression JSON, OpenFace or py-feat CSV) -> Unreal curve files.

Writes, into a new folder (atomically: on any error nothing is left behind), for each variant:
``curveset.json`` (CurveSet), ``curve_table.csv`` (Unreal CurveTable import), ``preview.png``, and for the
ARKit rig ``live_link_face.csv``. With several variants the names get a ``_v00``, ``_v01``... suffix.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``curves`` sub-command."""
    p = subparsers.add_parser(
        "curves",
        help="turn AU tracks into Unreal-exact FRichCurve keys (JSON, CurveTable CSV, preview PNG)",
        description=(
            "Smooth AU tracks, apply an emotion profile, map them to rig curves and pick the fewest cubic "
            "auto-tangent keys that Unreal replays within a tolerance."
        ),
    )
    p.add_argument("tracks", type=Path, help="MicroExpression JSON, OpenFace 2.x CSV or py-feat CSV")
    p.add_argument("--rig", default="metahuman", help="metahuman, arkit or a rig-table CSV")
    p.add_argument("--emotion", default=None, help="emotion profile (default: the tracks' own emotion)")
    p.add_argument("--intensity", type=float, default=1.0, help="intensity i_v in [0, 1] (default 1)")
    p.add_argument(
        "--random-intensity",
        action="store_true",
        help="sample every variant's intensity from the emotion profile instead of --intensity",
    )
    p.add_argument("--variants", type=int, default=1, help="number of seeded variants (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the variants (default 0)")
    p.add_argument("--tolerance", type=float, default=0.01, help="max replay error per frame (default 0.01)")
    p.add_argument("--smoothing", type=float, default=1.0, help="B-spline smoothing factor (0 interpolates)")
    p.add_argument("--fps", type=float, default=None, help="frame rate of CSV tracks without time columns")
    p.add_argument("--emotion-profiles", type=Path, default=None, help="your own emotion profile YAML")
    p.add_argument(
        "--skeleton-curves",
        type=Path,
        default=None,
        help="text file with the skeleton's curve names, one per line (others are skipped)",
    )
    p.add_argument("--strict", action="store_true", help="fail instead of warning on skipped AUs/curves")
    p.add_argument("--no-preview", action="store_true", help="do not render preview PNGs")
    p.add_argument("--out", type=Path, required=True, help="output folder (new unless --overwrite)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.set_defaults(func=run)


def _skeleton(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    if not path.is_file():
        raise FileNotFoundError(f"skeleton curve list not found: {path}")
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    names = [n for n in names if n and not n.startswith("#")]
    if not names:
        raise ValueError(f"{path}: no curve names in the skeleton curve list")
    return names


def run(args: argparse.Namespace) -> int:
    """Do the work; returns the exit code."""
    from tqdm import tqdm

    from curves.atomic import atomic_directory
    from curves.io import ARKIT_BLENDSHAPES, write_curve_table_csv, write_curveset_json, write_live_link_csv
    from curves.pipeline import build_curvesets, load_tracks
    from curves.preview import render_preview

    if not 0.0 <= args.intensity <= 1.0:
        raise ValueError(f"--intensity must lie in [0, 1], got {args.intensity}")
    if args.variants < 1:
        raise ValueError(f"--variants must be at least 1, got {args.variants}")
    if not args.tolerance > 0:
        raise ValueError(f"--tolerance must be > 0, got {args.tolerance}")
    me = load_tracks(args.tracks, fps=args.fps)
    builds = build_curvesets(
        me,
        rig=str(args.rig),
        emotion=args.emotion,
        intensity=None if args.random_intensity else args.intensity,
        variants=args.variants,
        seed=args.seed,
        tolerance=args.tolerance,
        smoothing=args.smoothing,
        profiles=args.emotion_profiles,
        skeleton_curves=_skeleton(args.skeleton_curves),
        strict=args.strict,
    )
    summary = []
    with atomic_directory(args.out, overwrite=args.overwrite) as tmp:
        for b in tqdm(builds, desc="writing variants", disable=len(builds) < 3):
            cs = b.curveset
            suffix = "" if len(builds) == 1 else f"_v{b.variant.index:02d}"
            write_curveset_json(cs, tmp / f"curveset{suffix}.json")
            write_curve_table_csv(cs, tmp / f"curve_table{suffix}.csv")
            if cs.curves and all(n in ARKIT_BLENDSHAPES for n in cs.names):
                write_live_link_csv(cs, tmp / f"live_link_face{suffix}.csv")
            if not args.no_preview:
                render_preview(me, cs, tmp / f"preview{suffix}.png", targets=b.targets)
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
                    "skipped_aus": cs.settings.get("skipped_aus", []),
                    "skipped_curves": cs.settings.get("skipped_curves", []),
                }
            )
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    for s in summary:
        v = s["variant"]
        sys.stdout.write(
            f"variant {v['index']}: {s['curves']} curves, {s['keys']} keys for {s['frames']} frames, "
            f"max replay error {s['max_error']:.4f}, intensity {v['intensity']:.2f}\n"
        )
        if s["skipped_aus"] or s["skipped_curves"]:
            sys.stdout.write(f"  skipped AUs {s['skipped_aus']}, skipped curves {s['skipped_curves']}\n")
    sys.stdout.write(f"wrote {args.out}\n")
    return 0
