"""init_unreal.py registers the Tools > Micro-Expression menu; the dialogs run generate()."""

from __future__ import annotations

import runpy
from pathlib import Path

from plugin_testkit import make_skeleton, make_table, write_micro_json

INIT = Path(__file__).resolve().parents[2] / "Plugin" / "Content" / "Python" / "init_unreal.py"


def _sub(fake):
    tools = fake.ToolMenus.get().find_menu("LevelEditor.MainMenu.Tools")
    assert tools is not None
    owner, label, sub = tools._subs["MicroExprAnim"]
    return owner, label, sub


def test_init_unreal_registers_menu_entries(fake) -> None:
    scope = runpy.run_path(str(INIT))
    owner, label, sub = _sub(fake)
    assert (owner, label) == ("MicroExprAnim", "Micro-Expression")
    labels = [e._label for e in sub._entries.values()]
    assert labels == ["Generate Micro-Expression", "Batch Generate..."]
    for entry in sub._entries.values():
        kind, _, command = entry._command
        assert kind is fake.ToolMenuStringCommandType.PYTHON
        assert command.startswith("import microexpr_anim.dialogs")
        assert entry._owner == "MicroExprAnim"
    assert not [n for n in scope if n.startswith("_microexpr")]  # leaves nothing in the shared scope
    assert not [m for m in fake._get_state().logs if m[0] == "error"]


def test_init_unreal_is_idempotent(fake) -> None:
    runpy.run_path(str(INIT))
    runpy.run_path(str(INIT))
    _, _, sub = _sub(fake)
    assert len(sub._entries) == 2
    assert len(fake.ToolMenus.get().find_menu("LevelEditor.MainMenu.Tools")._subs) == 1


def test_init_unreal_logs_instead_of_raising(fake, monkeypatch) -> None:
    def broken(cls):
        raise RuntimeError("menus unavailable")

    monkeypatch.setattr(fake.ToolMenus, "get", classmethod(broken))
    runpy.run_path(str(INIT))  # must not raise
    errors = [m for level, m in fake._get_state().logs if level == "error"]
    assert len(errors) == 1 and "menus unavailable" in errors[0]


def test_generate_dialog_creates_and_selects_asset(fake, mx, stand_in, tmp_path: Path) -> None:
    import microexpr_anim.dialogs as dialogs

    clip = write_micro_json(tmp_path / "clip.json")
    opts = dialogs._generate_options()
    opts.clip = fake.FilePath(str(clip))
    opts.skeleton = make_skeleton(fake)
    opts.rig_table = make_table(fake)
    opts.emotion = ""
    opts.asset_name = ""
    opts.overwrite = False
    dialogs.show_generate_dialog()
    state = fake._get_state()
    assert "/Game/MicroExpressions/AS_MicroExpr_clip" in state.assets
    assert state.synced == [["/Game/MicroExpressions/AS_MicroExpr_clip.AS_MicroExpr_clip"]]
    dialogs.show_generate_dialog()  # second time: exists -> a message, no exception
    assert any("already exists" in m for m in state.messages)


def test_generate_dialog_cancelled_does_nothing(fake, mx) -> None:
    import microexpr_anim.dialogs as dialogs

    fake._get_state().dialog_ok = False
    dialogs.show_generate_dialog()
    state = fake._get_state()
    assert not [p for p in state.saved if "MicroExpressions" in p]  # only the default rig table was imported
    assert state.messages == []


def test_batch_dialog_runs_and_reports(fake, mx, stand_in, tmp_path: Path) -> None:
    import microexpr_anim.dialogs as dialogs

    root = tmp_path / "clips"
    root.mkdir()
    write_micro_json(root / "a.json")
    (root / "b.json").write_text("broken", encoding="utf-8")
    opts = dialogs._batch_options()
    opts.clips_folder = fake.DirectoryPath(str(root))
    opts.skeleton = make_skeleton(fake)
    opts.rig_table = make_table(fake)
    opts.emotion = ""
    opts.overwrite = False
    dialogs.show_batch_dialog()
    state = fake._get_state()
    assert state.synced == [["/Game/MicroExpressions/AS_MicroExpr_a"]]
    assert len(state.messages) == 1 and "1 created, 0 skipped, 1 failed" in state.messages[0]


def test_generate_dialog_takes_a_frame_folder_and_its_frame_rate(
    fake, mx, stand_in, tmp_path: Path, monkeypatch
) -> None:
    import microexpr_anim._project as project
    import microexpr_anim.dialogs as dialogs
    import microexpr_anim.model as model

    from curves.microexpression import MicroExpression

    folder = tmp_path / "sub01" / "EP02_01f"
    folder.mkdir(parents=True)
    (folder / "img001.jpg").write_bytes(b"")
    template = write_micro_json(tmp_path / "t.json", fps=200.0, n=21)
    seen = []

    def analyze(clip, *, weights, device, fps):
        seen.append((Path(clip), fps))
        return MicroExpression.load(template)

    monkeypatch.setattr(project, "analyze", analyze)
    monkeypatch.setattr(model, "in_process_available", lambda: True)
    opts = dialogs._generate_options()
    assert opts.frame_rate == 0.0  # the default: the clip's own rate
    opts.clip = fake.FilePath("")
    opts.frame_folder = fake.DirectoryPath(str(folder))
    opts.skeleton = make_skeleton(fake)
    opts.rig_table = make_table(fake)
    opts.emotion = ""
    opts.asset_name = ""
    opts.overwrite = False
    dialogs.show_generate_dialog()  # no frame rate: a message saying where to give it
    state = fake._get_state()
    assert len(state.messages) == 1 and "Frame Rate field" in state.messages[0] and seen == []
    opts.frame_rate = 200.0
    dialogs.show_generate_dialog()
    assert seen == [(folder, 200.0)]
    assert state.assets["/Game/MicroExpressions/AS_MicroExpr_EP02_01f"]._frame_rate == (200, 1)


def test_batch_dialog_passes_its_frame_rate(fake, mx, stand_in, tmp_path: Path, monkeypatch) -> None:
    import microexpr_anim.dialogs as dialogs

    calls = {}

    def batch(folder, skeleton, rig_table, **kw):
        calls.update(kw)
        raise ValueError("stop here")

    monkeypatch.setattr(dialogs, "generate_batch", batch)
    opts = dialogs._batch_options()
    opts.clips_folder = fake.DirectoryPath(str(tmp_path))
    opts.frame_rate = 100.0
    opts.emotion = ""
    opts.overwrite = False
    dialogs.show_batch_dialog()
    assert calls["fps"] == 100.0
    assert fake._get_state().messages == ["stop here"]
