"""``microexpr evaluate``: score trained weights on a dataset (every clip is a test clip).

    microexpr evaluate --weights runs/casme2.safetensors --data SAMM_ROOT --classes composite3 --out eval_samm

For cross-dataset tests; the within-dataset figures come from ``microexpr train`` (LOSO / k-fold).
Writes ``report.json``, ``config.yaml`` and ``confusion.png`` like ``train``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ml.cli import train
from ml.cli.train import add_data_arguments, print_summary

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "evaluate",
        help="evaluate trained weights on a dataset (cross-dataset test)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--weights", required=True, help="safetensors checkpoint")
    add_data_arguments(p)
    p.add_argument("--keyframes", choices=("gt", "gamdss"), default="gt")
    p.add_argument("--device", choices=("cpu", "cuda"), default=None)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument(
        "--network-timing",
        action="store_true",
        help="score the network's onset/apex/offset instead of those fitted to each clip's motion",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # torch, OpenCV and matplotlib load only when the command runs: `microexpr --help` stays instant
    from ml.train import evaluate_weights
    from ml.train.report import check_outputs, write_outputs

    check_outputs(args.out, overwrite=args.overwrite)
    records = train.load_records(args)  # looked up when run: one loader for both commands
    report = evaluate_weights(
        records,
        args.weights,
        classes=args.classes or "casme2_5",
        cache_dir=args.cache or str(Path(args.out) / "cache"),
        keyframes=args.keyframes,
        device=args.device,
        progress=True,
        refine_timing=not args.network_timing,
    )
    settings = {
        "weights": args.weights,
        "data": args.data,
        "classes": args.classes,
        "keyframes": args.keyframes,
    }
    report["files"] = [str(p) for p in write_outputs(report, settings, args.out, overwrite=args.overwrite)]
    print_summary(report)
    return 0
