"""Building blocks of the multi-scale 3D-ResNet (Jin et al.): backbone units, attention, RC1-3, AFFA.

Tensors are ``(B, C, T, H, W)``; kernels are written ``T x H x W`` as in the paper.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ml.models._resnet3d import BasicBlock3d

__all__ = [
    "AFFA",
    "RC1",
    "RC2",
    "RC3",
    "BasicBlock3d",
    "Bottleneck3d",
    "ConvBNReLU",
    "Head",
    "SpatioTemporalAttention",
    "make_layer",
]


class ConvBNReLU(nn.Sequential):
    """Conv3d (no bias, "same" padding for odd kernels) -> BatchNorm3d -> ReLU."""

    def __init__(self, cin: int, cout: int, k: tuple[int, int, int] = (1, 1, 1)) -> None:
        pad = (k[0] // 2, k[1] // 2, k[2] // 2)
        super().__init__(
            nn.Conv3d(cin, cout, k, padding=pad, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True)
        )


class Bottleneck3d(nn.Module):
    """1x1x1 -> 3x3x3 (strided) -> 1x1x1 (x4 channels), with projection shortcut; the ResNet-50 unit."""

    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        cout = planes * self.expansion
        self.conv1 = nn.Conv3d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = nn.Conv3d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm3d(planes)
        self.conv3 = nn.Conv3d(planes, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm3d(cout)
        self.down: nn.Module = (
            nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=False), nn.BatchNorm3d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = F.relu(self.bn2(self.conv2(y)), inplace=True)
        y = self.bn3(self.conv3(y))
        return F.relu(y + self.down(x), inplace=True)


def make_layer(
    block: type[BasicBlock3d] | type[Bottleneck3d], cin: int, planes: int, n: int, stride: int
) -> nn.Sequential:
    """``n`` residual units; the first one strides and projects."""
    layers: list[nn.Module] = [block(cin, planes, stride)]
    cout = planes * block.expansion
    layers += [block(cout, planes, 1) for _ in range(n - 1)]
    return nn.Sequential(*layers)


class SpatioTemporalAttention(nn.Module):
    """Temporal then spatial attention after block 1 (the paper names them only).

    Temporal: mean and max over (C, H, W) -> ``(B, 2, T)`` -> Conv1d(2, 1, 3) -> sigmoid rescales frames.
    Spatial (CBAM-style): mean and max over C -> ``(B, 2, T, H, W)`` -> Conv3d(2, 1, 1x7x7) -> sigmoid.
    """

    def __init__(self) -> None:
        super().__init__()
        self.temporal = nn.Conv1d(2, 1, 3, padding=1)
        self.spatial = nn.Conv3d(2, 1, (1, 7, 7), padding=(0, 3, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.stack([x.mean(dim=(1, 3, 4)), x.amax(dim=(1, 3, 4))], dim=1)  # (B, 2, T)
        x = x * torch.sigmoid(self.temporal(t))[:, :, :, None, None]
        s = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.spatial(s))


class _WeightedSum(nn.Module):
    """Learned fusion ``K = sum_i w_i X_i`` (Eqs. 3.8, 3.9), ``w = ReLU(w) / (sum ReLU(w) + 1e-4)``."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.ones(n))

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        w = F.relu(self.w)
        w = w / (w.sum() + 1e-4)
        out = w[0] * xs[0]
        for i in range(1, len(xs)):
            out = out + w[i] * xs[i]
        return out


class _GlobalBranch(nn.Module):
    """Global average pooling -> 1x1x1 conv -> broadcast back to the input's T x H x W."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv3d(c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.conv(F.adaptive_avg_pool3d(x, 1))
        return g.expand_as(x)


def _factorised(cin: int, cout: int, k: int) -> nn.Sequential:
    """A k x k x k receptive field as 1x1xk -> 1xkx1 -> kx1x1 (W, H, then T)."""
    return nn.Sequential(
        ConvBNReLU(cin, cout, (1, 1, k)), ConvBNReLU(cout, cout, (1, k, 1)), ConvBNReLU(cout, cout, (k, 1, 1))
    )


class RC1(nn.Module):
    """Multi-scale module after block 2: 1x1x1 | 1x1x1->3x3x3 | 1x1x1->3x3x3->3x3x3 | global; out = X + K."""

    def __init__(self, c: int) -> None:
        super().__init__()
        r = max(1, c // 4)
        self.b1 = ConvBNReLU(c, c)
        self.b2 = nn.Sequential(ConvBNReLU(c, r), ConvBNReLU(r, c, (3, 3, 3)))
        self.b3 = nn.Sequential(ConvBNReLU(c, r), ConvBNReLU(r, r, (3, 3, 3)), ConvBNReLU(r, c, (3, 3, 3)))
        self.b4 = _GlobalBranch(c)
        self.fuse = _WeightedSum(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fuse([self.b1(x), self.b2(x), self.b3(x), self.b4(x)])


class RC2(nn.Module):
    """Multi-scale module after block 3: 1x1x1 | global | factorised 7 | factorised 5 stacked twice (~9)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        r = max(1, c // 4)
        self.b1 = ConvBNReLU(c, c)
        self.b2 = _GlobalBranch(c)
        self.b3 = nn.Sequential(ConvBNReLU(c, r), _factorised(r, r, 7), ConvBNReLU(r, c))
        self.b4 = nn.Sequential(
            ConvBNReLU(c, r), _factorised(r, r, 5), _factorised(r, r, 5), ConvBNReLU(r, c)
        )
        self.fuse = _WeightedSum(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fuse([self.b1(x), self.b2(x), self.b3(x), self.b4(x)])


class RC3(nn.Module):
    """Multi-scale module after block 4, eight outputs (Eq. 3.9).

    Branch 1: 1x1x1 -> 1x1x3 -> 1x3x1 -> 3x1x1, then parallel 1x1x3, 1x3x1, 3x1x1 (X1-X3);
    branch 2: 1x1x1 then parallel 1x1x3, 1x3x1, 3x1x1 (X4-X6); branch 3: 1x1x1 (X7); branch 4: global (X8).
    Reduced widths are C/4; each parallel output is projected back to C by a 1x1x1 conv.
    """

    def __init__(self, c: int) -> None:
        super().__init__()
        r = max(1, c // 4)
        self.stem1 = nn.Sequential(ConvBNReLU(c, r), _factorised(r, r, 3))
        self.stem2 = ConvBNReLU(c, r)
        kernels = ((1, 1, 3), (1, 3, 1), (3, 1, 1))
        self.par1 = nn.ModuleList(nn.Sequential(ConvBNReLU(r, r, k), ConvBNReLU(r, c)) for k in kernels)
        self.par2 = nn.ModuleList(nn.Sequential(ConvBNReLU(r, r, k), ConvBNReLU(r, c)) for k in kernels)
        self.b7 = ConvBNReLU(c, c)
        self.b8 = _GlobalBranch(c)
        self.fuse = _WeightedSum(8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1, s2 = self.stem1(x), self.stem2(x)
        xs = [m(s1) for m in self.par1] + [m(s2) for m in self.par2] + [self.b7(x), self.b8(x)]
        return x + self.fuse(xs)


class _CAM(nn.Module):
    """Channel attention weight (Eq. 3.10): ``sigmoid(L_avg(X) + L_max(X))``, ``(B, C, 1, 1, 1)``.

    ``L(X) = BN(PW2(ReLU(BN(PW1(Pool(X))))))`` with PW1: C -> C/r, PW2: C/r -> C; separate weights for the
    average- and max-pooled paths.
    """

    def __init__(self, c: int, r: int = 4) -> None:
        super().__init__()
        h = max(1, c // r)

        def path() -> nn.Sequential:
            return nn.Sequential(
                nn.Conv3d(c, h, 1, bias=False),
                nn.BatchNorm3d(h),
                nn.ReLU(inplace=True),
                nn.Conv3d(h, c, 1, bias=False),
                nn.BatchNorm3d(c),
            )

        self.avg, self.max = path(), path()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.avg(F.adaptive_avg_pool3d(x, 1)) + self.max(F.adaptive_max_pool3d(x, 1)))


class AFFA(nn.Module):
    """Iterative attentional feature fusion (Eq. 3.11 applied twice, iAFF-style).

    ``W1 = CAM1(X + Y); Z1 = W1 X + (1 - W1) Y; W2 = CAM2(Z1); Z = W2 X + (1 - W2) Y``, where X is the
    upsampled deeper map and Y the shallower one (same shape).
    """

    def __init__(self, c: int, r: int = 4) -> None:
        super().__init__()
        self.cam1, self.cam2 = _CAM(c, r), _CAM(c, r)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        w1 = self.cam1(x + y)
        z1 = w1 * x + (1 - w1) * y
        w2 = self.cam2(z1)
        return w2 * x + (1 - w2) * y


class Up(nn.Module):
    """Deeper map (C_in) -> the shallower map's size and channels (C_out).

    ``"deconv"`` (paper): ConvTranspose3d(k=3, stride 2, pad 1) called with the target size (odd sizes
    need it); ``"upsample"`` (cheaper): 1x1x1 conv then trilinear interpolation.
    """

    def __init__(self, cin: int, cout: int, mode: str = "deconv") -> None:
        super().__init__()
        if mode not in ("deconv", "upsample"):
            raise ValueError(f"upsampling mode must be 'deconv' or 'upsample', got {mode!r}")
        self.mode = mode
        self.op: nn.Module = (
            nn.ConvTranspose3d(cin, cout, 3, stride=2, padding=1)
            if mode == "deconv"
            else nn.Conv3d(cin, cout, 1)
        )

    def forward(self, x: torch.Tensor, size: torch.Size) -> torch.Tensor:
        if self.mode == "deconv":
            op = self.op
            if not isinstance(op, nn.ConvTranspose3d):  # pragma: no cover - construction guarantees it
                raise TypeError("deconv mode needs a ConvTranspose3d")
            return op(x, output_size=list(size))
        return F.interpolate(self.op(x), size=tuple(size), mode="trilinear", align_corners=False)


class Head(nn.Module):
    """One output of the discriminative network: GAP -> FC(C, hidden) -> ReLU -> Dropout -> FC(hidden, K)."""

    def __init__(self, c: int, hidden: int, k: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(c, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(hidden, k)
        )

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.net(pooled)
