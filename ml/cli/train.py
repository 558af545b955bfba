"""``microexpr train``: subject-independent training and evaluation (LOSO or k-fold) of any model.

    microexpr train --config configs/au_gcn.yaml --data DATA --protocol loso --out runs/casme2_loso

Writes ``report.json`` (pooled accuracy, macro-F1, UF1, UAR, AU F1, timing errors, per-fold details),
``config.yaml`` (the resolved settings) and ``confusion.png`` into ``--out``. Under
``torchrun --nproc_per_node=N -m ml train ...`` each fold trains with DistributedDataParallel.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_data_arguments", "load_records", "print_summary", "register", "run"]


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared by ``train`` and ``evaluate`` for choosing the data."""
    p.add_argument(
        "--data", required=True, help="dataset folder (CASME II layout, SAMM, SMIC, synthetic ...)"
    )
    p.add_argument("--dataset", default=None, help="corpus name if auto-detection fails (casme2, samm, ...)")
    p.add_argument(
        "--skip-missing",
        action="store_true",
        help="skip clips whose frame folder is missing (with a warning) instead of stopping",
    )
    p.add_argument("--classes", default=None, help="class protocol: casme2_5, casme2_7, composite3, as_is")
    p.add_argument("--cache", default=None, help="folder for cached face crops (default: OUT/cache)")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "train",
        help="train and evaluate a model with LOSO or k-fold cross-validation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--config", default=None, help="YAML settings (e.g. configs/au_gcn.yaml); CLI options override it"
    )
    add_data_arguments(p)
    p.add_argument("--protocol", choices=("loso", "kfold"), default=None, help="cross-validation by subject")
    p.add_argument("--k", type=int, default=None, help="folds for --protocol kfold")
    p.add_argument("--model", default=None, help="registered model name (default from the config: au_gcn)")
    p.add_argument(
        "--keyframes", choices=("gt", "gamdss"), default=None, help="keyframes fed to the input builder"
    )
    p.add_argument("--epochs", type=int, default=None, help="fixed epochs per fold")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument(
        "--val-fraction", type=float, default=None, help="hold out this fraction of training subjects"
    )
    p.add_argument("--max-folds", type=int, default=None, help="run only N folds (quick check)")
    p.add_argument("--first-fold", type=int, default=None, help="index of the first fold run (default 0)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--members",
        type=int,
        default=None,
        help="networks trained per fold from different seeds, their predictions averaged (config: members)",
    )
    p.add_argument(
        "--no-mirror-average",
        action="store_true",
        help="predict on the clip only, not also on its mirror image (config: mirror_average)",
    )
    p.add_argument("--device", choices=("cpu", "cuda"), default=None, help="default: CUDA when available")
    p.add_argument("--amp", choices=("bf16", "fp16", "none"), default=None, help="autocast dtype on CUDA")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--workers", type=int, default=None, help="processes aligning faces into the cache")
    p.add_argument("--out", required=True, help="output folder for report.json, config.yaml, confusion.png")
    p.add_argument("--overwrite", action="store_true", help="replace an existing report in --out")
    p.add_argument(
        "--network-timing",
        action="store_true",
        help="score the timing head's onset/apex/offset instead of those fitted to each clip's motion",
    )
    p.set_defaults(func=run)


def load_records(args: argparse.Namespace) -> list[Any]:
    """Open the dataset named by ``--data`` / ``--dataset`` / ``--skip-missing``."""
    # the corpus readers pull in OpenCV and openpyxl: loaded only when a command runs, so --help is instant
    from ml.datasets import open_dataset

    return list(open_dataset(args.data, args.dataset, on_missing="skip" if args.skip_missing else "error"))


def run(args: argparse.Namespace) -> int:
    # torch, OpenCV and matplotlib load only when the command runs: `microexpr --help` stays instant
    from ml.train import dist, load_config, merge_overrides, run_protocol
    from ml.train.report import check_outputs, write_outputs

    is_main = dist.detect().is_main  # under torchrun only rank 0 writes the report
    if is_main:
        check_outputs(args.out, overwrite=args.overwrite)
    cfg = load_config(args.config)
    cfg = merge_overrides(
        cfg,
        model=args.model,
        split=args.protocol,
        k=args.k,
        classes=args.classes,
        keyframes=args.keyframes,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        val_fraction=args.val_fraction,
        max_folds=args.max_folds,
        first_fold=args.first_fold,
        seed=args.seed,
        members=args.members,
        mirror_average=False if args.no_mirror_average else None,
        device=args.device,
        amp=args.amp,
        num_threads=args.threads,
        workers=args.workers,
        cache=args.cache,
        on_missing="skip" if args.skip_missing else None,
        refine_timing=False if args.network_timing else None,
    )
    records = load_records(args)
    report = run_protocol(
        records, cfg, cache_dir=str(Path(args.out) / "cache"), progress=True, data_source=str(args.data)
    )
    if is_main:
        report["files"] = [
            str(p) for p in write_outputs(report, cfg.to_dict(), args.out, overwrite=args.overwrite)
        ]
        print_summary(report)
    return 0


def print_summary(report: dict[str, Any]) -> None:
    """Print a run report's pooled scores and the files written, for ``train`` and ``evaluate``."""
    p = report["pooled"]
    t = p["timing_error_frames"]
    head = p.get("timing_error_frames_network")
    head_text = f"  (timing head alone: mean {head['mean']:.2f})" if head else ""
    print(
        f"{report['model']} {report['split']} on {report['n_clips']} clips / {report['n_subjects']} subjects "
        f"({report['n_folds_run']} folds, {report['seconds']['total']:.0f} s)\n"
        f"  accuracy {p['accuracy']:.3f}  macro-F1 {p['macro_f1']:.3f}  "
        f"UF1 {p['uf1']:.3f}  UAR {p['uar']:.3f}\n"
        f"  AU macro-F1 {p['au_f1_macro']:.3f}\n"
        f"  timing error (frames) onset {t['onset']:.2f}  apex {t['apex']:.2f}  "
        f"offset {t['offset']:.2f}  mean {t['mean']:.2f}{head_text}\n"
        f"  wrote {', '.join(report['files'])}",
        file=sys.stdout,
    )
