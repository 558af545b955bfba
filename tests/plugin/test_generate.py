"""generate(): the asset writer against the fake editor."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from plugin_testkit import make_skeleton, make_table, write_micro_json

ROOT = "/Game/MicroExpressions"


def _anim(fake: ModuleType, path: str):
    return fake._get_state().assets[path]


def test_generate_writes_one_anim_sequence(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = write_micro_json(tmp_path / "EP02 01f.json", fps=200.0, n=21)
    skel = make_skeleton(fake)
    table = make_table(fake)
    made = mx.generate(clip, skel, table, dest=ROOT, intensity=0.5)
    assert len(made) == 1
    seq = made[0]
    assert isinstance(seq, fake.AnimSequence)
    assert seq.get_path_name() == f"{ROOT}/AS_MicroExpr_EP02_01f.AS_MicroExpr_EP02_01f"
    assert seq._skeleton is skel
    assert seq._frame_rate == (200, 1)
    assert seq._num_frames == 20  # 21 samples = 20 frame intervals at 200 fps = 0.1 s
    assert sorted(seq._curves) == sorted(
        [
            "CTRL_expressions_mouthCornerPullL",
            "CTRL_expressions_mouthCornerPullR",
            "CTRL_expressions_browDownL",
        ]
    )
    # keys: cubic/auto at each source frame time; values = weight * intensity * activation (independent check)
    t = np.arange(21)
    au12 = np.sin(np.pi * t / 20) * 0.8
    expected = {
        "CTRL_expressions_mouthCornerPullL": 1.0 * 0.5 * au12,
        "CTRL_expressions_mouthCornerPullR": 0.5 * 0.5 * au12,
        "CTRL_expressions_browDownL": np.full(21, 1.0 * 0.5 * 0.25),
    }
    for name, values in expected.items():
        keys = seq._curves[name]
        assert [k.interp_mode for k in keys] == [fake.RichCurveInterpMode.RCIM_CUBIC] * 21
        assert [k.tangent_mode for k in keys] == [fake.RichCurveTangentMode.RCTM_AUTO] * 21
        np.testing.assert_allclose([k.time for k in keys], t / 200.0, atol=1e-9)
        np.testing.assert_allclose([k.value for k in keys], values, atol=1e-6)
    state = fake._get_state()
    assert state.saved == [f"{ROOT}/AS_MicroExpr_EP02_01f"]
    assert len(seq._brackets) == 1  # one undo step
    assert seq._controller._depth == 0 and state.open_transactions == 0  # bracket closed
    assert seq._rate_history == [(600, 1), (200, 1)]  # 200 is not a multiple of the factory's 30


def test_frame_rate_is_exact_for_ntsc(mx) -> None:
    from microexpr_anim.writer import frame_rate_fraction

    assert frame_rate_fraction(29.97) == (30000, 1001)
    assert frame_rate_fraction(30.0) == (30, 1)
    assert frame_rate_fraction(12.5) == (25, 2)
    with pytest.raises(ValueError, match="frame rate"):
        frame_rate_fraction(0.0)


def test_overwrite_refused_and_nothing_written(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = write_micro_json(tmp_path / "clip.json")
    skel, table = make_skeleton(fake), make_table(fake)
    first = mx.generate(clip, skel, table, dest=ROOT, name="AS_Mine")[0]
    state = fake._get_state()
    saves = list(state.saved)
    with pytest.raises(mx.AssetExistsError, match="AS_Mine already exists; pass overwrite=True"):
        mx.generate(clip, skel, table, dest=ROOT, name="AS_Mine", intensity=0.1)
    assert state.saved == saves
    assert state.assets[f"{ROOT}/AS_Mine"] is first
    assert sorted(state.assets) == sorted(
        [f"{ROOT}/AS_Mine", "/Game/Face/Face_Skeleton", "/Game/Rigs/DT_Test"]
    )


def test_failure_deletes_half_made_asset_outside_any_transaction(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = write_micro_json(tmp_path / "clip.json")
    skel, table = make_skeleton(fake), make_table(fake)
    fake._get_state().fail_curve = "CTRL_expressions_mouthCornerPullR"
    with pytest.raises(
        mx.AssetWriteError, match=r"refused the keys of curve 'CTRL_expressions_mouthCornerPullR'.*deleted"
    ):
        mx.generate(clip, skel, table, dest=ROOT, name="AS_Broken")
    state = fake._get_state()
    assert f"{ROOT}/AS_Broken" not in state.assets
    assert f"{ROOT}/AS_Broken" in state.deleted  # the fake raises for a delete inside a transaction
    assert state.saved == [] and state.open_transactions == 0


@pytest.mark.parametrize(
    ("dest", "match"),
    [
        ("/Engine/Anim", "not under /Game"),
        ("Game/Anim", "must be a content path"),
        ("/Game/My Anims", "may only use letters"),
        ("/Game/../Engine", "may only use letters"),
        ("/NotMounted/X", "not under /Game"),
    ],
)
def test_bad_destination_refused_before_anything(
    fake, mx, stand_in, tmp_path: Path, dest: str, match: str
) -> None:
    clip = write_micro_json(tmp_path / "clip.json")
    skel, table = make_skeleton(fake), make_table(fake)
    with pytest.raises(mx.AssetPathError, match=match):
        mx.generate(clip, skel, table, dest=dest)
    assert fake._get_state().saved == []


def test_mounted_plugin_root_allowed(fake, mx, stand_in, tmp_path: Path) -> None:
    fake._get_state().directories.add("/MyPlugin")
    clip = write_micro_json(tmp_path / "clip.json")
    made = mx.generate(clip, make_skeleton(fake), make_table(fake), dest="/MyPlugin/Anims", name="A")
    assert made[0].get_path_name() == "/MyPlugin/Anims/A.A"


def test_name_is_sanitised(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = write_micro_json(tmp_path / "clip.json")
    made = mx.generate(clip, make_skeleton(fake), make_table(fake), dest=ROOT, name="my anim: v1.0!")
    assert made[0].get_name() == "my_anim_v1_0"


def test_variants_make_one_asset_each(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = write_micro_json(tmp_path / "clip.json")
    made = mx.generate(clip, make_skeleton(fake), make_table(fake), dest=ROOT, variants=3, seed=4)
    assert [m.get_name() for m in made] == [f"AS_MicroExpr_clip_v{k}" for k in range(3)]


def test_curve_absent_from_skeleton_rejected(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = write_micro_json(tmp_path / "clip.json")
    skel = make_skeleton(
        fake, curves=["CTRL_expressions_mouthCornerPullL", "CTRL_expressions_mouthCornerPullR"]
    )
    with pytest.raises(mx.RigTableError, match="row 'AU4_L' maps AU4 to curve 'CTRL_expressions_browDownL'"):
        mx.generate(clip, skel, make_table(fake), dest=ROOT)
    made = mx.generate(clip, skel, make_table(fake, path="/Game/Rigs/DT_2"), dest=ROOT, check_skeleton=False)
    assert len(made[0]._curves) == 3


def test_missing_clip_is_clear(fake, mx, stand_in, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="clip not found"):
        mx.generate(tmp_path / "nope.mp4", make_skeleton(fake), make_table(fake), dest=ROOT)
    assert fake._get_state().saved == []


def test_layering_onto_a_copy_leaves_the_original(fake, mx, stand_in, tmp_path: Path, monkeypatch) -> None:
    clip = write_micro_json(tmp_path / "clip.json", fps=30.0, n=7)
    skel, table = make_skeleton(fake), make_table(fake)
    base = fake.AnimSequence()
    base._skeleton = skel
    base._frame_rate = (30, 1)
    base._num_frames = 60
    base._curves = {
        "CTRL_expressions_browDownL": [
            fake.RichCurveKey(time=0.0, value=0.1),
            fake.RichCurveKey(time=2.0, value=0.1),
        ],
        "CTRL_expressions_jawOpen": [fake.RichCurveKey(time=0.0, value=0.3)],
    }
    fake._register(base, "/Game/Anims/AS_Talk")
    original = {k: [(key.time, key.value) for key in v] for k, v in base._curves.items()}
    calls = {}

    def fake_layer(base_cs, micro, at_time, **_layering):
        calls["base"] = base_cs
        calls["at"] = at_time
        from curves.curveset import CurveKeys, CurveSet

        shifted = [CurveKeys(name=c.name, times=c.times + at_time, values=c.values) for c in micro.curves]
        kept = [c for c in base_cs.curves if c.name not in micro.names]
        return CurveSet(fps=base_cs.fps, n_frames=base_cs.n_frames, curves=tuple(kept + shifted))

    import microexpr_anim._project as project

    monkeypatch.setattr(project, "layer_curveset", fake_layer)
    made = mx.apply_to(base, clip, table, at_time=1.0)
    assert made.get_path_name() == "/Game/Anims/AS_Talk_MicroExpr.AS_Talk_MicroExpr"
    assert {k: [(key.time, key.value) for key in v] for k, v in base._curves.items()} == original
    assert calls["at"] == 1.0 and calls["base"].fps == 30.0 and calls["base"].n_frames == 61
    assert made._frame_rate == (30, 1) and made._num_frames == 60  # the copy keeps the base timing
    assert made._curves["CTRL_expressions_jawOpen"][0].value == pytest.approx(0.3)  # untouched curve kept
    keys = made._curves["CTRL_expressions_browDownL"]
    # only the window [1.0, 1.2] s changes; the base keys at 0 and 2 s are the base's own
    assert keys[0] is base._curves["CTRL_expressions_browDownL"][0]
    assert keys[-1] is base._curves["CTRL_expressions_browDownL"][1]
    assert [k.time for k in keys[1:-1]] == pytest.approx([1.0 + i / 30 for i in range(7)])
    with pytest.raises(ValueError, match="outside"):
        mx.apply_to(base, clip, table, at_time=5.0, name="X")


def test_cancel_from_progress_writes_nothing(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = write_micro_json(tmp_path / "clip.json")
    seen: list[str] = []

    def progress(done: int, total: int, message: str) -> bool:
        seen.append(message)
        return message.startswith("writing")

    with pytest.raises(mx.GenerationCancelledError, match="cancelled by the user while writing"):
        mx.generate(clip, make_skeleton(fake), make_table(fake), dest=ROOT, progress=progress)
    assert len(seen) == 4
    assert not any(p.startswith(ROOT) for p in fake._get_state().assets)


def test_intensity_outside_unit_range_refused_before_anything(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = write_micro_json(tmp_path / "clip.json", fps=200.0, n=21)
    skel = make_skeleton(fake)
    table = make_table(fake)
    with pytest.raises(ValueError, match=r"intensity must lie in \[0, 1\]"):
        mx.generate(clip, skel, table, dest=ROOT, intensity=1.5)
    assert not any(p.startswith(ROOT) for p in fake._get_state().assets)


def _take_json(path: Path) -> Path:
    """A 10 s take at 30 fps with two expressions: a smile (frames 30-40) and a frown (200-230)."""
    from curves.microexpression import ExpressionEvent, MicroExpression

    act = np.zeros((300, 2))
    act[30:41, 0] = 0.6
    act[200:231, 1] = 0.4
    events = (
        ExpressionEvent(30, 35, 40, 0.6, 11 / 30, "micro", ("AU12",), "happiness", {"happiness": 1.0}),
        ExpressionEvent(200, 215, 230, 0.4, 31 / 30, "macro", ("AU4",), "anger", {"anger": 1.0}),
    )
    me = MicroExpression(30.0, 30, 35, 40, {"happiness": 1.0}, ("AU12", "AU4"), act, events=events)
    me.save(path)
    return path


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ("auto", {"AS_MicroExpr_take_e01": 19, "AS_MicroExpr_take_e02": 39}),  # 10 s: one per expression
        ("take", {"AS_MicroExpr_take": 300}),
        ("strongest", {"AS_MicroExpr_take": 19}),
        (2, {"AS_MicroExpr_take": 39}),
    ],
)
def test_what_of_a_take_becomes_assets(fake, mx, stand_in, tmp_path: Path, events, expected) -> None:
    clip = _take_json(tmp_path / "take.json")
    made = mx.generate(clip, make_skeleton(fake), make_table(fake), dest=ROOT, events=events)
    frames = {seq.get_name(): seq._num_frames + 1 for seq in made}  # samples = frame intervals + 1
    assert frames == expected  # an event keeps 0.15 s (4 frames) of the take on either side


def test_an_unknown_event_choice_is_refused_before_anything(fake, mx, stand_in, tmp_path: Path) -> None:
    clip = _take_json(tmp_path / "take.json")
    with pytest.raises(ValueError, match="choose the events with one of auto, take, strongest, all"):
        mx.generate(clip, make_skeleton(fake), make_table(fake), dest=ROOT, events="biggest")
    assert not [p for p in fake._get_state().assets if p.startswith(ROOT)]
