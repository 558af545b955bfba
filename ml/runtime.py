"""Where and how a model runs: device choice, mixed precision, batched prediction.

One place for these rules, used by analysis (:mod:`ml.analyze`) and by training and evaluation
(:mod:`ml.train`), so a clip scored by ``microexpr infer`` and by ``microexpr evaluate`` goes through the
same code.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch

from ml.models import MicroExprModel

__all__ = ["AMP_MODES", "Predictions", "autocast", "predict", "resolve_device"]

#: Autocast modes on CUDA (``"none"``: float32). On the CPU every mode runs in float32.
AMP_MODES = ("bf16", "fp16", "none")


def resolve_device(device: str | None, *, local_rank: int | None = None) -> str:
    """``None`` -> ``"cuda"`` when available else ``"cpu"``; ``local_rank`` picks a rank's GPU under DDP.

    Raises:
        ValueError: an unknown device, or CUDA asked for but not available.
    """
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} was requested but CUDA is not available; use 'cpu'")
        if local_rank is not None and device == "cuda":
            device = f"cuda:{local_rank}"
    return device


def autocast(device: str, amp: str) -> contextlib.AbstractContextManager[object]:
    """bf16/fp16 autocast on CUDA; a no-op on the CPU or with ``amp="none"``."""
    if amp not in AMP_MODES:
        raise ValueError(f"amp must be one of {AMP_MODES}, got {amp!r}")
    if not device.startswith("cuda") or amp == "none":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if amp == "bf16" else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


@dataclass(frozen=True)
class Predictions:
    """Model outputs for N clips: ``emotion_probs (N, E)``, ``au_probs (N, A)``, ``timing (N, 3)``."""

    emotion_probs: np.ndarray
    au_probs: np.ndarray
    timing: np.ndarray


@torch.no_grad()
def predict(
    model: MicroExprModel, inputs: np.ndarray, *, device: str = "cpu", batch_size: int = 16, amp: str = "none"
) -> Predictions:
    """Run ``model`` on ``(N, C, T, H, W)`` inputs; returns probabilities and timing fractions in [0, 1]."""
    model.eval()
    model.to(device)
    emo: list[np.ndarray] = []
    aus: list[np.ndarray] = []
    tim: list[np.ndarray] = []
    for start in range(0, inputs.shape[0], batch_size):
        x = torch.from_numpy(np.ascontiguousarray(inputs[start : start + batch_size])).to(device)
        with autocast(device, amp):
            out = model(x)
        emo.append(torch.softmax(out["emotion_logits"].float(), dim=-1).cpu().numpy())
        aus.append(torch.sigmoid(out["au_logits"].float()).cpu().numpy())
        tim.append(out["timing"].float().clamp(0, 1).cpu().numpy())
    return Predictions(
        emotion_probs=np.concatenate(emo).astype(np.float64),
        au_probs=np.concatenate(aus).astype(np.float64),
        timing=np.concatenate(tim).astype(np.float64),
    )
