"""Pipeline, CLI (atomic output, clear errors), layering, preview, and import isolation."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from curves.curveset import CurveKeys, CurveSet
from curves.layering import blend_weight, layer_curveset
from curves.microexpression import MicroExpression
from curves.pipeline import build_curvesets, make_curvesets
from curves.preview import render_preview
from curves.richcurve import evaluate
from ml.cli import main


def _me(n=120, fps=200.0, emotion="fear"):
    t = np.arange(n) / fps
    env = np.exp(-(((t - 0.3) / 0.07) ** 2))
    return MicroExpression.from_tracks(
        {"AU1": 0.5 * env, "AU4": 0.7 * env, "AU12R": 0.4 * env},
        fps,
        emotion_probs={emotion: 0.9, "others": 0.1},
    )


def test_make_curvesets_metahuman_and_settings():
    sets = make_curvesets(_me(), rig="metahuman", emotion="fear", intensity=0.6, variants=3, seed=4)
    assert len(sets) == 3
    cs = sets[0]
    assert "CTRL_expressions_mouthCornerPullR" in cs.names
    assert "CTRL_expressions_mouthCornerPullL" not in cs.names
    for c in cs.curves:
        assert c.max_error <= 0.01 and c.n_keys <= 120 / 8
    s = cs.settings
    assert s["emotion"] == "fear" and s["intensity"] == 0.6 and s["seed"] == 4 and s["tolerance"] == 0.01
    assert s["variant"]["index"] == 0 and s["rig"] == "metahuman"
    # variant 0 is exactly c * m_e * i_v: AU1 peak 0.5 * 1.1 * 0.6 on browRaiseInL
    peak = evaluate(
        cs.curve("CTRL_expressions_browRaiseInL").times,
        cs.curve("CTRL_expressions_browRaiseInL").values,
        np.arange(120) / 200.0,
    ).max()
    assert peak == pytest.approx(0.5 * 1.1 * 0.6, abs=0.012)
    again = make_curvesets(_me(), rig="metahuman", emotion="fear", intensity=0.6, variants=3, seed=4)
    assert [c.to_json() for c in again] == [c.to_json() for c in sets]
    assert sets[1].settings["variant"] != sets[0].settings["variant"]


def test_skeleton_curves_and_unknown_emotion():
    builds = build_curvesets(_me(), rig="arkit", skeleton_curves=["browInnerUp"])
    assert builds[0].curveset.names == ["browInnerUp"]
    assert "browDownLeft" in builds[0].curveset.settings["skipped_curves"]
    with pytest.raises(ValueError, match="known emotions"):
        make_curvesets(_me(), emotion="bored")


def _write_me(path, **kw):
    _me(**kw).save(path)
    return path


def test_cli_writes_everything(tmp_path, capsys):
    tracks = _write_me(tmp_path / "me.json")
    out = tmp_path / "out"
    code = main(
        [
            "curves",
            str(tracks),
            "--rig",
            "arkit",
            "--emotion",
            "fear",
            "--intensity",
            "0.6",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == [
        "curve_table.csv",
        "curveset.json",
        "live_link_face.csv",
        "preview.gif",  # a stock face driven by the keys as Unreal replays them
        "preview.mp4",
        "preview.png",
        "summary.json",
    ]
    assert (out / "preview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cs = CurveSet.load(out / "curveset.json")
    assert cs.settings["emotion"] == "fear"
    assert "keys for 120 frames" in capsys.readouterr().out
    # a second run refuses to replace the folder, then replaces it with --overwrite
    assert main(["curves", str(tracks), "--out", str(out)]) == 2
    assert (
        main(["curves", str(tracks), "--out", str(out), "--overwrite", "--variants", "2", "--no-preview"])
        == 0
    )
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "curve_table_v00.csv",
        "curve_table_v01.csv",
        "curveset_v00.json",
        "curveset_v01.json",
        "summary.json",
    ]


def test_cli_openface_csv_to_metahuman(tmp_path, capsys):
    t = np.arange(45) / 30.0
    env = np.exp(-(((t - 0.7) / 0.2) ** 2))
    lines = ["frame, face_id, timestamp, confidence, success, AU01_r, AU12_r, AU45_r, AU01_c, AU12_c, AU28_c"]
    for i, ti in enumerate(t):
        lines.append(f"{i + 1}, 0, {ti:.3f}, 0.98, 1, {2.5 * env[i]:.2f}, {4 * env[i]:.2f}, 0.00, 1, 1, 0")
    src = tmp_path / "openface.csv"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert main(["curves", str(src), "--rig", "metahuman", "--random-intensity", "--out", str(out)]) == 0
    cs = CurveSet.load(out / "curveset.json")
    assert cs.fps == pytest.approx(30.0, rel=1e-3) and cs.n_frames == 45
    assert "CTRL_expressions_mouthCornerPullL" in cs.names and "CTRL_expressions_eyeBlinkR" in cs.names
    assert "CTRL_expressions_mouthUpperLipBiteL" in cs.names  # AU28 from the presence column
    assert cs.settings["skipped_aus"] == []
    assert 0.55 <= cs.settings["intensity"] <= 1.0  # sampled from the profile range
    assert "keys for 45 frames" in capsys.readouterr().out


def _bad_json(path, activations, fps=200.0):
    doc = _me().to_dict()
    doc["activations"] = activations
    doc["fps"] = fps
    doc["onset"] = doc["apex"] = doc["offset"] = 0
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("nan", "NaN or inf"),
        ("range", r"\[0, 1\]"),
        ("short", "at least 4"),
        ("fps", "fps"),
        ("emotion", "unknown emotion"),
        ("rig_rows", "line 3"),
        ("rig_dupes", "duplicate row name"),
    ],
)
def test_cli_bad_input_clear_error_nothing_written(tmp_path, capsys, case, match):
    args = ["--out", str(tmp_path / "out")]
    tracks = _write_me(tmp_path / "me.json")
    if case == "nan":
        tracks = _bad_json(tmp_path / "bad.json", [[0.1, 0.2, float("nan")]] * 6)
    elif case == "range":
        tracks = _bad_json(tmp_path / "bad.json", [[0.1, 0.2, 1.7]] * 6)
    elif case == "short":
        tracks = _bad_json(tmp_path / "bad.json", [[0.1, 0.2, 0.3]] * 3)
    elif case == "fps":
        tracks = _bad_json(tmp_path / "bad.json", [[0.1, 0.2, 0.3]] * 6, fps=0)
    elif case == "emotion":
        args += ["--emotion", "bored"]
    else:
        rig = tmp_path / "rig.csv"
        body = "Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\nr1,AU1,c1,1,L,0,1,\n"
        body += "r2,AU4,c2,1\n" if case == "rig_rows" else "r1,AU4,c2,1,L,0,1,\n"
        rig.write_text(body)
        args += ["--rig", str(rig)]
    assert main(["curves", str(tracks), *args]) == 2
    err = capsys.readouterr().err
    assert "microexpr curves: error:" in err
    assert re.search(match, err), err
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_layering_adds_blends_and_clamps():
    fps = 50.0
    base = CurveSet(
        fps=fps,
        n_frames=101,
        curves=(
            CurveKeys("jawOpen", [0.0, 2.0], [0.9, 0.9]),
            CurveKeys("browInnerUp", [0.0, 2.0], [0.1, 0.1]),
        ),
    )
    micro = CurveSet(
        fps=fps,
        n_frames=26,
        curves=(
            CurveKeys("jawOpen", [0.0, 0.25, 0.5], [0.0, 0.5, 0.0]),
            CurveKeys("mouthSmileLeft", [0.0, 0.25, 0.5], [0.0, 0.4, 0.0]),
        ),
        settings={"curve_ranges": {"jawOpen": [0, 1], "mouthSmileLeft": [0, 1]}},
    )
    out = layer_curveset(base, micro, at_time=1.0, blend=0.05)
    t = np.arange(101) / fps
    jaw = evaluate(out.curve("jawOpen").times, out.curve("jawOpen").values, t)
    smile = evaluate(out.curve("mouthSmileLeft").times, out.curve("mouthSmileLeft").values, t)
    assert jaw.max() <= 1.0 + 0.01  # 0.9 + 0.5 clamped to the range
    assert jaw[62] == pytest.approx(1.0, abs=0.011)  # 1.25 s: apex of the micro-expression
    assert np.all(np.abs(jaw[:49] - 0.9) <= 0.011)  # untouched before
    assert smile[62] == pytest.approx(0.4, abs=0.011)
    assert np.all(np.abs(smile[:49]) <= 0.011)
    assert out.curve("browInnerUp") is base.curve("browInnerUp")
    np.testing.assert_allclose(
        blend_weight(np.array([1.0, 1.025, 1.05, 1.25]), 1.0, 1.5, 0.05), [0.0, 0.5, 1.0, 1.0]
    )
    with pytest.raises(ValueError, match="after the base performance's end"):
        layer_curveset(base, micro, at_time=1.8)
    with pytest.raises(ValueError, match="at_time"):
        layer_curveset(base, micro, at_time=-0.1)


def test_preview_png(tmp_path):
    me = _me()
    build = build_curvesets(me, rig="metahuman")[0]
    path = render_preview(me, build.curveset, tmp_path / "p.png", targets=build.targets)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    with pytest.raises(FileExistsError):
        render_preview(me, build.curveset, path)


def test_curves_never_imports_torch_or_cv2():
    code = (
        "import sys\n"
        "import curves, curves.richcurve, curves.spline, curves.emotion, curves.rigmap, curves.keys\n"
        "import curves.io\n"
        "import curves.layering, curves.preview, curves.pipeline, curves.bundle\n"
        "bad = [m for m in ('torch', 'cv2', 'unreal') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
