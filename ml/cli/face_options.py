"""The options every clip-reading command shares: which span is read and how the face is found."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ml.analyze pulls in torch: imported when a command runs, not for --help
    from ml.analyze import FaceOptions

__all__ = ["add_face_arguments", "face_options"]


def add_face_arguments(p: argparse.ArgumentParser) -> None:
    """The options that say how the face is found and which span of the clip is read."""
    p.add_argument("--fps", type=float, default=None, help="frame rate (required for frame folders)")
    p.add_argument("--start", type=float, default=None, help="start of the span to read, seconds")
    p.add_argument("--end", type=float, default=None, help="end of the span to read, seconds")
    p.add_argument("--max-frames", type=int, default=None, help="read at most this many frames")
    p.add_argument(
        "--face",
        choices=("largest", "center", "index"),
        default="largest",
        help="which face is the subject when several are seen (default: largest)",
    )
    p.add_argument(
        "--face-index", type=int, default=0, help="with --face index: 0 is the leftmost face, 1 the next..."
    )
    p.add_argument(
        "--detector",
        choices=("landmarks", "haar"),
        default="landmarks",
        help="landmarks (default: dense landmarks, pose, blendshapes) or haar (frontal faces only)",
    )
    p.add_argument(
        "--allow-truncated",
        action="store_true",
        help="go on with the frames that decode when a video holds fewer frames than it declares",
    )


def face_options(args: argparse.Namespace) -> FaceOptions:
    """The :class:`ml.analyze.FaceOptions` the parsed arguments ask for."""
    from ml.analyze import FaceOptions  # heavy (torch): imported when the command runs

    return FaceOptions(
        detector=args.detector,
        choose=args.face,
        index=args.face_index,
        start_s=args.start,
        end_s=args.end,
        max_frames=args.max_frames,
        allow_truncated=args.allow_truncated,
    )
