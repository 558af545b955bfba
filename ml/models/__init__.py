"""Recognition models, one family per module, all built through :func:`create_model`.

Families: ``au_gcn`` (default; 3D-ResNet-18 + AU graph, seed 000), ``ms3d_resnet50`` (optical flow,
seed 003), ``gamdss`` (keyframe re-selection network, seed 002), ``madv`` (MADV-Net, seed 001).
"""

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
