"""The ``microexpr`` command line: one module per subcommand, :func:`main` dispatches."""

from ml.cli.main import main

__all__ = ["main"]
