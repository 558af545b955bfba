"""``microexpr infer``: one clip -> MicroExpression JSON: per-frame AU intensities and every event.

    microexpr infer take.mp4 --json take.json
    microexpr infer take.mp4 --neutral 0 30 --json take.json     # frames 0-29 are the neutral face
    python -m ml infer clip.mp4 --json -        # JSON on stdout, progress and messages on stderr only

The JSON holds the whole take: each AU's intensity on every frame (0 = the subject's neutral, 1 = a
strong, fully formed action) and the events, strongest first (onset, apex, offset, peak, micro or
macro, AUs, emotion); ``microexpr curves`` reads it. ``--method template`` runs the recognition model's
window and template envelope instead (``--all``: every window above ``--threshold``, as a JSON list).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from curves.atomic import atomic_write_text, check_can_write
from curves.microexpression import MicroExpression
from ml.cli.face_options import add_face_arguments, face_options
from ml.errors import UserError
from ml.rules import check_fps

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "infer",
        help="measure a clip's AU intensities on every frame and its expressions, as JSON",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("clip", help="video file (mp4/avi/mov) or folder of numbered frames")
    p.add_argument("--weights", default=None, help="safetensors checkpoint (default: the shipped weights)")
    p.add_argument(
        "--json", dest="json_out", default=None, metavar="OUT|-", help="write JSON to OUT, or '-' for stdout"
    )
    add_face_arguments(p)
    p.add_argument("--device", choices=("cpu", "cuda"), default=None, help="default: CUDA when available")
    p.add_argument("--window", type=float, default=None, help="longest span analysed in one pass, seconds")
    p.add_argument(
        "--method",
        choices=("measured", "template"),
        default="measured",
        help="measured (default: AU intensities measured on every frame, every event) or template "
        "(the recognition model's strongest window and a template envelope)",
    )
    p.add_argument(
        "--neutral",
        type=int,
        nargs=2,
        metavar=("START", "STOP"),
        default=None,
        help="frames [START, STOP) show the subject's neutral face (default: found automatically)",
    )
    p.add_argument(
        "--all",
        dest="all_events",
        action="store_true",
        help="with --method template: every window above --threshold (a JSON list); the measured take "
        "always lists every event",
    )
    p.add_argument("--threshold", type=float, default=0.5, help="strength threshold for --all")
    p.add_argument(
        "--network-timing",
        action="store_true",
        help="keep the network's onset/apex/offset instead of fitting them to the clip's motion",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing --json file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # torch and OpenCV load only when the command runs: `microexpr --help` stays instant
    from ml.analyze import DEFAULT_WINDOW_S, analyze, analyze_all

    to_stdout = args.json_out == "-"
    if args.fps is not None:
        check_fps(args.fps, what="--fps")
    if args.window is not None and not (math.isfinite(args.window) and args.window > 0):
        raise UserError(f"--window must be a positive number of seconds, got {args.window}")
    if args.json_out and not to_stdout:
        check_can_write(args.json_out, overwrite=args.overwrite)  # before the analysis, not after
    window = args.window if args.window is not None else DEFAULT_WINDOW_S
    progress = not to_stdout and sys.stderr.isatty()
    common = {
        "weights": args.weights,
        "device": args.device,
        "fps": args.fps,
        "progress": progress,
        "refine_timing": not args.network_timing,
        "face": face_options(args),
        "window_s": window,
    }
    if not (math.isfinite(args.threshold) and 0.0 <= args.threshold <= 1.0):
        raise UserError(f"--threshold must be in [0, 1], got {args.threshold}")
    if args.neutral is not None and not 0 <= args.neutral[0] < args.neutral[1]:
        raise UserError(
            f"--neutral needs 0 <= START < STOP (frames), got {args.neutral[0]} {args.neutral[1]}"
        )
    if args.all_events and args.method == "template":
        found = analyze_all(args.clip, **common, threshold=args.threshold, method="template")
        text = json.dumps([e.to_dict() for e in found], indent=1)
        summary = [f"{len(found)} window(s) in {args.clip}"] + [_line(e) for e in found]
    else:
        neutral = None if args.neutral is None else (args.neutral[0], args.neutral[1])
        me = analyze(args.clip, **common, method=args.method, neutral=neutral)
        text = me.to_json(indent=1)
        summary = _take_lines(me)
    if to_stdout:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return 0
    if args.json_out:
        atomic_write_text(args.json_out, text + "\n", overwrite=args.overwrite)
        summary.append(f"wrote {args.json_out}")
    print("\n".join(summary))
    return 0


def _face_lines(me: MicroExpression) -> list[str]:
    """What the face report says that a user should know: frames not analysed, other faces."""
    face = me.extra.get("face", {})
    lines = []
    faceless = face.get("faceless_spans", [])
    if faceless:
        spans = ", ".join(f"{a}-{b - 1}" for a, b in faceless[:6]) + (" ..." if len(faceless) > 6 else "")
        lines.append(f"no face on frames {spans}: not analysed")
    if face.get("other_faces_present"):
        lines.append(
            f"other faces were in the shot (up to {face['other_faces_present']}); the subject was followed"
        )
    return lines


def _take_lines(me: MicroExpression) -> list[str]:
    return _event_lines(me) + _face_lines(me)


def _event_lines(me: MicroExpression) -> list[str]:
    if not me.events:
        return (
            [_line(me)]
            if me.extra.get("method") == "template"
            else [f"no expression found in {me.source} ({me.n_frames} frames at {me.fps:g} fps)"]
        )
    lines = [f"{len(me.events)} expression(s) in {me.source}, strongest first:"]
    for k, e in enumerate(me.events, 1):
        lines.append(
            f"  {k}. {e.emotion} ({e.kind}, {e.duration_s:.2f} s)  onset {e.onset}  apex {e.apex}  offset "
            f"{e.offset}  peak {e.peak:.2f}  AUs {', '.join(e.aus) or '-'}"
        )
    return lines


def _line(me: MicroExpression) -> str:
    top = sorted(me.au_probs.items(), key=lambda kv: -kv[1])[:3]
    return (
        f"{me.emotion} ({me.emotion_probs.get(me.emotion, 0.0):.2f})  onset {me.onset}  apex {me.apex}  "
        f"offset {me.offset} of {me.n_frames} frames at {me.fps:g} fps  AUs "
        + ", ".join(f"{k} {v:.2f}" for k, v in top)
    )
