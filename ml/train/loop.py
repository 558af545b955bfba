"""Fit one model on prepared arrays, and predict with it. Single process or DistributedDataParallel.

The optimiser is AdamW with a linear warm-up then cosine decay, per step. On CUDA the forward pass runs
under bf16 (or fp16 with a gradient scaler) autocast; the losses are computed in float32. Batches are
drawn by a seeded generator (or a :class:`~torch.utils.data.DistributedSampler` under DDP), so a run
is reproducible for a given seed, device and world size.
"""

from __future__ import annotations

import copy
import logging
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.distributed as tdist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler
from tqdm import tqdm

from ml.models._base import MicroExprModel
from ml.runtime import autocast
from ml.stages.inputs import input_traits, mirror_clip
from ml.train.config import TrainConfig
from ml.train.data import PreparedData
from ml.train.dist import DistEnv

__all__ = ["FitResult", "fit", "seed_everything"]

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


@dataclass
class FitResult:
    """What training produced: per-epoch mean losses and the epoch kept."""

    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = -1


def _tensors(data: PreparedData) -> dict[str, torch.Tensor]:
    return {
        "x": torch.from_numpy(data.inputs),
        "emotion": torch.from_numpy(data.emotion),
        "aus": torch.from_numpy(data.aus),
        "timing": torch.from_numpy(data.timing),
    }


def _ddp_active() -> bool:

    return bool(tdist.is_available() and tdist.is_initialized())


def _batches(n: int, batch_size: int, epoch: int, seed: int, env: DistEnv) -> Iterator[torch.Tensor]:
    """Shuffled index batches; under DDP each rank gets its DistributedSampler share."""
    if _ddp_active():
        indices: Any = range(n)
        sampler: DistributedSampler[int] = DistributedSampler(
            indices, num_replicas=env.world_size, rank=env.rank, shuffle=True, seed=seed, drop_last=False
        )
        sampler.set_epoch(epoch)
        order = torch.tensor(list(iter(sampler)), dtype=torch.long)
    else:
        gen = torch.Generator().manual_seed(seed * 1000 + epoch)
        order = torch.randperm(n, generator=gen)
    # Drop a trailing batch of one: batch norm cannot train on a single clip.
    stop = len(order) - 1 if len(order) % batch_size == 1 and len(order) > 1 else len(order)
    for start in range(0, stop, batch_size):
        yield order[start : min(start + batch_size, stop)]


def _augment(
    x: torch.Tensor,
    gen: torch.Generator,
    *,
    negate_on_flip: tuple[int, ...] = (),
    photometric: bool = True,
) -> torch.Tensor:
    """Random horizontal flip, and brightness/contrast jitter per clip; ``x`` is ``(B, C, T, H, W)``.

    Args:
        negate_on_flip: channels that change sign under a mirror (the horizontal component of an
            optical-flow input: ``cfg.options["hflip_negate_channels"]``, else the input kind's
            :class:`ml.stages.inputs.InputTraits`).
        photometric: apply the brightness/contrast jitter; only meaningful for pixel inputs (a
            difference or flow input would read a brightness shift as motion).
    """
    b = x.shape[0]
    flip = torch.rand(b, generator=gen) < 0.5
    if bool(flip.any()):
        x = x.clone()
        x[flip] = mirror_clip(x[flip], negate_on_flip)
    if not photometric:
        return x
    gain = (1.0 + 0.1 * (torch.rand(b, generator=gen) * 2 - 1)).view(b, 1, 1, 1, 1)
    shift = (0.2 * (torch.rand(b, generator=gen) * 2 - 1)).view(b, 1, 1, 1, 1)
    return x * gain.to(x.device) + shift.to(x.device)


def _lr_factor(step: int, total: int, warmup: int) -> float:
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def _unwrap(model: nn.Module) -> MicroExprModel:
    inner = model.module if hasattr(model, "module") else model
    return inner  # type: ignore[return-value]


def fit(
    model: MicroExprModel,
    train: PreparedData,
    cfg: TrainConfig,
    *,
    device: str = "cpu",
    env: DistEnv | None = None,
    val: PreparedData | None = None,
    seed: int | None = None,
    progress: bool = False,
) -> FitResult:
    """Train ``model`` in place for ``cfg.epochs`` epochs.

    With ``val`` (clips of training subjects held out), the weights of the epoch with the lowest
    validation loss are restored at the end; otherwise the last epoch's weights are kept.

    Raises:
        ValueError: ``train`` is empty or has fewer than two clips.
    """

    env = env or DistEnv()
    seed = cfg.seed if seed is None else seed
    if len(train) < 2:
        raise ValueError(f"cannot train on {len(train)} clip(s): the training split needs at least 2")
    model.to(device)
    net: nn.Module = model
    if _ddp_active():
        net = DistributedDataParallel(
            model, device_ids=[int(device.split(":")[1])] if device.startswith("cuda:") else None
        )
    tensors = _tensors(train)
    bs = min(cfg.batch_size, len(train))
    steps_per_epoch = max(1, len(list(_batches(len(train), bs, 0, seed, env))))
    total = steps_per_epoch * cfg.epochs
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: _lr_factor(s, total, cfg.warmup_epochs * steps_per_epoch)
    )
    scaler = torch.amp.GradScaler("cuda", enabled=device.startswith("cuda") and cfg.amp == "fp16")
    aug_gen = torch.Generator().manual_seed(seed + 17)
    model_cfg = model.cfg
    traits = input_traits(model_cfg.input_kind)
    negate_on_flip = tuple(
        int(c) for c in model_cfg.options.get("hflip_negate_channels", traits.mirror_negate)
    )
    photometric = bool(model_cfg.options.get("photometric_augment", traits.pixels))
    result = FitResult()
    best_loss = math.inf
    best_state: dict[str, torch.Tensor] | None = None
    bar = tqdm(
        range(cfg.epochs), desc="training", unit="epoch", disable=not (progress and env.is_main), leave=False
    )
    for epoch in bar:
        net.train()
        sums: dict[str, float] = {}
        count = 0
        for idx in _batches(len(train), bs, epoch, seed, env):
            x = tensors["x"][idx].to(device, non_blocking=True)
            if cfg.augment:
                x = _augment(x, aug_gen, negate_on_flip=negate_on_flip, photometric=photometric)
            target = {k: tensors[k][idx].to(device) for k in ("emotion", "aus", "timing")}
            with autocast(device, cfg.amp):
                out = net(x)
            out = {k: v.float() for k, v in out.items()}
            losses = _unwrap(net).loss(out, target)
            opt.zero_grad(set_to_none=True)
            scaler.scale(losses["total"]).backward()
            scaler.step(opt)
            scaler.update()
            sched.step()
            n = int(idx.numel())
            count += n
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach()) * n
        epoch_losses = {k: v / max(count, 1) for k, v in sums.items()}
        if val is not None and len(val) > 0:
            epoch_losses["val_total"] = evaluate_loss(model, val, device=device, batch_size=bs, amp=cfg.amp)
            if epoch_losses["val_total"] < best_loss:
                best_loss = epoch_losses["val_total"]
                best_state = copy.deepcopy(model.state_dict())
                result.best_epoch = epoch
        result.history.append(epoch_losses)
        bar.set_postfix(loss=f"{epoch_losses.get('total', float('nan')):.3f}")
        log.info("epoch %d: %s", epoch + 1, {k: round(v, 4) for k, v in epoch_losses.items()})
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        result.best_epoch = cfg.epochs - 1
    model.eval()
    return result


@torch.no_grad()
def evaluate_loss(
    model: MicroExprModel, data: PreparedData, *, device: str, batch_size: int, amp: str
) -> float:
    """Mean total loss of ``model`` on ``data`` (eval mode, no augmentation)."""
    model.eval()
    tensors = _tensors(data)
    total, count = 0.0, 0
    for start in range(0, len(data), batch_size):
        sl = slice(start, start + batch_size)
        x = tensors["x"][sl].to(device)
        with autocast(device, amp):
            out = model(x)
        out = {k: v.float() for k, v in out.items()}
        target = {k: tensors[k][sl].to(device) for k in ("emotion", "aus", "timing")}
        n = int(x.shape[0])
        total += float(model.loss(out, target)["total"]) * n
        count += n
    return total / max(count, 1)
