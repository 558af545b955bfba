"""Train the shipped default weights (``ml/weights/au_gcn_small.safetensors``) on the synthetic dataset.

The recorded command that produced the shipped file (CPU, one thread, two members of 80 epochs in 13
minutes on a machine busy with other work; the data folder was written beforehand by
``ml.datasets.synthetic.write_dataset(DIR, subjects=26, clips=255, seed=7)``, which is what this script
does itself without ``--data``; the result was written to a scratch folder, checked, then copied to
``ml/weights``)::

    python tools/train_default_weights.py --config configs/au_gcn_small.yaml --out /tmp/x/w3 \
        --data /tmp/d2_synth255 --cache /tmp/c2 --threads 1 --overwrite

The config trains two copies from different seeds (``members: 2``) and saves their average, mirrored
clips included (``mirror_average``); ``--dtype float16`` (the default) stores both in half
the space of float32.

Without ``--data`` the synthetic dataset (26 subjects, 255 clips, seed 7) is generated into a temporary
folder first. The weights are trained on *all* synthetic clips (no held-out subject): they are a working
default for the demo and the editor, not a recognition result. Held-out figures come from
``bench/loso_synthetic.py``; for real faces train on CASME II with ``microexpr train``.

After training, the model is checked on the synthetic demo clip (which is not in the training set) and
the result is stored in the checkpoint's JSON sidecar along with this command and the loss history.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _demo_check(model: Any) -> dict[str, Any]:
    """Predict the synthetic demo clip with the in-memory model; compare with its ground truth."""
    from ml.analyze import scan_windows
    from ml.datasets.synthetic import demo_clip
    from ml.stages.face import align_clip
    from ml.stages.video import Clip

    sc = demo_clip(seed=0)
    clip = Clip(frames=sc.frames, fps=sc.fps, source=Path("demo_clip"), frame_numbers=sc.frame_numbers)
    crops = align_clip(clip, size=112).crops
    windows, n = scan_windows(crops, sc.fps, model)
    w = max(windows, key=lambda w: w.strength)
    first = int(sc.frame_numbers[0])
    names = model.cfg.emotion_names
    return {
        "true_emotion": sc.record.emotion,
        "pred_emotion": names[int(w.emotion_probs.argmax())],
        "pred_emotion_prob": round(float(w.emotion_probs.max()), 4),
        "true_frames": [int(v or 0) - first for v in (sc.record.onset, sc.record.apex, sc.record.offset)],
        "pred_frames": [w.onset, w.apex, w.offset],
        "true_aus": list(sc.record.aus),
        "pred_aus": [a for a, p in zip(model.cfg.au_names, w.au_probs, strict=True) if p >= 0.5],
        "n_frames": n,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default=str(ROOT / "configs" / "au_gcn_small.yaml"))
    p.add_argument("--data", default=None, help="synthetic dataset folder (default: generate one)")
    p.add_argument("--subjects", type=int, default=26)
    p.add_argument("--clips", type=int, default=255)
    p.add_argument("--data-seed", type=int, default=7)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--workers", type=int, default=0, help="processes aligning faces into the cache")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cache", default=None, help="crop cache folder (default: a temporary folder)")
    p.add_argument("--out", default=str(ROOT / "ml" / "weights"))
    p.add_argument("--name", default="au_gcn_small")
    p.add_argument("--version", default="synthetic-1")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument(
        "--dtype",
        choices=("float32", "float16"),
        default="float16",
        help="storage of the weights (float16 halves the file; the demo check runs on the stored values)",
    )
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from curves.atomic import check_can_write
    from ml.checkpoint import save_checkpoint, stored_state
    from ml.datasets import open_dataset
    from ml.train import load_config, merge_overrides, train_full

    target = Path(args.out) / f"{args.name}.safetensors"
    check_can_write(target, overwrite=args.overwrite)
    cfg = load_config(args.config)
    cfg = merge_overrides(
        cfg, epochs=args.epochs, device="cpu", num_threads=args.threads, workers=args.workers
    )
    cfg = cfg.replace(model_kwargs={**dict(cfg.model_kwargs), "version": args.version})
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="microexpr-weights-") as tmp:
        data = Path(args.data) if args.data else None
        if data is None:
            from ml.datasets.synthetic import write_dataset

            data = write_dataset(
                Path(tmp) / "synthetic",
                subjects=args.subjects,
                clips=args.clips,
                seed=args.data_seed,
                progress=True,
            )
        records = open_dataset(data)
        model, summary = train_full(records, cfg, cache_dir=args.cache or Path(tmp) / "cache", progress=True)
        model.load_state_dict(stored_state(model, args.dtype))  # the demo check sees the stored values
        demo = _demo_check(model)
        meta = {
            "command": "python tools/train_default_weights.py "
            + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])),
            "data": f"synthetic dataset ({summary['n_subjects']} subjects, {summary['n_clips']} clips, "
            f"seed {args.data_seed}) from ml.datasets.synthetic; all clips used for training",
            "train_config": cfg.to_dict(),
            "classes": summary["classes"],
            "loss_first_epoch": summary["history"][0],
            "loss_last_epoch": summary["history"][-1],
            "train_seconds": summary["seconds"],
            "device": summary["device"],
            "threads": args.threads,
            "demo_clip_check": demo,
            "note": "trained on synthetic faces only; not a model of real micro-expressions",
        }
        path = save_checkpoint(model, target, meta=meta, overwrite=args.overwrite, dtype=args.dtype)
    print(
        json.dumps(
            {
                "weights": str(path),
                "seconds": round(time.time() - t0, 1),
                "demo_clip_check": demo,
                "loss_first": summary["history"][0].get("total"),
                "loss_last": summary["history"][-1].get("total"),
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
