"""generate_from_emotion() and the dialog's no-clip choice, against the fake editor."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from plugin_testkit import make_skeleton, make_table

ROOT = "/Game/MicroExpressions"
#: Surprise in the sheets: AU1, AU2, AU5 (brows and lids), AU14, AU24, AU25, AU26 (mouth and jaw).
SURPRISE_CSV = (
    "Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\n"
    "AU1_L,AU1,CTRL_expressions_browRaiseInL,1,L,0,1,\n"
    "AU1_R,AU1,CTRL_expressions_browRaiseInR,1,R,0,1,\n"
    "AU2_L,AU2,CTRL_expressions_browRaiseOuterL,1,L,0,1,\n"
    "AU2_R,AU2,CTRL_expressions_browRaiseOuterR,1,R,0,1,\n"
    "AU5_L,AU5,CTRL_expressions_eyeWidenL,1,L,0,1,\n"
    "AU5_R,AU5,CTRL_expressions_eyeWidenR,1,R,0,1,\n"
)
CURVES = [line.split(",")[2] for line in SURPRISE_CSV.splitlines()[1:]]


def _setup(fake: ModuleType):
    return make_skeleton(fake, curves=CURVES), make_table(fake, SURPRISE_CSV)


def _keys(seq) -> dict[str, list[tuple[float, float]]]:
    return {name: [(k.time, k.value) for k in keys] for name, keys in seq._curves.items()}


def test_writes_count_different_assets_and_the_same_seed_repeats(fake, mx) -> None:
    skel, table = _setup(fake)
    made = mx.generate_from_emotion("surprise", skel, table, count=4, seed=3, dest=ROOT)
    assert [m.get_path_name().rsplit(".", 1)[1] for m in made] == [
        f"AS_MicroExpr_Surprise_{k:02d}" for k in range(4)
    ]
    for seq in made:
        assert seq._curves and set(seq._curves) <= set(CURVES)
        assert seq._frame_rate == (30, 1)
        values = [v for keys in _keys(seq).values() for _, v in keys]
        assert min(values) >= 0.0 and max(values) <= 1.0 + 1e-9
        label = seq._tags["MicroExprAnim.Clip"]
        assert label.startswith("generated:surprise seed=3 index=") and " aus=AU" in label
    assert len({str(_keys(m)) for m in made}) == 4  # all different
    again = mx.generate_from_emotion("surprise", skel, table, count=4, seed=3, dest="/Game/Again")
    assert [_keys(m) for m in again] == [_keys(m) for m in made]


def test_only_sets_the_rig_can_show_are_drawn(fake, mx) -> None:
    skel, table = _setup(fake)
    made = mx.generate_from_emotion("surprise", skel, table, count=12, seed=1, dest=ROOT)
    for seq in made:  # every asset moves something: no set of mouth-only AUs was drawn
        peak = max(v for keys in _keys(seq).values() for _, v in keys)
        assert peak > 0.1


@pytest.mark.parametrize(
    ("emotion", "count", "match"),
    [
        ("neutral", 2, "code no 'neutral'"),
        ("boredom", 2, "unknown emotion"),
        ("fear", 0, "count must be a whole number"),
    ],
)
def test_bad_requests_write_nothing(fake, mx, emotion, count, match) -> None:
    skel, table = _setup(fake)
    with pytest.raises(ValueError, match=match):
        mx.generate_from_emotion(emotion, skel, table, count=count, dest=ROOT)
    assert not any(p.startswith(ROOT) for p in fake._get_state().assets)


def test_existing_asset_is_refused_before_anything(fake, mx) -> None:
    skel, table = _setup(fake)
    mx.generate_from_emotion("surprise", skel, table, count=1, dest=ROOT)
    before = _keys(fake._get_state().assets[f"{ROOT}/AS_MicroExpr_Surprise_00"])
    with pytest.raises(mx.AssetExistsError, match="AS_MicroExpr_Surprise_00 already exists"):
        mx.generate_from_emotion("surprise", skel, table, count=2, seed=9, dest=ROOT)
    assert _keys(fake._get_state().assets[f"{ROOT}/AS_MicroExpr_Surprise_00"]) == before
    assert f"{ROOT}/AS_MicroExpr_Surprise_01" not in fake._get_state().assets


def test_check_rig_names_what_the_table_cannot_show(fake, mx) -> None:
    _, table = _setup(fake)
    skel = make_skeleton(fake, curves=[c.lower() for c in CURVES[:-1]])  # lacks eyeWidenR; other case
    lines = mx.check_rig(table, skel)
    assert lines[0].startswith("rig DataTable")
    assert any(line.startswith("AU12 (lip corner puller) cannot be shown") for line in lines)
    assert "curve CTRL_expressions_eyeWidenR (driven by AU5) is not on the skeleton: it is skipped" in lines
    assert not any("browRaiseInL" in line for line in lines)  # matched ignoring case, as Unreal does


def _dialog(fake, emotion: str):
    import microexpr_anim.dialogs as dialogs

    skel, table = _setup(fake)
    opts = dialogs._generate_options()
    opts.clip = fake.FilePath("")
    opts.frame_folder = fake.DirectoryPath("")
    opts.skeleton, opts.rig_table = skel, table
    opts.emotion, opts.asset_name, opts.overwrite = emotion, "", False
    opts.from_emotion_only = True
    opts.variants = 2
    opts.seed = 5
    return dialogs


def test_dialog_asks_before_writing_when_the_rig_drops_coded_aus(fake, mx) -> None:
    dialogs = _dialog(fake, "surprise")
    state = fake._get_state()
    state.dialog_yes = False
    dialogs.show_generate_dialog()
    assert len(state.messages) == 1 and "AU14 (dimpler) cannot be shown" in state.messages[0]
    assert not any(p.startswith(ROOT) for p in state.assets)
    state.dialog_yes = True
    dialogs.show_generate_dialog()
    assert f"{ROOT}/AS_MicroExpr_Surprise_01" in state.assets
    made = state.assets[f"{ROOT}/AS_MicroExpr_Surprise_00"]
    assert np.isfinite([v for keys in _keys(made).values() for _, v in keys]).all()


def test_dialog_without_emotion_says_so(fake, mx) -> None:
    dialogs = _dialog(fake, "")
    dialogs.show_generate_dialog()
    state = fake._get_state()
    assert len(state.messages) == 1 and "Emotion is empty" in state.messages[0]
    assert not any(p.startswith(ROOT) for p in state.assets)
