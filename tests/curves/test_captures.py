"""Captures from other tools: hand-written Live Link Face, MediaPipe and OpenFace files with known values.

The expectations follow from the files' own numbers: a smile blendshape of 0.8 over a resting 0.1 is
AU12L 0.7 once the neutral is subtracted (mouthSmileLeft -> AU12L has gain 1); a dropped frame takes the
mean of its two neighbours.
"""

from __future__ import annotations

import numpy as np
import pytest

from curves.captures import parse_timecode, read_capture, read_live_link_csv, read_mediapipe_csv
from curves.errors import CurvesError
from curves.io import ARKIT_BLENDSHAPES
from curves.pipeline import build_curvesets, detect_format, load_tracks

PASCAL = [n[0].upper() + n[1:] for n in ARKIT_BLENDSHAPES]
HEAD = ["HeadYaw", "HeadPitch", "HeadRoll"]


def _bump(n: int, start: int, end: int, peak: float) -> np.ndarray:
    t = np.arange(n)
    x = np.clip((t - start) / (end - start), 0, 1)
    return peak * np.sin(np.pi * x) ** 2


def _live_link(path, n=90, rate=60, first_second=1, rows=None):
    values = np.full((n, 52), 0.1)
    values[:, ARKIT_BLENDSHAPES.index("mouthSmileLeft")] += _bump(n, 40, 60, 0.8)
    lines = [",".join(["Timecode", "BlendShapeCount", *PASCAL, *HEAD])]
    for i in range(n):
        sec, ff = divmod(i, rate)
        tc = f"00:00:{first_second + sec:02d}:{ff:02d}.000"
        lines.append(",".join([tc, "61", *(f"{v:.6f}" for v in values[i]), "0.1", "0", "0"]))
    order = rows if rows is not None else range(1, n + 1)
    path.write_text("\n".join([lines[0], *(lines[i] for i in order)]) + "\n")
    return path


def test_timecode():
    assert parse_timecode("01:02:03:15.500", 30) == pytest.approx(3723 + 15.5 / 30)
    with pytest.raises(ValueError, match="out of range"):
        parse_timecode("00:00:00:30.000", 30)


def test_live_link_take_becomes_au_tracks_and_metahuman_curves(tmp_path):
    path = _live_link(tmp_path / "take.csv")
    assert detect_format(path) == "livelink"
    me = load_tracks(path)
    assert me.fps == pytest.approx(60.0)
    assert me.n_frames == 90
    assert me.track("AU12L").max() == pytest.approx(0.8, abs=1e-3)  # 0.9 - the resting 0.1
    assert me.track("AU12R").max() == pytest.approx(0.0, abs=1e-9)
    assert me.track("AU12L")[:30].max() == pytest.approx(0.0, abs=1e-9)
    # one column per side where the sides differ, the bilateral one where they cannot (browInnerUp)
    assert "AU12" not in me.au_names and "AU1" in me.au_names and "AU1L" not in me.au_names
    (build,) = build_curvesets(me, rig="metahuman", smoothing=0.0)
    cs = build.curveset
    corner = cs.curve("CTRL_expressions_mouthCornerPullL")
    assert corner.values.max() == pytest.approx(0.8, abs=0.02)
    assert corner.n_keys < 30
    assert "CTRL_expressions_mouthCornerPullR" not in cs.names or cs.curve(
        "CTRL_expressions_mouthCornerPullR"
    ).values.max() == pytest.approx(0.0, abs=1e-6)


def test_live_link_rows_out_of_order_are_sorted(tmp_path):
    rows = list(range(1, 91))
    rows[10], rows[11] = rows[11], rows[10]
    a = read_live_link_csv(_live_link(tmp_path / "a.csv"))
    b = read_live_link_csv(_live_link(tmp_path / "b.csv", rows=rows))
    np.testing.assert_allclose(a.activations, b.activations)


def test_a_timecode_given_twice_is_refused_naming_both_lines(tmp_path):
    rows = list(range(1, 91))
    rows[20] = 10  # data row 10 (file line 11) again, as the 21st row (file line 22)
    path = _live_link(tmp_path / "twice.csv", rows=rows)
    before = path.read_bytes()
    twice = r"twice\.csv, lines 11 and 22: the same Timecode twice; each frame must appear once"
    with pytest.raises(CurvesError, match=twice):
        read_live_link_csv(path)
    assert path.read_bytes() == before


def test_short_take_needs_fps(tmp_path):
    path = _live_link(tmp_path / "short.csv", n=20)
    with pytest.raises(ValueError, match=r"shorter than a second of timecode.*pass --fps"):
        read_live_link_csv(path)
    assert read_live_link_csv(path, fps=60).n_frames == 20


def test_bad_timecode_names_the_line(tmp_path):
    path = _live_link(tmp_path / "bad.csv")
    text = path.read_text().splitlines()
    text[2] = "yesterday" + text[2][text[2].index(",") :]
    path.write_text("\n".join(text) + "\n")
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"bad\.csv, line 3: Timecode 'yesterday'"):
        read_live_link_csv(path)
    assert path.read_bytes() == before


def test_mediapipe_drops_frames_without_a_face(tmp_path):
    n = 30
    brow = np.linspace(0.0, 0.58, n)
    header = ["timestamp_ms", "presence", "_neutral", *ARKIT_BLENDSHAPES]
    lines = [",".join(header)]
    for i in range(n):
        values = [0.0] * 52
        values[ARKIT_BLENDSHAPES.index("browDownLeft")] = brow[i]
        presence = 1.0
        if i == 10:
            values = [""] * 52  # no face
        if i == 20:
            values[ARKIT_BLENDSHAPES.index("browDownLeft")] = 1.0  # a glitch the tracker was unsure of
            presence = 0.2
        lines.append(",".join([f"{i * 1000 / 30:.3f}", str(presence), "0.9", *map(str, values)]))
    path = tmp_path / "mp.csv"
    path.write_text("\n".join(lines) + "\n")
    assert detect_format(path) == "mediapipe"
    me = read_mediapipe_csv(path, neutral=None)
    assert me.fps == pytest.approx(30.0, rel=1e-3)
    au4 = me.track("AU4L")
    assert au4[10] == pytest.approx((brow[9] + brow[11]) / 2)
    assert au4[20] == pytest.approx((brow[19] + brow[21]) / 2)
    assert me.extra["capture"]["dropped_frames"] == 2


def _openface(path, au12, confidence):
    lines = ["frame, face_id, timestamp, confidence, success, AU04_r, AU12_r"]
    for i, (v, c) in enumerate(zip(au12, confidence, strict=True)):
        lines.append(f"{i + 1}, 0, {i / 25:.3f}, {c}, 1, 0.5, {v}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_openface_low_confidence_frames_are_dropped_and_neutral_given(tmp_path):
    au12 = [1.0] * 10 + [2.0, 3.0, 5.0, 3.0, 2.0] + [1.0] * 10
    conf = [0.98] * 25
    conf[12] = 0.4
    path = _openface(tmp_path / "of.csv", au12, conf)
    me = read_capture(path, neutral=(0.0, 0.3))
    # intensities / 5, the 0-0.3 s rest (AU12 0.2, AU4 0.1) subtracted, frame 12 from its neighbours
    assert me.track("AU12")[12] == pytest.approx(0.6 - 0.2)
    assert me.track("AU12")[11] == pytest.approx(0.6 - 0.2)
    assert me.track("AU4").max() == pytest.approx(0.0)
    assert me.extra["capture"]["dropped_frames"] == 1
    plain = load_tracks(path)  # microexpr curves: the same drop, no neutral subtracted
    assert plain.track("AU12")[12] == pytest.approx(0.6)
    assert plain.track("AU4")[0] == pytest.approx(0.1)


def test_neutral_auto_finds_the_rest(tmp_path):
    me = read_capture(_live_link(tmp_path / "take.csv"))
    start, end = me.extra["capture"]["neutral_frames"]
    assert end <= 40 or start >= 60  # the quietest half second is outside the smile


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"neutral": (1.0, 0.5)}, "neutral span 1-0.5 s must lie within the take"),
        ({"neutral": (0.0, 99.0)}, "must lie within the take"),
        ({"neutral": "sometimes"}, "neutral must be 'auto'"),
        ({"min_confidence": 2.0}, r"min_confidence must be in \[0, 1\]"),
    ],
)
def test_bad_options(tmp_path, kwargs, match):
    path = _live_link(tmp_path / "take.csv")
    with pytest.raises(ValueError, match=match):
        read_capture(path, **kwargs)


def test_not_a_capture(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a Live Link Face, MediaPipe blendshape, OpenFace or py-feat"):
        read_capture(path)
    missing = tmp_path / "m.csv"
    missing.write_text(",".join(["Timecode", "BlendShapeCount", *PASCAL[:45]]) + "\n" + "0" * 1 + "\n")
    with pytest.raises(ValueError):
        read_live_link_csv(missing)
