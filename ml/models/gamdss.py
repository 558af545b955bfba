"""GAMDSS two-branch shared-parameter network.

Paper: Liu, Nan, Qian, Fu, "Evaluating and Correcting Human Annotation Bias in Dynamic Micro-Expression
Recognition", arXiv 2603.04766.

Keyframe re-selection itself lives in :mod:`ml.timing.keyframes`
(``select_keyframes(crops, "gamdss")``), usable in front of any model (``--keyframes gamdss``).
This module is the paper's network, with our choices
([paper] / [choice]):

Input (input kind ``"gamdss"``, :func:`gamdss_input`), ``(3, 3 + K, S, S)``:
    * frames 0, 1, 2: the onset, apex and offset face crops, resized to S and normalised by cfg.mean/std
      [paper: 224 x 224, ImageNet statistics]. Keyframes come from the caller (ground truth, or a
      GAMDSS re-selection in training); when None, :func:`ml.timing.keyframes.select_keyframes` picks them.
    * frames 3 .. 3+K-1 [choice]: the whole clip TIM-resampled to K = ``context_frames`` (16) frames,
      used only by the timing head (the paper predicts no timing).

Network:
    * [paper] rise pass on ``apex - onset``, fall pass on ``apex - offset`` (differences of normalised
      tensors, in float), each through the same (shared-weight) spatio-temporal unit:
      an RMT retention ViT on the difference frame (dims 64/128/256/512, depths 1/1/2/1, 2 heads,
      MLP ratio 3, decay init 2 with head ranges 4/4/6/6, drop-path 0.1) giving an S/16 map, plus a
      2-block ViT "position" stream on an S/16-pixel thumbnail of a frame (onset for rise, apex for
      fall, as the released code), summed, then per-position Linear(512, 1024) -> BN -> Swish -> GAP ->
      Linear(1024, E).
      [choice] the RMT's rotary position term is left out (the decay mask and depthwise LePE/CPE convs
      carry position); parameter count is within a few percent of the paper's 12.6 M.
    * [paper] loss ``CE(rise) + CE(fall)``; prediction = rise logits. ``out["fall_logits"]`` keeps the
      fall head.
    * [addition] AU logits from the rise pass's pooled 1024-d feature; ordered timing from the
      difference-energy profile ``mean |x_t - x_0|`` of the K context frames (normalised by its max)
      through a small MLP. Loss adds ``timing_weight * timing + au_weight * au``.

Training settings [paper/code]: AdamW lr 8e-4, weight decay 0.6 (code), batch 16, 200 epochs,
ExponentialLR 0.987 for the first 50 epochs (``configs/gamdss.yaml``).

``width`` scales all channel counts (``width=0.125`` and S=32 for CPU tests).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml.models._base import MicroExprModel, ModelCfg
from ml.models._gamdss_layers import RMT, SpatialViT
from ml.models._paper_model_parts import OrderedTimingHead, build_cfg, with_auxiliary_losses
from ml.models._registry import register_model
from ml.stages.inputs import register_input
from ml.stages.temporal import tim_interpolate
from ml.timing.keyframes import select_keyframes

__all__ = ["GAMDSSNet", "gamdss", "gamdss_input", "gamdss_small", "tim_resample"]

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
_DEFAULTS: dict[str, Any] = {
    "width": 1.0,
    "context_frames": 16,
    "drop_path": 0.1,
    "branches": "full",
    "timing_weight": 1.0,
    "au_weight": 1.0,
}


def tim_resample(frames: np.ndarray, n: int) -> np.ndarray:
    """``(N, ...)`` -> ``(n, ...)`` float32 by TIM (:func:`ml.stages.temporal.tim_interpolate`).

    Shared by the GAMDSS and MADV-Net input builders.
    """
    return np.asarray(tim_interpolate(frames, n), dtype=np.float32)


@register_input("gamdss", keyframes=True)
def gamdss_input(cfg: ModelCfg, crops: np.ndarray, keyframes: tuple[int, int, int] | None) -> np.ndarray:
    """Onset, apex, offset crops then K context frames, normalised: ``(3, 3 + K, S, S)`` float32."""

    n = crops.shape[0]
    k = int(cfg.options.get("context_frames", _DEFAULTS["context_frames"]))
    if keyframes is None:
        keyframes = select_keyframes(crops, "gamdss")
    idx = [int(np.clip(i, 0, n - 1)) for i in keyframes]
    s = cfg.image_size
    if crops.shape[1:3] != (s, s):
        crops = np.stack([cv2.resize(f, (s, s), interpolation=cv2.INTER_AREA) for f in crops])
    frames = np.concatenate([crops[idx].astype(np.float32), tim_resample(crops, k)], axis=0) / 255.0
    mean = np.asarray(cfg.mean, dtype=np.float32)
    std = np.asarray(cfg.std, dtype=np.float32)
    frames = (frames - mean) / std
    return np.ascontiguousarray(frames.transpose(3, 0, 1, 2), dtype=np.float32)


class GAMDSSNet(MicroExprModel):
    """Rise/fall passes through one shared RMT + position-ViT unit.

    Forward: ``x (B, 3, 3 + K, S, S)`` -> ``emotion_logits`` (rise) ``(B, E)``, ``fall_logits (B, E)``,
    ``au_logits (B, A)``, ``timing (B, 3)``.
    """

    def __init__(self, cfg: ModelCfg) -> None:
        super().__init__(cfg)
        o = {**_DEFAULTS, **cfg.options}
        self.opts = o
        if cfg.image_size % 16:
            raise ValueError(f"gamdss needs an image size divisible by 16, got {cfg.image_size}")
        if o["branches"] not in ("full", "rise", "fall"):
            raise ValueError(f"gamdss branches must be 'full', 'rise' or 'fall', got {o['branches']!r}")
        w = float(o["width"])

        def sc(c: int, mult: int = 1) -> int:
            return max(mult, round(c * w / mult) * mult)

        dims = (sc(64, 2), sc(128, 2), sc(256, 2), sc(512, 4))
        self.k = int(o["context_frames"])
        self.rmt = RMT(dims=dims, drop_path=float(o["drop_path"]), in_chans=cfg.in_chans)
        self.vit = SpatialViT(cfg.image_size // 16, dim=dims[-1], heads=4, in_chans=cfg.in_chans)
        hid = sc(1024)
        self.fuse = nn.Linear(dims[-1], hid)
        self.bn = nn.BatchNorm1d(hid)
        self.classifier = nn.Linear(hid, len(cfg.emotion_names))
        self.au_head = nn.Linear(hid, len(cfg.au_names))
        self.timing_mlp = nn.Sequential(nn.Linear(self.k, 32), nn.ReLU(inplace=True))
        self.timing_head = OrderedTimingHead(32)

    def unit(self, diff: torch.Tensor, frame: torch.Tensor) -> torch.Tensor:
        """Shared spatio-temporal unit: ``(B, 3, S, S)`` difference + position frame -> ``(B, 1024)``."""
        m = self.rmt(diff) + self.vit(frame)  # (B, C, g, g)
        b, _c, g, _ = m.shape
        t = self.fuse(m.flatten(2).transpose(1, 2))  # (B, g*g, hid)
        t = F.silu(self.bn(t.reshape(b * g * g, -1))).reshape(b, g * g, -1)
        return t.mean(1)

    def _energy(self, x: torch.Tensor) -> torch.Tensor:
        ctx = x[:, :, 3 : 3 + self.k]
        e = (ctx - ctx[:, :, :1]).abs().mean(dim=(1, 3, 4))  # (B, K)
        return e / (e.amax(1, keepdim=True) + 1e-6)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, 3 + K, S, S)`` -> ``[rise (hid) | fall (hid) | energy (K)]``."""
        on, ap, off = x[:, :, 0], x[:, :, 1], x[:, :, 2]
        rise = self.unit(ap - on, on)
        fall = self.unit(ap - off, ap) if self.opts["branches"] != "rise" else rise
        return torch.cat([rise, fall, self._energy(x)], dim=1)

    def forward_head(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        hid = self.fuse.out_features
        rise, fall, energy = features[:, :hid], features[:, hid : 2 * hid], features[:, 2 * hid :]
        rise_logits, fall_logits = self.classifier(rise), self.classifier(fall)
        main = fall if self.opts["branches"] == "fall" else rise
        return {
            "emotion_logits": fall_logits if self.opts["branches"] == "fall" else rise_logits,
            "fall_logits": fall_logits,
            "rise_logits": rise_logits,
            "au_logits": self.au_head(main),
            "timing": self.timing_head(self.timing_mlp(energy)),
        }

    def loss(self, out: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``CE(rise) + CE(fall)`` [paper Eq. 12] (one of them for a single-branch variant) + aux terms."""
        parts: dict[str, torch.Tensor] = {}
        total = out["emotion_logits"].new_zeros(())
        if "emotion" in target:
            y = target["emotion"].long()
            br = self.opts["branches"]
            ce = out["emotion_logits"].new_zeros(())
            if br in ("full", "rise"):
                ce = ce + F.cross_entropy(out["rise_logits"], y)
            if br in ("full", "fall"):
                ce = ce + F.cross_entropy(out["fall_logits"], y)
            parts["emotion"] = ce
            total = total + ce
        return with_auxiliary_losses(parts, total, out, target, self.opts)


def _build(name: str, image_size: int, variant: dict[str, Any], kw: dict[str, Any]) -> GAMDSSNet:
    cfg_defaults = {
        "input_kind": "gamdss",
        "image_size": image_size,
        "mean": _IMAGENET_MEAN,
        "std": _IMAGENET_STD,
    }
    cfg = build_cfg(name, cfg_defaults, _DEFAULTS, variant, kw)
    # the input holds 3 keyframes + the context frames, whatever a generic config says
    return GAMDSSNet(cfg.replace(num_frames=3 + int(cfg.options["context_frames"])))


@register_model
def gamdss(**kw: Any) -> GAMDSSNet:
    """Full-size network (paper): 224 x 224 keyframes, RMT 64-512 + 512-d position ViT."""
    return _build("gamdss", 224, {}, kw)


@register_model
def gamdss_small(**kw: Any) -> GAMDSSNet:
    """CPU-sized variant: width 0.25 on 112 x 112 keyframes."""
    return _build("gamdss_small", 112, {"width": 0.25}, kw)
