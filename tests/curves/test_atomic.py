"""Atomic writes: a failure leaves nothing behind, an existing file is never clobbered unasked."""

import os
import stat

import pytest

from curves.atomic import atomic_directory, atomic_path, atomic_write_text


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


def test_directory_failure_leaves_nothing_and_old_folder_survives(tmp_path):
    target = tmp_path / "dataset"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"), atomic_directory(target):
        pass
    with pytest.raises(ValueError, match="bad"), atomic_directory(target, overwrite=True) as tmp:
        (tmp / "partial.txt").write_text("half")
        raise ValueError("bad")
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]


def test_directory_success_replaces_only_when_complete(tmp_path):
    target = tmp_path / "out"
    with atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("1")
        assert not target.exists()
    assert (target / "a.txt").read_text() == "1"
