"""Recognition models, one family per module, all built through :func:`create_model`.

Families (each registers its model names, and its own input kinds, when this package is imported):

* ``au_gcn`` (default): 3D-ResNet-18 + AU co-occurrence graph + self-attention pooling, from the AU-GCN
  paper (Graph-Driven Micro-Expression Rendering with Emotionally Diverse Expressions, 2025);
* ``ms3d_resnet50``: multi-scale 3D-ResNet-50 on optical flow with attention fusion;
* ``gamdss``: the GAMDSS keyframe re-selection network (Liu et al., arXiv 2603.04766);
* ``madv``: MADV-Net (multi-level attention, depth and video streams).

The registry builds models and never loads weights: :mod:`ml.checkpoint` does that.
"""

from ml.models import au_gcn, gamdss, madv, ms3d_resnet50  # noqa: F401  (each family registers itself)
from ml.models._base import CASME2_EMOTIONS_5, COMPOSITE_EMOTIONS_3, MicroExprModel, ModelCfg
from ml.models._registry import create_model, is_model, list_models, register_model

__all__ = [
    "CASME2_EMOTIONS_5",
    "COMPOSITE_EMOTIONS_3",
    "MicroExprModel",
    "ModelCfg",
    "create_model",
    "is_model",
    "list_models",
    "register_model",
]
