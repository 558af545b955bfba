"""ml.analyze: clip file -> MicroExpression, in process and as a subprocess, plus its bad inputs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ml.errors import CheckpointError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory):
    from ml.datasets.synthetic import generate_clip
    from ml.stages.video import write_video

    sc = generate_clip(5, 0, size=(160, 120), fps=100.0)
    return write_video(sc.frames, sc.fps, tmp_path_factory.mktemp("clip") / "c.avi")


def _strip(d):
    d = dict(d)
    d["extra"] = {k: v for k, v in d["extra"].items() if k != "seconds"}
    return d


def test_analyze_contract(clip_file, tiny_weights):
    from ml.analyze import analyze

    me = analyze(clip_file, weights=tiny_weights, device="cpu", method="template")
    assert me.n_frames > 4 and me.fps == pytest.approx(100.0)
    assert 0 <= me.onset <= me.apex <= me.offset < me.n_frames
    assert sum(me.emotion_probs.values()) == pytest.approx(1.0, abs=1e-5)
    assert me.model == "au_gcn_small" and len(me.au_names) == 11
    # activations are AU probability x envelope: peak (1.0 at the apex) equals the clip-level probability
    probs = np.array([me.au_probs[a] for a in me.au_names])
    np.testing.assert_allclose(me.activations[me.apex], probs, atol=1e-6)
    assert np.all(me.activations[: me.onset] == 0) and np.all(me.activations[me.offset + 1 :] == 0)


def test_subprocess_json_matches_in_process(clip_file, tiny_weights):
    from ml.analyze import analyze

    me = analyze(clip_file, weights=tiny_weights, device="cpu")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ml",
            "infer",
            str(clip_file),
            "--weights",
            str(tiny_weights),
            "--json",
            "-",
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    sub = json.loads(proc.stdout)  # stdout is exactly one JSON document
    assert _strip(sub) == _strip(me.to_dict())


def test_infer_cli_writes_file_and_refuses_overwrite(clip_file, tiny_weights, tmp_path, capsys):
    from ml.cli import main

    out = tmp_path / "me.json"
    assert main(["infer", str(clip_file), "--weights", str(tiny_weights), "--json", str(out)]) == 0
    from curves.microexpression import MicroExpression

    assert MicroExpression.load(out).n_frames > 4
    before = out.read_bytes()
    assert main(["infer", str(clip_file), "--weights", str(tiny_weights), "--json", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_long_clip_sliding_window(tiny_weights):
    from ml.analyze import analyze, analyze_all
    from ml.datasets.synthetic import generate_clip
    from ml.stages.video import Clip

    a = generate_clip(5, 1, size=(160, 120), fps=100.0)
    b = generate_clip(5, 2, size=(160, 120), fps=100.0, subject=a.record.subject and None)
    frames = np.concatenate([a.frames, b.frames])
    clip = Clip(frames=frames, fps=100.0, source=Path("long"), frame_numbers=np.arange(len(frames)))
    me = analyze(clip, weights=tiny_weights, window_s=0.4, method="template")
    n = len(frames)
    assert me.n_frames == n and me.extra["windows"] > 2
    lo, hi = me.extra["window"]
    assert 0 <= lo < hi <= n and hi - lo == 40
    assert lo <= me.onset <= me.apex <= me.offset < hi
    assert np.all(me.activations[:lo] == 0) and np.all(me.activations[hi:] == 0)
    events = analyze_all(clip, weights=tiny_weights, window_s=0.4, threshold=0.0, method="template")
    assert 1 <= len(events) <= me.extra["windows"]
    assert [e.onset for e in events] == sorted(e.onset for e in events)
    assert analyze_all(clip, weights=tiny_weights, window_s=0.4, threshold=1.0, method="template") == []


def test_short_clip_refused(tiny_weights):
    from ml.analyze import analyze
    from ml.stages.video import Clip

    frames = np.zeros((3, 64, 64, 3), np.uint8)
    clip = Clip(frames=frames, fps=30.0, source=Path("tiny.avi"), frame_numbers=np.arange(3))
    with pytest.raises(ValueError, match="at least 4"):
        analyze(clip, weights=tiny_weights)


def test_weights_for_another_au_list(tmp_path, tiny_weights):
    from ml.checkpoint import load_checkpoint, load_weights_into, save_checkpoint
    from ml.models import create_model

    other = save_checkpoint(
        create_model("au_gcn_small", image_size=32, width=0.125, au_names=("AU1", "AU2", "AU4")),
        tmp_path / "three_aus.safetensors",
    )
    with pytest.raises(CheckpointError, match="AU list"):
        load_weights_into(create_model("au_gcn_small", image_size=32, width=0.125), other)
    with pytest.raises(CheckpointError, match="AU list"):
        from curves.au import DEFAULT_AUS

        load_checkpoint(other, expect_aus=DEFAULT_AUS)


def test_bad_weights_files(tmp_path, clip_file):
    from ml.analyze import analyze

    pt = tmp_path / "model.pt"
    pt.write_bytes(b"\x80\x04fake pickle")
    with pytest.raises(CheckpointError, match="pickle"):
        analyze(clip_file, weights=pt)
    with pytest.raises(CheckpointError, match="not found"):
        analyze(clip_file, weights=tmp_path / "missing.safetensors")
    with pytest.raises(FileNotFoundError, match="nothere"):
        analyze(tmp_path / "nothere.mp4", weights=pt.with_suffix(".safetensors"))


def test_timing_fitted_to_motion_moves_toward_the_truth_within_its_window(clip_file, tiny_weights):
    from ml.analyze import analyze
    from ml.datasets.synthetic import generate_clip

    record = generate_clip(5, 0, size=(160, 120), fps=100.0).record  # the clip in clip_file
    truth = np.array([record.onset, record.apex, record.offset]) - 1  # 1-based frame numbers
    network = analyze(clip_file, weights=tiny_weights, device="cpu", refine_timing=False, method="template")
    fitted = analyze(clip_file, weights=tiny_weights, device="cpu", method="template")
    net_kf = np.array([network.onset, network.apex, network.offset])
    fit_kf = np.array([fitted.onset, fitted.apex, fitted.offset])
    window = max(2, round(0.12 * fitted.n_frames))
    assert np.abs(fit_kf - net_kf).max() <= window
    assert np.abs(fit_kf - truth).mean() <= np.abs(net_kf - truth).mean() + 1.0
    # the envelope follows the fitted keyframes
    assert np.all(fitted.activations[: fitted.onset] == 0) and np.all(
        fitted.activations[fitted.offset + 1 :] == 0
    )


def test_nothing_is_reported_from_frames_without_the_face(tmp_path):
    """A take whose face leaves the shot (a cut to a faceless image): no event or window uses the
    faceless frames, their tracks stay at rest, and the report lists them."""
    import cv2
    import skimage.data

    from ml.analyze import analyze, analyze_all
    from ml.stages.video import write_video

    astronaut = skimage.data.astronaut()
    coffee = cv2.resize(skimage.data.coffee(), (320, 240), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(36):
        m = np.array([[0.6, 0, 160 - 222 * 0.6 + 0.3 * np.sin(i / 4)], [0, 0.6, 110 - 130 * 0.6]])
        frames.append(cv2.warpAffine(astronaut, m, (320, 240), borderMode=cv2.BORDER_REFLECT))
    frames += [coffee] * 40  # the face leaves at frame 36
    path = write_video(np.stack(frames), 30.0, tmp_path / "leaves.avi")
    take = analyze(path, device="cpu")
    assert all(e.offset < 36 for e in take.events)
    assert not take.activations[36:].any()
    face = take.extra["face"]
    assert face["faceless_spans"] == [[36, 76]]
    assert face["analysed_spans"] == [[0, 36]]
    assert face["head_pose_deg"][40] is None and len(face["head_pose_deg"][0]) == 3
    windows = analyze_all(path, device="cpu", threshold=0.0, window_s=0.5, method="template")
    assert windows, "the frames with the face are still read by the model"
    for me in windows:
        assert me.offset < 36 and me.extra["window"][1] <= 36
        assert not me.activations[36:].any()


def test_curves_read_what_infer_writes(clip_file, tiny_weights, tmp_path):
    """``microexpr curves`` takes both the measured take and ``infer --all``'s list of windows."""
    from curves.microexpression import MicroExpression
    from ml.cli import main

    take, windows = tmp_path / "take.json", tmp_path / "windows.json"
    assert main(["infer", str(clip_file), "--weights", str(tiny_weights), "--json", str(take)]) == 0
    assert MicroExpression.load(take).extra["method"] == "measured"
    args = ["--method", "template", "--all", "--threshold", "0", "--json", str(windows)]
    assert main(["infer", str(clip_file), "--weights", str(tiny_weights), *args]) == 0
    assert json.loads(windows.read_text())[0]["format"].startswith("microexpr-anim/micro-expression@")
    for tracks in (take, windows):
        out = tmp_path / f"curves_{tracks.stem}"
        assert main(["curves", str(tracks), "--out", str(out), "--no-preview", "--event", "take"]) == 0
        assert (out / "curveset.json").is_file()
