"""generate() under the engine rules the fake enforces: frame rates after the factory, overwrite in place,
case-insensitive curve names, one rig-table rule for DataTables, onset/apex/offset markers."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction
from pathlib import Path

import pytest
from plugin_testkit import make_skeleton, make_table, write_micro_json

ROOT = "/Game/MicroExpressions"


def _state_of(seq) -> tuple:
    keys = {name: [(k.time, k.value) for k in keys] for name, keys in seq._curves.items()}
    return keys, seq._frame_rate, seq._num_frames, list(seq._markers), dict(seq._tags)


# ------------------------------------------------------------------ frame rates


@pytest.mark.parametrize(
    ("fps", "rate", "path"),
    [
        (200.0, (200, 1), [(600, 1), (200, 1)]),  # CASME II, SAMM
        (100.0, (100, 1), [(300, 1), (100, 1)]),  # SMIC
        (1000.0, (1000, 1), [(3000, 1), (1000, 1)]),
        (30.0, (30, 1), []),
        (30000 / 1001, (30000, 1001), [(30000, 1), (30000, 1001)]),  # 29.97
        (24.0, (24, 1), [(120, 1), (24, 1)]),
        (25.0, (25, 1), [(150, 1), (25, 1)]),
        (60.0, (60, 1), [(60, 1)]),
    ],
)
def test_any_source_rate_is_written_exactly(
    fake, mx, stand_in, tmp_path: Path, fps: float, rate: tuple, path: list
) -> None:
    from microexpr_anim.writer import anim_info

    n = 31
    clip = write_micro_json(tmp_path / "clip.json", fps=fps, n=n)
    seq = mx.generate(clip, make_skeleton(fake), make_table(fake), dest=ROOT)[0]
    assert seq._frame_rate == rate and seq._rate_history == path
    assert seq._num_frames == n - 1
    length = (n - 1) * rate[1] / rate[0]  # 30 intervals: 0.15 s at 200 fps, 1.001 s at 29.97
    assert seq.data_model_interface.get_play_length() == pytest.approx(length, abs=1e-12)
    keys = seq._curves["CTRL_expressions_browDownL"]
    assert [k.time for k in keys] == pytest.approx([i / fps for i in range(n)], abs=1e-12)
    info = anim_info(seq)
    assert (info.rate, info.frames, info.seconds) == (rate, n - 1, pytest.approx(length))
    assert str(info).startswith(f"{ROOT}/AS_MicroExpr_clip: {n - 1} frames at {rate[0]}")
    assert [m[0] for m in seq._markers] == ["MicroExpr_Onset", "MicroExpr_Apex", "MicroExpr_Offset"]
    assert all(0.0 <= m[1] <= length for m in seq._markers)  # the engine drops markers past the end


def test_frame_rate_path_steps_are_always_accepted(mx) -> None:
    from microexpr_anim.writer import frame_rate_path

    rates = [
        (30, 1),
        (200, 1),
        (100, 1),
        (1000, 1),
        (24, 1),
        (25, 1),
        (30000, 1001),
        (24000, 1001),
        (25, 2),
        (7, 1),
    ]
    for cur in rates:
        for tgt in rates:
            steps = [cur, *frame_rate_path(cur, tgt)]
            assert Fraction(*steps[-1]) == Fraction(*tgt)
            assert len(steps) <= 3
            for a, b in itertools.pairwise(steps):
                ratio = Fraction(*b) / Fraction(*a)
                assert ratio.numerator == 1 or ratio.denominator == 1, (cur, tgt, steps)


def test_the_fake_refuses_an_incompatible_rate_like_the_engine(fake) -> None:
    seq = fake.AssetToolsHelpers.get_asset_tools().create_asset(
        "A", "/Game/X", fake.AnimSequence, fake.AnimSequenceFactory()
    )
    seq.controller.open_bracket("t", True)
    with pytest.raises(
        RuntimeError, match="Incompatible frame rate provided: 200/1 not a multiple or factor of 30/1"
    ):
        seq.controller.set_frame_rate(fake.FrameRate(200, 1), True)
    seq.controller.close_bracket(True)


# ------------------------------------------------------------------ overwrite in place


def test_overwrite_changes_the_same_asset_in_place(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = write_micro_json(tmp_path / "clip.json")
    skel, table = make_skeleton(fake), make_table(fake)
    old = mx.generate(clip, skel, table, dest=ROOT, name="AS_Mine", intensity=1.0)[0]
    state = fake._get_state()
    state.references["/Game/Montages/AM_Face"] = old  # a montage that uses the animation
    v_old = max(k.value for k in old._curves["CTRL_expressions_browDownL"])
    new = mx.generate(clip, skel, table, dest=ROOT, name="AS_Mine", intensity=0.5, overwrite=True)[0]
    assert new is old and state.assets[f"{ROOT}/AS_Mine"] is old
    assert state.references["/Game/Montages/AM_Face"] is old  # the reference is kept
    assert state.deleted == []
    v_new = max(k.value for k in new._curves["CTRL_expressions_browDownL"])
    assert v_new == pytest.approx(v_old / 2)
    assert len(new._brackets) == 2 and state.open_transactions == 0  # one undo step per write
    assert state.saved == [f"{ROOT}/AS_Mine", f"{ROOT}/AS_Mine"]


def test_overwrite_at_another_rate_goes_through_a_compatible_rate(fake, mx, stand_in, tmp_path: Path) -> None:
    skel, table = make_skeleton(fake), make_table(fake)
    seq = mx.generate(write_micro_json(tmp_path / "a.json", fps=200.0), skel, table, dest=ROOT, name="A")[0]
    clip = write_micro_json(tmp_path / "b.json", fps=30000 / 1001, n=10)
    again = mx.generate(clip, skel, table, dest=ROOT, name="A", overwrite=True)[0]
    assert again is seq and seq._frame_rate == (30000, 1001) and seq._num_frames == 9
    assert seq._rate_history[-2:] == [(30000, 1), (30000, 1001)]  # lcm(200, 30000) = 30000


@pytest.mark.parametrize("failure", ["save", "curve"])
def test_failed_overwrite_leaves_the_original_as_it_was(
    fake, mx, stand_in, tmp_path: Path, failure: str
) -> None:
    skel, table = make_skeleton(fake), make_table(fake)
    clip_a = write_micro_json(tmp_path / "a.json", fps=200.0)
    old = mx.generate(clip_a, skel, table, dest=ROOT, name="AS_Mine")[0]
    before = _state_of(old)
    state = fake._get_state()
    state.references["/Game/Sequences/LS_Shot"] = old
    saves = list(state.saved)
    if failure == "save":
        state.fail_save = True
        match = r"could not save /Game/MicroExpressions/AS_Mine.*was put back as it was"
    else:
        state.fail_curve = "CTRL_expressions_browDownL"
        match = r"refused the keys of curve 'CTRL_expressions_browDownL'.*was put back as it was"
    clip_b = write_micro_json(tmp_path / "b.json", fps=30.0, n=9)
    with pytest.raises(mx.AssetWriteError, match=match):
        mx.generate(clip_b, skel, table, dest=ROOT, name="AS_Mine", intensity=0.3, overwrite=True)
    assert state.assets[f"{ROOT}/AS_Mine"] is old and state.references["/Game/Sequences/LS_Shot"] is old
    assert _state_of(old) == before
    assert state.saved == saves and state.deleted == [] and state.open_transactions == 0


def test_overwrite_refuses_an_asset_it_did_not_make(fake, mx, stand_in, tmp_path: Path) -> None:
    skel, table = make_skeleton(fake), make_table(fake)
    theirs = fake.AnimSequence()
    theirs._skeleton = skel
    theirs._curves = {"CTRL_expressions_jawOpen": [fake.RichCurveKey(time=0.0, value=0.4)]}
    fake._register(theirs, f"{ROOT}/AS_Hand_Made")
    clip = tmp_path / "not_read.mp4"  # refused before the clip is read or the model runs
    with pytest.raises(mx.AssetExistsError, match="AS_Hand_Made exists and was not made by MicroExprAnim"):
        mx.generate(clip, skel, table, dest=ROOT, name="AS_Hand_Made", overwrite=True)
    assert list(theirs._curves) == ["CTRL_expressions_jawOpen"] and fake._get_state().saved == []


def test_the_fake_refuses_a_delete_inside_a_transaction(fake) -> None:
    seq = fake.AnimSequence()
    fake._register(seq, "/Game/X/A")
    with (
        fake.ScopedEditorTransaction("t"),
        pytest.raises(RuntimeError, match="purges the whole undo history"),
    ):
        fake.EditorAssetLibrary.delete_asset("/Game/X/A")
    fake._get_state().references["/Game/M"] = seq
    assert fake.EditorAssetLibrary.delete_asset("/game/x/a")  # paths ignore case, like FNames
    assert fake._get_state().references["/Game/M"] is None  # force delete nulls the reference


# ------------------------------------------------------------------ names and rig tables


def test_pascal_case_skeleton_curves_are_the_same_curves(fake, mx, stand_in, tmp_path: Path) -> None:
    rig = (
        "Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\n"
        "AU12_L,AU12,mouthSmileLeft,1,L,0,1,\n"
        "AU4_L,AU4,browDownLeft,1,L,0,1,\n"
    )
    skel = make_skeleton(fake, path="/Game/LLF/Skel", curves=["MouthSmileLeft", "BrowDownLeft", "JawOpen"])
    clip = write_micro_json(tmp_path / "clip.json")
    seq = mx.generate(clip, skel, make_table(fake, rig), dest=ROOT)[0]
    assert sorted(seq._curves) == ["BrowDownLeft", "MouthSmileLeft"]  # the skeleton's own spelling
    bad = rig.replace("browDownLeft", "browDownLeftt")
    with pytest.raises(
        mx.RigTableError, match=r"row 'AU4_L'.*'browDownLeftt'.*did you mean 'BrowDownLeft'\?"
    ):
        mx.generate(clip, skel, make_table(fake, bad, path="/Game/Rigs/DT_2"), dest=ROOT, name="B")


GOOD_ROW = "RowA,AU12,CTRL_expressions_mouthCornerPullL,1,L,0,1,\n"


@pytest.mark.parametrize(
    ("bad_row", "match"),
    [
        ("RowB,,CTRL_expressions_browDownL,1,L,0,1,\n", "row 'RowB' has no AU"),
        (
            "RowB,AU4,CTRL_expressions_browDownL,1,up,0,1,\n",
            "row 'RowB': Side must be L, R or empty, got 'up'",
        ),
        (
            "RowB,AU4,CTRL_expressions_browDownL,1,L,0.5,0.5,\n",
            "row 'RowB': RangeMin 0.5 must be below RangeMax",
        ),
        (
            "RowB,AU4,brow/down,1,L,0,1,\n",
            r"row 'RowB': curve 'brow/down' cannot be an Unreal curve name.*'/'",
        ),
    ],
)
def test_bad_datatable_row_names_the_datatable_and_the_row(
    fake, mx, stand_in, tmp_path: Path, bad_row: str, match: str
) -> None:
    """One error, naming the user's DataTable (not a temporary file) and the row, by the CSV path's rule."""
    from curves.rigmap import parse_rig_csv

    clip = write_micro_json(tmp_path / "clip.json")
    text = "Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\n" + GOOD_ROW + bad_row
    with pytest.raises(mx.RigTableError, match=f"^DataTable /Game/Rigs/DT_Test, row 2: {match}") as info:
        mx.generate(clip, make_skeleton(fake), make_table(fake, text), dest=ROOT)
    assert "rig.csv" not in str(info.value) and "microexpr_rig_" not in str(info.value)
    assert not any(p.startswith(ROOT) for p in fake._get_state().assets)
    with pytest.raises(ValueError, match=f"^my_rig.csv, line 3: {match}"):  # the same rule on the CSV path
        parse_rig_csv(text, "my_rig.csv")


def test_non_numeric_weight_in_json_rejected(fake, mx) -> None:
    table = fake.DataTable()
    fake._register(table, "/Game/Rigs/DT_Json")
    row = {
        "Name": "R1",
        "AU": "AU12",
        "Curve": "C",
        "Weight": "strong",
        "Side": "",
        "RangeMin": 0,
        "RangeMax": 1,
    }
    table._json = json.dumps([row])
    with pytest.raises(
        mx.RigTableError, match="DT_Json, row 1: row 'R1': Weight must be a number, got 'strong'"
    ):
        mx.generate("unused.json", make_skeleton(fake, curves=["C"]), table, dest=ROOT)


# ------------------------------------------------------------------ provenance


def test_markers_and_tags_record_what_made_the_asset(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = write_micro_json(tmp_path / "EP02_01f.json", fps=200.0, n=21)  # onset 0, apex 10, offset 20
    seq = mx.generate(clip, make_skeleton(fake), make_table(fake), dest=ROOT, emotion="happiness")[0]
    assert seq._tracks == ["MicroExpr"]
    assert seq._markers == [
        ("MicroExpr_Onset", 0.0, "MicroExpr"),
        ("MicroExpr_Apex", 0.05, "MicroExpr"),  # frame 10 at 200 fps
        ("MicroExpr_Offset", 0.1, "MicroExpr"),
    ]
    tags = seq._tags
    assert tags["MicroExprAnim.Generator"].startswith("MicroExprAnim ")
    assert tags["MicroExprAnim.Clip"] == str(clip)
    assert (tags["MicroExprAnim.Model"], tags["MicroExprAnim.ModelVersion"]) == ("au_gcn_small", "2")
    assert tags["MicroExprAnim.Emotion"] == "happiness"
    assert tags["MicroExprAnim.ApexSeconds"] == "0.05"
    assert tags["MicroExprAnim.RigTable"] == "DataTable /Game/Rigs/DT_Test"
    assert tags["MicroExprAnim.SourceFps"] == "200"


def test_variant_timing_and_layering_offset_move_the_markers(mx) -> None:
    from microexpr_anim.provenance import describe

    settings = {
        "onset": 2,
        "apex": 10,
        "offset": 30,
        "variant": {"index": 1, "time_scale": 1.5, "shift_s": 0.01},
    }
    about = describe(settings, clip="c", source_fps=100.0, duration_s=0.4, rig_table="t", at_time=1.0)
    # t' = apex + shift + (t - apex) * scale, kept in [0, duration], then + at_time:
    # onset 0.1 + 0.01 - 0.12 -> 0 -> 1.0; apex 0.11 -> 1.11; offset 0.11 + 0.3 = 0.41 -> 0.4 -> 1.4
    assert about.markers == (("MicroExpr_Onset", 1.0), ("MicroExpr_Apex", 1.11), ("MicroExpr_Offset", 1.4))
    assert about.tag("Variant") == "1" and about.tag("OffsetSeconds") == "1.4"
    assert describe({}, clip="c", source_fps=30.0, duration_s=1.0, rig_table="t").markers == ()


# ------------------------------------------------------------------ frame folders


def test_frame_folder_needs_a_frame_rate_and_gets_it_from_the_api(
    fake, mx, stand_in, tmp_path: Path, monkeypatch
) -> None:
    from curves.microexpression import MicroExpression

    folder = tmp_path / "sub01" / "EP02_01f"
    folder.mkdir(parents=True)
    (folder / "img1.jpg").write_bytes(b"")
    seen: dict = {}
    template = write_micro_json(tmp_path / "t.json", fps=200.0, n=21)

    def analyze(clip, *, weights, device, fps):
        seen["fps"] = fps
        return MicroExpression.load(template)

    import microexpr_anim._project as project
    import microexpr_anim.model as model

    monkeypatch.setattr(project, "analyze", analyze)
    monkeypatch.setattr(model, "in_process_available", lambda: True)
    skel, table = make_skeleton(fake), make_table(fake)
    with pytest.raises(
        ValueError, match=r"EP02_01f is a folder of frames.*Frame Rate field.*fps=200.*-fps=200"
    ):
        mx.generate(folder, skel, table, dest=ROOT)
    assert "fps" not in seen and not any(p.startswith(ROOT) for p in fake._get_state().assets)
    seq = mx.generate(folder, skel, table, dest=ROOT, fps=200)[0]
    assert seen["fps"] == 200 and seq._frame_rate == (200, 1)
    mx.set_frame_folder_fps(100)  # a saved default for folders
    mx.generate(folder, skel, table, dest=ROOT, name="B")
    assert seen["fps"] == 100
    with pytest.raises(ValueError, match="fps must be a positive number of frames per second"):
        mx.generate(folder, skel, table, dest=ROOT, fps=0)


def test_external_model_gets_the_frame_rate(fake, mx, tmp_path: Path, monkeypatch) -> None:
    import subprocess

    from microexpr_anim.model import analyze_clip
    from microexpr_anim.settings import Settings

    calls = []

    def run(cmd, **kw):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, (tmp_path / "t.json").read_text(), "")

    write_micro_json(tmp_path / "t.json")
    monkeypatch.setattr(subprocess, "run", run)
    analyze_clip(tmp_path, Settings(model_mode="external", external_python="py"), fps=100.0)
    assert calls[0][-2:] == ["--fps", "100.0"]


def test_the_analysis_warnings_about_the_face_reach_the_output_log(
    fake, mx, tmp_path: Path, monkeypatch
) -> None:
    import dataclasses
    import subprocess

    from microexpr_anim.model import analyze_clip
    from microexpr_anim.settings import Settings

    from curves.microexpression import MicroExpression

    warning = "far.mp4: the face is small in this clip (its eyes 14 px apart; 20 px or more is needed)"
    me = MicroExpression.load(write_micro_json(tmp_path / "t.json"))
    dataclasses.replace(me, extra={"face": {"eye_distance_px": 14.0, "warnings": [warning]}}).save(
        tmp_path / "small.json"
    )
    text = (tmp_path / "small.json").read_text()
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0, text, ""))
    analyze_clip(tmp_path / "far.mp4", Settings(model_mode="external", external_python="py"), fps=30.0)
    assert ("warning", f"MicroExprAnim: {warning}") in fake._get_state().logs


# ------------------------------------------------------------------ layering


def test_layering_keeps_the_base_keys_outside_the_window(fake, mx, stand_in, tmp_path: Path) -> None:
    """Through the real curves.layering: keys outside [at, at + duration] are the base's own (their linear
    mode included); inside, the sum; the markers are offset by at_time."""
    from curves.richcurve import evaluate

    skel, table = make_skeleton(fake), make_table(fake)
    base = fake.AnimSequence()
    base._skeleton = skel
    base._frame_rate, base._num_frames = (30, 1), 90  # 3 s
    linear = fake.RichCurveInterpMode.RCIM_LINEAR
    base_keys = [fake.RichCurveKey(interp_mode=linear, time=t, value=0.2) for t in (0.0, 0.5, 1.05, 2.5, 3.0)]
    base._curves = {"CTRL_expressions_browDownL": base_keys}
    fake._register(base, "/Game/Anims/AS_Talk")
    clip = write_micro_json(tmp_path / "clip.json", fps=30.0, n=16)  # 0.5 s, AU4 flat at 0.25
    made = mx.apply_to(base, clip, table, at_time=1.0)
    keys = made._curves["CTRL_expressions_browDownL"]
    outside = [k for k in keys if not 1.0 <= k.time <= 1.5]
    assert [k.time for k in outside] == [0.0, 0.5, 2.5, 3.0] and all(k.interp_mode is linear for k in outside)
    assert all(any(k is b for b in base_keys) for k in outside)
    assert [k.time for k in base._curves["CTRL_expressions_browDownL"]] == [0.0, 0.5, 1.05, 2.5, 3.0]
    inside = [k for k in keys if 1.0 <= k.time <= 1.5]
    assert inside[0].time == 1.0 and inside[-1].time == 1.5
    assert inside[0].value == pytest.approx(0.2) and inside[-1].value == pytest.approx(0.2)  # seams at base
    middle = evaluate([k.time for k in inside], [k.value for k in inside], 1.25)
    assert float(middle) == pytest.approx(0.2 + 0.25, abs=0.02)  # base + AU4 (weight 1, intensity 1)
    assert "CTRL_expressions_mouthCornerPullL" in made._curves  # new curves are added whole
    assert [m[:2] for m in made._markers] == [
        ("MicroExpr_Onset", 1.0),
        ("MicroExpr_Apex", 1.233333),
        ("MicroExpr_Offset", 1.5),
    ]


def test_window_edit_hand_cases(mx) -> None:
    from microexpr_anim.layerkeys import window_edit

    base = [(0.0, 0.1), (1.0, 0.3), (1.2, 0.4), (2.0, 0.1)]
    layered = [(0.0, 0.1), (1.1, 0.9), (1.3, 0.8), (2.0, 0.1)]
    edit = window_edit("c", base, layered, (1.0, 1.5), (0.3, 0.35))
    assert edit.remove == (1.0, 1.2)  # a base key on the window's edge is replaced by the edge key
    assert edit.add == ((1.0, 0.3), (1.1, 0.9), (1.3, 0.8), (1.5, 0.35))
    assert edit.merged == ((0.0, 0.1), (1.0, 0.3), (1.1, 0.9), (1.3, 0.8), (1.5, 0.35), (2.0, 0.1))
    with pytest.raises(ValueError, match=r"curve c: the layering window \[1.0, 1.0\] is empty"):
        window_edit("c", base, layered, (1.0, 1.0), (0.0, 0.0))


def test_doctests_of_the_pure_modules(mx) -> None:
    import doctest
    import importlib

    for name in ("layerkeys", "provenance", "cmdargs", "writer"):
        module = importlib.import_module(f"microexpr_anim.{name}")
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, name
