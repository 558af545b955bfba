"""MicroExprAnim curves: ``MicroExpression`` (or imported AU tracks) -> Unreal-exact ``CurveSet``.

numpy/scipy only: this package never imports torch or ``unreal``.
"""

from curves.au import AUCode, canonical_au, parse_au_list
from curves.curveset import CurveKeys, CurveSet
from curves.microexpression import MicroExpression

__all__ = ["AUCode", "CurveKeys", "CurveSet", "MicroExpression", "canonical_au", "parse_au_list"]
