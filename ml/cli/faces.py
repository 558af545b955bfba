"""``microexpr faces``: aligned, stabilised face crops of a clip, a contact sheet and a report.

    microexpr faces clip.mp4 --out crops/
    microexpr faces CASME2_RAW_selected/sub01/EP02_01f --fps 200 --out crops/

Writes, all at once when everything succeeded::

    OUT/crops/frame_000046.png ...   one S x S RGB crop per frame, named by frame number
    OUT/contact_sheet.png            a grid of crops to look at (red border: no face on that frame)
    OUT/faces.json                   source, fps, frame count, missing frames, crop size
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ml.rules import check_fps

if TYPE_CHECKING:
    import numpy as np

    from ml.stages.face import FaceTrack

__all__ = ["MAX_CROP", "MIN_CROP", "contact_sheet", "register", "run"]

#: Crop sides accepted by ``--size`` (pixels): the models use 112 or less; 1024 keeps memory bounded.
MIN_CROP, MAX_CROP = 16, 1024


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "faces",
        help="write aligned face crops of a clip and a contact sheet",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("clip", help="video file (mp4/avi/mov) or folder of numbered frames")
    p.add_argument("--out", required=True, help="output folder to create")
    p.add_argument("--fps", type=float, default=None, help="frame rate (required for frame folders)")
    p.add_argument("--size", type=int, default=112, help="crop side in pixels (default 112)")
    p.add_argument("--max-frames", type=int, default=None, help="read at most this many frames")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.set_defaults(func=run)


def contact_sheet(track: FaceTrack, *, max_tiles: int = 48, columns: int = 8) -> np.ndarray:
    """A grid of evenly spaced crops with their frame numbers, ``(H, W, 3)`` uint8 RGB.

    Frames without a face get a red border.
    """
    import cv2
    import numpy as np

    n = track.crops.shape[0]
    picks = np.unique(np.linspace(0, n - 1, min(n, max_tiles)).round().astype(int))
    size = track.size
    tile_h = size + 16
    rows = (len(picks) + columns - 1) // columns
    sheet = np.full((rows * tile_h, columns * size, 3), 24, np.uint8)
    for k, i in enumerate(picks):
        r, c = divmod(k, columns)
        tile = track.crops[i].copy()
        if not track.detected[i]:
            cv2.rectangle(tile, (0, 0), (size - 1, size - 1), (255, 0, 0), 3)
        y, x = r * tile_h, c * size
        sheet[y : y + size, x : x + size] = tile
        label = f"#{int(track.frame_numbers[i])}"
        cv2.putText(
            sheet,
            label,
            (x + 3, y + size + 12),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.38,
            (230, 230, 230),
            1,
            cv2.LINE_AA,
        )
    return sheet


def run(args: argparse.Namespace) -> int:
    import json
    import time
    from pathlib import Path

    import cv2

    from curves.atomic import atomic_directory
    from ml.stages.face import align_clip
    from ml.stages.video import read_clip

    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not args.overwrite:
        raise FileExistsError(f"{out} already exists and is not empty; pass --overwrite to replace it")
    if not MIN_CROP <= args.size <= MAX_CROP:
        raise ValueError(f"--size must be between {MIN_CROP} and {MAX_CROP} pixels, got {args.size}")
    if args.fps is not None:
        check_fps(args.fps, what="--fps")
    started = time.perf_counter()
    clip = read_clip(args.clip, fps=args.fps, max_frames=args.max_frames)
    track = align_clip(clip, size=args.size, progress=True)
    elapsed = time.perf_counter() - started
    missing = track.missing_frames
    report = {
        "source": str(clip.source),
        "fps": clip.fps,
        "frames": clip.num_frames,
        "frame_size": [int(clip.frames.shape[2]), int(clip.frames.shape[1])],
        "crop_size": track.size,
        "first_frame_number": int(clip.frame_numbers[0]),
        "last_frame_number": int(clip.frame_numbers[-1]),
        "missing_frames": missing,
        "missing_frame_numbers": [int(clip.frame_numbers[i]) for i in missing],
        "detected_fraction": round(float(track.detected.mean()), 4),
        "eyes_detected": bool(track.eyes_detected),
        "crops": "crops/frame_%06d.png (frame number)",
        "seconds": round(elapsed, 3),
    }
    with atomic_directory(out, overwrite=args.overwrite) as tmp:
        crops_dir = tmp / "crops"
        crops_dir.mkdir()
        for number, crop in zip(track.frame_numbers, track.crops, strict=True):
            path = crops_dir / f"frame_{int(number):06d}.png"
            if not cv2.imwrite(str(path), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)):
                raise OSError(f"{path}: cannot write the crop")
        sheet = contact_sheet(track)
        if not cv2.imwrite(str(tmp / "contact_sheet.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
            raise OSError(f"{out}: cannot write contact_sheet.png")
        (tmp / "faces.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        tmp.chmod(0o755)
    print(
        f"{clip.source}: {clip.num_frames} frames, face on {clip.num_frames - len(missing)}; "
        f"crops and contact sheet in {out}"
    )
    return 0
