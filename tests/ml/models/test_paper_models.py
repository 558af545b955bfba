"""The seed models: contract outputs and shapes, order constraint, parameter counts, loss decreases."""

import math

import numpy as np
import pytest
import torch

from ml.models import create_model, list_models

TINY = {
    "ms3d_resnet50": {
        "width": 0.0625,
        "image_size": 32,
        "num_frames": 4,
        "upsample": "deconv",
        "dropout": 0.0,
    },
    "gamdss": {"width": 0.125, "image_size": 32, "context_frames": 4, "drop_path": 0.0},
    "madv": {"width": 0.125, "image_size": 32, "num_frames": 4, "depths": [1, 1, 1]},
}


def _tiny(name, **kw):
    torch.manual_seed(0)
    return create_model(name, **{**TINY[name], **kw})


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


@pytest.mark.parametrize("name", sorted(TINY))
def test_contract_outputs_and_order(name):
    model = _tiny(name).eval()
    x, _ = _batch(model, b=3)
    with torch.no_grad():
        out = model(x)
    e, a = len(model.cfg.emotion_names), len(model.cfg.au_names)
    assert out["emotion_logits"].shape == (3, e)
    assert out["au_logits"].shape == (3, a)
    t = out["timing"]
    assert t.shape == (3, 3)
    assert torch.all(t >= 0) and torch.all(t <= 1)
    assert torch.all(t[:, 0] <= t[:, 1]) and torch.all(t[:, 1] <= t[:, 2])


@pytest.mark.parametrize("name", sorted(TINY))
def test_order_constraint_holds_for_any_weights(name):
    model = _tiny(name).eval()
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.timing_head.parameters():
            p.normal_(0, 5.0)
        out = model(_batch(model, b=2, seed=3)[0])
    t = out["timing"]
    assert torch.all(t[:, 0] <= t[:, 1] + 1e-7) and torch.all(t[:, 1] <= t[:, 2] + 1e-7)
    assert torch.all((t >= 0) & (t <= 1))


@pytest.mark.parametrize("name", sorted(TINY))
def test_a_few_steps_lower_the_loss(name):
    model = _tiny(name)
    model.train()
    x, target = _batch(model, b=4)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)

    def loss_value():
        torch.manual_seed(123)
        return model.loss(model(x), target)["total"]

    first = loss_value().item()
    for _ in range(15):
        opt.zero_grad()
        loss = loss_value()
        loss.backward()
        opt.step()
    last = loss_value().item()
    assert math.isfinite(first) and last < 0.8 * first, (first, last)


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


def test_ms3d_heads_and_label_free_selection():
    model = _tiny("ms3d_resnet50").eval()
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


def test_losses_have_the_papers_terms():
    torch.manual_seed(0)
    m = _tiny("madv")
    x, target = _batch(m)
    parts = m.loss(m(x), target)
    assert {"emotion", "levels", "ib", "au", "timing", "total"} <= set(parts)
    g = _tiny("gamdss")
    out = g(_batch(g)[0])
    parts = g.loss(out, target)
    ce = torch.nn.functional.cross_entropy
    assert parts["emotion"].item() == pytest.approx(
        (ce(out["rise_logits"], target["emotion"]) + ce(out["fall_logits"], target["emotion"])).item(),
        rel=1e-5,
    )
    s = _tiny("ms3d_resnet50")
    out = s(_batch(s)[0])
    parts = s.loss(out, target)
    expected = sum(ce(out["head_logits"][:, k], target["emotion"]) for k in range(4))
    assert parts["emotion"].item() == pytest.approx(expected.item(), rel=1e-5)


def test_focal_loss_closed_form():
    from ml.models._seed_common import focal_loss

    logits = torch.tensor([[2.0, 0.0, -1.0]])
    p = float(np.exp(2.0) / (np.exp(2.0) + 1.0 + np.exp(-1.0)))
    assert focal_loss(logits, torch.tensor([0]), gamma=2.0).item() == pytest.approx(
        -((1 - p) ** 2) * np.log(p), rel=1e-5
    )
    assert focal_loss(logits, torch.tensor([0]), gamma=0.0).item() == pytest.approx(-np.log(p), rel=1e-5)


@pytest.mark.parametrize("name", sorted(TINY))
def test_unknown_arguments_are_refused(name):
    with pytest.raises(ValueError, match="unknown argument"):
        create_model(name, widht=0.5)
    from ml.models._registry import _ENTRYPOINTS

    with pytest.raises(ValueError, match="config is for model 'au_gcn'"):
        _ENTRYPOINTS[name](name="au_gcn")


@pytest.mark.parametrize("name", sorted(TINY))
def test_checkpoint_round_trip(name, tmp_path):
    from ml.checkpoint import load_checkpoint, save_checkpoint

    model = _tiny(name).eval()
    path = save_checkpoint(model, tmp_path / f"{name}.safetensors")
    again = load_checkpoint(path)
    assert again.cfg == model.cfg
    x = _batch(model)[0]
    with torch.no_grad():
        a, b = model(x), again(x)
    for key in ("emotion_logits", "au_logits", "timing"):
        torch.testing.assert_close(a[key], b[key])


@pytest.mark.parametrize("name", sorted(TINY))
def test_outputs_drive_per_frame_au_activations(name):
    from ml.timing.envelope import au_activations, timing_to_frames

    model = _tiny(name).eval()
    with torch.no_grad():
        out = model(_batch(model, b=1)[0])
    probs = torch.sigmoid(out["au_logits"][0]).numpy()
    timing = out["timing"][0].numpy()
    acts = au_activations(probs, timing, 50)
    assert acts.shape == (50, len(model.cfg.au_names))
    on, ap, off = timing_to_frames(timing, 50)
    np.testing.assert_allclose(acts[ap], probs, rtol=1e-6)  # the apex frame carries the full probability
    assert np.all(acts[:on] == 0) and np.all(acts[off + 1 :] == 0)
