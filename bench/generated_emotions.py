"""Micro-expressions generated from an emotion alone, checked the way the field would.

    python bench/generated_emotions.py --per-emotion 6 --seed 0 --draws 2000

1. Statistics: for every emotion the coding sheets code, ``--draws`` expressions are generated and the
   Jensen-Shannon divergence (bits) between their AU sets and the sheets' is printed (0 = the same
   distribution; the figure for the sheet draws alone is sampling error), with the largest per-AU
   frequency gap.
2. Recognition: for the emotions the shipped model knows, ``--per-emotion`` expressions are generated
   among the AUs the synthetic face renders, a face is rendered with each one's AUs and intensity, and
   the default model reads the clip. Its accuracy is printed against chance (1 / number of emotions).
   The renderer draws its own onset/apex/offset, so this checks the AU combinations and intensities,
   not the generated timing.
3. Rig coverage of the shipped tables, one line each.
4. Retargeting: a generated expression on the ARKit rig is written as a Live Link Face CSV (what an
   iPhone take looks like), read back as AU tracks and retargeted to MetaHuman with key reduction;
   keys per curve and the AU tracks' round-trip error are printed.
5. Layering over speech: the mouth gain where a base animation talks and where it is silent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from curves.au import parse_au  # noqa: E402
from curves.captures import read_live_link_csv  # noqa: E402
from curves.coverage import rig_coverage  # noqa: E402
from curves.curveset import CurveKeys, CurveSet  # noqa: E402
from curves.emotion import load_profiles  # noqa: E402
from curves.generate import (  # noqa: E402
    build_generated,
    combination_report,
    generate_expressions,
    load_statistics,
)
from curves.io import write_live_link_csv  # noqa: E402
from curves.layering import layer_curveset  # noqa: E402
from curves.pipeline import build_curvesets  # noqa: E402
from curves.rigmap import load_rig_table  # noqa: E402


def statistics_figures(draws: int, seed: int) -> dict[str, dict[str, float]]:
    """Per emotion: divergence of ``draws`` generated AU sets from the sheets', and the largest AU gap."""
    out = {}
    for emotion in load_statistics().emotions:
        report = combination_report(generate_expressions(emotion, draws, seed))[emotion]
        gaps = {a: abs(f["generated"] - f["sheets"]) for a, f in report["au_frequency"].items()}
        worst = max(gaps, key=lambda a: gaps[a])
        out[emotion] = {
            "js_bits": report["js_divergence_bits"],
            "js_bits_sheet_draws": report["js_divergence_sheet_draws_bits"],
            "worst_au": worst,
            "worst_au_gap": gaps[worst],
        }
    return out


def recognition(per_emotion: int, seed: int) -> dict[str, object]:
    """Accuracy of the default model on faces rendered with generated AUs, against chance."""
    # torch, OpenCV and the face renderer load only for this part
    from ml.analyze import analyze, load_model
    from ml.datasets.synthetic import AU_NAMES, generate_clip
    from ml.stages.video import write_video

    classes = list(load_model().cfg.emotion_names)
    coded = set(load_statistics().emotions)
    emotions = [e for e in classes if e in coded]
    confusion: dict[str, dict[str, int]] = {e: {} for e in emotions}
    with tempfile.TemporaryDirectory() as tmp:
        for e_index, emotion in enumerate(emotions):
            for g in generate_expressions(emotion, per_emotion, seed, within=AU_NAMES, novelty=0.0):
                aus = tuple(a for a in AU_NAMES if a in g.bilateral_aus)
                clip = generate_clip(
                    seed, 1000 * e_index + g.index, emotion=emotion, aus=aus, intensity=max(g.intensity, 0.6)
                )
                path = write_video(clip.frames, clip.fps, Path(tmp) / f"{emotion}_{g.index}.avi")
                read = analyze(path, fps=clip.fps).emotion
                confusion[emotion][read] = confusion[emotion].get(read, 0) + 1
    total = sum(sum(row.values()) for row in confusion.values())
    correct = sum(row.get(e, 0) for e, row in confusion.items())
    return {
        "emotions": emotions,
        "accuracy": correct / total if total else 0.0,
        "chance": 1.0 / len(classes),
        "clips": total,
        "confusion": confusion,
    }


def retarget_figures(seed: int) -> dict[str, float]:
    """A generated happiness on ARKit -> Live Link Face CSV -> AU tracks -> MetaHuman curves."""
    g = generate_expressions("happiness", 1, seed, fps=60.0, novelty=0.0, within=["AU6", "AU12"])[0]
    arkit = build_generated(g, rig="arkit").curveset
    with tempfile.TemporaryDirectory() as tmp:
        path = write_live_link_csv(arkit, Path(tmp) / "take.csv")
        me = read_live_link_csv(path, fps=60.0, neutral=None)
    (build,) = build_curvesets(me, rig="metahuman", smoothing=0.0)
    cs = build.curveset
    profile = load_profiles()["happiness"]
    sent: dict[str, float] = {}  # the intended peak per AU: the track's, times the profile's gain m_e
    for a in g.aus:
        name = parse_au(a).bilateral_name
        sent[name] = max(sent.get(name, 0.0), float(g.micro.track(a).max()) * profile.gain_for(a))
    back: dict[str, float] = {}
    for j, a in enumerate(me.au_names):
        name = parse_au(a).bilateral_name
        back[name] = max(back.get(name, 0.0), float(me.activations[:, j].max()))
    return {
        "curves": len(cs.curves),
        "keys_per_curve": sum(c.n_keys for c in cs.curves) / max(1, len(cs.curves)),
        "frames": cs.n_frames,
        "peak_error": max(abs(min(1.0, sent[a]) - back.get(a, 0.0)) for a in sent),
    }


def ducking_figures() -> dict[str, float]:
    """Mouth gain of a smile laid over a base that talks for 1.5 s, then is silent."""
    fps = 30.0
    t = np.arange(91) / fps
    jaw = np.where(t < 1.5, 0.3 - 0.3 * np.cos(2 * np.pi * 4 * t), 0.0)
    base = CurveSet(fps=fps, n_frames=91, curves=(CurveKeys("jawOpen", t, jaw, source_aus=("AU26",)),))
    tm = np.arange(10) / fps
    bump = 0.5 * np.sin(np.pi * tm / tm[-1]) ** 2
    micro = CurveSet(
        fps=fps, n_frames=10, curves=(CurveKeys("mouthSmileLeft", tm, bump, source_aus=("AU12",)),)
    )
    over_speech = layer_curveset(base, micro, 0.5).settings["layered"]["mouth_gain_min"]["mouthSmileLeft"]
    over_silence = layer_curveset(base, micro, 2.0).settings["layered"]["mouth_gain_min"]["mouthSmileLeft"]
    return {"mouth_gain_over_speech": over_speech, "mouth_gain_over_silence": over_silence}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--draws", type=int, default=2000, help="expressions per emotion for the statistics")
    parser.add_argument("--per-emotion", type=int, default=6, help="rendered clips per emotion (0: skip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    figures: dict[str, object] = {"statistics": statistics_figures(args.draws, args.seed)}
    print(f"AU combinations of {args.draws} generated expressions vs the coding sheets (CASME II + SAMM):")
    for emotion, f in figures["statistics"].items():  # type: ignore[attr-defined]
        print(
            f"  {emotion:11s} JS divergence {f['js_bits']:.4f} bits "
            f"(sheet draws alone {f['js_bits_sheet_draws']:.4f}); "
            f"largest AU frequency gap {f['worst_au']} {f['worst_au_gap']:.3f}"
        )
    if args.per_emotion > 0:
        rec = recognition(args.per_emotion, args.seed)
        figures["recognition"] = rec
        print(
            f"default model on {rec['clips']} faces rendered with generated AUs: "
            f"accuracy {rec['accuracy']:.2f} (chance {rec['chance']:.2f}); "
            f"read as: {json.dumps(rec['confusion'])}"
        )
    for rig in ("metahuman", "arkit"):
        sets = [c for v in load_statistics().combos.values() for c in v]
        print(rig_coverage(load_rig_table(rig), au_sets=sets).summary_line())
    figures["retarget"] = rt = retarget_figures(args.seed)
    print(
        f"Live Link Face take -> MetaHuman: {rt['curves']} curves, {rt['keys_per_curve']:.1f} keys per curve "
        f"for {rt['frames']} frames; AU peak round-trip error {rt['peak_error']:.4f}"
    )
    figures["ducking"] = dk = ducking_figures()
    print(
        f"layering over speech: mouth gain {dk['mouth_gain_over_speech']:.2f} where the base talks, "
        f"{dk['mouth_gain_over_silence']:.2f} where it is silent"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
