"""What every recognition model in the registry provides.

A model maps a prepared clip tensor to three outputs, and knows its own loss::

    out = model(x)          # x: (B, C, T, H, W) float, from ml.stages.inputs.build_input(cfg, crops, ...)
    out["emotion_logits"]   # (B, E)  one logit per cfg.emotion_names
    out["au_logits"]        # (B, A)  one logit per cfg.au_names (multi-label)
    out["timing"]           # (B, 3)  onset, apex, offset as clip fractions, 0 <= on <= apex <= off <= 1
    losses = model.loss(out, target)   # target: "emotion" (B,) long, "aus" (B, A) float 0/1,
                                       #         "timing" (B, 3) float in [0, 1]; losses["total"] is minimised

Per-frame AU activations come from :func:`ml.timing.envelope.au_activations` (AU probability x an envelope
through the predicted onset, apex, offset), the same for every model.
"""

from __future__ import annotations

import torch
from torch import nn

from ml.model_cfg import ModelCfg
from ml.rules import CASME2_EMOTIONS_5, COMPOSITE_EMOTIONS_3

__all__ = ["CASME2_EMOTIONS_5", "COMPOSITE_EMOTIONS_3", "MicroExprModel", "ModelCfg"]


class MicroExprModel(nn.Module):
    """Base class: subclasses implement ``forward_features``, ``forward_head`` and ``loss``."""

    cfg: ModelCfg

    def __init__(self, cfg: ModelCfg) -> None:
        super().__init__()
        self.cfg = cfg

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Backbone: ``(B, C, T, H, W)`` -> clip feature ``(B, D)``."""
        raise NotImplementedError

    def forward_head(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        """Heads: clip feature -> ``{"emotion_logits", "au_logits", "timing"}``."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.forward_head(self.forward_features(x))

    def loss(self, out: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Training loss parts; ``"total"`` is what the optimiser minimises."""
        raise NotImplementedError

    @property
    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
