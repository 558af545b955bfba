"""Layers of MADV-Net (Kong, You, Lv, Sensors 2025): 3D stem, CvT-style attention, stages, AU coder.

Token maps are channels-last ``(B, T, H, W, C)`` inside the transformer stages.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["AUCoder", "MADVStage", "Stem3d"]


class Stem3d(nn.Module):
    """Eq. 2, ``MaxPool3D(BN(Conv3D(z)))`` + ReLU: k (3, 7, 7), stride (1, 2, 2); pool 1x3x3, stride 1x2x2."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv3d(cin, cout, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False),
            nn.BatchNorm3d(cout),
            nn.ReLU(inplace=True),
            nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _ConvProj(nn.Module):
    """Eq. 1 / Fig. 2: Reshape2D -> depthwise s x s conv (stride) -> BN -> pointwise 1x1 -> Flatten.

    With ``joint=True`` the same is done with 3-D kernels over the whole (T, H, W) token map.
    """

    def __init__(self, dim: int, kernel: int, stride: int, joint: bool) -> None:
        super().__init__()
        self.dw: nn.Module
        self.bn: nn.Module
        self.pw: nn.Module
        if joint:
            self.dw = nn.Conv3d(dim, dim, kernel, (1, stride, stride), kernel // 2, groups=dim, bias=False)
            self.bn, self.pw = nn.BatchNorm3d(dim), nn.Conv3d(dim, dim, 1)
        else:
            self.dw = nn.Conv2d(dim, dim, kernel, stride, kernel // 2, groups=dim, bias=False)
            self.bn, self.pw = nn.BatchNorm2d(dim), nn.Conv2d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, *grid)`` -> ``(N, L, C)`` tokens."""
        return self.pw(self.bn(self.dw(x))).flatten(2).transpose(1, 2)


def _mha(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int) -> torch.Tensor:
    """Multi-head scaled dot-product attention on ``(N, L, C)`` tokens."""
    n, lq, c = q.shape
    d = c // heads

    def split(t: torch.Tensor) -> torch.Tensor:
        return t.reshape(n, t.shape[1], heads, d).transpose(1, 2)

    y = F.scaled_dot_product_attention(split(q), split(k), split(v))
    return y.transpose(1, 2).reshape(n, lq, c)


class ConvAttention(nn.Module):
    """Multi-head self-attention whose Q/K/V are convolutional projections (CvT).

    ``joint=False``: spatial attention within each frame (factorised space-time, stages 1-2);
    ``joint=True``: attention over all T x H x W tokens plus an optional class token, which is projected
    linearly (a conv cannot see it), as in CvT.
    """

    def __init__(
        self, dim: int, heads: int, kernel: int = 3, kv_stride: int = 2, joint: bool = False
    ) -> None:
        super().__init__()
        self.heads, self.joint = heads, joint
        self.q = _ConvProj(dim, kernel, 1, joint)
        self.k = _ConvProj(dim, kernel, kv_stride, joint)
        self.v = _ConvProj(dim, kernel, kv_stride, joint)
        self.cls_qkv = nn.Linear(dim, 3 * dim) if joint else None
        self.proj = nn.Linear(dim, dim)

    def forward(
        self, x: torch.Tensor, cls: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``x (B, T, H, W, C)``, ``cls (B, 1, C)`` -> same shapes."""
        b, t, h, w, c = x.shape
        if not self.joint:
            m = x.reshape(b * t, h, w, c).permute(0, 3, 1, 2)
            y = _mha(self.q(m), self.k(m), self.v(m), self.heads)
            return self.proj(y).reshape(b, t, h, w, c), cls
        m = x.permute(0, 4, 1, 2, 3)
        q, k, v = self.q(m), self.k(m), self.v(m)
        if cls is not None and self.cls_qkv is not None:
            cq, ck, cv = self.cls_qkv(cls).chunk(3, dim=-1)
            q, k, v = torch.cat([cq, q], 1), torch.cat([ck, k], 1), torch.cat([cv, v], 1)
        y = self.proj(_mha(q, k, v, self.heads))
        if cls is not None:
            return y[:, 1:].reshape(b, t, h, w, c), y[:, :1]
        return y.reshape(b, t, h, w, c), None


class TemporalAttention(nn.Module):
    """Self-attention along T at each spatial position (the factorised "time" attention)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, h, w, c = x.shape
        s = x.permute(0, 2, 3, 1, 4).reshape(b * h * w, t, c)
        q, k, v = self.qkv(s).chunk(3, dim=-1)
        y = self.proj(_mha(q, k, v, self.heads))
        return y.reshape(b, h, w, t, c).permute(0, 3, 1, 2, 4)


class _Block(nn.Module):
    """Pre-LN block: conv-projection attention (+ temporal attention when factorised) + MLP (ratio 4)."""

    def __init__(self, dim: int, heads: int, joint: bool, kv_stride: int) -> None:
        super().__init__()
        self.joint = joint
        self.ln1, self.ln3 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = ConvAttention(dim, heads, 3, kv_stride, joint)
        self.ln2 = None if joint else nn.LayerNorm(dim)
        self.tattn = None if joint else TemporalAttention(dim, heads)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor, cls: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        if cls is not None:
            ya, yc = self.attn(self.ln1(x), self.ln1(cls))
            x = x + ya
            cls = cls + yc if yc is not None else cls
        else:
            x = x + self.attn(self.ln1(x))[0]
        if self.tattn is not None and self.ln2 is not None:
            x = x + self.tattn(self.ln2(x))
        x = x + self.mlp(self.ln3(x))
        if cls is not None:
            cls = cls + self.mlp(self.ln3(cls))
        return x, cls


class MADVStage(nn.Module):
    """One pyramid level: convolutional token embedding (Conv3d k3, stride (st, 2, 2) + LayerNorm), then
    ``depth`` blocks. The last level (``cls=True``) attends jointly over space-time with a class token and a
    learnable position embedding (Eq. 13: ``[f_c, f_1..f_p] + f_pos``)."""

    def __init__(
        self, cin: int, dim: int, heads: int, depth: int, t_stride: int, cls: bool, grid: tuple[int, int, int]
    ) -> None:
        super().__init__()
        self.embed = nn.Conv3d(cin, dim, 3, (t_stride, 2, 2), 1)
        self.norm = nn.LayerNorm(dim)
        self.use_cls = cls
        self.grid = grid  # (T, H, W) after the embedding
        if cls:
            self.cls = nn.Parameter(torch.zeros(1, 1, dim))
            self.pos = nn.Parameter(torch.zeros(1, 1 + math.prod(grid), dim))
            nn.init.trunc_normal_(self.pos, std=0.02)
        self.blocks = nn.ModuleList(_Block(dim, heads, cls, 1 if cls else 2) for _ in range(depth))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(B, Cin, T, H, W)`` -> ``(B, dim, T', H', W')`` map and the class token ``(B, dim)`` or None."""
        m = self.norm(self.embed(x).permute(0, 2, 3, 4, 1))  # (B, T, H, W, C)
        b, t, h, w, c = m.shape
        cls: torch.Tensor | None = None
        if self.use_cls:
            if (t, h, w) != self.grid:
                raise ValueError(
                    f"MADV-Net was built for a {self.grid} token grid, got {(t, h, w)}: check the input size"
                )
            tok = torch.cat([self.cls.expand(b, -1, -1), m.reshape(b, t * h * w, c)], 1) + self.pos
            cls, m = tok[:, :1], tok[:, 1:].reshape(b, t, h, w, c)
        for blk in self.blocks:
            m, cls = blk(m, cls)
        return m.permute(0, 4, 1, 2, 3), (cls[:, 0] if cls is not None else None)


class AUCoder(nn.Module):
    """Layer-wise information-bottleneck AU encoder (Eqs. 3-12, simplified).

    ``v0 = ReLU(F0(x))``, ``mu = F1(v0)``; in training ``v1 = mu + eps`` (unit variance fixed, Eq. 8
    optimises only the mean), else ``v1 = mu``; AU logits ``= F2(v1)`` (Eq. 11: sigmoid/BCE). The
    bottleneck term ``KL(N(mu, 1) || N(0, 1)) = ||mu||^2 / 2`` (Eq. 5) is returned for weighting by beta.
    """

    def __init__(self, dim: int, n_au: int, hidden: int = 256, code: int = 128) -> None:
        super().__init__()
        self.f0 = nn.Linear(dim, hidden)
        self.f1 = nn.Linear(hidden, code)
        self.f2 = nn.Linear(code, n_au)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(B, dim)`` -> AU logits ``(B, A)``, code ``(B, code)``, KL per sample ``(B,)``."""
        mu = self.f1(F.relu(self.f0(x)))
        v = mu + torch.randn_like(mu) if self.training else mu
        kl = 0.5 * (mu**2).sum(1)
        return self.f2(v), mu, kl
