"""The paper models: parameter counts against closed forms, heads, paper loss terms, option errors.

What every registered model must do (outputs, order constraint, learning, checkpoints) is in
test_every_model.py."""

import numpy as np
import pytest
import torch

from ml.models import create_model, list_models


def _batch(model, b=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((b, *model.cfg.input_size), generator=g)
    target = {
        "emotion": torch.arange(b) % len(model.cfg.emotion_names),
        "aus": (torch.rand(b, len(model.cfg.au_names), generator=g) > 0.5).float(),
        "timing": torch.tensor([[0.2, 0.5, 0.8], [0.1, 0.3, 0.6], [0.3, 0.4, 0.9], [0.0, 0.6, 0.7]])[:b],
    }
    return x, target


def test_registered():
    names = set(list_models())
    assert {"ms3d_resnet50", "ms3d_resnet50_small", "gamdss", "gamdss_small", "madv", "madv_small"} <= names


def _bottleneck_resnet_params(cin, blocks=(3, 4, 6, 3), planes=(64, 128, 256, 512)):
    """Closed form for the bottleneck 3D-ResNet-50 body (stem 3x7x7, no FC): conv weights + 2 BN params."""
    total = cin * 64 * 3 * 7 * 7 + 2 * 64
    c = 64
    for n, p in zip(blocks, planes, strict=False):
        for i in range(n):
            unit = c * p + 2 * p + p * p * 27 + 2 * p + p * 4 * p + 2 * 4 * p
            if i == 0:
                unit += c * 4 * p + 2 * 4 * p  # projection shortcut
            total += unit
            c = 4 * p
    return total


def test_ms3d_backbone_parameters_match_the_closed_form():
    model = create_model("ms3d_resnet50")
    body = [model.stem, model.layer1, model.layer2, model.layer3, model.layer4]
    counted = sum(p.numel() for m in body for p in m.parameters())
    assert counted == _bottleneck_resnet_params(3)
    assert counted == pytest.approx(46.2e6, rel=0.01)  # Hara et al.'s 3D-ResNet-50 body (~46 M)
    # the paper's deconvolutions: ConvTranspose3d(2048 -> 1024, 3^3) etc.
    deconv = sum(cin * cin // 2 * 27 + cin // 2 for cin in (2048, 1024, 512))
    assert sum(p.numel() for m in (model.up5, model.up4, model.up3) for p in m.parameters()) == deconv
    assert model.num_params == pytest.approx(135.7e6, rel=0.03)  # notes' sketch of the same design
    # depth 34: basic blocks with the paper's 6/8/12/6 conv layers
    r34 = create_model("ms3d_resnet50", depth=34, upsample="upsample")
    assert sum(p.numel() for p in r34.layer1.parameters()) == 3 * 2 * (64 * 64 * 27 + 2 * 64)


def test_gamdss_parameters_match_the_paper():
    model = create_model("gamdss")
    assert model.num_params == pytest.approx(12.6e6, rel=0.03)  # paper: 12.6 M
    d, g = 512, 14  # position ViT: embed + pos + 2 blocks + final LN, closed form
    block = 2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d)
    assert sum(p.numel() for p in model.vit.parameters()) == 3 * d + d + g * g * d + 2 * block + 2 * d


def test_madv_block_parameters_match_the_closed_form():
    model = create_model("madv")
    d = 64
    conv_proj = d * 9 + 2 * d + d * d + d  # depthwise 3x3, BN, pointwise with bias
    block = (
        3 * 2 * d
        + 3 * conv_proj
        + (d * d + d)
        + (3 * d * d + 3 * d)
        + (d * d + d)
        + (4 * d * d + 4 * d)
        + (4 * d * d + d)
    )
    stage = model.stages[0]
    assert sum(p.numel() for p in stage.blocks[0].parameters()) == block
    assert sum(p.numel() for p in stage.embed.parameters()) == 64 * 64 * 27 + 64


def test_ms3d_heads_and_label_free_selection(tiny_model):
    model = tiny_model("ms3d_resnet50").eval()
    with torch.no_grad():
        out = model(_batch(model, b=2)[0])
    hl = out["head_logits"]
    assert hl.shape == (2, 4, len(model.cfg.emotion_names))
    conf = hl.softmax(-1).amax(-1)
    for i in range(2):
        assert torch.equal(out["emotion_logits"][i], hl[i, int(conf[i].argmax())])


def test_unknown_options_are_explained():
    with pytest.raises(ValueError, match="depth must be 34 or 50"):
        create_model("ms3d_resnet50", depth=18)
    with pytest.raises(ValueError, match="'deconv' or 'upsample'"):
        create_model("ms3d_resnet50_small", upsample="nearest")
    with pytest.raises(ValueError, match="divisible by 16"):
        create_model("gamdss", image_size=100)
    with pytest.raises(ValueError, match="branches"):
        create_model("gamdss_small", branches="both")


def test_losses_have_the_papers_terms(tiny_model):
    torch.manual_seed(0)
    m = tiny_model("madv")
    x, target = _batch(m)
    parts = m.loss(m(x), target)
    assert {"emotion", "levels", "ib", "au", "timing", "total"} <= set(parts)
    g = tiny_model("gamdss")
    out = g(_batch(g)[0])
    parts = g.loss(out, target)
    ce = torch.nn.functional.cross_entropy
    assert parts["emotion"].item() == pytest.approx(
        (ce(out["rise_logits"], target["emotion"]) + ce(out["fall_logits"], target["emotion"])).item(),
        rel=1e-5,
    )
    s = tiny_model("ms3d_resnet50")
    out = s(_batch(s)[0])
    parts = s.loss(out, target)
    expected = sum(ce(out["head_logits"][:, k], target["emotion"]) for k in range(4))
    assert parts["emotion"].item() == pytest.approx(expected.item(), rel=1e-5)


def test_focal_loss_closed_form():
    from ml.models._paper_model_parts import focal_loss

    logits = torch.tensor([[2.0, 0.0, -1.0]])
    p = float(np.exp(2.0) / (np.exp(2.0) + 1.0 + np.exp(-1.0)))
    assert focal_loss(logits, torch.tensor([0]), gamma=2.0).item() == pytest.approx(
        -((1 - p) ** 2) * np.log(p), rel=1e-5
    )
    assert focal_loss(logits, torch.tensor([0]), gamma=0.0).item() == pytest.approx(-np.log(p), rel=1e-5)
