"""Distributed training: detect a ``torchrun`` launch from its environment and set up the process group.

``torchrun --nproc_per_node=N -m ml train ...`` sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` (and
``MASTER_ADDR``/``MASTER_PORT``). A plain ``microexpr train`` has none of them and runs single-process.
Only rank 0 writes files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import torch.distributed as dist

__all__ = ["DistEnv", "cleanup", "detect", "init_distributed"]


@dataclass(frozen=True)
class DistEnv:
    """Where this process sits in a distributed run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def detect(environ: Mapping[str, str] | None = None) -> DistEnv:
    """Read the torchrun variables; a missing or partial set means a single process.

    Raises:
        ValueError: the variables are present but inconsistent (e.g. ``RANK >= WORLD_SIZE``).
    """
    env = os.environ if environ is None else environ
    if "WORLD_SIZE" not in env or "RANK" not in env:
        return DistEnv()
    try:
        world = int(env["WORLD_SIZE"])
        rank = int(env["RANK"])
        local = int(env.get("LOCAL_RANK", rank))
    except ValueError as exc:
        raise ValueError(
            f"bad torchrun environment (RANK/WORLD_SIZE/LOCAL_RANK must be integers): {exc}"
        ) from exc
    if world < 1 or not 0 <= rank < world or local < 0:
        raise ValueError(f"bad torchrun environment: RANK={rank}, WORLD_SIZE={world}, LOCAL_RANK={local}")
    return DistEnv(rank=rank, world_size=world, local_rank=local)


def init_distributed(env: DistEnv, device: str) -> bool:
    """Start the default process group if ``env`` is distributed and none exists yet.

    Uses NCCL for CUDA devices and gloo otherwise; the rendezvous comes from the environment
    (``init_method="env://"``). Returns True if this call created the group.
    """

    if not dist.is_available() or dist.is_initialized():
        return False
    if not env.enabled and "MASTER_ADDR" not in os.environ:
        return False
    backend = "nccl" if device.startswith("cuda") else "gloo"
    dist.init_process_group(backend=backend, init_method="env://", rank=env.rank, world_size=env.world_size)
    return True


def cleanup(created: bool) -> None:
    """Destroy the process group if :func:`init_distributed` created it."""

    if created and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
