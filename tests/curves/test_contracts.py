"""The JSON contracts between ml, curves and the plugin: validation and round trips."""

import json

import numpy as np
import pytest

from curves.au import canonical_au, parse_au_list
from curves.curveset import CurveKeys, CurveSet
from curves.microexpression import MicroExpression


def _me(**kw):
    args = dict(
        fps=200.0,
        onset=2,
        apex=5,
        offset=8,
        emotion_probs={"happiness": 0.7, "others": 0.3},
        au_names=("AU6", "R12"),
        activations=np.linspace(0, 1, 20).reshape(10, 2),
    )
    args.update(kw)
    return MicroExpression(**args)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4+R10", ["AU4", "AU10R"]),
        ("L1+L2", ["AU1L", "AU2L"]),
        ("7B", ["AU7"]),
        ("none", []),
        (12.0, ["AU12"]),
    ],
)
def test_au_strings_from_coding_sheets(text, expected):
    codes, skipped = parse_au_list(text)
    assert [c.name for c in codes] == expected
    assert skipped == []


def test_au_free_text_is_reported_not_dropped():
    codes, skipped = parse_au_list("12+smile")
    assert [c.name for c in codes] == ["AU12"]
    assert skipped == ["smile"]


def test_microexpression_round_trip_and_canonical_names():
    me = _me()
    assert me.au_names == ("AU6", "AU12R")
    assert me.emotion == "happiness"
    assert me.duration == pytest.approx(9 / 200)
    back = MicroExpression.from_json(me.to_json())
    np.testing.assert_allclose(back.activations, me.activations, atol=1e-6)
    assert (back.onset, back.apex, back.offset) == (2, 5, 8)
    assert canonical_au("R12") == "AU12R"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fps": 0}, "fps must be a positive"),
        ({"fps": float("nan")}, "fps must be a positive"),
        ({"activations": np.full((10, 2), np.nan)}, "NaN or inf"),
        ({"activations": np.full((10, 2), 1.5)}, r"must lie in \[0, 1\]"),
        ({"onset": 6}, "onset <= apex <= offset"),
        ({"offset": 10}, "offset < 10"),
        ({"au_names": ("AU6",)}, "shape"),
    ],
)
def test_microexpression_rejects_bad_input(change, message):
    with pytest.raises(ValueError, match=message):
        _me(**change)


def test_microexpression_load_names_the_file(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"broken\.json"):
        MicroExpression.load(bad)


def test_curveset_round_trip_and_validation(tmp_path):
    keys = CurveKeys(
        "CTRL_expressions_mouthCornerPullL", [0.0, 0.02, 0.045], [0.0, 0.8, 0.0], source_aus=("AU12",)
    )
    cs = CurveSet(fps=200, n_frames=10, curves=(keys,), settings={"rig": "metahuman"})
    path = cs.save(tmp_path / "c.json")
    back = CurveSet.load(path)
    assert back.names == ["CTRL_expressions_mouthCornerPullL"]
    np.testing.assert_allclose(back.curve(keys.name).values, [0.0, 0.8, 0.0])
    assert json.loads(path.read_text())["format"].startswith("microexpr-anim/curve-set@")
    with pytest.raises(ValueError, match="outside the animation"):
        CurveSet(fps=200, n_frames=5, curves=(keys,))
    with pytest.raises(ValueError, match="duplicate curve names"):
        CurveSet(fps=200, n_frames=10, curves=(keys, keys))
    with pytest.raises(ValueError, match="strictly increasing"):
        CurveKeys("x", [0.0, 0.0], [1.0, 2.0])
