"""``microexpr curves``: AU tracks (MicroExpression JSON, OpenFace or py-feat CSV) -> Unreal curve files.

Writes the bundle of :mod:`curves.bundle` into the output folder: for each variant ``curveset.json``
(CurveSet), ``curve_table.csv`` (Unreal CurveTable import), ``preview.png`` and, for the ARKit rig,
``live_link_face.csv``; with several variants the names get a ``_v00``, ``_v01``... suffix. The files
appear only once all are written; ``--overwrite`` replaces only these files (see :mod:`curves.atomic`).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curves.atomic import atomic_directory
from curves.errors import CurvesError
from curves.io import read_curve_names
from curves.microexpression import MicroExpression
from curves.rules import check_fps, check_intensity, check_tolerance
from ml.cli.curve_options import add_curve_arguments
from ml.cli.output import add_overwrite_argument

if TYPE_CHECKING:  # scipy-heavy: only for the type
    from curves.pipeline import CurveBuild

__all__ = ["register", "run"]

#: The most variants one run makes (each is a full curve fit and a preview).
MAX_VARIANTS = 1000


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
    p.add_argument("--smoothing", type=float, default=1.0, help="B-spline smoothing factor (0 interpolates)")
    p.add_argument("--fps", type=float, default=None, help="frame rate of CSV tracks without time columns")
    add_curve_arguments(p)
    p.add_argument(
        "--event",
        default="auto",
        help="what becomes curves: take (the whole take), strongest, all (one bundle per event, in "
        "event_NN_EMOTION/ folders), an event number (1 = strongest), or auto (default: the whole take up to "
        "5 s or with one event, else every event)",
    )
    p.add_argument("--strict", action="store_true", help="fail instead of warning on skipped AUs/curves")
    p.add_argument(
        "--no-preview", action="store_true", help="do not render the previews (PNG, and the MP4/GIF)"
    )
    p.add_argument(
        "--clip",
        type=Path,
        default=None,
        help="the tracks' source clip, for the preview video (its face beside the subject's neutral face "
        "driven by the keys; default: a stock face)",
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help="output folder (created if missing; must be empty unless --overwrite)",
    )
    add_overwrite_argument(p)
    p.set_defaults(func=run)


def _check_options(args: argparse.Namespace) -> None:
    check_intensity(args.intensity, what="--intensity")
    if args.fps is not None:
        check_fps(args.fps, what="--fps")
    if not 1 <= args.variants <= MAX_VARIANTS:
        raise CurvesError(f"--variants must be between 1 and {MAX_VARIANTS}, got {args.variants}")
    check_tolerance(args.tolerance, what="--tolerance")
    if not (math.isfinite(args.smoothing) and args.smoothing >= 0):
        raise CurvesError(f"--smoothing must be a number >= 0, got {args.smoothing}")


def run(args: argparse.Namespace) -> int:
    """Do the work; returns the exit code."""
    # scipy (fitting) and matplotlib (previews) load only when the command runs: `--help` stays instant
    from curves.bundle import write_bundle
    from curves.coverage import rig_coverage
    from curves.pieces import choose_pieces, parse_choice
    from curves.pipeline import build_curvesets, load_tracks
    from curves.rigmap import load_rig_table
    from ml.datasets.photo_clips.preview import write_preview_video  # OpenCV and the landmarker

    _check_options(args)
    choice = parse_choice(args.event)
    skeleton = read_curve_names(args.skeleton_curves)
    inputs = [
        p for p in (args.tracks, args.emotion_profiles, args.skeleton_curves, args.clip) if p is not None
    ]
    if str(args.rig) not in ("metahuman", "arkit"):
        inputs.append(Path(args.rig))
    with atomic_directory(args.out, overwrite=args.overwrite, keep=inputs) as tmp:
        pieces = choose_pieces(load_tracks(args.tracks, fps=args.fps), choice)
        for label, me in pieces:
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
                skeleton_curves=skeleton,
                strict=args.strict,
            )
            folder = tmp if len(pieces) == 1 else tmp / label
            folder.mkdir(exist_ok=True)
            write_bundle(folder, me, builds, preview=not args.no_preview)
            if not args.no_preview:  # the keys as Unreal replays them, on a face
                write_preview_video(folder, builds[0].curveset, str(args.rig), clip=args.clip)
            _report(label if len(pieces) > 1 else "", me, builds)
    sys.stdout.write(
        rig_coverage(load_rig_table(str(args.rig)), skeleton_curves=skeleton).summary_line() + "\n"
    )
    sys.stdout.write(f"wrote {args.out}\n")
    return 0


def _report(label: str, me: MicroExpression, builds: Sequence[CurveBuild]) -> None:
    from curves.bundle import bundle_summary

    if label:
        window = me.extra.get("window", [0, me.n_frames])
        sys.stdout.write(f"{label}: frames {window[0]}-{window[1] - 1} of the take, {me.emotion}\n")
    for s in bundle_summary(builds):
        v = s["variant"]
        sys.stdout.write(
            f"{'  ' if label else ''}variant {v['index']}: {s['curves']} curves, {s['keys']} keys for "
            f"{s['frames']} frames, max replay error {s['max_error']:.4f}, intensity {v['intensity']:.2f}\n"
        )
        if s["skipped_aus"] or s["skipped_curves"]:
            sys.stdout.write(f"  skipped AUs {s['skipped_aus']}, skipped curves {s['skipped_curves']}\n")
