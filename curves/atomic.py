"""Write files and folders so that a failure never leaves half a result and never loses a user's file.

Everything the project writes goes through these helpers.

* A single file is written to a temporary name beside the target and moved into place (``os.replace``)
  only once complete; an existing file is replaced only with ``overwrite``.
* An output folder (:func:`atomic_directory`) is filled through a staging folder inside it. Only when
  the whole block succeeds are the staged files moved into place, one rename each. The folder itself is
  never deleted or replaced, so ``--out .``, an output folder that is a symbolic link, and a folder that
  also holds the user's own files all work. With ``overwrite`` a file that the previous run listed in
  the folder's manifest (:data:`MANIFEST`) is replaced, and one this run no longer writes is removed; a
  file of the same name that is not in the manifest (the user's own) is kept as ``NAME.orig``. Nothing
  else is touched, and never a path the caller names in ``keep`` (the command's input files). A lock
  file (:data:`LOCK`) keeps two runs out of one folder at the same time; the staging folder and the lock
  of a run that was killed are removed by the next run into that folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from curves.errors import CurvesError, FolderBusyError

__all__ = [
    "LOCK",
    "MANIFEST",
    "atomic_directory",
    "atomic_path",
    "atomic_write_text",
    "check_can_write",
]

logger = logging.getLogger(__name__)

#: The list of files a run wrote into its output folder (relative paths), read by the next ``overwrite``.
MANIFEST = ".microexpr-files.json"
#: Held while a run writes into an output folder.
LOCK = ".microexpr.lock"
_STAGING_PREFIX = ".microexpr-staging-"
_OWN_NAMES = (MANIFEST, LOCK)
#: A lock file that cannot be read is taken over once it is this old (seconds).
_UNREADABLE_LOCK_S = 60.0
#: A manifest is a short list of names; anything larger is not ours.
_MAX_MANIFEST_BYTES = 4_000_000


def _nearest_existing(path: Path) -> Path:
    probe = path.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def check_can_write(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Return ``path`` as a Path once it is known that it can be written.

    Checked before any long work: the file does not exist (or ``overwrite``), is not a folder, and the
    folder it goes into can be written (a temporary file is created there and removed).

    Raises:
        FileExistsError: the file exists and ``overwrite`` is false.
        CurvesError: the path is a folder, or its folder cannot be written (says why).
    """
    target = Path(path)
    if target.is_dir():
        raise CurvesError(f"{target} is a folder; give a file name")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; pass --overwrite (overwrite=True) to replace it")
    base = _nearest_existing(target.parent)
    if not base.is_dir():
        raise CurvesError(f"cannot write {target}: {base} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".microexpr-probe-", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CurvesError(
            f"cannot write {target}: {base} is not writable ({exc.strerror or exc}); choose another location"
        ) from exc
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary file path beside ``path``; move it onto ``path`` if the block succeeds.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; pass --overwrite (overwrite=True) to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not overwrite and target.exists():
            raise FileExistsError(f"{target} appeared while writing; not replacing it")
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = False) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically. Returns the final path."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return Path(path)


# --- output folders -------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill would terminate the process on Windows: assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _take_lock(folder: Path) -> Path:
    """Create ``folder/LOCK`` exclusively; the lock of a killed run on this host is taken over."""
    lock = folder / LOCK
    me = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()})
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                held = json.loads(lock.read_text(encoding="utf-8")[:1000])
                pid, host = int(held["pid"]), str(held["host"])
            except (OSError, ValueError, KeyError, TypeError):
                pid, host = -1, ""
            try:
                age = time.time() - lock.stat().st_mtime
            except OSError:
                age = 0.0
            unreadable_and_old = pid < 0 and age > _UNREADABLE_LOCK_S  # a run killed while taking it
            if unreadable_and_old or (host == socket.gethostname() and pid > 0 and not _pid_alive(pid)):
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()  # left by a killed run
                continue
            raise FolderBusyError(
                f"{folder}: another microexpr run (process {pid} on {host or 'an unknown host'}) is writing "
                f"into this folder; wait for it to finish or choose another --out (if no run is active, "
                f"delete {lock})"
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(me)
        return lock
    raise FolderBusyError(f"{folder}: cannot take {lock}; delete it if no microexpr run is active")


def _remove_leftovers(folder: Path) -> None:
    """Remove staging folders of runs that were killed (only one run holds the lock at a time)."""
    for entry in folder.iterdir():
        if entry.name.startswith(_STAGING_PREFIX) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


def _user_entries(folder: Path) -> list[str]:
    return sorted(
        e.name
        for e in folder.iterdir()
        if e.name not in _OWN_NAMES and not e.name.startswith(_STAGING_PREFIX)
    )


def _read_manifest(folder: Path) -> list[str]:
    """Relative file paths an earlier run wrote here; [] when there is no readable manifest of ours."""
    path = folder / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > _MAX_MANIFEST_BYTES:
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return []
    safe = []
    for name in files:
        if not isinstance(name, str) or not name:
            continue
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or rel.parts[0] in _OWN_NAMES:
            continue
        safe.append(rel.as_posix())
    return safe


def _staged_files(staging: Path) -> list[str]:
    return sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if not p.is_dir())


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _free_backup_name(path: Path) -> Path:
    for k in range(1, 1000):
        candidate = path.with_name(f"{path.name}.orig" if k == 1 else f"{path.name}.orig{k}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    raise CurvesError(f"{path}: too many earlier copies ({path.name}.orig...) beside it; tidy the folder")


def _commit(folder: Path, staging: Path, keep: list[Path], *, overwrite: bool) -> None:
    """Move the staged files into ``folder``; remove files of the previous manifest no longer written.

    A file of the same name that the previous run did not list (the user's own, or one written before
    manifests existed) is not replaced but kept as ``NAME.orig``.
    """
    written = _staged_files(staging)
    ours = set(_read_manifest(folder))
    for rel in written:
        final = folder / rel
        if any(_same_file(final, k) for k in keep):
            raise CurvesError(
                f"{final} is an input of this command; it is never replaced. Choose another --out folder"
            )
        for parent in [*reversed(Path(rel).parents)][1:]:
            if (folder / parent).exists() and not (folder / parent).is_dir():
                raise CurvesError(
                    f"{folder / parent} is a file; this command writes a folder there. Move it or choose "
                    "another --out folder"
                )
        if final.is_dir() and not final.is_symlink():
            raise CurvesError(
                f"{final} is a folder; this command writes a file there. Move it or choose another --out"
            )
        if (final.exists() or final.is_symlink()) and not overwrite:
            raise FileExistsError(f"{final} already exists; pass --overwrite to replace it")
    previous = [rel for rel in ours if rel not in set(written)]
    manifest = staging / MANIFEST
    manifest.write_text(json.dumps({"files": written}, indent=1) + "\n", encoding="utf-8")
    mask = _umask()
    for rel in written:
        final = folder / rel
        final.parent.mkdir(parents=True, exist_ok=True)
        if (final.exists() or final.is_symlink()) and rel not in ours:
            backup = _free_backup_name(final)
            os.replace(final, backup)
            logger.warning(
                "%s was not written by this program's last run here; kept it as %s", final, backup.name
            )
        os.chmod(staging / rel, 0o666 & ~mask)
        os.replace(staging / rel, final)
    os.replace(manifest, folder / MANIFEST)
    for rel in previous:
        old = folder / rel
        if old.is_file() and not old.is_symlink() and not any(_same_file(old, k) for k in keep):
            old.unlink()
            for parent in old.relative_to(folder).parents:
                if parent != Path(".") and (folder / parent).is_dir():
                    with contextlib.suppress(OSError):  # only an emptied folder of ours goes
                        (folder / parent).rmdir()


@contextlib.contextmanager
def atomic_directory(
    path: str | os.PathLike[str], *, overwrite: bool = False, keep: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[Path]:
    """Yield a staging folder; its files move into ``path`` only if the block succeeds.

    Args:
        path: the output folder. It is created if missing (and removed again if the block fails); an
            existing folder must be empty (files of killed runs aside) unless ``overwrite``.
        overwrite: write into a folder that holds files: replace the files the previous run listed in
            its manifest, remove those of them this run does not write, keep a same-named file of the
            user's as ``NAME.orig``. Other files are never touched.
        keep: paths that must never be replaced or removed (the command's inputs).

    Raises:
        NotADirectoryError: ``path`` is a file (or a link to one).
        FileExistsError: the folder holds files and ``overwrite`` is false.
        FolderBusyError: another run is writing into the folder.
        CurvesError: the folder cannot be created or written, or an output would replace an input.
    """
    target = Path(path)
    keep_paths = [Path(k) for k in keep]
    if target.is_symlink() and not target.exists():
        raise CurvesError(f"{target} is a symbolic link to a missing folder; create that folder first")
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} exists and is not a folder; choose another --out")
    created = False
    try:
        try:
            target.mkdir(parents=True)
            created = True
        except FileExistsError:
            if not target.is_dir():
                raise NotADirectoryError(
                    f"{target} exists and is not a folder; choose another --out"
                ) from None
        lock = _take_lock(target)
    except OSError as exc:
        if isinstance(exc, NotADirectoryError):
            raise
        if created:
            with contextlib.suppress(OSError):
                target.rmdir()
        raise CurvesError(
            f"cannot write into {target}: {exc.strerror or exc}; choose a folder you can write to"
        ) from exc
    except FolderBusyError:
        if created:
            with contextlib.suppress(OSError):
                target.rmdir()
        raise
    staging: Path | None = None
    done = False
    try:
        _remove_leftovers(target)
        others = _user_entries(target)
        if others and not overwrite:
            listed = ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")
            raise FileExistsError(
                f"{target} already exists and is not empty ({listed}); pass --overwrite to replace this "
                "command's files in it, or choose another --out"
            )
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=target))
        yield staging
        _commit(target, staging, keep_paths, overwrite=overwrite)
        done = True
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            lock.unlink()
        if created and not done:
            with contextlib.suppress(OSError):
                target.rmdir()  # the folder this run made, empty again
