"""The ``microexpr`` command line.

Each subcommand lives in its own module (``ml.cli.<name>`` or ``curves.cli``) exposing::

    def register(subparsers: argparse._SubParsersAction) -> None
        '''Add one sub-parser and ``set_defaults(func=run)``.'''

    def run(args: argparse.Namespace) -> int
        '''Do the work; return the process exit code.'''

Subcommand modules must import only light modules at import time (no torch, no cv2), so that
``microexpr --help`` is instant; heavy imports go inside ``run``.

Errors meant for people are raised as :class:`ml.errors.UserError` (or ``ValueError``/
``FileNotFoundError``) and printed as one clear line with exit code 2; anything else is a bug and
shows its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from ml import __version__

#: Modules that contribute subcommands, in the order ``--help`` lists them.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "ml.cli.demo",
    "ml.cli.synth",
    "ml.cli.faces",
    "ml.cli.infer",
    "curves.cli",
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
    from ml.errors import UserError

    try:
        return int(func(args))
    except (UserError, ValueError, FileNotFoundError, FileExistsError, NotADirectoryError) as exc:
        print(f"microexpr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"microexpr {args.command}: cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
