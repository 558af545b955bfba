"""``microexpr generate``: micro-expressions from an emotion alone, as Unreal curve files.

    microexpr generate --emotion fear --count 20 --seed 3 --rig metahuman --out DIR

Each expression's AU set, sides, timing and intensity are drawn from the coding sheets' statistics (see
:mod:`curves.generate`); the same seed writes the same set. ``DIR/<emotion>_NN/`` holds its bundle
(``curveset.json`` with the AU list and timing in ``settings["generated"]``, ``curve_table.csv``,
``micro_expression.json``, ``preview.png``; ``live_link_face.csv`` for the ARKit rig) and
``DIR/generated.json`` lists them all with the divergence of the set's AU combinations from the
sheets' and the rig's coverage. The files appear only once all are written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from curves.atomic import atomic_directory
from curves.io import read_curve_names
from curves.rules import check_fps, check_tolerance
from ml.cli.curve_options import add_curve_arguments
from ml.cli.output import add_overwrite_argument

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "generate",
        help="micro-expressions from an emotion alone (no clip): AU sets and timing from the coding sheets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--emotion", required=True, help="emotion the sheets code: fear, happiness, disgust, ...")
    p.add_argument("--count", type=int, default=10, help="how many expressions (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed; the same seed writes the same set (default 0)")
    p.add_argument("--rig", default="metahuman", help="metahuman, arkit or a rig-table CSV")
    p.add_argument("--fps", type=float, default=30.0, help="frame rate of the curves (default 30)")
    p.add_argument(
        "--novelty",
        type=float,
        default=0.2,
        help="chance of adding one AU from the co-occurrence graph to a sheet's AU set (default 0.2)",
    )
    p.add_argument("--intensity", type=float, default=None, help="every expression's i_v (default: drawn)")
    add_curve_arguments(p)
    p.add_argument(
        "--no-preview", action="store_true", help="do not render the previews (PNG, and the MP4/GIF)"
    )
    p.add_argument("--out", type=Path, required=True, help="output folder (must be empty unless --overwrite)")
    add_overwrite_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # scipy (fitting) and matplotlib (previews) load only when the command runs: `--help` stays instant
    from curves.bundle import write_bundle
    from curves.coverage import rig_coverage
    from curves.generate import build_generated, combination_report, generate_expressions, load_statistics
    from curves.rigmap import load_rig_table
    from ml.datasets.photo_clips.preview import write_preview_video
    from ml.stages.landmarks import Landmarker

    check_fps(args.fps, what="--fps")
    check_tolerance(args.tolerance, what="--tolerance")
    skeleton = read_curve_names(args.skeleton_curves)
    table = load_rig_table(str(args.rig))
    stats = load_statistics()
    coverage = rig_coverage(
        table, skeleton_curves=skeleton, au_sets=[c for v in stats.combos.values() for c in v]
    )
    expressions = generate_expressions(
        args.emotion,
        args.count,
        args.seed,
        fps=args.fps,
        novelty=args.novelty,
        intensity=args.intensity,
        profiles=args.emotion_profiles,
        within=coverage.shown,
    )
    inputs = [p for p in (args.emotion_profiles, args.skeleton_curves) if p is not None]
    if str(args.rig) not in ("metahuman", "arkit"):
        inputs.append(Path(args.rig))
    listing = []
    landmarker = None if args.no_preview else Landmarker()
    with atomic_directory(args.out, overwrite=args.overwrite, keep=inputs) as tmp:
        for g in expressions:
            build = build_generated(
                g,
                rig=str(args.rig),
                tolerance=args.tolerance,
                profiles=args.emotion_profiles,
                skeleton_curves=skeleton,
            )
            folder = tmp / f"{g.emotion}_{g.index:02d}"
            folder.mkdir()
            write_bundle(folder, g.micro, [build], preview=not args.no_preview, with_micro_expression=True)
            if not args.no_preview:  # a stock face driven by the keys as Unreal replays them
                write_preview_video(folder, build.curveset, table, landmarker=landmarker)
            cs = build.curveset
            listing.append(
                {
                    "folder": folder.name,
                    **g.settings(),
                    "curves": len(cs.curves),
                    "keys": sum(c.n_keys for c in cs.curves),
                    "skipped_aus": list(cs.settings.get("skipped_aus", [])),
                }
            )
        report = {
            "emotion": expressions[0].emotion,
            "count": len(expressions),
            "seed": args.seed,
            "rig": str(args.rig),
            "rig_coverage": coverage.lines(),
            "combinations": combination_report(expressions, stats),
            "expressions": listing,
        }
        (tmp / "generated.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    divergence = report["combinations"][report["emotion"]]["js_divergence_bits"]
    for item in listing:
        sys.stdout.write(
            f"{item['folder']}: {'+'.join(item['aus'])}, intensity {item['intensity']:.2f}, "
            f"{item['rise_s'] + item['fall_s']:.3f} s, {item['curves']} curves, {item['keys']} keys\n"
        )
    sys.stdout.write(
        f"AU combinations vs the coding sheets: Jensen-Shannon divergence {divergence:.3f} bits "
        f"over {len(expressions)} expressions\n"
    )
    sys.stdout.write(coverage.summary_line() + "\n")
    sys.stdout.write(f"wrote {args.out}\n")
    return 0
