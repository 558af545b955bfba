"""Events of a take in the MicroExpression contract: JSON round trip, one event on its own, and the older
``infer --all`` list read as one take."""

from __future__ import annotations

import json

import numpy as np
import pytest

from curves.microexpression import ExpressionEvent, MicroExpression


def _take() -> MicroExpression:
    act = np.zeros((100, 2))
    act[10:21, 0] = np.r_[np.linspace(0, 0.8, 6), np.linspace(0.8, 0, 6)[1:]]  # AU12 peaks at frame 15
    act[60:91, 1] = 0.3  # AU4 held 0.3 from frame 60 to 90
    smile = ExpressionEvent(10, 15, 20, 0.8, 11 / 30, "micro", ("AU12",), "happiness", {"happiness": 0.9})
    frown = ExpressionEvent(60, 70, 90, 0.3, 31 / 30, "macro", ("AU4",), "anger", {"anger": 0.6})
    return MicroExpression(
        fps=30.0,
        onset=10,
        apex=15,
        offset=20,
        emotion_probs={"happiness": 0.9},
        au_names=("AU12", "AU4"),
        activations=act,
        events=(smile, frown),
    )


def test_events_survive_json():
    me = _take()
    again = MicroExpression.from_json(me.to_json())
    assert again.events == me.events
    assert json.loads(me.to_json())["events"][1]["kind"] == "macro"


def test_one_event_on_its_own_keeps_its_frames_and_padding():
    me = _take()
    frown = me.event_clip(1, pad_s=0.1)  # 3 frames of padding at 30 fps
    assert frown.extra["window"] == [57, 94]
    assert frown.n_frames == 37
    assert (frown.onset, frown.apex, frown.offset) == (3, 13, 33)
    np.testing.assert_array_equal(frown.activations, me.activations[57:94])
    assert frown.emotion == "anger" and frown.events[0].onset == 3
    smile = me.event_clip(0, pad_s=1.0)  # padding stops at the clip's start
    assert smile.extra["window"] == [0, 51]


def test_event_errors_are_clear():
    me = _take()
    with pytest.raises(ValueError, match="event 5 does not exist; there are 2"):
        me.event_clip(5)
    with pytest.raises(ValueError, match="events\\[0\\] ends at frame 120, past the last frame 99"):
        MicroExpression(
            fps=30.0,
            onset=0,
            apex=0,
            offset=0,
            emotion_probs={},
            au_names=("AU12",),
            activations=np.zeros((100, 1)),
            events=(ExpressionEvent(110, 115, 120, 0.5, 0.3, "micro", (), "others"),),
        )
    with pytest.raises(ValueError, match="kind is one of"):
        ExpressionEvent(1, 2, 3, 0.5, 0.1, "tiny", (), "others")
    with pytest.raises(ValueError, match="events must be a list"):
        MicroExpression.from_dict({**_take().to_dict(), "events": {"onset": 1}})


def test_the_older_list_of_detections_reads_as_one_take():
    me = _take()
    a = me.event_clip(0, pad_s=0)  # not the same length: refused
    with pytest.raises(ValueError, match="one clip"):
        MicroExpression.from_dict([me.to_dict(), a.to_dict()])
    # two detections over the same 100 frames, each zero outside its window (as infer --all wrote them)
    first = np.zeros((100, 2))
    first[10:21] = me.activations[10:21]
    second = np.zeros((100, 2))
    second[60:91] = me.activations[60:91]
    docs = [
        MicroExpression(30.0, 60, 70, 90, {"anger": 0.6}, ("AU12", "AU4"), second).to_dict(),
        MicroExpression(30.0, 10, 15, 20, {"happiness": 0.9}, ("AU12", "AU4"), first).to_dict(),
    ]
    take = MicroExpression.from_dict(docs)
    np.testing.assert_allclose(take.activations, me.activations, atol=1e-6)  # JSON keeps 6 decimals
    assert [e.emotion for e in take.events] == ["happiness", "anger"]  # strongest first
    assert (take.onset, take.apex, take.offset) == (10, 15, 20)
    assert take.events[1].kind == "macro" and take.events[0].aus == ("AU12",)


def test_curves_command_makes_one_bundle_per_event_of_a_long_take(tmp_path, capsys):
    from ml.cli.main import main

    act = np.zeros((300, 2))  # 10 s at 30 fps: longer than a clip of one expression
    act[30:41, 0] = 0.6
    act[200:231, 1] = 0.4
    events = (
        ExpressionEvent(30, 35, 40, 0.6, 11 / 30, "micro", ("AU12",), "happiness", {"happiness": 1.0}),
        ExpressionEvent(200, 215, 230, 0.4, 31 / 30, "macro", ("AU4",), "anger", {"anger": 1.0}),
    )
    me = MicroExpression(30.0, 30, 35, 40, {"happiness": 1.0}, ("AU12", "AU4"), act, events=events)
    tracks = me.save(tmp_path / "take.json")
    out = tmp_path / "out"
    assert main(["curves", str(tracks), "--out", str(out), "--no-preview"]) == 0
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == ["event_01_happiness", "event_02_anger"]
    assert (
        "event_02_anger: frames 196-234 of the take" in capsys.readouterr().out
    )  # 4 frames (0.15 s) of padding
    whole = tmp_path / "whole"
    assert main(["curves", str(tracks), "--out", str(whole), "--event", "take", "--no-preview"]) == 0
    assert (whole / "curveset.json").is_file()
    assert main(["curves", str(tracks), "--out", str(tmp_path / "x"), "--event", "3"]) == 2
    assert "event 3 does not exist" in capsys.readouterr().err
