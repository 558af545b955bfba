"""MADV-Net, as far as the paper specifies it (Kong, You, Lv, Sensors 2025, 25(10):3175).

The paper gives the design only in prose: no widths, depths, kernel sizes, input size, loss weights or
protocol. Choices ([paper] / [choice]):

Input (input kind ``"madv"``, :func:`madv_input`), ``(C, T, S, S)`` with T = 16, S = 112 [choice]:
    * [paper] texture stream = RGB frames; "inter-frame difference signals ... as auxiliary features".
      [choice] the clip is TIM-resampled to T frames; channels = normalised RGB (3) + frame differences
      ``x_t - x_{t-1}`` (3, first frame zero), in float.
    * [paper] depth stream from Depth Anything. Its weights cannot be shipped or downloaded here, so the
      stream is **optional and off** (``use_depth=False``). With ``use_depth=True`` the builder adds a
      depth channel and its frame difference (C = 8) from the estimator registered with
      :func:`set_depth_estimator` (``(N, H, W, 3) uint8 -> (N, H, W) float``, normalised per clip to
      [0, 1]); without one it raises a clear error. The depth channels get their own stem, summed with
      the texture stem.
    * [paper] AU stream: AU codes as inputs are unavailable at inference; [choice] AUs are predicted by the
      AU coding branch instead (below) and supervised by the dataset's AU labels.

Network:
    * [paper, Eq. 2] stem ``MaxPool3D(BN(Conv3D))``: [choice] Conv3d k (3, 7, 7) s (1, 2, 2) + BN + ReLU +
      MaxPool (1, 3, 3) s (1, 2, 2): 16 x 112 x 112 -> 64 x 16 x 28 x 28.
    * [paper] low / mid / high feature streams fused by a pyramid, CvT-style convolutional Q/K/V
      projections (Eq. 1: depthwise s x s -> BN -> pointwise, flattened). [choice] three stages
      (dims 64/192/384, heads 1/3/6, depths 1/2/4; s = 3, K/V stride 2 in stages 1-2), each starting
      with a convolutional token embedding (Conv3d k3, stride (2, 2, 2), (2, 2, 2), (1, 2, 2)):
      token grids 8x14x14, 4x7x7, 4x4x4. Stages 1-2 factorise space (conv-projection attention per frame)
      and time (attention per position); stage 3 attends jointly with a class token and learnable
      position embedding (Eq. 13). Pre-LN blocks, MLP ratio 4 (Eqs. 14-15 read as MLP(MSA(.))).
    * [paper, Eqs. 16-17] ``f_Att = MLP(cls)``, ``f_Conv = Conv(patch tokens)`` (Conv3d 3 + BN + ReLU +
      GAP), ``y = softmax(FC([f_Att, f_Conv]))``; [choice] the AU code (below) is concatenated too.
    * [paper] multi-level head perceptron: [choice] per stage GAP -> LayerNorm -> Linear(E) (L_low,
      L_mid, L_high).
    * [paper, Eqs. 3-12] AU coding sub-module: layer-wise information-bottleneck encoder, BCE per AU.
      [choice] two layers on the stage-3 pooled feature (256, 128), unit-variance Gaussian code, KL to
      N(0, 1) weighted by ``beta_ib`` = 1e-3 (the paper gives no beta).
    * [paper] token discarding by attention weight: [not implemented] (keep ratio and rule unspecified).
    * [paper] "circular convolution": not a defined module (a mistranslation of recurrent); nothing built.
    * [addition] ordered timing from the stage-1 temporal profile (tokens pooled over space, projected to
      8 channels per time step, MLP 64).

Loss [paper, Eqs. 18-23]: ``focal(gamma = 2, mu = 1) + 0.2 L_low + 0.3 L_mid + 0.5 L_high + 0.5 L_AU +
beta_ib KL + timing_weight * timing`` [choice for every weight; the paper gives none].

Training settings [paper]: AdamW lr 5e-5, weight decay 0.05, batch 64, cosine T_max 300, FP16
(``configs/madv.yaml``; lr 5e-4 when training from scratch, as here).

``width`` scales the stem and stage widths (``width=0.125`` for CPU tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml.models._base import MicroExprModel, ModelCfg
from ml.models._madv_layers import AUCoder, MADVStage, Stem3d
from ml.models._paper_model_parts import OrderedTimingHead, build_cfg, focal_loss, with_auxiliary_losses
from ml.models._registry import register_model
from ml.models.gamdss import tim_resample
from ml.stages.inputs import register_input

__all__ = ["MADVNet", "madv", "madv_input", "madv_small", "set_depth_estimator"]

DepthEstimator = Callable[[np.ndarray], np.ndarray]
_DEPTH: list[DepthEstimator] = []

_DEFAULTS: dict[str, Any] = {
    "width": 1.0,
    "dims": [64, 192, 384],
    "heads": [1, 3, 6],
    "depths": [1, 2, 4],
    "use_depth": False,
    "focal_gamma": 2.0,
    "focal_mu": 1.0,
    "level_weights": [0.2, 0.3, 0.5],
    "au_weight": 0.5,
    "beta_ib": 1e-3,
    "timing_weight": 1.0,
}


def set_depth_estimator(fn: DepthEstimator | None) -> None:
    """Register (or clear with None) the per-frame depth model used when ``use_depth=True``.

    Args:
        fn: ``(N, H, W, 3) uint8 RGB -> (N, H, W)`` float relative depth (e.g. a local Depth Anything).
    """
    _DEPTH.clear()
    if fn is not None:
        _DEPTH.append(fn)


@register_input("madv", keyframes=True)
def madv_input(cfg: ModelCfg, crops: np.ndarray, keyframes: tuple[int, int, int] | None) -> np.ndarray:
    """RGB + frame differences (+ depth and its difference): ``(6 or 8, T, S, S)`` float32."""

    s = cfg.image_size
    if crops.shape[1:3] != (s, s):
        crops = np.stack([cv2.resize(f, (s, s), interpolation=cv2.INTER_AREA) for f in crops])
    frames = tim_resample(crops, cfg.num_frames) / 255.0  # (T, S, S, 3) float
    mean = np.asarray(cfg.mean[:3], dtype=np.float32)
    std = np.asarray(cfg.std[:3], dtype=np.float32)
    rgb = (frames - mean) / std
    diff = np.zeros_like(rgb)
    diff[1:] = rgb[1:] - rgb[:-1]
    chans = [rgb, diff]
    if bool(cfg.options.get("use_depth", False)):
        if not _DEPTH:
            raise ValueError(
                "MADV-Net's depth stream is on (use_depth=True) but no depth model is registered: call "
                "ml.models.madv.set_depth_estimator(fn) with a local depth model (Depth Anything weights "
                "are not shipped), or train with use_depth=False"
            )
        depth = np.asarray(_DEPTH[0](crops), dtype=np.float32)
        if depth.shape != crops.shape[:3]:
            raise ValueError(f"depth estimator returned {depth.shape}, expected {crops.shape[:3]}")
        depth = (depth - depth.min()) / (float(depth.max() - depth.min()) + 1e-6)
        d = tim_resample(depth, cfg.num_frames)[..., None]
        dd = np.zeros_like(d)
        dd[1:] = d[1:] - d[:-1]
        chans += [d, dd]
    x = np.concatenate(chans, axis=-1)
    return np.ascontiguousarray(x.transpose(3, 0, 1, 2), dtype=np.float32)


def _conv_out(n: int, k: int, s: int, p: int) -> int:
    return (n + 2 * p - k) // s + 1


class MADVNet(MicroExprModel):
    """MADV-Net (see the module docstring). Forward: ``x (B, C, T, S, S)`` -> ``emotion_logits (B, E)``,
    ``level_logits (B, 3, E)`` (low, mid, high), ``au_logits (B, A)``, ``ib_kl (B,)``, ``timing (B, 3)``."""

    def __init__(self, cfg: ModelCfg) -> None:
        super().__init__(cfg)
        o = {**_DEFAULTS, **cfg.options}
        self.opts = o
        w = float(o["width"])
        heads = [int(h) for h in o["heads"]]
        dims = [max(h, round(d * w / h) * h) for d, h in zip(o["dims"], heads, strict=True)]
        self.dims = dims
        use_depth = bool(o["use_depth"])
        tex_chans = cfg.in_chans - (2 if use_depth else 0)
        c0 = max(8, round(64 * w))
        self.stem = Stem3d(tex_chans, c0)
        self.depth_stem = Stem3d(2, c0) if use_depth else None
        # token grids
        t, s = cfg.num_frames, cfg.image_size
        s = _conv_out(_conv_out(s, 7, 2, 3), 3, 2, 1)
        grids = []
        for ts in (2, 2, 1):
            t, s = _conv_out(t, 3, ts, 1), _conv_out(s, 3, 2, 1)
            grids.append((t, s, s))
        self.t1 = grids[0][0]
        cins = [c0, dims[0], dims[1]]
        self.stages = nn.ModuleList(
            MADVStage(cins[i], dims[i], heads[i], int(o["depths"][i]), (2, 2, 1)[i], i == 2, grids[i])
            for i in range(3)
        )
        n_emo, n_au = len(cfg.emotion_names), len(cfg.au_names)
        d3 = dims[2]
        self.f_mlp = nn.Sequential(nn.LayerNorm(d3), nn.Linear(d3, d3), nn.GELU())
        self.f_conv = nn.Sequential(
            nn.Conv3d(d3, d3, 3, padding=1, bias=False), nn.BatchNorm3d(d3), nn.ReLU(inplace=True)
        )
        self.level_heads = nn.ModuleList(nn.Sequential(nn.LayerNorm(d), nn.Linear(d, n_emo)) for d in dims)
        self.au_coder = AUCoder(d3, n_au)
        self.classifier = nn.Linear(2 * d3 + 128, n_emo)
        self.time_proj = nn.Linear(dims[0], 8)
        self.timing_head = OrderedTimingHead(8 * self.t1, hidden=64)
        self._splits = [d3, d3, dims[0], dims[1], d3, 8 * self.t1]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, S, S)`` -> ``[f_att | f_conv | low | mid | high | timing profile]``."""
        z = self.stem(x) if self.depth_stem is None else self.stem(x[:, :-2]) + self.depth_stem(x[:, -2:])
        low, _ = self.stages[0](z)
        mid, _ = self.stages[1](low)
        high, cls = self.stages[2](mid)
        if cls is None:  # pragma: no cover - the last stage always has a class token
            raise RuntimeError("the last MADV stage returned no class token")
        profile = self.time_proj(low.mean(dim=(3, 4)).transpose(1, 2)).flatten(1)  # (B, T1 * 8)
        return torch.cat(
            [
                self.f_mlp(cls),
                self.f_conv(high).mean(dim=(2, 3, 4)),
                low.mean(dim=(2, 3, 4)),
                mid.mean(dim=(2, 3, 4)),
                high.mean(dim=(2, 3, 4)),
                profile,
            ],
            dim=1,
        )

    def forward_head(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        f_att, f_conv, low, mid, high, profile = torch.split(features, self._splits, dim=1)
        au_logits, code, kl = self.au_coder(high)
        levels = torch.stack([h(f) for h, f in zip(self.level_heads, (low, mid, high), strict=True)], dim=1)
        return {
            "emotion_logits": self.classifier(torch.cat([f_att, f_conv, code], dim=1)),
            "level_logits": levels,
            "au_logits": au_logits,
            "ib_kl": kl,
            "timing": self.timing_head(profile),
        }

    def loss(self, out: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Focal + weighted per-level CE + AU BCE + IB KL + timing (see the module docstring)."""
        parts: dict[str, torch.Tensor] = {}
        total = out["emotion_logits"].new_zeros(())
        if "emotion" in target:
            y = target["emotion"].long()
            parts["emotion"] = focal_loss(
                out["emotion_logits"], y, float(self.opts["focal_gamma"]), float(self.opts["focal_mu"])
            )
            lw = [float(v) for v in self.opts["level_weights"]]
            parts["levels"] = sum(  # type: ignore[assignment]
                (lw[i] * F.cross_entropy(out["level_logits"][:, i], y) for i in range(3)),
                out["emotion_logits"].new_zeros(()),
            )
            total = total + parts["emotion"] + parts["levels"]
        if "ib_kl" in out:
            parts["ib"] = out["ib_kl"].mean()
            total = total + float(self.opts["beta_ib"]) * parts["ib"]
        return with_auxiliary_losses(parts, total, out, target, self.opts)


def _build(name: str, variant: dict[str, Any], kw: dict[str, Any]) -> MADVNet:
    cfg = build_cfg(name, {"input_kind": "madv", "image_size": 112, "num_frames": 16}, _DEFAULTS, variant, kw)
    # 6 channels (RGB + differences), 8 with the depth stream, whatever a generic config says
    return MADVNet(cfg.replace(in_chans=8 if cfg.options["use_depth"] else 6))


@register_model
def madv(**kw: Any) -> MADVNet:
    """Full-size MADV-Net (our reading): dims 64/192/384, depths 1/2/4, 16 x 112 x 112, no depth stream."""
    return _build("madv", {}, kw)


@register_model
def madv_small(**kw: Any) -> MADVNet:
    """CPU-sized variant: width 0.25 (dims 16/48/96), depths 1/1/2."""
    return _build("madv_small", {"width": 0.25, "depths": [1, 1, 2]}, kw)
