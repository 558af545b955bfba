"""The face stage on real photographs: speed, memory on long takes, steadiness, hard cases.

    python3 -m bench.face                       # everything, the quick sizes
    python3 -m bench.face --only speed --seconds 10
    python3 -m bench.face --only memory --durations 1 10 60
    python3 -m bench.face --only memory --durations 600 --sizes 1920x1080   # a 10 min 1080p take (slow)

Clips are scikit-image's public-domain astronaut portrait moved like a hand-held camera (a slow drift,
a small rotation and zoom), written as MJPG .avi files, so the figures need no private data.

- **speed**: source frames per second from the file to the face track (``ml.analyze.read_face_track``:
  streaming decode, landmarks, stabilised crops) at 640x360 and 1920x1080 with 1 and 2 threads, beside
  OpenCV decoding the same file alone in the same run (the floor).
- **memory**: peak resident memory (ru_maxrss) of a fresh process that analyses a clip of each length
  end to end (``ml.analyze.analyze_all``), beside the process's size after importing everything.
- **steadiness**: residual motion of the crops of a rigid photograph under known hand-held motion
  (px at 112 px, phase correlation against the first crop; 0 is perfect), for the landmark detector
  with LK stabilisation (the default), each frame aligned on its own landmarks, and the Haar fallback.
- **hard cases**: the face found or not on a turned face, a hand over the mouth, a small face.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import skimage.data

from ml.analyze import analyze_all
from ml.stages.face import align_clip
from ml.stages.stabilise import eye_transform, warp_crop
from ml.stages.video import Clip, open_clip


def _moving_frames(n: int, size: tuple[int, int], face_fraction: float = 0.28) -> list[np.ndarray]:
    """The astronaut's face (about ``face_fraction`` of the frame height) drifting like a hand-held shot."""
    photo = skimage.data.astronaut()
    width, height = size
    scale = face_fraction * height / 90.0  # the face is about 90 px wide in the 512 px photo
    frames = []
    for i in range(n):
        m = cv2.getRotationMatrix2D((222.0, 130.0), 1.5 * np.sin(i / 23), scale * (1 + 0.02 * np.sin(i / 31)))
        m[:, 2] += (
            width / 2 - 222 + 0.01 * width * np.sin(i / 17),
            height / 2 - 130 + 0.01 * height * np.cos(i / 19),
        )
        frames.append(cv2.warpAffine(photo, m, (width, height), borderMode=cv2.BORDER_REFLECT))
    return frames


def _clip_file(folder: Path, seconds: float, size: tuple[int, int], fps: float = 30.0) -> Path:
    path = folder / f"take_{size[0]}x{size[1]}_{seconds:g}s.avi"
    if path.exists():
        return path
    n = round(seconds * fps)
    cycle = _moving_frames(min(n, 90), size)  # the drift repeats every 3 s: enough for the figures
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    for i in range(n):
        writer.write(cv2.cvtColor(cycle[i % len(cycle)], cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def bench_speed(folder: Path, seconds: float, sizes: list[tuple[int, int]]) -> None:
    from ml.stages.face import track_faces
    from ml.stages.landmarks import Landmarker

    print(
        f"\n== speed: file -> face track, {seconds:g} s clips at 30 fps (frames/s; decode alone is the floor)"
    )
    for size in sizes:
        path = _clip_file(folder, seconds, size)
        start = time.perf_counter()
        with open_clip(path) as stream:
            n = sum(1 for _ in stream)
        decode = n / (time.perf_counter() - start)
        for threads in (1, 2):
            cv2.setNumThreads(threads)
            landmarker = Landmarker(num_threads=threads)
            start = time.perf_counter()
            with open_clip(path) as stream:
                count = sum(
                    chunk.num_frames
                    for chunk in track_faces(
                        ((f.number, f.rgb) for f in stream),
                        stream.fps,
                        landmarker=landmarker,
                        chunk_frames=256,
                    )
                )
            rate = count / (time.perf_counter() - start)
            print(
                f"{size[0]}x{size[1]}, {threads} thread(s): {rate:6.1f} frames/s (decode alone {decode:6.1f})"
            )


def _peak_mb() -> float:
    """This process's own peak resident memory: VmHWM on Linux (ru_maxrss there also carries the
    parent's peak across fork and exec), ru_maxrss elsewhere."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_child(path: str) -> None:
    baseline = _peak_mb()
    start = time.perf_counter()
    found = analyze_all(path, device="cpu", threshold=0.0)
    print(
        json.dumps(
            {
                "peak_mb": _peak_mb(),
                "after_imports_mb": baseline,
                "seconds": time.perf_counter() - start,
                "events": len(found),
            }
        )
    )


def bench_memory(folder: Path, durations: list[float], sizes: list[tuple[int, int]]) -> None:
    print("\n== memory: peak RSS of a fresh process analysing the whole clip (analyze_all)")
    for size in sizes:
        for seconds in durations:
            path = _clip_file(folder, seconds, size)
            proc = subprocess.run(
                [sys.executable, "-m", "bench.face", "--rss-child", str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(
                f"{size[0]}x{size[1]} {seconds:5g} s: peak {r['peak_mb']:7.0f} MB (after imports "
                f"{r['after_imports_mb']:.0f} MB), {r['seconds']:.1f} s wall"
            )


def _residual(crops: np.ndarray) -> float:
    grey = [cv2.cvtColor(c, cv2.COLOR_RGB2GRAY).astype(np.float32) for c in crops]
    shifts = [cv2.phaseCorrelate(grey[0], g)[0] for g in grey[1:]]
    return float(np.median([np.hypot(float(dx), float(dy)) for dx, dy in shifts]))


def bench_steadiness() -> None:
    print(
        "\n== steadiness: residual crop motion of a rigid photo under hand-held motion (median px at 112 px)"
    )
    frames = _moving_frames(60, (640, 360))
    clip = Clip(np.stack(frames), 30.0, Path("astronaut"), np.arange(60))
    lk = align_clip(clip)
    own = np.stack(
        [
            warp_crop(f, eye_transform(*_iris(lk, i), 112), 112)  # each frame aligned on its own eyes
            for i, f in enumerate(frames)
        ]
    )
    haar = align_clip(clip, detector="haar")
    fixed = np.stack([cv2.resize(f[60:300, 200:440], (112, 112)) for f in frames])
    print(f"landmarks + LK stabilisation (default): {_residual(lk.crops):.3f}")
    print(f"each frame aligned on its own landmarks: {_residual(own):.3f}")
    print(f"Haar + LK (the fallback):                {_residual(haar.crops):.3f}")
    print(f"a fixed box (no stabilisation):          {_residual(fixed):.3f}")


def _iris(track: object, i: int) -> tuple[tuple[float, float], tuple[float, float]]:
    pts = track.landmarks_in_frame(i)  # type: ignore[attr-defined]
    a, b = pts[468, :2], pts[473, :2]
    left, right = (a, b) if a[0] <= b[0] else (b, a)
    return (float(left[0]), float(left[1])), (float(right[0]), float(right[1]))


def bench_hard_cases() -> None:
    print("\n== hard cases: is the face found (landmarks / Haar)?")
    base = _moving_frames(8, (640, 360), face_fraction=0.35)
    cases: dict[str, list[np.ndarray]] = {}
    src = np.array([[0, 0], [640, 0], [640, 360], [0, 360]], np.float32)
    dst = np.array(
        [[60, 20], [600, 0], [600, 360], [60, 340]], np.float32
    )  # a perspective squeeze: a turned face
    turn = cv2.getPerspectiveTransform(src, dst)
    cases["turned (perspective)"] = [
        cv2.warpPerspective(f, turn, (640, 360), borderMode=cv2.BORDER_REFLECT) for f in base
    ]
    hand = []
    for f in base:
        g = f.copy()
        cv2.ellipse(
            g, (320, 228), (60, 34), 0, 0, 360, (196, 150, 120), -1
        )  # a skin-toned hand over the mouth
        hand.append(g)
    cases["hand over the mouth"] = hand
    cases["small face (10% of height)"] = _moving_frames(8, (640, 360), face_fraction=0.10)
    cases["no face (coffee)"] = [cv2.resize(skimage.data.coffee(), (640, 360))] * 8
    for name, frames in cases.items():
        clip = Clip(np.stack(frames), 30.0, Path(name), np.arange(len(frames)))
        found = []
        for detector in ("landmarks", "haar"):
            try:
                track = align_clip(clip, detector=detector)
                found.append(f"{int(track.present.sum())}/{len(frames)}")
            except Exception:  # NoFaceError: none found
                found.append(f"0/{len(frames)}")
        print(f"{name:28s} landmarks {found[0]:>5s}   haar {found[1]:>5s}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=("speed", "memory", "steadiness", "hard"), default=None)
    parser.add_argument("--seconds", type=float, default=5.0, help="clip length for the speed figures")
    parser.add_argument("--durations", type=float, nargs="+", default=[1.0, 10.0, 60.0])
    parser.add_argument("--sizes", nargs="+", default=["640x360", "1920x1080"])
    parser.add_argument("--folder", default=None, help="where the generated clips are kept (default: temp)")
    parser.add_argument("--rss-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        _rss_child(args.rss_child)
        return 0
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder) if args.folder else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"OpenCV {cv2.__version__}, numpy {np.__version__}; clips in {folder}")
        if args.only in (None, "speed"):
            bench_speed(folder, args.seconds, sizes)  # type: ignore[arg-type]
        if args.only in (None, "memory"):
            bench_memory(folder, args.durations, sizes)  # type: ignore[arg-type]
        if args.only in (None, "steadiness"):
            bench_steadiness()
        if args.only in (None, "hard"):
            bench_hard_cases()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
