"""The ``microexpr`` command line.

Each subcommand lives in its own module (``ml.cli.<name>``) exposing::

    def register(subparsers: argparse._SubParsersAction) -> None
        '''Add one sub-parser and ``set_defaults(func=run)``.'''

    def run(args: argparse.Namespace) -> int
        '''Do the work; return the process exit code.'''

Subcommand modules must import only light modules at import time (no torch, no cv2), so that
``microexpr --help`` is instant; heavy imports go inside ``run``.

One error boundary (:func:`main`): errors meant for people (:class:`ml.errors.UserError`, the
``ValueError`` of ``curves`` and of option checks, a missing or existing file) print one sentence and exit
2; an ``OSError`` (read-only folder, full disk, ...) prints one sentence naming the path and the cause and
exits 2; anything else is a bug: one sentence, the path of a log file holding the traceback, exit 1.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from ml import __version__
from ml.errors import UserError

#: Errors that describe the user's input or options; their message is the whole story.
USER_ERRORS: tuple[type[BaseException], ...] = (
    UserError,
    ValueError,
    FileNotFoundError,
    FileExistsError,
    NotADirectoryError,
    IsADirectoryError,
)

#: Modules that contribute subcommands, in the order ``--help`` lists them.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "ml.cli.demo",
    "ml.cli.synth",
    "ml.cli.faces",
    "ml.cli.infer",
    "ml.cli.curves",
    "ml.cli.generate",
    "ml.cli.preview_video",
    "ml.cli.rig",
    "ml.cli.train",
    "ml.cli.evaluate",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="microexpr",
        description="Turn a short face clip into a micro-expression animation (AU curves for Unreal).",
    )
    parser.add_argument("--version", action="version", version=f"microexpr {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a subcommand whose module is not installed
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _os_error_sentence(exc: OSError) -> str:
    cause = exc.strerror or str(exc) or type(exc).__name__
    where = exc.filename if exc.filename is not None else None
    if where is None:
        return f"{_one_line(cause)}; check the disk and the folder's permissions"
    return (
        f"{os.fsdecode(where)}: {_one_line(cause)}; check that the file or folder exists and is writable and "
        "that the disk has space, or choose another location"
    )


def crash_log(exc: BaseException, command: str) -> Path:
    """Write the traceback of an unexpected error to a log file; returns its path."""
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    fd, name = tempfile.mkstemp(prefix=f"microexpr-{command}-{stamp}-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"microexpr {__version__} {command}: {' '.join(sys.argv)}\n")
        fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return Path(name)


def run_command(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a subcommand inside the error boundary; returns the exit code."""
    command = str(getattr(args, "command", "") or "microexpr")
    try:
        return int(func(args))
    except USER_ERRORS as exc:
        message = (
            str(exc) if not isinstance(exc, OSError) or exc.filename is None else _os_error_sentence(exc)
        )
        print(f"microexpr {command}: error: {_one_line(message)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"microexpr {command}: error: {_os_error_sentence(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"microexpr {command}: cancelled", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one sentence here, the traceback in a log file
        try:
            where = f"the details are in {crash_log(exc, command)}"
        except OSError:
            where = "no log file could be written; run again with -v"
        print(
            f"microexpr {command}: internal error ({type(exc).__name__}: {_one_line(str(exc))[:300]}); "
            f"{where}; please report it with that file",
            file=sys.stderr,
        )
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return run_command(func, args)


if __name__ == "__main__":
    sys.exit(main())
