"""Figures for the AU tracks on warped photographs (not a test: prints a table).

    PYTHONPATH=$PWD python3 tests/ml/tracks/figures.py

Two public-domain portraits (scikit-image's astronaut, matplotlib's Grace Hopper) are animated with the
known deformations of ``conftest.py`` at a micro and a macro amplitude, and measured both ways: the
measured tracks and the blendshape-only baseline. Per clip: Pearson correlation of the AU's track with
the known time course, its peak, and the largest other AU; for the events, the onset / apex / offset
error in frames. Each clip is 90 frames at 30 fps, mostly neutral as a take is: the neutral is found
automatically. Then the time per frame of ``measure_au_intensities`` alone.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np
import skimage.data
from matplotlib import cbook

sys.path.insert(0, str(Path(__file__).parent))

from conftest import (  # the clip builders live beside the tests
    brow_raise,
    close_eyes,
    measure_frames,
    ramp,
    smile,
    turn_head,
    warp,
)

from ml.stages.landmarks import Landmarker
from ml.tracks import blendshapes_to_aus, measure_au_intensities, spot_events

FPS = 30.0


def portraits() -> dict[str, np.ndarray]:
    with cbook.get_sample_data("grace_hopper.jpg") as handle:
        hopper = cv2.cvtColor(
            cv2.imdecode(np.frombuffer(handle.read(), np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
        )
    return {"astronaut": skimage.data.astronaut(), "hopper": hopper}


def high_speed(landmarker: Landmarker, image: np.ndarray, points: np.ndarray) -> None:
    """A micro smile (0.03 IOD, 0.35 s from onset to offset) filmed at 200 fps."""
    fps = 200.0
    timing = ramp(240, 60, 95, 100, 130)
    measured = measure_frames(landmarker, [warp(image, smile(points, 0.03), s) for s in timing])
    tracks = measure_au_intensities(
        measured.crops, measured.landmarks, measured.blendshapes, measured.pose, measured.present, fps
    )
    track = tracks.track("AU12")
    events = [
        f"{e.onset - 60:+d}/{e.apex - 95 if e.apex < 95 else max(0, e.apex - 100):+d}/{e.offset - 130:+d} "
        f"{e.kind} {e.emotion}"
        for e in spot_events(tracks, fps, measured.present)
    ]
    print(
        f"{'astronaut':10} {'smile 200 fps':16} {'AU12':5} {np.corrcoef(track, timing)[0, 1]:6.3f} "
        f"{track.max():5.2f} {'':12} | {'':6} {'':7} | {events or 'none'}"
    )


def main() -> None:
    cv2.setNumThreads(2)
    landmarker = Landmarker(num_threads=1)
    truth = ramp(90, 10, 16, 34, 42)  # a take is mostly neutral: 57 of 90 frames
    print(
        f"{'face':10} {'clip':16} {'AU':5} {'PCC':>6} {'peak':>5} {'other':>12} "
        f"| {'bs PCC':>6} {'bs peak':>7} | events (onset/apex/offset error)"
    )
    for face, image in portraits().items():
        (detection,) = landmarker.detect_faces(image)
        first = landmarker.landmarks(image, detection)
        points = landmarker.landmarks(image, first).points.astype(np.float64)
        clips = {
            "smile 0.03 IOD": ("AU12", smile(points, 0.03)),
            "smile 0.12 IOD": ("AU12", smile(points, 0.12)),
            "brow 0.06 IOD": ("AU1", brow_raise(points, 0.06)),
            "brow 0.12 IOD": ("AU1", brow_raise(points, 0.12)),
            "blink": ("AU45", []),
        }
        for name, (au, bumps) in clips.items():
            timing = truth if au != "AU45" else ramp(90, 20, 23, 25, 28)
            if au == "AU45":
                frames = [close_eyes(image, points, s) for s in timing]
            else:
                frames = [warp(image, bumps, s) for s in timing]
            measured = measure_frames(landmarker, frames)
            tracks = measure_au_intensities(
                measured.crops, measured.landmarks, measured.blendshapes, measured.pose, measured.present, FPS
            )
            base = blendshapes_to_aus(measured.blendshapes, measured.present, FPS)
            track = tracks.track(au)
            others = {
                n: float(np.nanmax(tracks.track(n))) for n in tracks.bilateral_names if n not in (au, "AU2")
            }
            worst = max(others, key=lambda k: others[k])
            bs = base.track(au)
            bs_pcc = float(np.corrcoef(bs, timing)[0, 1]) if bs.std() > 0 else float("nan")
            events = spot_events(tracks, FPS, measured.present)
            onset, apex_lo, apex_hi, offset = (10, 16, 34, 42) if au != "AU45" else (20, 23, 25, 28)
            spotted = [
                f"{e.onset - onset:+d}/{0 if apex_lo <= e.apex <= apex_hi else e.apex - apex_lo:+d}/"
                f"{e.offset - offset:+d} {e.emotion}"
                for e in events
            ]
            print(
                f"{face:10} {name:16} {au:5} {np.corrcoef(track, timing)[0, 1]:6.3f} {track.max():5.2f} "
                f"{worst:>5} {others[worst]:5.2f} | {bs_pcc:6.3f} {bs.max():7.2f} | {spotted or 'none'}"
            )
        turned = measure_frames(
            landmarker, [turn_head(image, points, 12 * np.sin(p)) for p in np.linspace(0, 2 * np.pi, 60)]
        )
        tracks = measure_au_intensities(
            turned.crops, turned.landmarks, turned.blendshapes, turned.pose, turned.present, FPS
        )
        peaks = {n: float(np.nanmax(tracks.track(n))) for n in tracks.bilateral_names}
        worst = max(peaks, key=lambda k: peaks[k])
        count = len(spot_events(tracks, FPS, turned.present))
        print(
            f"{face:10} {'turn +-12 deg':16} {'-':5} {'':6} {'':5} {worst:>5} {peaks[worst]:5.2f} "
            f"| events {count}"
        )
        if face == "astronaut":
            high_speed(landmarker, image, points)
    frames = np.concatenate([measured.crops] * 5)
    args = [
        np.concatenate([a] * 5)
        for a in (measured.landmarks, measured.blendshapes, measured.pose, measured.present)
    ]
    start = time.perf_counter()
    measure_au_intensities(frames, *args, FPS)
    elapsed = time.perf_counter() - start
    print(
        f"measure_au_intensities: {1000 * elapsed / len(frames):.2f} ms per 112 px frame "
        f"({len(frames)} frames, 2 threads)"
    )


if __name__ == "__main__":
    main()
