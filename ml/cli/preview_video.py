"""``microexpr preview-video``: a preview people watch: the clip's face beside a face driven by the keys.

    microexpr preview-video out/curves.json --rig metahuman --clip clip.mp4 --out out/
    microexpr preview-video out/curves.json --rig arkit --out out/          # no clip: a stock face
    microexpr preview-video out/curves.json --rig my_rig.csv --clip take.mov --start 12 --end 14 \\
        --neutral-frame 3 --out out/

Writes into OUT (each file under a temporary name, moved into place when complete; other files in the
folder are left alone)::

    OUT/preview.mp4   left: the clip's aligned face; right: its neutral frame (the least expressive
                      frame with a face, or --neutral-frame) moved by the AU intensities the keys replay
                      to in Unreal, with the three strongest AUs under it; no clip: a stock face alone.
                      Real time at the keys' frame rate, at most 60 fps (a faster clip shows 1 frame in k)
    OUT/preview.gif   the same for chat: at most 12 fps, 10 s around the strongest frame, smaller panels

Give the clip with the same --start/--end/--fps the keys were made with, so that their frames line up.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ml.cli.face_options import add_face_arguments, face_options

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "preview-video",
        help="write preview.mp4/.gif: the clip's face beside a face driven by the keys as Unreal plays them",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("curves", help="CurveSet JSON (curves.json) written by infer, curves or generate")
    p.add_argument(
        "--rig", required=True, help="rig table the keys were made with: metahuman, arkit or a CSV path"
    )
    p.add_argument("--clip", default=None, help="the source clip (video or frame folder); omit: stock face")
    p.add_argument(
        "--neutral-frame",
        type=int,
        default=None,
        help="0-based frame of the clip to drive (default: its least expressive frame with a face)",
    )
    p.add_argument("--out", required=True, help="folder to write preview.mp4 and preview.gif into")
    p.add_argument("--no-gif", action="store_true", help="write preview.mp4 only")
    add_face_arguments(p)
    p.add_argument("--overwrite", action="store_true", help="replace existing preview files")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # heavy (OpenCV, torch through the face stage): imported when the command runs, so --help is instant
    from curves.curveset import CurveSet
    from ml.analyze import read_face_track
    from ml.datasets.photo_clips.preview import write_preview_video

    curveset = CurveSet.load(args.curves)
    track = None
    if args.clip is not None:
        track = read_face_track(Path(args.clip), fps=args.fps, face=face_options(args))
    written = write_preview_video(
        Path(args.out),
        curveset,
        args.rig,
        face_track=track,
        neutral_frame=args.neutral_frame,
        overwrite=args.overwrite,
        gif=not args.no_gif,
    )
    for path in written:
        print(path)
    return 0
