"""Compute cost of a model per clip, counted by ``torch.utils.flop_counter.FlopCounterMode``.

FlopCounterMode counts the matrix work (convolutions, matmuls) as 2 FLOPs per multiply-accumulate;
batch norm, ReLU, pooling and softmax are not counted (they are a fraction of a percent here). Papers
often quote multiply-accumulates (MACs) as "FLOPs"; divide by 2 to compare with such figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["count_gflops", "count_gmacs"]


def _clip_shape(model: nn.Module, input_size: Sequence[int] | None) -> tuple[int, ...]:
    if input_size is None:
        cfg = getattr(model, "cfg", None)
        if cfg is None:
            raise ValueError("input_size is required for a model without a cfg")
        return tuple(cfg.input_size)
    shape = tuple(int(v) for v in input_size)
    if len(shape) != 4 or min(shape) < 1:
        raise ValueError(f"input_size must be one clip's (C, T, H, W), got {tuple(input_size)}")
    return shape


def count_gflops(model: nn.Module, input_size: Sequence[int] | None = None) -> float:
    """GFLOPs of one forward pass for one clip (2 FLOPs per multiply-accumulate).

    Args:
        model: a model taking ``(B, C, T, H, W)``.
        input_size: one clip's ``(C, T, H, W)``; default ``model.cfg.input_size``.

    Returns:
        Giga floating-point operations per clip (the model is run once on a zero clip, in eval mode).
    """

    shape = _clip_shape(model, input_size)
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    x = torch.zeros((1, *shape), device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x)
    finally:
        model.train(was_training)
    return counter.get_total_flops() / 1e9


def count_gmacs(model: nn.Module, input_size: Sequence[int] | None = None) -> float:
    """Giga multiply-accumulates per clip: :func:`count_gflops` / 2 (the unit many papers call FLOPs)."""
    return count_gflops(model, input_size) / 2.0
