"""au_gcn: Table 1 backbone, heads, order constraint, loss, mixed precision."""

import math

import numpy as np
import pytest
import torch

from ml.models import create_model, list_models
from ml.models._graph import normalized_adjacency
from ml.models.au_gcn import AUGCN

TINY = {"width": 0.125}  # channels 8/16/32/64


def _tiny(**kw) -> AUGCN:
    torch.manual_seed(0)
    model = create_model("au_gcn", **{**TINY, **kw})
    assert isinstance(model, AUGCN)
    return model


def _resnet18_3d_params(widths=(64, 128, 256, 512), in_chans=3) -> int:
    """Independent count for Table 1: conv weights (no bias) + BN (gamma, beta) of every layer."""

    def conv(cin, cout, k):  # k = kernel volume
        return cin * cout * k

    def bn(c):
        return 2 * c

    total = conv(in_chans, widths[0], 3 * 7 * 7) + bn(widths[0])
    cin = widths[0]
    for stage, c in enumerate(widths):
        for block in range(2):
            total += conv(cin if block == 0 else c, c, 27) + bn(c) + conv(c, c, 27) + bn(c)
            if block == 0 and stage > 0:
                total += conv(cin, c, 1) + bn(c)  # strided 1x1x1 projection shortcut
        cin = c
    return total


def test_registered():
    assert {"au_gcn", "au_gcn_small"} <= set(list_models("au_gcn*"))


def test_full_model_parameter_count():
    model = create_model("au_gcn")
    backbone = sum(p.numel() for p in model.backbone.parameters())
    expected = _resnet18_3d_params()
    assert backbone == expected
    assert 33.0e6 < expected < 33.3e6  # the well-known ~33.2M of a 3D-ResNet-18 without its classifier
    n_au, d, hidden = 11, 512, 1024
    heads = (
        (d * 4 + 4)  # timing gaps
        + (d * 48 + 48)  # 3 x 16 timing bins
        + (n_au * hidden + hidden)
        + (hidden * d + d)
        + n_au  # GCN 11 -> 1024 -> 512, AU bias
        + (d + 1)  # SAGPool score
        + (3 * d * 5 + 5)  # emotion head on [F | mean | max]
    )
    assert model.num_params == expected + heads
    assert model.cfg.options["width"] == 1.0 and model.cfg.options["gcn_hidden"] == 1024


def test_small_model_is_same_depth_quarter_width():
    small = create_model("au_gcn_small")
    assert small.cfg.options["width"] == 0.25
    assert sum(p.numel() for p in small.backbone.parameters()) == _resnet18_3d_params((16, 32, 64, 128))
    assert len([m for m in small.modules() if isinstance(m, torch.nn.Conv3d)]) == 20  # 1 + 16 + 3 shortcuts


def test_table1_output_sizes():
    model = _tiny()
    x = torch.zeros(1, 3, 16, 112, 112)
    with torch.no_grad():
        assert model.backbone.stem(x).shape == (1, 8, 16, 56, 56)
        sizes = []
        h = model.backbone.stem(x)
        for stage in model.backbone.stages:
            h = stage(h)
            sizes.append(tuple(h.shape[1:]))
    assert sizes == [(8, 16, 56, 56), (16, 8, 28, 28), (32, 4, 14, 14), (64, 2, 7, 7)]


def test_output_shapes():
    model = _tiny().eval()
    with torch.no_grad():
        feat = model.forward_features(torch.randn(2, 3, 16, 112, 112))
        out = model.forward_head(feat)
    assert feat.shape == (2, 64)
    assert out["emotion_logits"].shape == (2, 5)
    assert out["au_logits"].shape == (2, 11)
    assert out["timing"].shape == (2, 3)
    assert out["timing_logits"].shape == (2, 3, 16)


def test_bad_input_shape():
    with pytest.raises(ValueError, match=r"\(B, 3, T, H, W\)"):
        _tiny()(torch.zeros(2, 16, 32, 32))


@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_order_constraint_holds_for_any_input(scale):
    model = _tiny()
    with torch.no_grad():
        for p in model.timing_head.parameters():
            p.normal_(0.0, scale)
        t = model.forward_head(torch.randn(512, 64) * scale)["timing"]
    assert torch.all(t >= 0) and torch.all(t <= 1)
    assert torch.all(t[:, 0] <= t[:, 1]) and torch.all(t[:, 1] <= t[:, 2])


def test_au_logits_are_gcn_classifiers_on_the_clip_feature():
    model = _tiny(emotion_pool="gap")
    feat = torch.randn(3, 64)
    with torch.no_grad():
        adj = torch.from_numpy(normalized_adjacency(model.au_cooccurrence.double().numpy())).float()
        h = torch.relu(adj @ model.gcn1.weight + model.gcn1.bias)  # one-hot input: I @ W = W
        cls = adj @ (h @ model.gcn2.weight) + model.gcn2.bias
        expected = feat @ cls.T + model.au_bias
        torch.testing.assert_close(model.forward_head(feat)["au_logits"], expected, rtol=1e-4, atol=1e-5)


def test_set_cooccurrence_updates_the_buffer():
    model = _tiny(au_names=("AU1", "AU2", "AU4"))
    counts = np.array([[4, 2, 0], [2, 2, 1], [0, 1, 3]])
    model.set_cooccurrence(counts)
    expected = [[0.5, 0.5222330, 0.0], [0.2611165, 0.5454545, 0.2010076], [0.0, 0.3015113, 0.6666667]]
    np.testing.assert_allclose(model.adjacency.numpy(), expected, atol=1e-6)
    assert "adjacency" in model.state_dict() and "au_cooccurrence" in model.state_dict()
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        model.set_cooccurrence(np.ones((2, 2)))
    built = create_model("au_gcn", width=0.125, au_names=("AU1", "AU2", "AU4"), cooccurrence=counts)
    torch.testing.assert_close(built.adjacency, model.adjacency)


def test_unknown_option_is_refused():
    with pytest.raises(ValueError, match="unknown au_gcn option"):
        create_model("au_gcn", options={"widht": 0.5})
    with pytest.raises(ValueError, match="unknown argument"):
        create_model("au_gcn", colour="red")
    with pytest.raises(ValueError, match="emotion_pool"):
        create_model("au_gcn", emotion_pool="max")


def _batch():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 8, 32, 32, generator=g)
    target = {
        "emotion": torch.tensor([0, 3]),
        "aus": torch.tensor([[1.0] + [0.0] * 10, [0.0, 1.0, 1.0] + [0.0] * 8]),
        "timing": torch.tensor([[0.1, 0.4, 0.9], [0.3, 0.5, 0.6]]),
    }
    return x, target


def test_loss_parts_and_weights():
    model = _tiny()
    x, target = _batch()
    out = model(x)
    losses = model.loss(out, target)
    w = {"seg_ce": 1.0, "seg_mse": 0.5, "au": 0.7, "emotion": 0.3}
    expected_total = sum(w[k] * losses[k] for k in w)
    torch.testing.assert_close(losses["total"], expected_total)
    # the parts against torch's own losses
    torch.testing.assert_close(
        losses["emotion"], torch.nn.functional.cross_entropy(out["emotion_logits"], target["emotion"])
    )
    torch.testing.assert_close(losses["seg_mse"], ((out["timing"] - target["timing"]) ** 2).mean())
    # switchable weights
    only_au = _tiny(loss_weights={"seg_ce": 0, "seg_mse": 0, "emotion": 0, "au": 1.0})
    lo = only_au.loss(only_au(x), target)
    torch.testing.assert_close(lo["total"], lo["au"])


def test_timing_bin_targets_average_to_the_true_time():
    from ml.models.au_gcn import _two_hot

    t = torch.tensor([[0.0, 0.37, 1.0]])
    q = _two_hot(t, 16)
    torch.testing.assert_close(q.sum(-1), torch.ones(1, 3))
    torch.testing.assert_close((q * torch.arange(16.0)).sum(-1), t * 15)
    assert q[0, 1, 5] == pytest.approx(0.45) and q[0, 1, 6] == pytest.approx(0.55)  # 0.37 * 15 = 5.55


def test_loss_target_errors():
    model = _tiny()
    x, _target = _batch()
    out = model(x)
    with pytest.raises(ValueError, match="'aus' must have shape"):
        model.loss(out, {"aus": torch.zeros(2, 4)})
    with pytest.raises(ValueError, match="at least one"):
        model.loss(out, {})


def test_masked_targets():
    model = _tiny()
    x, target = _batch()
    out = model(x)
    masked = model.loss(out, {**target, "aus_mask": torch.tensor([1.0, 0.0])})
    first = torch.nn.functional.binary_cross_entropy_with_logits(out["au_logits"][:1], target["aus"][:1])
    torch.testing.assert_close(masked["au"], first)


def test_training_steps_lower_the_loss():
    model = _tiny()
    x, target = _batch()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    losses = []
    for _ in range(12):
        loss = model.loss(model(x), target)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0], losses


def test_reset_classifier():
    model = _tiny()
    model.reset_classifier(3, ("negative", "positive", "surprise"))
    assert model.cfg.emotion_names == ("negative", "positive", "surprise")
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 8, 32, 32))["emotion_logits"].shape == (1, 3)
    model.reset_classifier(7)
    assert model.cfg.emotion_names == tuple(f"class{i}" for i in range(7))
    with pytest.raises(ValueError, match="names given"):
        model.reset_classifier(2, ("a", "b", "c"))


def test_bf16_autocast_forward_and_backward():
    model = _tiny()
    x, target = _batch()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
        losses = model.loss(out, target)
    assert out["au_logits"].dtype == torch.bfloat16
    assert losses["total"].dtype == torch.float32 and torch.isfinite(losses["total"])
    losses["total"].backward()
    t = out["timing"]
    assert torch.all(t[:, 0] <= t[:, 1]) and torch.all(t[:, 1] <= t[:, 2])


def test_sag_pool_keeps_half_the_au_nodes():
    model = _tiny()
    assert model.pool is not None
    nodes = torch.randn(2, 11, 64)
    kept, _idx = model.pool(nodes, model.adjacency)
    assert kept.shape == (2, math.ceil(0.5 * 11), 64)


def test_nan_labels_count_as_unknown():
    model = _tiny()
    x, target = _batch()
    out = model(x)
    timing = target["timing"].clone()
    timing[1] = float("nan")
    losses = model.loss(out, {**target, "timing": timing})
    assert torch.isfinite(losses["total"])
    torch.testing.assert_close(losses["seg_mse"], ((out["timing"][0] - timing[0]) ** 2).mean())
