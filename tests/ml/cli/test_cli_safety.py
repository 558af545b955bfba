"""The command line as a careful user and as bad data would use it: a user's file is never lost, bad disks,
files and options end in one clear sentence and a non-zero exit, and nothing is half-written."""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import socket
from pathlib import Path

import numpy as np
import pytest

import curves.pipeline
import ml.analyze
from curves.atomic import LOCK
from curves.curveset import CurveSet
from curves.microexpression import MicroExpression
from curves.pipeline import load_tracks
from ml.cli import main


def _tracks(path: Path, n: int = 60, fps: float = 100.0) -> Path:
    t = np.arange(n) / fps
    env = np.exp(-(((t - 0.3) / 0.07) ** 2))
    MicroExpression.from_tracks({"AU1": 0.5 * env, "AU12": 0.6 * env}, fps).save(path)
    return path


def _user_folder(tmp_path: Path) -> dict[str, bytes]:
    """A folder holding the user's own files next to where the output goes."""
    folder = tmp_path / "dir"
    folder.mkdir()
    files = {"thesis.txt": b"three years of work", "session.mp4": b"\x00\x00\x00\x18ftypmp42 recorded"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _one_error_line(err: str, command: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"microexpr {command}: error: "), err
    return lines[0]


# --- never lose a user's file -----------------------------------------------------------------------


def test_curves_overwrite_in_the_inputs_folder_keeps_every_user_file(tmp_path):
    files = _user_folder(tmp_path)
    folder = tmp_path / "dir"
    tracks = _tracks(folder / "tracks.json")
    before = tracks.read_bytes()
    for _ in range(2):  # the second run replaces the first run's files
        assert main(["curves", str(tracks), "--out", str(folder), "--overwrite", "--no-preview"]) == 0
    assert tracks.read_bytes() == before
    for name, data in files.items():
        assert (folder / name).read_bytes() == data
    assert _visible(folder) == [
        "curve_table.csv",
        "curveset.json",
        "session.mp4",
        "summary.json",
        "thesis.txt",
        "tracks.json",
    ]
    assert CurveSet.load(folder / "curveset.json").n_frames == 60


def test_demo_overwrite_in_the_clips_folder_keeps_the_clip_and_user_files(tmp_path, demo_video, tiny_weights):
    files = _user_folder(tmp_path)
    folder = tmp_path / "dir"
    clip = folder / "clip.avi"
    clip.write_bytes(demo_video.read_bytes())
    # an earlier synthetic demo run listed clip.avi as its own file: the user's clip must still survive
    (folder / ".microexpr-files.json").write_text(json.dumps({"files": ["clip.avi", "truth.json"]}))
    args = ["demo", str(clip), "--out", str(folder), "--overwrite", "--weights", str(tiny_weights)]
    assert main(args) == 0
    assert clip.read_bytes() == demo_video.read_bytes()
    for name, data in files.items():
        assert (folder / name).read_bytes() == data
    assert {"micro_expression.json", "curveset.json", "curve_table.csv", "preview.png"} <= set(
        _visible(folder)
    )


def test_out_dot_and_out_through_a_symlink(tmp_path, monkeypatch):
    tracks = _tracks(tmp_path / "tracks.json")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["curves", str(tracks), "--out", ".", "--no-preview"]) == 0
    assert (work / "curveset.json").is_file()
    link = tmp_path / "latest"
    link.symlink_to(work, target_is_directory=True)
    assert main(["curves", str(tracks), "--out", str(link), "--overwrite", "--no-preview"]) == 0
    assert link.is_symlink() and link.resolve() == work.resolve()


def test_a_killed_runs_leftovers_are_cleaned_and_a_running_one_is_respected(tmp_path, capsys):
    tracks = _tracks(tmp_path / "tracks.json")
    out = tmp_path / "out"
    (out / ".microexpr-staging-x1").mkdir(parents=True)
    (out / ".microexpr-staging-x1" / "curveset.json").write_text("{half")
    (out / LOCK).write_text(json.dumps({"pid": 2**22 + 7, "host": socket.gethostname()}))
    assert main(["curves", str(tracks), "--out", str(out), "--no-preview"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        ".microexpr-files.json",
        "curve_table.csv",
        "curveset.json",
        "summary.json",
    ]
    # another run holds the folder: the second says so and changes nothing
    (out / LOCK).write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname()}))
    before = (out / "curveset.json").read_bytes()
    assert main(["curves", str(tracks), "--out", str(out), "--overwrite", "--no-preview"]) == 2
    line = _one_error_line(capsys.readouterr().err, "curves")
    assert "another microexpr run" in line and "wait for it to finish" in line
    assert (out / "curveset.json").read_bytes() == before


def test_an_output_named_like_the_input_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    tracks = _tracks(out / "summary.json")  # the user's tracks happen to be called summary.json
    before = tracks.read_bytes()
    assert main(["curves", str(tracks), "--out", str(out), "--overwrite", "--no-preview"]) == 2
    line = _one_error_line(capsys.readouterr().err, "curves")
    assert "summary.json is an input of this command" in line
    assert tracks.read_bytes() == before and _visible(out) == ["summary.json"]


# --- a bad disk ---------------------------------------------------------------------------------------


def test_a_read_only_folder_is_found_before_any_work(tmp_path, monkeypatch, capsys):
    def no_work(*args, **kwargs):
        raise AssertionError("the tracks must not be read before the folder is known to be writable")

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EROFS, "Read-only file system")

    tracks = _tracks(tmp_path / "tracks.json")
    monkeypatch.setattr(curves.pipeline, "load_tracks", no_work)
    monkeypatch.setattr("curves.atomic.os.open", read_only)
    assert main(["curves", str(tracks), "--out", str(tmp_path / "out")]) == 2
    line = _one_error_line(capsys.readouterr().err, "curves")
    assert re.search(r"cannot write into \S+out: Read-only file system", line), line
    assert not (tmp_path / "out").exists()


def test_infer_checks_the_json_path_before_the_analysis(tmp_path, monkeypatch, capsys):
    def no_work(*args, **kwargs):
        raise AssertionError("the analysis must not run")

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(ml.analyze, "analyze", no_work)
    monkeypatch.setattr("tempfile.mkstemp", read_only)
    clip = tmp_path / "clip.avi"
    clip.write_bytes(b"x")
    assert main(["infer", str(clip), "--json", str(tmp_path / "me.json")]) == 2
    line = _one_error_line(capsys.readouterr().err, "infer")
    assert "me.json" in line and "not writable (Permission denied)" in line


def test_a_full_disk_is_one_sentence_and_leaves_the_folder_as_it_was(tmp_path, monkeypatch, capsys):
    files = _user_folder(tmp_path)
    folder = tmp_path / "dir"
    tracks = _tracks(tmp_path / "tracks.json")
    assert main(["curves", str(tracks), "--out", str(folder), "--overwrite", "--no-preview"]) == 0
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", full)
    assert main(["curves", str(tracks), "--out", str(folder), "--overwrite", "--variants", "2"]) == 2
    line = _one_error_line(capsys.readouterr().err, "curves")
    assert re.search(r": No space left on device; .*or choose another location", line), line
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert all((folder / n).read_bytes() == d for n, d in files.items())


def test_an_unexpected_error_prints_one_sentence_and_a_log_file(tmp_path, monkeypatch, capsys):
    def bug(*args, **kwargs):
        raise KeyError("internal_table")

    monkeypatch.setattr(curves.pipeline, "build_curvesets", bug)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    tracks = _tracks(tmp_path / "tracks.json")
    assert main(["curves", str(tracks), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("microexpr curves: internal error (KeyError")
    log = Path(re.search(r"the details are in (\S+);", err).group(1))
    assert log.parent == tmp_path and "Traceback" in log.read_text() and "internal_table" in log.read_text()
    assert not (tmp_path / "out").exists()


# --- options and files that gave silently wrong results -------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["curves", "TRACKS", "--fps", "1e-9"],
        ["curves", "TRACKS", "--intensity", "nan"],
        ["curves", "TRACKS", "--variants", "100000"],
        ["curves", "TRACKS", "--tolerance", "0"],
        ["curves", "TRACKS", "--tolerance", "1.5"],
        ["generate", "--emotion", "fear", "--tolerance", "1"],
        ["generate", "--emotion", "fear", "--tolerance", "nan"],
        ["demo", "--fps", "1e-9"],
        ["infer", "TRACKS", "--fps", "inf", "--json", "-"],
        ["faces", "TRACKS", "--fps", "1e-9"],
        ["faces", "TRACKS", "--size", "20000"],
        ["synth", "--fps", "inf"],
        ["synth", "--subjects", "5", "--clips", "2"],
    ],
    ids=lambda a: " ".join(a),
)
def test_out_of_range_options_are_refused_with_the_limit(tmp_path, argv, capsys):
    tracks = _tracks(tmp_path / "tracks.json")
    out = tmp_path / "out"
    args = [str(tracks) if a == "TRACKS" else a for a in argv]
    if args[0] != "infer":
        args += ["--out", str(out)]
    assert main(args) == 2
    line = _one_error_line(capsys.readouterr().err, args[0])
    assert re.search(r"between|must lie in|more than --clips|at most", line), line
    assert not out.exists()


def _openface(path: Path, order: list[int], values: dict[int, float] | None = None) -> Path:
    lines = ["frame, face_id, timestamp, confidence, success, AU01_r, AU12_r"]
    for i in order:
        au12 = (values or {}).get(i, (i % 10) * 0.4)
        lines.append(f"{i + 1}, 0, {i / 30:.4f}, 0.98, 1, {(i % 5) * 0.5:.2f}, {au12:.2f}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_openface_rows_in_any_order_give_the_same_tracks(tmp_path):
    n = 40
    straight = load_tracks(_openface(tmp_path / "a.csv", list(range(n))))
    order = list(np.random.default_rng(3).permutation(n))
    shuffled = _openface(tmp_path / "b.csv", order)
    for fps in (None, 30.0):
        me = load_tracks(shuffled, fps=fps)
        np.testing.assert_array_equal(me.activations, straight.activations)
        assert me.fps == pytest.approx(30.0, rel=1e-3)


def test_openface_repeated_or_missing_rows_are_refused_with_their_lines(tmp_path):
    dup = _openface(tmp_path / "dup.csv", [0, 1, 2, 3, 4, 5, 3, 6, 7])
    with pytest.raises(ValueError, match=r"dup\.csv, lines 5 and 8: the same timestamp 0\.1 twice"):
        load_tracks(dup)
    gap = _openface(tmp_path / "gap.csv", [0, 1, 2, 3, 9, 10, 11])
    with pytest.raises(
        ValueError, match=r"gap\.csv, lines 5 and 6: timestamp jumps from 0\.1 to 0\.3 .*missing"
    ):
        load_tracks(gap, fps=30.0)


def test_openface_intensities_outside_0_to_5_are_clipped_with_a_warning(tmp_path, caplog):
    path = _openface(tmp_path / "of.csv", list(range(20)), values={7: 6.5})
    with caplog.at_level(logging.WARNING, logger="curves.io"):
        me = load_tracks(path)
    assert me.track("AU12")[7] == 1.0
    assert re.search(
        r"of\.csv: column AU12_r has 1 values outside OpenFace's 0-5 \(first at line 9: 6\.5\)", caplog.text
    )


def test_pyfeat_none_cells_are_missing_faces_and_garbage_names_the_line(tmp_path):
    rows = ["frame,AU01,AU12,approx_time"]
    rows += [f"{i},{0.1 * (i % 5):.1f},{'None' if i == 4 else '0.3'},{i / 25:.2f}" for i in range(10)]
    path = tmp_path / "feat.csv"
    path.write_text("\n".join(rows) + "\n")
    assert load_tracks(path).track("AU12")[4] == pytest.approx(0.3)
    rows[3] = "2,0.2,abc,0.08"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=r"feat\.csv, line 4: column AU12 is not a number: 'abc'"):
        load_tracks(path)


def test_emotion_probs_as_a_list_is_a_clear_error(tmp_path, capsys):
    tracks = _tracks(tmp_path / "me.json")
    doc = json.loads(tracks.read_text())
    doc["emotion_probs"] = [0.2, 0.8]
    tracks.write_text(json.dumps(doc))
    assert main(["curves", str(tracks), "--out", str(tmp_path / "out")]) == 2
    line = _one_error_line(capsys.readouterr().err, "curves")
    assert "me.json: not a valid MicroExpression JSON: emotion_probs must be an object" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"cfg": ["au_gcn_small"]}, "'cfg' must be an object of model settings, not list"),
        ({"format_version": "one"}, "format_version must be a whole number, not 'one'"),
        ({"members": 100000}, "'members' must be a positive integer, at most 64"),
        ({"au_names": ["AU17", "AU15"]}, "its au_names .* disagrees with what tiny.safetensors records"),
    ],
)
def test_a_bad_weights_sidecar_is_one_clear_sentence(tmp_path, tiny_weights, change, match, capsys):
    weights = tmp_path / "tiny.safetensors"
    weights.write_bytes(tiny_weights.read_bytes())
    side = json.loads(tiny_weights.with_suffix(".json").read_text())
    side.update(change)
    weights.with_suffix(".json").write_text(json.dumps(side))
    assert main(["demo", "--out", str(tmp_path / "out"), "--weights", str(weights)]) == 2
    assert re.search(match, _one_error_line(capsys.readouterr().err, "demo"))
    assert not (tmp_path / "out").exists()
