"""Subcommands of ``microexpr``; see :mod:`ml.cli` for the contract each module follows."""
