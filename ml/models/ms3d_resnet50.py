"""Multi-scale 3D-ResNet-50 on optical flow.

Paper: Jin, He, Li, Yang, "Micro-expression recognition based on multi-scale 3D residual convolutional
neural network" (AIMS Press).

Pipeline and network, as far as the paper specifies them, with our choices where it does not
([paper] / [choice]):

Input (input kind ``"flow"``, :func:`flow_input`):
    * [paper] optical-flow maps, 16 of them at 134 x 134 ("134x134x16"), TV-L1.
    * [choice] flow from the onset frame (given keyframes, else
      :func:`ml.timing.keyframes.select_keyframes`) to
      16 frames sampled uniformly over the *whole* clip, so the model sees when motion starts and ends
      and can predict timing; channels u, v and optical-strain magnitude (3 channels, as STSTNet), so the
      3 x 7 x 7 stem of an RGB 3D-ResNet fits. Flow method from ``cfg.options["flow_method"]``
      (default Farneback: TV-L1 needs opencv-contrib). u, v are divided by ``flow_scale`` pixels and
      strain by ``strain_scale`` and clipped to [-4, 4] (one global scale keeps intensity information).
      A horizontal flip of this input must also negate u: ``cfg.options["hflip_negate_channels"]``
      (``[0]``) says so to augmenters.
    * [omitted] the paper's keyframe slices (unreproducible), EVM magnification and offline augmentation
      (its expansion before splitting leaks test clips into training).

Backbone:
    * [paper] "3D-ResNet-50", block 1 a 3 x 7 x 7 conv, temporal + spatial attention after it.
      [choice] ``depth=50``: bottleneck units 3/4/6/3, widths 256/512/1024/2048 (the paper's name);
      ``depth=34``: basic units 3/4/6/3 (the paper's layer count). Stem stride (1, 2, 2), max-pool
      k=3, stride (1, 2, 2); blocks 3-5 stride 2 in T, H, W.
    * [paper] multi-scale modules RC1, RC2, RC3 after blocks 2, 3, 4, fused by learned weights (Eqs. 3.8,
      3.9). [choice] inserted with a residual (``X + K``); reduced widths C/4; normalised fusion weights;
      RC2's "7x7x7" as 1x1x7 -> 1x7x1 -> 7x1x1 and its "9x9x9" as two factorised 5-tap stacks (a 9-wide
      receptive field, the stated intent); global branches GAP -> 1x1x1 conv, broadcast back.
    * [paper] deconvolution + attentional fusion: P1 = X5, P2 = AFFA(up(X5), X4), P3 = AFFA(up(X4), X3),
      P4 = AFFA(up(X3), X2) (pairwise, not a cascade). [choice] ``upsample="deconv"`` (paper) or
      ``"upsample"`` (1x1x1 conv + trilinear, far fewer parameters); CAM reduction r = 4.
    * [paper] discriminative network: two FC layers + softmax per output, cross-entropy on each.
      [choice] GAP -> FC(C, 256) -> ReLU -> Dropout(0.5) -> FC(256, E) per output; the training loss is
      the sum of the four CEs; at inference each sample uses the head with the highest maximum softmax
      probability (label-free; the paper gives no rule, and choosing by the true label would be an oracle).
      ``out["head_logits"]`` (B, 4, E) keeps every head.
    * [addition] AU logits from the concatenated pooled P1..P4 features; ordered timing
      (:mod:`ml.models._paper_model_parts`) from P4's temporal profile (pooled over space, 8 channels per time
      step, MLP 64); loss adds ``timing_weight * timing + au_weight * au``.

Training settings [paper]: Adam, lr 1e-5, 100 epochs, cross-entropy. ``configs/ms3d_resnet50.yaml``
keeps 100 epochs and no weight decay (AdamW with decay 0 is Adam) but uses lr 1e-4: 1e-5 suits
fine-tuning a pre-trained backbone, and no Kinetics weights can be shipped. BatchNorm after global
pooling needs batches of at least 2 in training.

``width`` scales every channel count (``width=0.125`` gives a CPU-test-sized network).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml.models._base import MicroExprModel, ModelCfg
from ml.models._ms3d_layers import (
    AFFA,
    RC1,
    RC2,
    RC3,
    BasicBlock3d,
    Bottleneck3d,
    Head,
    SpatioTemporalAttention,
    Up,
    make_layer,
)
from ml.models._paper_model_parts import OrderedTimingHead, build_cfg, with_auxiliary_losses
from ml.models._registry import register_model
from ml.stages.inputs import register_input
from ml.stages.temporal import optical_flow, optical_strain
from ml.timing.keyframes import select_keyframes

__all__ = ["MS3DResNet", "flow_input", "ms3d_resnet50", "ms3d_resnet50_small"]

_DEFAULTS: dict[str, Any] = {
    "depth": 50,
    "width": 1.0,
    "upsample": "deconv",
    "head_hidden": 256,
    "dropout": 0.5,
    "flow_method": "farneback",
    "flow_scale": 2.0,
    "strain_scale": 0.2,
    "timing_weight": 1.0,
    "au_weight": 1.0,
    "hflip_negate_channels": [0],
}


@register_input("flow", mirror_negate=(0,), pixels=False, keyframes=True)
def flow_input(cfg: ModelCfg, crops: np.ndarray, keyframes: tuple[int, int, int] | None) -> np.ndarray:
    """Optical flow from the onset to ``cfg.num_frames`` frames spread over the clip: ``(3, T, S, S)``.

    Channels: u / flow_scale, v / flow_scale, strain / strain_scale, clipped to [-4, 4].
    """

    opts = {**_DEFAULTS, **cfg.options}
    n = crops.shape[0]
    if keyframes is None:
        keyframes = select_keyframes(crops, "gamdss")
    onset = int(np.clip(keyframes[0], 0, n - 1))
    s = cfg.image_size
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in crops]
    if gray[0].shape != (s, s):
        gray = [cv2.resize(g, (s, s), interpolation=cv2.INTER_AREA) for g in gray]
    method = str(opts["flow_method"])
    idx = np.round(np.linspace(0, n - 1, cfg.num_frames)).astype(int)
    out = np.zeros((3, cfg.num_frames, s, s), dtype=np.float32)
    cache: dict[int, np.ndarray] = {}
    for t, i in enumerate(idx):
        if i == onset:
            continue
        if i not in cache:
            cache[i] = optical_flow(gray[onset], gray[i], method)
        flow = cache[i]
        out[0, t] = flow[..., 0] / float(opts["flow_scale"])
        out[1, t] = flow[..., 1] / float(opts["flow_scale"])
        out[2, t] = optical_strain(flow) / float(opts["strain_scale"])
    return np.clip(out, -4.0, 4.0)


class MS3DResNet(MicroExprModel):
    """Multi-scale 3D-ResNet with attention fusion and a four-output discriminative network.

    Forward: ``x (B, 3, T, H, W)`` -> ``emotion_logits (B, E)`` (selected head), ``head_logits (B, 4, E)``,
    ``au_logits (B, A)``, ``timing (B, 3)``.
    """

    def __init__(self, cfg: ModelCfg) -> None:
        super().__init__(cfg)
        o = {**_DEFAULTS, **cfg.options}
        self.opts = o
        depth = int(o["depth"])
        if depth not in (34, 50):
            raise ValueError(f"ms3d_resnet50 depth must be 34 or 50, got {depth}")
        block: type[BasicBlock3d] | type[Bottleneck3d] = Bottleneck3d if depth == 50 else BasicBlock3d
        w = float(o["width"])
        planes = [max(4, round(p * w)) for p in (64, 128, 256, 512)]
        c0 = planes[0]
        self.stem = nn.Sequential(
            nn.Conv3d(cfg.in_chans, c0, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False),
            nn.BatchNorm3d(c0),
            nn.ReLU(inplace=True),
        )
        self.attention = SpatioTemporalAttention()
        self.pool = nn.MaxPool3d(3, (1, 2, 2), 1)
        e = block.expansion
        chans = [p * e for p in planes]
        self.layer1 = make_layer(block, c0, planes[0], 3, 1)
        self.layer2 = make_layer(block, chans[0], planes[1], 4, 2)
        self.layer3 = make_layer(block, chans[1], planes[2], 6, 2)
        self.layer4 = make_layer(block, chans[2], planes[3], 3, 2)
        self.rc1, self.rc2, self.rc3 = RC1(chans[0]), RC2(chans[1]), RC3(chans[2])
        mode = str(o["upsample"])
        self.up5, self.up4, self.up3 = (
            Up(chans[3], chans[2], mode),
            Up(chans[2], chans[1], mode),
            Up(chans[1], chans[0], mode),
        )
        self.aff2, self.aff3, self.aff4 = AFFA(chans[2]), AFFA(chans[1]), AFFA(chans[0])
        hidden = max(8, round(int(o["head_hidden"]) * w))
        n_emo, n_au = len(cfg.emotion_names), len(cfg.au_names)
        head_in = (chans[3], chans[2], chans[1], chans[0])  # P1..P4
        self.heads = nn.ModuleList(Head(c, hidden, n_emo, float(o["dropout"])) for c in head_in)
        self._splits = [*head_in, 8 * cfg.num_frames]
        self.feat_dim = sum(self._splits)
        self.au_head = nn.Linear(sum(head_in), n_au)
        self.time_proj = nn.Linear(chans[0], 8)
        self.timing_head = OrderedTimingHead(8 * cfg.num_frames, hidden=64)

    def pyramid(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``x`` -> ``[P1, P2, P3, P4]`` (deepest first)."""
        x = self.pool(self.attention(self.stem(x)))
        x2 = self.rc1(self.layer1(x))
        x3 = self.rc2(self.layer2(x2))
        x4 = self.rc3(self.layer3(x3))
        x5 = self.layer4(x4)
        p2 = self.aff2(self.up5(x5, x4.shape[2:]), x4)
        p3 = self.aff3(self.up4(x4, x3.shape[2:]), x3)
        p4 = self.aff4(self.up3(x3, x2.shape[2:]), x2)
        return [x5, p2, p3, p4]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, T, H, W)`` -> pooled P1..P4 and P4's temporal profile, concatenated ``(B, feat_dim)``."""
        ps = self.pyramid(x)
        profile = self.time_proj(ps[3].mean(dim=(3, 4)).transpose(1, 2))  # (B, T, 8)
        profile = F.adaptive_avg_pool1d(profile.transpose(1, 2), self.cfg.num_frames).flatten(1)
        return torch.cat([*(F.adaptive_avg_pool3d(p, 1).flatten(1) for p in ps), profile], dim=1)

    def forward_head(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        *pooled, profile = torch.split(features, self._splits, dim=1)
        head_logits = torch.stack([h(p) for h, p in zip(self.heads, pooled, strict=True)], dim=1)  # (B, 4, E)
        clip_feat = torch.cat(pooled, dim=1)
        conf = head_logits.softmax(-1).amax(-1)  # (B, 4)
        pick = conf.argmax(1)
        emotion = head_logits[torch.arange(head_logits.shape[0]), pick]
        return {
            "emotion_logits": emotion,
            "head_logits": head_logits,
            "au_logits": self.au_head(clip_feat),
            "timing": self.timing_head(profile),
        }

    def loss(self, out: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Sum of the four heads' cross-entropies [paper] + timing and AU terms."""
        parts: dict[str, torch.Tensor] = {}
        total = out["emotion_logits"].new_zeros(())
        if "emotion" in target:
            y = target["emotion"].long()
            ces = [F.cross_entropy(out["head_logits"][:, k], y) for k in range(out["head_logits"].shape[1])]
            parts["emotion"] = torch.stack(ces).sum()
            total = total + parts["emotion"]
        return with_auxiliary_losses(parts, total, out, target, self.opts)


def _build(name: str, variant: dict[str, Any], kw: dict[str, Any]) -> MS3DResNet:
    cfg_defaults = {"input_kind": "flow", "num_frames": 16, "image_size": 134, "in_chans": 3}
    if name.endswith("_small"):
        cfg_defaults["image_size"] = 112
    return MS3DResNet(build_cfg(name, cfg_defaults, _DEFAULTS, variant, kw))


@register_model
def ms3d_resnet50(**kw: Any) -> MS3DResNet:
    """Full-size model (paper): bottleneck 3D-ResNet-50, 16 x 134 x 134 flow, deconvolution fusion."""
    return _build("ms3d_resnet50", {}, kw)


@register_model
def ms3d_resnet50_small(**kw: Any) -> MS3DResNet:
    """CPU-sized variant: width 0.25, trilinear upsampling, 16 x 112 x 112 flow."""
    return _build("ms3d_resnet50_small", {"width": 0.25, "upsample": "upsample"}, kw)
