"""Inference speed: file -> MicroExpression on this CPU, and the model alone on a GPU when present.

    python bench/infer.py --clips 8 --threads 2                # CPU, default weights
    python bench/infer.py --gpu-only --batch 64                # GPU: full au_gcn, bf16, batch 64

CPU: synthetic clips are written as video files, then :func:`ml.analyze.analyze` is timed on each
(after one warm-up call): clips/s and source frames/s, split into read+align and model time.
GPU (CUDA present): the full Table 1 network (``au_gcn``, 16 x 112 x 112) in bf16 autocast at batch 64
on random inputs: clips/s, and achieved TFLOP/s from the measured GFLOP/clip (Table 1 quotes 84).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def bench_cpu(n_clips: int, weights: str | None) -> dict:
    from ml.analyze import analyze
    from ml.datasets.synthetic import generate_clip
    from ml.stages.video import write_video

    with tempfile.TemporaryDirectory(prefix="microexpr-bench-infer-") as tmp:
        paths = []
        for i in range(n_clips + 1):
            sc = generate_clip(11, i)
            paths.append(write_video(sc.frames, sc.fps, Path(tmp) / f"clip{i}.avi"))
        analyze(paths[0], weights=weights, device="cpu")  # warm-up (model load, first-call overheads)
        frames = 0
        t_read = t_model = 0.0
        t0 = time.perf_counter()
        for path in paths[1:]:
            me = analyze(path, weights=weights, device="cpu")
            frames += me.n_frames
            t_read += me.extra["seconds"]["read_align"]
            t_model += me.extra["seconds"]["model"]
        wall = time.perf_counter() - t0
    return {
        "device": "cpu",
        "clips": n_clips,
        "source_frames": frames,
        "clips_per_s": round(n_clips / wall, 3),
        "frames_per_s": round(frames / wall, 1),
        "seconds_per_clip": {
            "total": round(wall / n_clips, 4),
            "read_align": round(t_read / n_clips, 4),
            "model": round(t_model / n_clips, 4),
        },
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
    return {
        "device": torch.cuda.get_device_name(0),
        "model": model_name,
        "input": list(model.cfg.input_size),
        "batch": batch,
        "dtype": "bf16 autocast",
        "gflop_per_clip_measured": round(gflops, 2),
        "gflop_per_clip_table1": 84.0,
        "clips_per_s": round(clips_s, 1),
        "tflop_per_s_measured": round(clips_s * gflops / 1000, 1),
        "tflop_per_s_at_84_gflop": round(clips_s * 84.0 / 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=8)
    p.add_argument("--weights", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--gpu-model", default="au_gcn")
    p.add_argument("--gpu-only", action="store_true")
    args = p.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    results = []
    if not args.gpu_only:
        results.append(bench_cpu(args.clips, args.weights))
    if torch.cuda.is_available():
        results.append(bench_gpu(args.batch, args.iters, args.gpu_model))
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
