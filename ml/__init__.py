"""MicroExprAnim recognition half: clip file -> aligned faces -> model -> ``MicroExpression``.

Importing ``ml`` is cheap: torch and OpenCV are imported by the submodules that need them.
"""

__version__ = "0.1.0"
