"""``microexpr demo``: the whole job on one clip: faces -> per-frame AU intensities and events -> curves.

    microexpr demo --out demo_out                 # a real photograph animated with known expressions
    microexpr demo my_clip.mp4 --out demo_out     # your own clip

The default clip is a real face photograph (scikit-image's public-domain astronaut portrait) animated
with known action units along its own landmark mesh (:mod:`ml.datasets.photo_clips`): a held smile, a
double peak, blinks, a head turn and a lighting drift, 6 s at 30 fps (``--seed`` picks another take). It
is written to ``clip.avi`` with its ground truth (``truth.json``), so every step runs on a file.

Steps: clip -> face track -> measured AU tracks and events (``micro_expression.json``) -> MetaHuman
curves of the whole take -> ``curveset.json`` (the plugin's input), ``curve_table.csv`` (Unreal
CurveTable import), ``preview.png`` (the AU tracks, with the truth dashed for the default clip, and every
curve with its keys), ``preview.mp4`` and ``preview.gif`` (the clip's face beside the subject's own
neutral face driven by the keys as Unreal replays them) and ``summary.json`` (a Live Link Face CSV too
with ``--rig arkit``). The files appear only once everything is written; ``--overwrite`` replaces only
the files this command writes, never the clip or other files in the folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from curves.atomic import atomic_directory
from curves.coverage import rig_coverage
from curves.rigmap import load_rig_table
from ml.cli.output import add_overwrite_argument
from ml.rules import check_fps

__all__ = ["register", "run"]

_STEPS = ("clip", "faces + AU tracks", "curves", "files")
#: The default clip: the development photograph, a take of held and repeated expressions.
_DEMO_PHOTO, _DEMO_FAMILY, _DEMO_SECONDS, _DEMO_FPS = "astronaut", "macro", 6.0, 30.0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "demo",
        help="clip -> micro-expression -> MetaHuman curves, preview and files (the main job)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "clip",
        nargs="?",
        default=None,
        help="video file or frame folder (default: a real photograph animated with known expressions)",
    )
    p.add_argument(
        "--out", required=True, help="output folder (must not exist or be empty, unless --overwrite)"
    )
    add_overwrite_argument(p)
    p.add_argument("--weights", default=None, help="safetensors checkpoint (default: the shipped weights)")
    p.add_argument("--rig", default="metahuman", help="rig table: metahuman, arkit or a CSV path")
    p.add_argument("--fps", type=float, default=None, help="frame rate for frame folders")
    p.add_argument("--device", choices=("cpu", "cuda"), default=None)
    p.add_argument("--seed", type=int, default=0, help="seed of the default clip's expressions")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # torch, OpenCV, scipy and matplotlib load only when the command runs: `microexpr --help` stays instant
    from curves.bundle import write_bundle
    from curves.pipeline import build_curvesets
    from ml.analyze import analyze
    from ml.datasets.photo_clips.preview import write_preview_video

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
    truth_tracks: dict[str, np.ndarray] | None = None
    with (
        tqdm(
            total=len(_STEPS), desc="demo", unit="step", file=sys.stderr, disable=not sys.stderr.isatty()
        ) as bar,
        atomic_directory(out, overwrite=args.overwrite, keep=inputs) as tmp,
    ):
        bar.set_postfix_str(_STEPS[0])
        if clip_arg is None:
            clip_path, truth, truth_tracks = _write_demo_clip(tmp, args.seed)
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
        written = write_bundle(tmp, me, [build], with_micro_expression=True, truth=truth_tracks)
        written += write_preview_video(tmp, build.curveset, args.rig, clip=clip_path)
        bar.update(1)
    names = (["clip.avi", "truth.json"] if truth is not None else []) + [p.name for p in written]
    _summary(me, build.curveset, out, truth, names, args.rig)
    return 0


def _write_demo_clip(folder: Path, seed: int) -> tuple[Path, dict[str, Any], dict[str, np.ndarray]]:
    """Render the default clip into ``clip.avi`` and ``truth.json``; return the video, the truth and the
    true per-frame AU tracks."""
    # the landmark runtime and the renderer are heavy: loaded only for the default clip
    from ml.datasets.photo_clips import load_photo, make_scenario, measure_neutral, write_clip
    from ml.stages.landmarks import Landmarker

    face = measure_neutral(_DEMO_PHOTO, load_photo(_DEMO_PHOTO), Landmarker())
    scenario = make_scenario(seed=seed, family=_DEMO_FAMILY, duration_s=_DEMO_SECONDS)
    video, truth_path = write_clip(folder, face, scenario, _DEMO_FPS)
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    values = np.asarray(truth["intensities"], dtype=np.float64)
    tracks = {au: values[:, k] for k, au in enumerate(truth["aus"])}
    return video, truth, tracks


def _summary(
    me: Any, cs: Any, out: Path, truth: dict[str, Any] | None, files: list[str], rig: str | Path
) -> None:

    lines = [f"{len(me.events)} expression(s) found, strongest first:"]
    for k, e in enumerate(me.events, 1):
        lines.append(
            f"  {k}. {e.emotion} ({e.kind})  frames {e.onset}-{e.offset}, apex {e.apex}  peak {e.peak:.2f}  "
            f"AUs {', '.join(e.aus) or '-'}"
        )
    if truth is not None:
        lines.append(f"truth ({len(truth['events'])} expression(s)):")
        for k, e in enumerate(truth["events"], 1):
            lines.append(
                f"  {k}. {e['emotion']} ({e['kind']})  frames {e['onset']}-{e['offset']}, apex {e['apex']}  "
                f"peak {e['peak']:.2f}  AUs {', '.join(e['aus'])}"
            )
    lines.append(rig_coverage(load_rig_table(str(rig))).summary_line())
    lines.append(f"curves ({len(cs.curves)}, keys per curve):")
    lines += [f"  {c.name}: {c.n_keys}" for c in cs.curves]
    lines.append(f"wrote {out}/ {', '.join(files)}")
    print("\n".join(lines))
