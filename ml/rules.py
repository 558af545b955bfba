"""Rules and constants that several parts of ``ml`` share, in one place.

Value rules that ``curves`` also applies (frame rate, intensity, shortest clip) live in
:mod:`curves.rules`, the lowest layer, and are re-exported here.
"""

from __future__ import annotations

from curves.rules import MIN_FRAMES, check_fps, check_intensity

__all__ = ["CASME2_EMOTIONS_5", "COMPOSITE_EMOTIONS_3", "MIN_FRAMES", "check_fps", "check_intensity"]

#: CASME II 5-class protocol, in the order the class indices use.
CASME2_EMOTIONS_5: tuple[str, ...] = ("happiness", "disgust", "repression", "surprise", "others")
#: MEGC2019 composite 3-class protocol.
COMPOSITE_EMOTIONS_3: tuple[str, ...] = ("negative", "positive", "surprise")
