"""Face pipeline throughput: aligned 112x112 crops per second on this machine.

    python3 -m bench.face            # both cases, 3 clips each
    python3 -m bench.face --clips 1

Cases (synthetic clips rendered at these sizes, so the figure needs no private data):
- phone: 640x360 at 30 fps (detector checkpoints every 8 frames),
- high-speed: 640x480 at 200 fps (detector checkpoints every 50 frames).
Prints crops/s of ``ml.stages.face.align_clip`` (detection, eye alignment, LK tracking, warps) and, for
comparison, the cost of running the Haar detector alone on every frame.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def _bench_case(name: str, size: tuple[int, int], fps: float, clips: int, seed: int) -> dict[str, float]:
    import cv2

    from ml.datasets.synthetic import generate_clip
    from ml.stages.face import align_clip, detect_faces
    from ml.stages.video import Clip

    frames_total = 0
    seconds = 0.0
    detect_seconds = 0.0
    detect_frames = 0
    missing = 0
    for k in range(clips):
        synth = generate_clip(seed, k, subject=k + 1, size=size)  # ~0.5 s of motion at 200 fps
        clip = Clip(
            frames=synth.frames,
            fps=fps,
            source=Path(f"synthetic-{name}-{k}"),
            frame_numbers=synth.frame_numbers,
        )
        start = time.perf_counter()
        track = align_clip(clip)
        seconds += time.perf_counter() - start
        frames_total += clip.num_frames
        missing += len(track.missing_frames)
        for frame in synth.frames[:20]:
            start = time.perf_counter()
            detect_faces(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY))
            detect_seconds += time.perf_counter() - start
            detect_frames += 1
    return {
        "frames": frames_total,
        "crops_per_s": frames_total / seconds,
        "ms_per_frame": 1000 * seconds / frames_total,
        "haar_every_frame_ms": 1000 * detect_seconds / detect_frames,
        "missing": missing,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clips", type=int, default=3, help="clips per case")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    import cv2

    cv2.setNumThreads(1)
    print(f"OpenCV {cv2.__version__}, 1 thread, numpy {np.__version__}")
    for name, size, fps in (
        ("phone 640x360 @30fps", (640, 360), 30.0),
        ("high-speed 640x480 @200fps", (640, 480), 200.0),
    ):
        r = _bench_case(name.split()[0], size, fps, args.clips, args.seed)
        print(
            f"{name}: {r['crops_per_s']:.0f} crops/s ({r['ms_per_frame']:.2f} ms/frame over {r['frames']:.0f}"
            f" frames, {r['missing']:.0f} missing); Haar on every frame alone would cost "
            f"{r['haar_every_frame_ms']:.1f} ms/frame"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
