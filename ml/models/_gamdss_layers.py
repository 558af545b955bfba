"""Layers of the GAMDSS network (Liu et al., arXiv 2603.04766): a small retention ViT (RMT), a position ViT.

Re-implemented from the paper's description (the released code is AGPL and was not used). Tensors are
channels-last ``(B, H, W, C)`` inside the RMT, like the paper's token maps.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["RMT", "SpatialViT"]


class _DropPath(nn.Module):
    """Stochastic depth: drop a residual branch per sample during training."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p <= 0.0:
            return x
        keep = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(1.0 - self.p)
        return x * keep / (1.0 - self.p)


def _decay(num_heads: int, init_value: float, heads_range: float) -> torch.Tensor:
    """Per-head log decay ``log(1 - 2^(-init - range * h / heads))`` (Manhattan-distance retention)."""
    h = torch.arange(num_heads, dtype=torch.float32)
    return torch.log(1 - 2 ** (-init_value - heads_range * h / num_heads))


def _mask_1d(n: int, log_gamma: torch.Tensor) -> torch.Tensor:
    """``(heads, n, n)`` decay ``gamma^|i - j|``."""
    idx = torch.arange(n, dtype=torch.float32, device=log_gamma.device)
    dist = (idx[:, None] - idx[None, :]).abs()
    return torch.exp(log_gamma[:, None, None] * dist)


def _mask_2d(h: int, w: int, log_gamma: torch.Tensor) -> torch.Tensor:
    """``(heads, hw, hw)`` decay ``gamma^(|dy| + |dx|)``."""
    ys, xs = torch.meshgrid(
        torch.arange(h, device=log_gamma.device), torch.arange(w, device=log_gamma.device), indexing="ij"
    )
    pos = torch.stack([ys.flatten(), xs.flatten()], 1).float()
    dist = (pos[:, None, :] - pos[None, :, :]).abs().sum(-1)
    return torch.exp(log_gamma[:, None, None] * dist)


class _MaSA(nn.Module):
    """Manhattan self-attention: ``(softmax(Q K^T / sqrt(d)) * D) V`` + LePE (5x5 depthwise conv on V).

    ``decomposed=True`` attends along W within rows, then along H within columns (stages 1-2 of the
    paper); otherwise full 2-D attention with the 2-D decay (stages 3-4). The rotary position term of the
    original RMT is left out: the decay and the LePE/CPE convolutions carry position.
    """

    def __init__(self, dim: int, heads: int, decomposed: bool, init_value: float, heads_range: float) -> None:
        super().__init__()
        self.heads, self.decomposed = heads, decomposed
        self.qkv = nn.Linear(dim, 3 * dim)
        self.lepe = nn.Conv2d(dim, dim, 5, padding=2, groups=dim)
        self.proj = nn.Linear(dim, dim)
        self.register_buffer("log_gamma", _decay(heads, init_value, heads_range), persistent=False)

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # q, k, v: (..., heads, n, d); mask: (heads, n, n)
        a = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        return (a.softmax(-1) * mask) @ v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        nh, d = self.heads, c // self.heads
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        lepe = self.lepe(v.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        log_gamma: torch.Tensor = self.log_gamma  # type: ignore[assignment]

        def split(t: torch.Tensor) -> torch.Tensor:  # (B, H, W, C) -> (B, H, W, heads, d)
            return t.reshape(b, h, w, nh, d)

        q, k, v = split(q), split(k), split(v)
        if self.decomposed:
            # along W: (B, H, heads, W, d)
            qw, kw, vw = (t.permute(0, 1, 3, 2, 4) for t in (q, k, v))
            y = self._attend(qw, kw, vw, _mask_1d(w, log_gamma))  # (B, H, heads, W, d)
            # along H: (B, W, heads, H, d)
            y = y.permute(0, 3, 2, 1, 4)
            qh, kh = (t.permute(0, 2, 3, 1, 4) for t in (q, k))
            y = self._attend(qh, kh, y, _mask_1d(h, log_gamma))  # (B, W, heads, H, d)
            y = y.permute(0, 3, 1, 2, 4).reshape(b, h, w, c)
        else:
            qf, kf, vf = (t.reshape(b, h * w, nh, d).transpose(1, 2) for t in (q, k, v))
            y = self._attend(qf, kf, vf, _mask_2d(h, w, log_gamma))  # (B, heads, HW, d)
            y = y.transpose(1, 2).reshape(b, h, w, c)
        return self.proj(y + lepe)


class _FFN(nn.Module):
    """Linear(d, r d) -> GELU -> 3x3 depthwise conv (residual) -> Linear(r d, d)."""

    def __init__(self, dim: int, ratio: float) -> None:
        super().__init__()
        hid = int(dim * ratio)
        self.fc1, self.fc2 = nn.Linear(dim, hid), nn.Linear(hid, dim)
        self.dw = nn.Conv2d(hid, hid, 3, padding=1, groups=hid)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.gelu(self.fc1(x))
        y = y + self.dw(y.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return self.fc2(y)


class _RetBlock(nn.Module):
    """``x += CPE(x); x += DropPath(MaSA(LN x)); x += DropPath(FFN(LN x))``."""

    def __init__(
        self,
        dim: int,
        heads: int,
        decomposed: bool,
        init_value: float,
        heads_range: float,
        mlp: float,
        dp: float,
    ) -> None:
        super().__init__()
        self.cpe = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.ln1, self.ln2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.attn = _MaSA(dim, heads, decomposed, init_value, heads_range)
        self.ffn = _FFN(dim, mlp)
        self.drop = _DropPath(dp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.cpe(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        x = x + self.drop(self.attn(self.ln1(x)))
        return x + self.drop(self.ffn(self.ln2(x)))


class RMT(nn.Module):
    """Retention ViT "temporal stream": ``(B, 3, S, S)`` -> ``(B, dims[-1], S/16, S/16)``.

    Stem conv3x3 s2 then three conv3x3 s1 (BN + GELU) to ``dims[0]`` at S/2; four stages (depths
    ``depths``; decomposed retention in stages 1-2, full 2-D in 3-4), conv3x3 s2 + BN between stages.
    """

    def __init__(
        self,
        dims: tuple[int, ...] = (64, 128, 256, 512),
        depths: tuple[int, ...] = (1, 1, 2, 1),
        heads: int = 2,
        heads_ranges: tuple[float, ...] = (4, 4, 6, 6),
        init_value: float = 2.0,
        mlp: float = 3.0,
        drop_path: float = 0.1,
        in_chans: int = 3,
    ) -> None:
        super().__init__()
        c0 = dims[0]
        half = max(1, c0 // 2)

        def cbg(a: int, b: int, s: int) -> list[nn.Module]:
            return [nn.Conv2d(a, b, 3, s, 1), nn.BatchNorm2d(b), nn.GELU()]

        self.stem = nn.Sequential(
            *cbg(in_chans, half, 2), *cbg(half, half, 1), *cbg(half, c0, 1), *cbg(c0, c0, 1)
        )
        rates = torch.linspace(0, drop_path, sum(depths)).tolist()
        self.stages = nn.ModuleList()
        self.downs = nn.ModuleList()
        k = 0
        for i, (dim, depth) in enumerate(zip(dims, depths, strict=True)):
            blocks = [
                _RetBlock(dim, heads, i < 2, init_value, heads_ranges[i], mlp, rates[k + j])
                for j in range(depth)
            ]
            k += depth
            self.stages.append(nn.Sequential(*blocks))
            if i < len(dims) - 1:
                self.downs.append(
                    nn.Sequential(nn.Conv2d(dim, dims[i + 1], 3, 2, 1), nn.BatchNorm2d(dims[i + 1]))
                )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for i, stage in enumerate(self.stages):
            x = stage(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
            if i < len(self.downs):
                x = self.downs[i](x)
        return x


class _ViTBlock(nn.Module):
    """Pre-LN transformer block (multi-head attention with qkv bias, MLP ratio 4)."""

    def __init__(self, dim: int, heads: int, mlp: float = 4.0) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, int(dim * mlp)), nn.GELU(), nn.Linear(int(dim * mlp), dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.ln1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class SpatialViT(nn.Module):
    """Position stream: frame resized to ``grid x grid`` pixels, 1x1 patch embedding, learned position
    embedding, 2 transformer blocks, LayerNorm -> ``(B, dim, grid, grid)`` (Eqs. 6-7)."""

    def __init__(self, grid: int, dim: int = 512, heads: int = 4, depth: int = 2, in_chans: int = 3) -> None:
        super().__init__()
        self.grid = grid
        self.embed = nn.Conv2d(in_chans, dim, 1)
        self.pos = nn.Parameter(torch.zeros(1, grid * grid, dim))
        nn.init.trunc_normal_(self.pos, std=0.02)
        self.blocks = nn.Sequential(*[_ViTBlock(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=(self.grid, self.grid), mode="bilinear", align_corners=False)
        t = self.embed(x).flatten(2).transpose(1, 2) + self.pos
        t = self.norm(self.blocks(t))
        return t.transpose(1, 2).reshape(x.shape[0], -1, self.grid, self.grid)
