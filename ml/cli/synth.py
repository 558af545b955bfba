"""``microexpr synth``: write a seeded synthetic micro-expression dataset in the CASME II layout.

    microexpr synth --subjects 26 --clips 255 --seed 7 --out data/synthetic
    microexpr synth --clips 20 --size 640x480 --out /tmp/synth-hd --overwrite

The folder holds ``CASME2-coding-synthetic.xlsx`` (the CASME II coding sheet's columns),
``CASME2_RAW_selected/subNN/EPNN_01/imgN.jpg`` frames at 200 fps, and ``synthetic_labels.json`` with the
per-frame AU activations. The same seed writes the same bytes. The files appear only once all are written.
"""

from __future__ import annotations

import argparse
import sys

from ml.cli.output import add_overwrite_argument
from ml.rules import check_fps

__all__ = ["MAX_CLIPS", "parse_size", "register", "run"]

#: The largest dataset written in one run (CASME II has 255 clips, the composite sets about 440).
MAX_CLIPS = 100_000


def parse_size(text: str) -> tuple[int, int]:
    """Parse ``"WxH"`` (e.g. ``"640x480"``) into ``(width, height)``."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"--size must look like 320x240 (WIDTHxHEIGHT), got {text!r}")
    width, height = int(parts[0]), int(parts[1])
    if not (96 <= width <= 4096 and 96 <= height <= 4096):
        raise argparse.ArgumentTypeError(f"--size {text}: each side must be 96..4096 pixels")
    return width, height


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "synth",
        help="write a synthetic micro-expression dataset (CASME II layout)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--subjects", type=int, default=26, help="number of subjects (default 26)")
    p.add_argument("--clips", type=int, default=255, help="number of clips (default 255)")
    p.add_argument(
        "--seed", type=int, default=7, help="seed; the same seed writes the same bytes (default 7)"
    )
    p.add_argument("--out", required=True, help="dataset folder to create")
    p.add_argument("--size", type=parse_size, default=None, help="frame size WxH (default 320x240)")
    p.add_argument("--fps", type=float, default=200.0, help="frame rate (default 200, like CASME II)")
    p.add_argument("--no-distractors", action="store_true", help="no head motion, blinks, flicker or noise")
    add_overwrite_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # OpenCV and the face renderer load only when the command runs: `microexpr --help` stays instant
    from ml.datasets.synthetic import write_dataset

    if args.subjects < 1 or args.clips < 1:
        raise ValueError(f"--subjects and --clips must be >= 1, got {args.subjects} and {args.clips}")
    if args.subjects > args.clips:
        raise ValueError(
            f"--subjects {args.subjects} is more than --clips {args.clips}: every subject needs at least one "
            "clip; ask for fewer subjects or more clips"
        )
    if args.clips > MAX_CLIPS:
        raise ValueError(f"--clips must be at most {MAX_CLIPS}, got {args.clips}")
    check_fps(args.fps, what="--fps")
    out = write_dataset(
        args.out,
        subjects=args.subjects,
        clips=args.clips,
        seed=args.seed,
        overwrite=args.overwrite,
        progress=sys.stderr.isatty(),
        size=args.size,
        fps=args.fps,
        distractors=not args.no_distractors,
    )
    print(f"wrote {args.clips} clips of {args.subjects} subjects to {out}")
    return 0
