"""Face landmarks on LiteRT: speed and steadiness on this machine.

    python3 -m bench.landmarks                # all figures
    python3 -m bench.landmarks --frames 40    # fewer timed frames

Frames are built from scikit-image's public-domain astronaut portrait, so the figures need no private
data:
- speed: frames/s of ``FaceTracker.step`` (detection + 478 landmarks + 52 blendshapes + pose, every
  frame) at 640x360 and 1920x1080, with one and two threads, plus the per-model cost;
- jitter: landmark spread on one still frame repeated (tracked from frame to frame);
- rigid warps: the photograph shifted, rotated and scaled by known sub-pixel amounts; the landmarks'
  error against the known warp of the unwarped landmarks.
Distances are given at 112 px crop scale: pixels times 112 / face size (the landmark box's geometric
mean side), the scale of the aligned crops the models read.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import skimage.data

from ml.stages.landmarks import FaceLandmarks, FaceTracker, Landmarker
from ml.stages.landmarks.mesh import (
    LEFT_EYE_INNER,
    LEFT_EYE_OUTER,
    NOSE_TIP,
    RIGHT_EYE_INNER,
    RIGHT_EYE_OUTER,
)

RIGID = [RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER, NOSE_TIP]
SIZES = {"640x360": (640, 360, 1.2), "1920x1080": (1920, 1080, 3.6)}


def frame_with_face(width: int, height: int, scale: float) -> np.ndarray:
    """The astronaut's head and shoulders, scaled by ``scale``, in the middle of a grey frame."""
    patch = cv2.resize(skimage.data.astronaut()[40:220, 140:310], None, fx=scale, fy=scale)
    frame = np.full((height, width, 3), 120, dtype=np.uint8)
    y, x = (height - patch.shape[0]) // 2, (width - patch.shape[1]) // 2
    frame[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
    return frame


def speed(frames: int) -> None:
    print("speed: FaceTracker.step, every frame (detect + landmarks + blendshapes + pose)")
    for name, (w, h, scale) in SIZES.items():
        base = frame_with_face(w, h, scale)
        # Move the face by a pixel per frame so no step is a repeat of the last.
        clip = [np.roll(base, shift=(i % 5, i % 7), axis=(0, 1)) for i in range(frames)]
        for threads in (1, 2):
            landmarker = Landmarker(num_threads=threads)
            tracker = FaceTracker(landmarker)
            tracker.track(clip[:5])  # warm up and accept the face
            start = time.perf_counter()
            found = [tracker.step(f) for f in clip]
            seconds = time.perf_counter() - start
            costs = model_costs(landmarker, base)
            print(
                f"  {name:>9}  threads={threads}  {frames / seconds:6.1f} frames/s  "
                f"({1000 * seconds / frames:5.2f} ms/frame; detect {costs[0]:.2f} ms, "
                f"landmarks+blendshapes+pose {costs[1]:.2f} ms, blendshapes alone {costs[2]:.2f} ms)  "
                f"face in {sum(f is not None for f in found)}/{frames}"
            )


def model_costs(landmarker: Landmarker, frame: np.ndarray, repeats: int = 20) -> tuple[float, float, float]:
    """Milliseconds per call of the detector (with letterboxing), landmarks (with crop), blendshapes."""
    face = landmarker.landmarks(frame, landmarker.detect_faces(frame)[0])
    timings = []
    for call in (
        lambda: landmarker.detect_faces(frame),
        lambda: landmarker.landmarks(frame, face),
        lambda: landmarker.blendshape_model.run(face.points[None, :146, :2]),
    ):
        start = time.perf_counter()
        for _ in range(repeats):
            call()
        timings.append(1000 * (time.perf_counter() - start) / repeats)
    return timings[0], timings[1], timings[2]


def crop_scale(face: FaceLandmarks) -> float:
    """Pixels of an aligned 112 px crop per pixel of ``face``'s frame."""
    return 112.0 / face.size


def still_jitter(landmarker: Landmarker, repeats: int) -> None:
    frame = frame_with_face(640, 360, 1.2)
    tracked = [f.face.points[:, :2] for f in FaceTracker(landmarker).track([frame] * repeats) if f]
    points = np.stack(tracked[3:])  # after the region has settled
    first = FaceTracker(landmarker).track([frame] * 4)[-1]
    assert first is not None
    spread = np.linalg.norm(points - points.mean(axis=0), axis=2) * crop_scale(first.face)
    print(
        f"jitter, still frame x{len(points)} (tracked): median {np.median(spread):.3f} px, "
        f"max {spread.max():.3f} px at 112 px"
    )


def settled(
    landmarker: Landmarker, image: np.ndarray, start: FaceLandmarks, rounds: int = 8
) -> FaceLandmarks:
    """The landmarks a tracker settles on when the same frame repeats."""
    face = start
    for _ in range(rounds):
        face = landmarker.landmarks(image, face)
    return face


def warp_errors(landmarker: Landmarker, count: int, seed: int) -> None:
    """Landmarks on warped photographs vs the known warp of the landmarks on the original.

    "fresh": each frame read from its own detection, then once more from its own landmarks;
    "tracked": each frame read from the previous frame's landmarks (as ``FaceTracker`` does). Each mode
    is compared with the same mode's landmarks on the unwarped photograph.
    """
    rng = np.random.default_rng(seed)
    image = skimage.data.astronaut()
    fresh_reference = landmarker.landmarks(
        image, landmarker.landmarks(image, landmarker.detect_faces(image)[0])
    )
    tracked_reference = settled(landmarker, image, fresh_reference)
    k = crop_scale(fresh_reference)
    centre = (float(fresh_reference.center[0]), float(fresh_reference.center[1]))
    errors: dict[str, list[tuple[float, float]]] = {"fresh": [], "tracked": []}
    motion = []
    previous = tracked_reference
    for _ in range(count):
        matrix = np.asarray(
            cv2.getRotationMatrix2D(centre, rng.uniform(-0.5, 0.5), 1.0 + rng.uniform(-0.005, 0.005)),
            np.float64,
        )
        matrix[:, 2] = matrix[:, 2] + rng.uniform(-0.5, 0.5, size=2)
        warped = cv2.warpAffine(
            image, matrix, image.shape[1::-1], flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
        )
        fresh = landmarker.landmarks(warped, landmarker.landmarks(warped, landmarker.detect_faces(warped)[0]))
        tracked = previous = landmarker.landmarks(warped, previous)
        for name, face, reference in (
            ("fresh", fresh, fresh_reference),
            ("tracked", tracked, tracked_reference),
        ):
            expected = reference.points[:, :2] @ matrix[:, :2].T + matrix[:, 2]
            error = np.linalg.norm(face.points[:, :2] - expected, axis=1) * k
            errors[name].append((float(np.median(error)), float(np.median(error[RIGID]))))
        moved = fresh_reference.points[:, :2] @ matrix[:, :2].T + matrix[:, 2] - fresh_reference.points[:, :2]
        motion.append(float(np.median(np.linalg.norm(moved, axis=1))) * k)
    print(
        f"rigid warps x{count} (shift <=0.5 px, rotate <=0.5 deg, scale <=0.5%; "
        f"mean known motion {np.mean(motion):.3f} px at 112 px):"
    )
    for name, rows in errors.items():
        all_points, rigid = np.mean(rows, axis=0)
        print(
            f"  {name:>7}: error vs known warp, median over 478 points {all_points:.3f} px, "
            f"eye corners + nose tip {rigid:.3f} px (at 112 px)"
        )
    drift = np.linalg.norm(tracked_reference.points[:, :2] - fresh_reference.points[:, :2], axis=1) * k
    print(f"  offset between the tracked and fresh readings of one frame: median {np.median(drift):.3f} px")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60, help="timed frames per case")
    parser.add_argument("--warps", type=int, default=20, help="number of random rigid warps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    speed(args.frames)
    landmarker = Landmarker(num_threads=1)
    still_jitter(landmarker, 20)
    warp_errors(landmarker, args.warps, args.seed)


if __name__ == "__main__":
    main()
