"""Atomic writes: a failure leaves nothing behind, a user's file is never lost or clobbered unasked."""

import json
import os
import socket
import stat
import threading
import time

import pytest

from curves.atomic import LOCK, MANIFEST, atomic_directory, atomic_path, atomic_write_text, check_can_write
from curves.errors import CurvesError, FolderBusyError


def _listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_refuses_existing_file_and_keeps_it(tmp_path):
    target = tmp_path / "user.json"
    target.write_text("precious")
    with pytest.raises(FileExistsError, match=r"user\.json already exists"):
        atomic_write_text(target, "new")
    assert target.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["user.json"]


def test_overwrite_replaces(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    atomic_write_text(target, "new", overwrite=True)
    assert target.read_text() == "new"


def test_failure_inside_block_leaves_nothing(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError, match="boom"), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_written_file_has_umask_permissions(tmp_path):
    target = atomic_write_text(tmp_path / "p.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_check_can_write_refuses_a_folder_and_an_unwritable_place(tmp_path, monkeypatch):
    with pytest.raises(CurvesError, match="is a folder; give a file name"):
        check_can_write(tmp_path, overwrite=True)
    blocker = tmp_path / "file.txt"
    blocker.write_text("mine")
    with pytest.raises(CurvesError, match=r"file\.txt is a file, not a folder"):
        check_can_write(blocker / "out.json", overwrite=False)

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr("tempfile.mkstemp", read_only)
    with pytest.raises(CurvesError, match=r"not writable \(Read-only file system\); choose another location"):
        check_can_write(tmp_path / "out.json", overwrite=False)
    assert blocker.read_text() == "mine"


def test_directory_failure_leaves_nothing_and_old_folder_survives(tmp_path):
    target = tmp_path / "dataset"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with (
        pytest.raises(FileExistsError, match=r"not empty \(keep\.txt\); pass --overwrite"),
        atomic_directory(target),
    ):
        pass
    with pytest.raises(ValueError, match="bad"), atomic_directory(target, overwrite=True) as tmp:
        (tmp / "keep.txt").write_text("half")
        raise ValueError("bad")
    assert _listing(target) == ["keep.txt"] and (target / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]


def test_directory_appears_complete_and_a_failed_new_folder_is_removed(tmp_path):
    target = tmp_path / "out"
    with atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("1")
        assert not (target / "a.txt").exists()
    assert (target / "a.txt").read_text() == "1"
    assert json.loads((target / MANIFEST).read_text()) == {"files": ["a.txt"]}
    with pytest.raises(RuntimeError), atomic_directory(tmp_path / "new") as tmp:
        (tmp / "b.txt").write_text("half")
        raise RuntimeError("disk full")
    assert not (tmp_path / "new").exists()


def test_overwrite_replaces_only_our_files_and_never_an_input(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "thesis.txt").write_text("years of work")
    (folder / "tracks.json").write_text("input")
    with atomic_directory(folder, overwrite=True, keep=[folder / "tracks.json"]) as tmp:
        for name in ("curveset_v00.json", "curveset_v01.json", "summary.json"):
            (tmp / name).write_text("first")
    # a second run writes fewer files: the stale variant of the first run goes, the user's files stay
    with atomic_directory(folder, overwrite=True, keep=[folder / "tracks.json"]) as tmp:
        (tmp / "curveset.json").write_text("second")
        (tmp / "summary.json").write_text("second")
    assert _listing(folder) == [MANIFEST, "curveset.json", "summary.json", "thesis.txt", "tracks.json"]
    assert (folder / "thesis.txt").read_text() == "years of work"
    assert (folder / "tracks.json").read_text() == "input"
    # a run whose output has the input's name is refused and changes nothing
    with (
        pytest.raises(CurvesError, match=r"tracks\.json is an input of this command"),
        atomic_directory(folder, overwrite=True, keep=[folder / "tracks.json"]) as tmp,
    ):
        (tmp / "tracks.json").write_text("clobber")
    assert (folder / "tracks.json").read_text() == "input"
    assert (folder / "curveset.json").read_text() == "second"


def test_a_manifest_never_removes_an_input_or_a_path_outside(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "clip.avi").write_text("user clip")
    (tmp_path / "outside.txt").write_text("outside")
    (folder / MANIFEST).write_text(json.dumps({"files": ["clip.avi", "../outside.txt", "/etc/passwd", 7]}))
    with atomic_directory(folder, overwrite=True, keep=[folder / "clip.avi"]) as tmp:
        (tmp / "curveset.json").write_text("new")
    assert (folder / "clip.avi").read_text() == "user clip"
    assert (tmp_path / "outside.txt").read_text() == "outside"


def test_out_dot_and_a_symlinked_folder(tmp_path, monkeypatch):
    real = tmp_path / "real"
    real.mkdir()
    monkeypatch.chdir(real)
    with atomic_directory(".") as tmp:
        (tmp / "a.txt").write_text("here")
    assert (real / "a.txt").read_text() == "here"
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    with atomic_directory(link, overwrite=True) as tmp:
        (tmp / "a.txt").write_text("via link")
    assert link.is_symlink() and (real / "a.txt").read_text() == "via link"
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "gone", target_is_directory=True)
    with pytest.raises(CurvesError, match="symbolic link to a missing folder"), atomic_directory(dangling):
        pass


def test_leftovers_of_a_killed_run_are_cleaned_by_the_next_run(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / ".microexpr-staging-abc123").mkdir()
    (folder / ".microexpr-staging-abc123" / "curveset.json").write_text("half")
    dead = 2**22 + 12345  # above Linux's default pid_max: no such process
    (folder / LOCK).write_text(json.dumps({"pid": dead, "host": socket.gethostname()}))
    with atomic_directory(folder) as tmp:  # the folder counts as empty: only leftovers of ours
        (tmp / "a.txt").write_text("ok")
    assert _listing(folder) == [MANIFEST, "a.txt"]


def test_a_folder_held_by_a_running_process_is_refused(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / LOCK).write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname()}))
    with (
        pytest.raises(FolderBusyError, match=r"another microexpr run \(process \d+ on .*\) is writing into"),
        atomic_directory(folder, overwrite=True),
    ):
        pass
    assert (folder / LOCK).exists()  # the other run's lock is left alone


def test_an_unwritable_folder_is_one_clear_error_before_any_work(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("curves.atomic.os.open", refuse)
    with (
        pytest.raises(CurvesError, match=r"cannot write into \S+out: Permission denied; choose a folder"),
        atomic_directory(tmp_path / "out"),
    ):
        raise AssertionError("the block must not run")
    assert not (tmp_path / "out").exists()


def test_a_file_in_place_of_the_folder_is_refused(tmp_path):
    target = tmp_path / "out"
    target.write_text("mine")
    with pytest.raises(NotADirectoryError, match="not a folder"), atomic_directory(target, overwrite=True):
        pass
    assert target.read_text() == "mine"


def test_an_unreadable_lock_is_taken_over_only_once_it_is_old(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    lock = folder / LOCK
    lock.write_text("")  # a run killed between creating and filling its lock
    with pytest.raises(FolderBusyError, match=r"delete \S+\.microexpr\.lock"), atomic_directory(folder):
        pass
    old = time.time() - 3600
    os.utime(lock, (old, old))
    with atomic_directory(folder) as tmp:
        (tmp / "a.txt").write_text("ok")
    assert (folder / "a.txt").read_text() == "ok" and not lock.exists()


def test_a_same_named_file_the_last_run_did_not_write_is_kept_as_orig(tmp_path, caplog):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "summary.json").write_text("the user's notes")
    with atomic_directory(folder, overwrite=True) as tmp:
        (tmp / "summary.json").write_text("ours")
    assert (folder / "summary.json").read_text() == "ours"
    assert (folder / "summary.json.orig").read_text() == "the user's notes"
    assert "kept it as summary.json.orig" in caplog.text
    with atomic_directory(folder, overwrite=True) as tmp:  # now listed as ours: replaced, no new copy
        (tmp / "summary.json").write_text("ours again")
    assert _listing(folder) == [MANIFEST, "summary.json", "summary.json.orig"]


def test_a_file_where_an_output_folder_goes_is_refused_before_anything_moves(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "crops").write_text("a file named crops")
    with (
        pytest.raises(CurvesError, match=r"crops is a file; this command writes a folder there"),
        atomic_directory(folder, overwrite=True) as tmp,
    ):
        (tmp / "crops").mkdir()
        (tmp / "crops" / "f1.png").write_text("x")
        (tmp / "sheet.png").write_text("y")
    assert _listing(folder) == ["crops"]


def test_two_runs_into_one_new_folder_one_writes_the_other_says_so(tmp_path):
    target = tmp_path / "out"
    inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with atomic_directory(target) as tmp:
            (tmp / "a.txt").write_text("first")
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    try:
        with atomic_directory(target, overwrite=True) as tmp:
            (tmp / "a.txt").write_text("second")
    except FolderBusyError as exc:
        errors.append(exc)
    release.set()
    thread.join(10)
    assert len(errors) == 1 and "another microexpr run" in str(errors[0])
    assert (target / "a.txt").read_text() == "first"
    assert _listing(target) == [MANIFEST, "a.txt"]
