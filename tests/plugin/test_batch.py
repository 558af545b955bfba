"""Batch generation and the commandlet entry."""

from __future__ import annotations

import base64
import csv
import json
from pathlib import Path

import pytest
from plugin_testkit import make_skeleton, make_table, write_micro_json


def _clips(tmp_path: Path) -> Path:
    root = tmp_path / "clips"
    (root / "sub01").mkdir(parents=True)
    write_micro_json(root / "sub01" / "EP01.json")
    (root / "sub01" / "EP02.json").write_text("{ this is not json", encoding="utf-8")
    write_micro_json(root / "EP03.json", fps=100.0, n=11)
    (root / "notes.txt").write_text("ignored", encoding="utf-8")
    return root


def test_batch_continues_past_a_corrupt_clip(fake, mx, stand_in, tmp_path: Path) -> None:
    root = _clips(tmp_path)
    skel, table = make_skeleton(fake), make_table(fake)
    report_path = tmp_path / "out" / "report.json"
    report = mx.generate_batch(root, skel, table, "/Game/Batch", report=report_path)
    status = {Path(i.clip).name: i.status for i in report.items}
    assert status == {"EP01.json": "done", "EP02.json": "failed", "EP03.json": "done"}
    assert report.exit_code == 1
    failed = next(i for i in report.items if i.status == "failed")
    assert "EP02.json" in failed.error
    state = fake._get_state()
    assert "/Game/Batch/AS_MicroExpr_sub01_EP01" in state.assets
    assert "/Game/Batch/AS_MicroExpr_EP03" in state.assets
    assert "/Game/Batch/AS_MicroExpr_sub01_EP02" not in state.assets
    doc = json.loads(report_path.read_text(encoding="utf-8"))
    assert doc["counts"] == {"done": 2, "skipped": 0, "failed": 1, "cancelled": 0}
    with open(report_path.with_suffix(".csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["clip", "asset", "status", "error", "frame_rate", "length_s"]
    assert [(r["frame_rate"], r["length_s"]) for r in rows[:2]] == [("100/1", "0.1"), ("200/1", "0.1")]
    assert [r["status"] for r in rows] == ["done", "done", "failed"]  # EP03 sorts before sub01/
    assert rows[2]["asset"] == "/Game/Batch/AS_MicroExpr_sub01_EP02"


def test_batch_skips_done_clips_unless_overwrite(fake, mx, stand_in, tmp_path: Path) -> None:
    root = _clips(tmp_path)
    skel, table = make_skeleton(fake), make_table(fake)
    mx.generate_batch(root, skel, table, "/Game/Batch", report=tmp_path / "r1.json")
    saves = len(fake._get_state().saved)
    again = mx.generate_batch(root, skel, table, "/Game/Batch", report=tmp_path / "r2.json")
    assert [i.status for i in again.items] == ["skipped", "skipped", "failed"]
    assert len(fake._get_state().saved) == saves
    redo = mx.generate_batch(root, skel, table, "/Game/Batch", report=tmp_path / "r3.json", overwrite=True)
    assert [i.status for i in redo.items] == ["done", "done", "failed"]


def test_batch_refuses_existing_report_and_bad_folder(fake, mx, stand_in, tmp_path: Path) -> None:
    root = _clips(tmp_path)
    (tmp_path / "r.json").write_text("{}", encoding="utf-8")
    skel, table = make_skeleton(fake), make_table(fake)
    report = tmp_path / "r.json"
    for overwrite in (False, True):  # a file that is not this batch's report is never replaced
        with pytest.raises(FileExistsError, match=r"r\.json exists but is not a MicroExprAnim batch report"):
            mx.generate_batch(root, skel, table, "/Game/Batch", report=report, overwrite=overwrite)
    assert report.read_text(encoding="utf-8") == "{}"
    mx.generate_batch(root, skel, table, "/Game/Batch", report=tmp_path / "mine.json")
    before = (tmp_path / "mine.json").read_text(encoding="utf-8")
    with pytest.raises(FileExistsError, match=r"mine\.json belongs to another batch \(dest '/Game/Batch'"):
        mx.generate_batch(root, skel, table, "/Game/Other", report=tmp_path / "mine.json")
    assert (tmp_path / "mine.json").read_text(encoding="utf-8") == before
    saved = list(fake._get_state().saved)
    with pytest.raises(FileNotFoundError, match="clips folder not found"):
        mx.generate_batch(tmp_path / "nope", skel, table, "/Game/Batch")
    assert fake._get_state().saved == saved


class _Killed(BaseException):
    """Stands for the process being killed (not an Exception: nothing catches it)."""


def test_killed_batch_leaves_a_report_and_a_rerun_completes_it(fake, mx, stand_in, tmp_path: Path) -> None:
    root = tmp_path / "clips"
    root.mkdir()
    for k in range(4):
        write_micro_json(root / f"EP0{k}.json", fps=200.0, n=11)
    skel, table = make_skeleton(fake), make_table(fake)
    report = tmp_path / "run.json"

    def kill_at_third(done: int, total: int, message: str) -> bool:
        if done == 2:
            raise _Killed
        return False

    with pytest.raises(_Killed):
        mx.generate_batch(root, skel, table, "/Game/Batch", report=report, progress=kill_at_third)
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert doc["finished"] is False and [Path(i["clip"]).name for i in doc["items"]] == [
        "EP00.json",
        "EP01.json",
    ]
    rows = list(csv.DictReader(report.with_suffix(".csv").read_text(encoding="utf-8").splitlines()))
    assert [r["status"] for r in rows] == ["done", "done"]
    first_two = [fake._get_state().assets[f"/Game/Batch/AS_MicroExpr_EP0{k}"] for k in range(2)]
    saves = len(fake._get_state().saved)
    again = mx.generate_batch(root, skel, table, "/Game/Batch", report=report)
    assert [i.status for i in again.items] == ["done"] * 4 and again.exit_code == 0
    assert len(fake._get_state().saved) == saves + 2  # only the two clips the killed run did not reach
    assert [fake._get_state().assets[f"/Game/Batch/AS_MicroExpr_EP0{k}"] for k in range(2)] == first_two
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert doc["finished"] is True and doc["counts"]["done"] == 4
    assert [i["frame_rate"] for i in doc["items"]] == ["200/1"] * 4


def test_batch_passes_the_frame_rate_to_frame_folders(
    fake, mx, stand_in, tmp_path: Path, monkeypatch
) -> None:
    from curves.microexpression import MicroExpression

    root = tmp_path / "casme"
    folder = root / "sub01" / "EP02_01f"
    folder.mkdir(parents=True)
    (folder / "img1.jpg").write_bytes(b"")
    template = write_micro_json(tmp_path / "t.json", fps=200.0, n=21)
    seen = []

    def analyze(clip, *, weights, device, fps):
        seen.append(fps)
        return MicroExpression.load(template)

    import microexpr_anim._project as project
    import microexpr_anim.model as model

    monkeypatch.setattr(project, "analyze", analyze)
    monkeypatch.setattr(model, "in_process_available", lambda: True)
    make_skeleton(fake, "/Game/Face/Skel")
    make_table(fake)
    from microexpr_anim.batch import run_commandlet

    line = (
        f'-clips="{root}" -dest=/Game/C -skeleton=/Game/Face/Skel -rig=/Game/Rigs/DT_Test '
        f'-report="{tmp_path}/r.json"'
    )
    assert run_commandlet(line) == 1  # no frame rate: the folder fails, with the way to give one
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert "is a folder of frames" in doc["items"][0]["error"] and "-fps=200" in doc["items"][0]["error"]
    assert run_commandlet(line + " -fps=200") == 0 and seen == [200.0]
    assert fake._get_state().assets["/Game/C/AS_MicroExpr_sub01_EP02_01f"]._frame_rate == (200, 1)


def test_frame_folders_are_clips(fake, mx, tmp_path: Path) -> None:
    from microexpr_anim.batch import find_clips

    root = tmp_path / "casme"
    (root / "sub01" / "EP02_01f").mkdir(parents=True)
    (root / "sub01" / "EP02_01f" / "img1.jpg").write_bytes(b"")
    (root / "sub02").mkdir()
    (root / "sub02" / "a.mp4").write_bytes(b"")
    (root / ".hidden.mp4").write_bytes(b"")
    assert find_clips(root) == [root / "sub01" / "EP02_01f", root / "sub02" / "a.mp4"]


def test_commandlet_entry_parses_and_fails_nonzero(fake, mx, stand_in, tmp_path: Path) -> None:
    root = _clips(tmp_path)
    make_skeleton(fake, "/Game/Face/Skel")
    make_table(fake)
    report = tmp_path / "cmd report.json"
    params = (
        f'Proj.uproject -run=MicroExprAnim -clips="{root}" -dest=/Game/Cmd -skeleton=/Game/Face/Skel '
        f'-rig=/Game/Rigs/DT_Test -report="{report}" -unattended -nullrhi'
    )
    from microexpr_anim.batch import commandlet_entry, run_commandlet

    assert run_commandlet(params) == 1
    assert report.is_file()
    encoded = base64.b64encode(params.replace("cmd report", "cmd report2").encode("utf-8")).decode("ascii")
    with pytest.raises(mx.BatchFailedError, match="some clips failed"):
        commandlet_entry(encoded)
    errors = [m for level, m in fake._get_state().logs if level == "error"]
    assert any("EP02.json" in m for m in errors)


def test_commandlet_success_returns_zero(fake, mx, stand_in, tmp_path: Path) -> None:
    root = tmp_path / "good"
    root.mkdir()
    write_micro_json(root / "a.json")
    make_skeleton(fake, "/Game/Face/Skel")
    make_table(fake)
    from microexpr_anim.batch import main

    main(["-clips=" + str(root), "-dest=/Game/Ok", "-skeleton=/Game/Face/Skel", "-rig=/Game/Rigs/DT_Test"])
    assert "/Game/Ok/AS_MicroExpr_a" in fake._get_state().assets
    reports = list((tmp_path / "Saved" / "MicroExprAnim" / "reports").glob("batch_*.json"))
    assert len(reports) == 1
