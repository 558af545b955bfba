"""microexpr demo: an animated real photograph -> AU tracks and events -> MetaHuman curves -> files."""

import json

import pytest

from ml.cli import main


def test_demo_with_given_weights(tmp_path, tiny_weights, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--weights", str(tiny_weights)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"clip.avi", "micro_expression.json", "curveset.json", "curve_table.csv", "preview.png"} <= names
    from curves.curveset import CurveSet
    from curves.microexpression import MicroExpression

    me = MicroExpression.load(out / "micro_expression.json")
    truth = json.loads((out / "truth.json").read_text())
    assert me.n_frames == truth["num_frames"] and me.source == str(out / "clip.avi")

    # the measured take finds each of the truth's expressions (a held smile, a contempt...): an event
    # overlapping it by at least half of their union (the MEGC spotting rule)
    def iou(a, b):
        inter = min(a[1], b[1]) - max(a[0], b[0]) + 1
        return max(0, inter) / (max(a[1], b[1]) - min(a[0], b[0]) + 1)

    for t in truth["events"]:
        assert any(iou((e.onset, e.offset), (t["onset"], t["offset"])) >= 0.5 for e in me.events), t
    cs = CurveSet.load(out / "curveset.json")
    assert cs.curves and all(c.name.startswith("CTRL_expressions_") for c in cs.curves)
    assert (out / "preview.png").read_bytes()[:4] == b"\x89PNG"
    text = capsys.readouterr().out
    assert "expression(s) found" in text and "truth (" in text and "keys per curve" in text
    # a second run into the same folder is refused and leaves it untouched
    before = sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir())
    assert main(["demo", "--out", str(out), "--weights", str(tiny_weights)]) == 2
    assert "overwrite" in capsys.readouterr().err
    assert sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir()) == before


def test_demo_named_clip_missing(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "nope.mp4"), "--out", str(tmp_path / "o")]) == 2
    assert "nope.mp4" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_shipped_weights_on_demo_clip(tmp_path):
    """The shipped default weights find the demo clip's emotion and its timing within a few frames."""
    from ml.analyze import analyze, default_weights_path
    from ml.datasets.synthetic import demo_clip
    from ml.stages.video import write_video

    assert default_weights_path().is_file(), "ml/weights/au_gcn_small.safetensors is missing"
    assert default_weights_path().stat().st_size < 10_000_000  # in git: 8.5 MB, two float16 members
    sc = demo_clip(seed=0)
    path = write_video(sc.frames, sc.fps, tmp_path / "demo.avi")
    me = analyze(path, device="cpu", method="template")
    first = int(sc.frame_numbers[0])
    assert me.emotion == sc.record.emotion
    truth = (sc.record.onset - first, sc.record.apex - first, sc.record.offset - first)
    errors = [abs(p - t) for p, t in zip((me.onset, me.apex, me.offset), truth, strict=True)]
    assert max(errors) <= 5, (truth, (me.onset, me.apex, me.offset))
    top_aus = {a for a, p in me.au_probs.items() if p >= 0.5}
    assert set(sc.record.aus) <= top_aus, (sc.record.aus, me.au_probs)


@pytest.mark.parametrize("bad", [["--threshold", "2", "--all"]])
def test_infer_bad_threshold(tmp_path, tiny_weights, bad, capsys):
    from ml.datasets.synthetic import generate_clip
    from ml.stages.video import write_video

    sc = generate_clip(1, 0, size=(160, 120), fps=100.0)
    clip = write_video(sc.frames, sc.fps, tmp_path / "c.avi")
    assert main(["infer", str(clip), "--weights", str(tiny_weights), "--json", "-", *bad]) == 2
    assert "threshold" in capsys.readouterr().err
