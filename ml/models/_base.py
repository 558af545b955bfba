"""What every recognition model in the registry provides.

A model maps a prepared clip tensor to three outputs, and knows its own loss::

    out = model(x)          # x: (B, C, T, H, W) float, from ml.inputs.build_input(cfg, crops, ...)
    out["emotion_logits"]   # (B, E)  one logit per cfg.emotion_names
    out["au_logits"]        # (B, A)  one logit per cfg.au_names (multi-label)
    out["timing"]           # (B, 3)  onset, apex, offset as clip fractions, 0 <= on <= apex <= off <= 1
    losses = model.loss(out, target)   # target: "emotion" (B,) long, "aus" (B, A) float 0/1,
                                       #         "timing" (B, 3) float in [0, 1]; losses["total"] is minimised

Per-frame AU activations come from :func:`ml.envelope.au_activations` (AU probability x an envelope
through the predicted onset, apex, offset), the same for every model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import torch
from torch import nn

from curves.au import DEFAULT_AUS

__all__ = ["CASME2_EMOTIONS_5", "COMPOSITE_EMOTIONS_3", "MicroExprModel", "ModelCfg"]

#: CASME II 5-class protocol, in the order the class indices use.
CASME2_EMOTIONS_5: tuple[str, ...] = ("happiness", "disgust", "repression", "surprise", "others")
#: MEGC2019 composite 3-class protocol.
COMPOSITE_EMOTIONS_3: tuple[str, ...] = ("negative", "positive", "surprise")


@dataclass(frozen=True)
class ModelCfg:
    """Everything needed to rebuild a model and feed it: saved in every checkpoint's JSON sidecar.

    Attributes:
        name: registry name (``"au_gcn"``).
        au_names: AUs of the multi-label head, canonical names.
        emotion_names: classes of the emotion head.
        input_kind: how ``ml.inputs.build_input`` prepares a clip (``"clip"``: TIM-normalised RGB crops;
            ``"clip_delta"``: their change from the first frame; ``"flow_delta"``: optical flow from the
            first frame, the shipped default's; other kinds are registered by the models that need
            them, e.g. ``"flow"``).
        num_frames, image_size, in_chans: input size (C, T, H, W) = (in_chans, num_frames, size, size).
        mean, std: per-channel normalisation of the input's channels ([0, 1] pixels, or pixels of
            displacement for flow inputs).
        fps: frame rate the model was trained at (informative; TIM makes the input rate-free).
        version: weights version string.
        options: family-specific hyper-parameters (width multiplier, adjacency, ...), JSON-serialisable.
    """

    name: str
    au_names: tuple[str, ...] = DEFAULT_AUS
    emotion_names: tuple[str, ...] = CASME2_EMOTIONS_5
    input_kind: str = "clip"
    num_frames: int = 16
    image_size: int = 112
    in_chans: int = 3
    mean: tuple[float, ...] = (0.5, 0.5, 0.5)
    std: tuple[float, ...] = (0.25, 0.25, 0.25)
    fps: float = 200.0
    version: str = "0"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def input_size(self) -> tuple[int, int, int, int]:
        return (self.in_chans, self.num_frames, self.image_size, self.image_size)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("au_names", "emotion_names", "mean", "std"):
            d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCfg:
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        for k in ("au_names", "emotion_names", "mean", "std"):
            if k in kwargs:
                kwargs[k] = tuple(kwargs[k])
        return cls(**kwargs)

    def replace(self, **changes: Any) -> ModelCfg:
        return replace(self, **changes)


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
