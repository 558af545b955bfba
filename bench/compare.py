"""Compare the four recognition models on one subject-independent split, through the training harness.

    python bench/compare.py --preset tiny --subjects 6 --clips 36 --protocol loso --epochs 6
    python bench/compare.py --data CASME2_ROOT --preset full --protocol loso --epochs 30 --device cuda

Every model (au_gcn, ms3d_resnet50, gamdss, madv; the registered ``*_small`` variants or the tiny widths
of ``--preset tiny``) is trained and evaluated by :func:`ml.train.run_protocol` on the same clips, the
same folds (LOSO or k-fold by subject), the same epochs, batch size and learning rate, with a fixed epoch
count (no selection on the test fold). Without ``--data`` a synthetic dataset is generated first.

Printed table, one row per model:
    UF1, UAR (emotion, pooled over folds), AU F1 (macro), timing error (mean |onset/apex/offset| error in
    frames), parameters, GFLOP per clip (``ml.models.flops.count_gflops``: 2 FLOPs per multiply-add),
    clips/s of the network forward at batch 8 on CPU (and on CUDA when present), and the input
    preparation time per clip (optical flow for ms3d_resnet50, keyframe selection for gamdss).

Augmentation is off for every model (a horizontal flip would also need the flow's u channel negated).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FAMILIES = ("au_gcn", "ms3d_resnet50", "gamdss", "madv")

#: Model name and keyword arguments per family for each preset.
PRESETS: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {
    "tiny": {
        "au_gcn": ("au_gcn_small", {"image_size": 48, "num_frames": 8, "width": 0.125}),
        "ms3d_resnet50": ("ms3d_resnet50_small", {"image_size": 48, "num_frames": 8, "width": 0.125}),
        "gamdss": ("gamdss_small", {"image_size": 48, "context_frames": 8, "width": 0.125}),
        "madv": ("madv_small", {"image_size": 48, "num_frames": 8, "width": 0.125}),
    },
    "small": {f: (f"{f}_small", {}) for f in FAMILIES},
    "full": {f: (f, {}) for f in FAMILIES},
}


def _throughput(model: Any, device: str, batch: int = 8, repeats: int = 3) -> float:
    """Clips per second of ``model``'s forward pass on random inputs (eval mode, no grad)."""
    import torch

    model = model.to(device).eval()
    x = torch.randn((batch, *model.cfg.input_size), device=device)
    with torch.no_grad():
        model(x)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(repeats):
            model(x)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    return batch * repeats / (time.perf_counter() - t0)


def _prep_ms(cfg: Any, n_frames: int = 60) -> float:
    """Milliseconds to build one clip's input from ``n_frames`` crops (keyframes not given)."""
    import numpy as np

    from ml.stages.inputs import build_input

    rng = np.random.default_rng(0)
    crops = rng.integers(0, 255, (n_frames, cfg.image_size, cfg.image_size, 3), dtype=np.uint8)
    t0 = time.perf_counter()
    build_input(cfg, crops, None)
    return (time.perf_counter() - t0) * 1000.0


def _fmt_table(rows: list[dict[str, Any]], cuda: bool) -> str:
    head = ["model", "UF1", "UAR", "AU F1", "timing err (fr)", "params (M)", "GFLOP/clip", "clips/s CPU"]
    if cuda:
        head.append("clips/s GPU")
    head += ["prep ms/clip", "train s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        cells = [
            r["model"],
            f"{r['uf1']:.3f}",
            f"{r['uar']:.3f}",
            f"{r['au_f1']:.3f}",
            f"{r['timing_error_frames']:.2f}",
            f"{r['params'] / 1e6:.2f}",
            f"{r['gflop']:.3f}",
            f"{r['clips_per_s_cpu']:.1f}",
        ]
        if cuda:
            cells.append(f"{r.get('clips_per_s_gpu', float('nan')):.1f}")
        cells += [f"{r['prep_ms']:.1f}", f"{r['train_s']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=None, help="dataset folder (default: generate a synthetic one)")
    p.add_argument("--subjects", type=int, default=6, help="synthetic subjects (without --data)")
    p.add_argument("--clips", type=int, default=36, help="synthetic clips (without --data)")
    p.add_argument("--frame-size", type=int, default=128, help="synthetic frame size in pixels")
    p.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    p.add_argument("--models", default=",".join(FAMILIES), help="comma-separated families to run")
    p.add_argument("--protocol", choices=("loso", "kfold"), default="loso")
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--max-folds", type=int, default=None)
    p.add_argument("--classes", default="casme2_5")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--device", default=None, help="training device (default: CUDA when available)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--cache", default=None, help="crop cache shared by all models")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write compare.json and compare.md here")
    args = p.parse_args(argv)

    import torch

    from ml.datasets import open_dataset
    from ml.models.flops import count_gflops
    from ml.train import run_protocol
    from ml.train.config import TrainConfig
    from ml.train.folds import build_model

    if args.threads:
        torch.set_num_threads(args.threads)
    tmp = tempfile.TemporaryDirectory(prefix="compare_")
    data = args.data
    if data is None:
        from ml.datasets.synthetic import write_dataset

        data = str(Path(tmp.name) / "synthetic")
        write_dataset(
            data, subjects=args.subjects, clips=args.clips, seed=7, size=(args.frame_size, args.frame_size)
        )
    records = open_dataset(data)
    cache = args.cache or str(Path(tmp.name) / "cache")
    families = [f.strip() for f in args.models.split(",") if f.strip()]
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        p.error(f"unknown model families {unknown}; choose from {list(FAMILIES)}")
    cuda = torch.cuda.is_available()
    rows: list[dict[str, Any]] = []
    for fam in families:
        name, kwargs = PRESETS[args.preset][fam]
        cfg = TrainConfig(
            model=name,
            model_kwargs=kwargs,
            split=args.protocol,
            k=args.k,
            classes=args.classes,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            seed=args.seed,
            device=args.device,
            amp="none",
            cache=cache,
            max_folds=args.max_folds,
            augment=False,
            num_threads=args.threads,
        )
        t0 = time.perf_counter()
        report = run_protocol(records, cfg, progress=True, data_source=str(data))
        train_s = time.perf_counter() - t0
        pooled = report["pooled"]
        model = build_model(cfg, report["classes"])
        row: dict[str, Any] = {
            "model": name,
            "uf1": pooled["uf1"],
            "uar": pooled["uar"],
            "au_f1": pooled["au_f1_macro"],
            "timing_error_frames": pooled["timing_error_frames"]["mean"],
            "params": model.num_params,
            "gflop": count_gflops(model),
            "clips_per_s_cpu": _throughput(model, "cpu"),
            "prep_ms": _prep_ms(model.cfg),
            "train_s": train_s,
            "first_loss": [f["first_loss"] for f in report["folds"]],
            "final_loss": [f["final_loss"] for f in report["folds"]],
        }
        if cuda:
            row["clips_per_s_gpu"] = _throughput(model, "cuda")
        rows.append(row)
    n_folds = len(report["folds"]) if rows else 0
    title = (
        f"{len(records)} clips, {len({r.subject for r in records})} subjects, {args.protocol} "
        f"({n_folds} folds run), {args.epochs} epochs, preset {args.preset}, lr {args.lr}, "
        f"batch {args.batch_size}, device {report['device'] if rows else '-'}"
    )
    table = _fmt_table(rows, cuda)
    sys.stdout.write(title + "\n\n" + table + "\n")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        from curves.atomic import atomic_write_text

        atomic_write_text(out / "compare.json", json.dumps({"title": title, "rows": rows}, indent=2))
        atomic_write_text(out / "compare.md", title + "\n\n" + table + "\n")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
