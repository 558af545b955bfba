"""Layering over speech: the mouth curves are ducked where the base talks, left out with regions="upper".

The base "talks" for its first 1.5 s (jaw opening 0..0.6 at 4 Hz, far above the talking threshold) and
is silent after; a micro-expression adds 0.5 to a brow curve (AU4) and a lip-corner curve (AU12). By hand:
over speech the lip corner gets nothing and the brow its full 0.5; over silence both get 0.5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from plugin_testkit import make_skeleton, make_table, write_micro_json

from curves.curveset import CurveKeys, CurveSet
from curves.layering import is_mouth_curve, layer_curveset, speech_activity
from curves.richcurve import evaluate

FPS = 30.0
JAW = "CTRL_expressions_jawOpen"
BROW = "CTRL_expressions_browDownL"
CORNER = "CTRL_expressions_mouthCornerPullL"


def _base() -> CurveSet:
    t = np.arange(91) / FPS
    jaw = np.where(t < 1.5, 0.3 - 0.3 * np.cos(2 * np.pi * 4 * t), 0.0)
    return CurveSet(fps=FPS, n_frames=91, curves=(CurveKeys(JAW, t, jaw, source_aus=("AU26",)),))


def _micro() -> CurveSet:
    t = np.arange(10) / FPS
    bump = 0.5 * np.sin(np.pi * t / t[-1]) ** 2
    return CurveSet(
        fps=FPS,
        n_frames=10,
        curves=(
            CurveKeys(BROW, t, bump, source_aus=("AU4",)),
            CurveKeys(CORNER, t, bump, source_aus=("AU12L",)),
        ),
    )


def _peak(cs: CurveSet, name: str, start: float) -> float:
    c = cs.curve(name)
    t = np.linspace(start, start + 0.3, 61)
    return float(evaluate(c.times, c.values, t, interp=c.interp).max())


def test_speech_activity_is_one_while_talking_and_zero_in_silence():
    s = speech_activity(_base(), np.array([0.5, 1.0, 2.2, 2.8]))
    np.testing.assert_allclose(s, [1.0, 1.0, 0.0, 0.0])


def test_mouth_is_ducked_over_speech_and_played_over_silence():
    base, micro = _base(), _micro()
    talking = layer_curveset(base, micro, at_time=0.5, blend=0.0)
    assert _peak(talking, CORNER, 0.5) == pytest.approx(0.0, abs=0.01)
    assert _peak(talking, BROW, 0.5) == pytest.approx(0.5, abs=0.01)
    assert talking.settings["layered"]["mouth_gain_min"][CORNER] == pytest.approx(0.0)
    silent = layer_curveset(base, micro, at_time=2.0, blend=0.0)
    assert _peak(silent, CORNER, 2.0) == pytest.approx(0.5, abs=0.01)
    assert _peak(silent, BROW, 2.0) == pytest.approx(0.5, abs=0.01)
    undocked = layer_curveset(base, micro, at_time=0.5, blend=0.0, duck_mouth=False)
    assert _peak(undocked, CORNER, 0.5) == pytest.approx(0.5, abs=0.01)
    # the base's own lip sync is never touched
    np.testing.assert_allclose(talking.curve(JAW).values, base.curve(JAW).values)


def test_upper_region_leaves_the_mouth_out():
    out = layer_curveset(_base(), _micro(), at_time=2.0, regions="upper")
    assert CORNER not in out.names and BROW in out.names
    assert out.settings["layered"]["left_out"] == [CORNER]


def test_mouth_curves_by_source_au_or_by_name():
    t = np.zeros(1)
    assert is_mouth_curve(CurveKeys("anything", t, t, source_aus=("AU25",)))
    assert not is_mouth_curve(CurveKeys("anything", t, t, source_aus=("AU9",)))
    assert is_mouth_curve(CurveKeys("jawOpen", t, t)) and is_mouth_curve(CurveKeys("viseme_AA", t, t))
    assert not is_mouth_curve(CurveKeys("browInnerUp", t, t))


def test_unknown_region_is_refused():
    with pytest.raises(ValueError, match="regions must be one of all, upper, got 'middle'"):
        layer_curveset(_base(), _micro(), at_time=1.0, regions="middle")


def test_apply_to_upper_region_in_the_editor(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = write_micro_json(tmp_path / "clip.json", fps=30.0, n=7)
    skel = make_skeleton(fake, curves=[BROW, CORNER, "CTRL_expressions_mouthCornerPullR", JAW])
    table = make_table(fake)
    base = fake.AnimSequence()
    base._skeleton = skel
    base._frame_rate = (30, 1)
    base._num_frames = 60
    base._curves = {JAW: [fake.RichCurveKey(time=i / 30, value=0.3 * (i % 4 == 1)) for i in range(61)]}
    fake._register(base, "/Game/Anims/AS_Talk")
    made = mx.apply_to(base, clip, table, at_time=1.0, regions="upper")
    assert BROW in made._curves and CORNER not in made._curves
    assert len(made._curves[JAW]) == 61  # the lip sync is copied as it was
    ducked = mx.apply_to(base, clip, table, at_time=1.0, name="AS_Ducked")
    corner = [k.value for k in ducked._curves[CORNER]]
    assert max(corner) == pytest.approx(0.0, abs=0.01)  # the base talks throughout: the smile is ducked
