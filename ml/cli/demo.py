"""``microexpr demo``: the whole job on one clip, with the shipped default weights.

    microexpr demo --out demo_out                 # a synthetic clip made on the spot
    microexpr demo my_clip.mp4 --out demo_out     # your own clip

Steps: clip (the synthetic demo clip is first written to ``clip.avi`` so the file path is exercised) ->
faces -> model -> ``micro_expression.json`` -> MetaHuman curves -> ``curveset.json`` (the plugin's input),
``curve_table.csv`` (Unreal CurveTable import), ``preview.png`` and ``summary.json`` (a Live Link Face CSV
too with ``--rig arkit``). The files appear only once everything is written; ``--overwrite`` replaces only
the files this command writes, never the clip or other files in the folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from curves.atomic import atomic_directory
from ml.rules import check_fps

__all__ = ["register", "run"]

_STEPS = ("clip", "faces + model", "curves", "files")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "demo",
        help="clip -> micro-expression -> MetaHuman curves, preview and files (the main job)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "clip", nargs="?", default=None, help="video file or frame folder (default: a synthetic clip)"
    )
    p.add_argument(
        "--out", required=True, help="output folder (must not exist or be empty, unless --overwrite)"
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a folder that holds files: replaces this command's files, keeps all others",
    )
    p.add_argument("--weights", default=None, help="safetensors checkpoint (default: the shipped weights)")
    p.add_argument("--rig", default="metahuman", help="rig table: metahuman, arkit or a CSV path")
    p.add_argument("--fps", type=float, default=None, help="frame rate for frame folders")
    p.add_argument("--device", choices=("cpu", "cuda"), default=None)
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic demo clip")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # torch, OpenCV, scipy and matplotlib load only when the command runs: `microexpr --help` stays instant
    from curves.bundle import write_bundle
    from curves.pipeline import build_curvesets
    from ml.analyze import analyze

    if args.fps is not None:
        check_fps(args.fps, what="--fps")
    out = Path(args.out)
    clip_arg = None if args.clip is None else Path(args.clip)
    if clip_arg is not None and not clip_arg.exists():
        raise FileNotFoundError(f"clip not found: {clip_arg}")
    inputs = [p for p in (clip_arg, args.weights) if p is not None]
    if str(args.rig) not in ("metahuman", "arkit"):
        inputs.append(Path(args.rig))
    truth: dict[str, Any] | None = None
    with (
        tqdm(
            total=len(_STEPS), desc="demo", unit="step", file=sys.stderr, disable=not sys.stderr.isatty()
        ) as bar,
        atomic_directory(out, overwrite=args.overwrite, keep=inputs) as tmp,
    ):
        bar.set_postfix_str(_STEPS[0])
        if clip_arg is None:
            clip_path, truth = _write_demo_clip(tmp, args.seed)
            final_clip = out / clip_path.name
        else:
            clip_path = final_clip = clip_arg
        bar.update(1)
        bar.set_postfix_str(_STEPS[1])
        me = analyze(clip_path, weights=args.weights, device=args.device, fps=args.fps)
        me = dataclasses.replace(me, source=str(final_clip))
        bar.update(1)
        bar.set_postfix_str(_STEPS[2])
        build = build_curvesets(me, rig=args.rig)[0]
        bar.update(1)
        bar.set_postfix_str(_STEPS[3])
        written = write_bundle(tmp, me, [build], with_micro_expression=True)
        if truth is not None:
            (tmp / "truth.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
        bar.update(1)
    names = [p.name for p in written] + (["clip.avi", "truth.json"] if truth is not None else [])
    _summary(me, build.curveset, out, truth, names)
    return 0


def _write_demo_clip(folder: Path, seed: int) -> tuple[Path, dict[str, Any]]:
    """Write the synthetic demo clip as ``clip.avi``; return its path and its ground truth."""
    # OpenCV and the synthetic face renderer are heavy: loaded only for the demo clip
    from ml.datasets.synthetic import demo_clip
    from ml.stages.video import write_video

    sc = demo_clip(seed=seed)
    path = write_video(sc.frames, sc.fps, folder / "clip.avi")
    first = int(sc.frame_numbers[0])
    rec = sc.record
    truth = {
        "emotion": rec.emotion,
        "aus": list(rec.aus),
        "onset": None if rec.onset is None else int(rec.onset) - first,
        "apex": None if rec.apex is None else int(rec.apex) - first,
        "offset": None if rec.offset is None else int(rec.offset) - first,
        "fps": float(sc.fps),
        "n_frames": int(sc.frames.shape[0]),
        "note": "ground truth of the synthetic demo clip; frame indices are 0-based",
    }
    return path, truth


def _summary(me: Any, cs: Any, out: Path, truth: dict[str, Any] | None, files: list[str]) -> None:
    lines = [
        f"emotion: {me.emotion} ({me.emotion_probs.get(me.emotion, 0.0):.2f})"
        + (f"   [truth: {truth['emotion']}]" if truth else ""),
        f"onset / apex / offset: frames {me.onset} / {me.apex} / {me.offset} of {me.n_frames} "
        f"at {me.fps:g} fps ({_ms(me.onset, me.fps)} / {_ms(me.apex, me.fps)} / {_ms(me.offset, me.fps)} ms)"
        + (f"   [truth: {truth['onset']} / {truth['apex']} / {truth['offset']}]" if truth else ""),
        "AUs: "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(me.au_probs.items(), key=lambda kv: -kv[1]) if v >= 0.3)
        + (f"   [truth: {', '.join(truth['aus']) or 'none'}]" if truth else ""),
        f"curves ({len(cs.curves)}, keys per curve):",
    ]
    lines += [f"  {c.name}: {c.n_keys}" for c in cs.curves]
    lines.append(f"wrote {out}/ {', '.join(files)}")
    print("\n".join(lines))


def _ms(frame: int, fps: float) -> str:
    return f"{frame / fps * 1000:.0f}"
