"""3D-ResNet-18 backbone (the AU-GCN paper, Table 1) with a channel-width multiplier.

Data flow for a ``(B, C, T, 112, 112)`` clip at width 1.0 (``T = 16``)::

    conv1  3x7x7, 64, stride 1x2x2, BN, ReLU      -> (B,  64, T,   56, 56)
    stage1 2 x BasicBlock 3x3x3, 64                -> (B,  64, T,   56, 56)
    stage2 2 x BasicBlock 3x3x3, 128, stride 2     -> (B, 128, T/2, 28, 28)
    stage3 2 x BasicBlock 3x3x3, 256, stride 2     -> (B, 256, T/4, 14, 14)
    stage4 2 x BasicBlock 3x3x3, 512, stride 2     -> (B, 512, T/8,  7,  7)
    global average pooling                         -> (B, 512)

There is no max-pool after conv1 (Table 1 keeps 56 x 56 into the first stage). The first block of stages
2-4 halves time, height and width with a stride-2 3x3x3 convolution; its shortcut is a strided 1x1x1
convolution with batch norm. ``width`` scales every channel count (``round(64 * width)`` etc.); depth is
always Table 1's.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["BasicBlock3d", "ResNet3d", "stage_widths"]


def stage_widths(width: float, base: tuple[int, ...] = (64, 128, 256, 512)) -> tuple[int, ...]:
    """Channel counts of conv1/stage1..4 for a width multiplier (at least 4 channels each).

    Raises:
        ValueError: ``width`` is not a positive number.
    """
    if not width > 0:
        raise ValueError(f"width multiplier must be > 0, got {width!r}")
    return tuple(max(4, round(c * width)) for c in base)


class BasicBlock3d(nn.Module):
    """Two 3x3x3 convolutions with batch norm and an identity (or projected) shortcut.

    Args:
        in_ch: input channels.
        out_ch: output channels.
        stride: stride of the first convolution (1 or 2 in every dimension).
    """

    #: output channels per ``out_ch`` (1; the bottleneck unit of deeper ResNets has 4)
    expansion = 1

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv3d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(out_ch)
        self.conv2 = nn.Conv3d(out_ch, out_ch, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm3d(out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or in_ch != out_ch:
            self.downsample = nn.Sequential(
                nn.Conv3d(in_ch, out_ch, 1, stride=stride, bias=False),
                nn.BatchNorm3d(out_ch),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in_ch, T, H, W)`` -> ``(B, out_ch, T/s, H/s, W/s)``."""
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet3d(nn.Module):
    """Table 1's 3D-ResNet-18 up to the last stage (pooling is left to the caller).

    Args:
        in_chans: input channels (3 for RGB).
        width: channel multiplier (1.0 = Table 1).
        blocks: residual blocks per stage (Table 1: two each).
        zero_init_residual: start each block's last BN at zero so every block begins as identity
            (helps training from scratch on small datasets).
    """

    def __init__(
        self,
        in_chans: int = 3,
        width: float = 1.0,
        blocks: tuple[int, int, int, int] = (2, 2, 2, 2),
        *,
        zero_init_residual: bool = True,
    ) -> None:
        super().__init__()
        widths = stage_widths(width)
        self.stem = nn.Sequential(
            nn.Conv3d(in_chans, widths[0], (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
            nn.BatchNorm3d(widths[0]),
            nn.ReLU(inplace=True),
        )
        stages: list[nn.Module] = []
        in_ch = widths[0]
        for i, (out_ch, n) in enumerate(zip(widths, blocks, strict=True)):
            stride = 1 if i == 0 else 2
            layers = [BasicBlock3d(in_ch, out_ch, stride)]
            layers += [BasicBlock3d(out_ch, out_ch, 1) for _ in range(n - 1)]
            stages.append(nn.Sequential(*layers))
            in_ch = out_ch
        self.stages = nn.Sequential(*stages)
        self.num_features = in_ch
        self._init_weights(zero_init_residual)

    def _init_weights(self, zero_init_residual: bool) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock3d):
                    nn.init.zeros_(m.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` -> last-stage map ``(B, num_features, T/8, H/16, W/16)``."""
        return self.stages(self.stem(x))
