"""FLOP counts against a closed-form count of Table 1's convolutions."""

import pytest
import torch

from ml.models import create_model
from ml.models.flops import count_gflops, count_gmacs


def _table1_conv_macs(widths=(64, 128, 256, 512), t=16, s=112) -> int:
    """Multiply-accumulates of every convolution of the 3D-ResNet-18, from Table 1's output sizes."""
    macs = 3 * widths[0] * 3 * 7 * 7 * t * (s // 2) ** 2  # conv1 -> T x 56 x 56
    cin, tt, ss = widths[0], t, s // 2
    for stage, c in enumerate(widths):
        if stage > 0:
            tt, ss = tt // 2, ss // 2
            macs += cin * c * tt * ss * ss  # 1x1x1 projection shortcut
        vox = tt * ss * ss
        macs += cin * c * 27 * vox + 3 * c * c * 27 * vox  # 4 convs of 3x3x3 per stage
        cin = c
    return macs


def test_single_conv_by_hand():
    conv = torch.nn.Conv3d(3, 4, 3, padding=1, bias=False)
    # 4 x (2 x 4 x 4) outputs, each 3 x 27 MACs, 2 FLOPs per MAC
    assert count_gflops(conv, (3, 2, 4, 4)) == pytest.approx(2 * 4 * 32 * 81 / 1e9)


def test_small_backbone_matches_table1_formula():
    model = create_model("au_gcn_small")
    expected = 2 * _table1_conv_macs((16, 32, 64, 128)) / 1e9
    assert count_gflops(model.backbone, (3, 16, 112, 112)) == pytest.approx(expected, rel=1e-9)
    total = count_gflops(model)
    assert expected < total < expected * 1.01  # heads add little
    assert count_gmacs(model) == pytest.approx(total / 2)


def test_full_model_close_to_paper():
    # Table 1 at 16 x 112 x 112: 40.7 GMAC = 81.4 GFLOP of convolutions (the paper quotes 84 GFLOP/clip)
    expected = 2 * _table1_conv_macs() / 1e9
    assert expected == pytest.approx(81.39, abs=0.01)
    model = create_model("au_gcn")
    assert count_gflops(model) == pytest.approx(expected, rel=1e-3)


def test_bad_input_size():
    with pytest.raises(ValueError, match=r"\(C, T, H, W\)"):
        count_gflops(create_model("au_gcn_small"), (16, 112, 112))
