"""Speed: file -> per-frame AU tracks and events -> keys on this CPU, and the model alone on a GPU.

    python bench/infer.py --seconds 10 --threads 2             # CPU: a 640x360 take at 30 fps
    python bench/infer.py --gpu-only --batch 64                # GPU: full au_gcn, bf16, batch 64

CPU: a real photograph animated with known expressions (``ml.datasets.photo_clips``), placed in a
640x360 frame and written as a video file; then, in the same run: OpenCV decoding the file alone (the
floor), and the whole job, :func:`ml.analyze.analyze` (face stage, measured tracks, events, the model's
labels) followed by the MetaHuman keys (:func:`curves.pipeline.build_curvesets`), after one warm-up call.
Source frames/s, with the time of each part. ``--threads`` caps torch and OpenCV; decoding always runs
in its own thread beside the analysis.
GPU (CUDA present): a full-size network (``--gpu-model``, default the Table 1 network ``au_gcn``, 16 x 112
x 112) in bf16 autocast at batch 64 on random inputs, after five warm-up batches: clips/s, and achieved
TFLOP/s from the measured GFLOP/clip (for ``au_gcn`` also at Table 1's 84 GFLOP/clip).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: GFLOP per clip of the full AU-GCN network, as the paper's Table 1 quotes it.
TABLE1_GFLOP = 84.0
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _take_file(folder: Path, seconds: float) -> Path:
    import cv2
    import numpy as np

    from ml.datasets.photo_clips import load_photo, make_scenario, measure_neutral, render_clip
    from ml.stages.landmarks import Landmarker
    from ml.stages.video import write_video

    face = measure_neutral("astronaut", load_photo("astronaut"), Landmarker())
    clip = render_clip(face, make_scenario(seed=5, family="macro", duration_s=seconds), fps=30.0)
    frames = []
    for frame in clip.frames:  # the 512 px photograph at 360 px, centred in a 640x360 frame
        small = cv2.resize(frame, (360, 360), interpolation=cv2.INTER_AREA)
        frames.append(cv2.copyMakeBorder(small, 0, 0, 140, 140, cv2.BORDER_REFLECT))
    return write_video(np.stack(frames), 30.0, folder / "take_640x360.avi")


def bench_cpu(seconds: float, weights: str | None) -> dict:
    from curves.pipeline import build_curvesets
    from ml.analyze import analyze
    from ml.stages.video import open_clip

    with tempfile.TemporaryDirectory(prefix="microexpr-bench-infer-") as tmp:
        path = _take_file(Path(tmp), seconds)
        t0 = time.perf_counter()
        with open_clip(path) as stream:
            n = sum(1 for _ in stream)
        decode = time.perf_counter() - t0
        analyze(path, weights=weights, device="cpu")  # warm-up (model and landmarker load)
        t0 = time.perf_counter()
        me = analyze(path, weights=weights, device="cpu")
        t1 = time.perf_counter()
        build_curvesets(me, rig="metahuman")
        t2 = time.perf_counter()
    parts = me.extra["seconds"]
    return {
        "device": "cpu",
        "clip": f"640x360, {n} frames at 30 fps",
        "decode_frames_per_s": round(n / decode, 1),
        "file_to_keys_frames_per_s": round(n / (t2 - t0), 1),
        "seconds": {
            "read_faces": parts["read_faces"],
            "measure": parts["measure"],
            "label": parts["label"],
            "keys": round(t2 - t1, 4),
            "total": round(t2 - t0, 4),
        },
        "events": len(me.events),
    }


def bench_gpu(batch: int, iters: int, model_name: str) -> dict:
    import torch

    from ml.models import create_model
    from ml.models.flops import count_gflops
    from ml.runtime import autocast

    model = create_model(model_name).eval()
    gflops = float(count_gflops(model, model.cfg.input_size))
    model = model.cuda()
    x = torch.randn(batch, *model.cfg.input_size, device="cuda")
    with torch.no_grad(), autocast("cuda", "bf16"):
        for _ in range(5):
            model(x)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(iters):
            model(x)
        torch.cuda.synchronize()
        wall = time.perf_counter() - t0
    clips_s = batch * iters / wall
    result = {
        "device": torch.cuda.get_device_name(0),
        "model": model_name,
        "input": list(model.cfg.input_size),
        "batch": batch,
        "dtype": "bf16 autocast",
        "gflop_per_clip_measured": round(gflops, 2),
        "clips_per_s": round(clips_s, 1),
        "tflop_per_s_measured": round(clips_s * gflops / 1000, 1),
    }
    if model_name == "au_gcn":  # the network Table 1 describes
        result["gflop_per_clip_table1"] = TABLE1_GFLOP
        result["tflop_per_s_at_table1_gflop"] = round(clips_s * TABLE1_GFLOP / 1000, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10.0, help="length of the CPU take")
    p.add_argument("--weights", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--gpu-model", default="au_gcn")
    p.add_argument("--gpu-only", action="store_true")
    args = p.parse_args(argv)
    import torch

    if args.threads:
        import cv2

        torch.set_num_threads(args.threads)
        cv2.setNumThreads(args.threads)
    results = []
    if not args.gpu_only:
        results.append(bench_cpu(args.seconds, args.weights))
    if torch.cuda.is_available():
        results.append(bench_gpu(args.batch, args.iters, args.gpu_model))
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
