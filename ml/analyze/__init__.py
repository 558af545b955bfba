"""Clip -> :class:`~curves.microexpression.MicroExpression`: the product's analysis.

* :mod:`ml.analyze.front`: read the clip and follow its face (what every analysis starts from);
* :mod:`ml.analyze.take`: the whole take measured (per-frame AU intensities, every event), or the
  recognition model's template (:func:`analyze`, :func:`analyze_all`);
* :mod:`ml.analyze.windows`: the recognition model over windows of a clip (template analysis, event labels).
"""

from ml.analyze.front import FaceOptions, face_report, read_face_track
from ml.analyze.take import METHODS, analyze, analyze_all, measure_take
from ml.analyze.windows import (
    DEFAULT_WEIGHTS_NAME,
    DEFAULT_WINDOW_S,
    Window,
    default_weights_path,
    load_model,
    scan_windows,
)

__all__ = [
    "DEFAULT_WEIGHTS_NAME",
    "DEFAULT_WINDOW_S",
    "METHODS",
    "FaceOptions",
    "Window",
    "analyze",
    "analyze_all",
    "default_weights_path",
    "face_report",
    "load_model",
    "measure_take",
    "read_face_track",
    "scan_windows",
]
