"""What every registered model must do: the output contract and order constraint, learning, refusing
unknown options, a checkpoint round trip, and driving per-frame AU activations.

Parametrised over ``list_models()``; each model is built tiny from ``TINY_KWARGS`` (conftest.py), and a
registered model without an entry there fails with a message saying to add one.
"""

import math

import numpy as np
import pytest
import torch

from ml.checkpoint import load_checkpoint, save_checkpoint
from ml.models import create_model, list_models
from ml.models._registry import _ENTRYPOINTS
from ml.timing.envelope import au_activations, timing_to_frames

#: Every model the product registers (the suite's own stand-in models excluded).
REGISTERED = [name for name in list_models() if name != "tiny_test_model"]


def _batch(model, b=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((b, *model.cfg.input_size), generator=g)
    target = {
        "emotion": torch.arange(b) % len(model.cfg.emotion_names),
        "aus": (torch.rand(b, len(model.cfg.au_names), generator=g) > 0.5).float(),
        "timing": torch.tensor([[0.2, 0.5, 0.8], [0.1, 0.3, 0.6], [0.3, 0.4, 0.9], [0.0, 0.6, 0.7]])[:b],
    }
    return x, target


def test_every_registered_model_has_a_tiny_configuration(tiny_kwargs):
    missing = sorted(set(REGISTERED) - set(tiny_kwargs))
    assert not missing, (
        f"registered models {missing} have no tiny configuration: add them to TINY_KWARGS in "
        "tests/ml/models/conftest.py"
    )
    assert set(tiny_kwargs) <= set(REGISTERED), "TINY_KWARGS names a model that is not registered"


@pytest.mark.parametrize("name", REGISTERED)
def test_contract_outputs_and_order(name, tiny_model):
    model = tiny_model(name).eval()
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


@pytest.mark.parametrize("name", REGISTERED)
def test_order_constraint_holds_for_any_weights(name, tiny_model):
    model = tiny_model(name).eval()
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.timing_head.parameters():
            p.normal_(0, 5.0)
        out = model(_batch(model, b=2, seed=3)[0])
    t = out["timing"]
    assert torch.all(t[:, 0] <= t[:, 1] + 1e-7) and torch.all(t[:, 1] <= t[:, 2] + 1e-7)
    assert torch.all((t >= 0) & (t <= 1))


@pytest.mark.parametrize("name", REGISTERED)
def test_a_few_steps_lower_the_loss(name, tiny_model):
    model = tiny_model(name)
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


@pytest.mark.parametrize("name", REGISTERED)
def test_unknown_arguments_are_refused(name):
    with pytest.raises(ValueError, match="unknown argument"):
        create_model(name, widht=0.5)
    other = next(n for n in REGISTERED if n != name)
    with pytest.raises(ValueError, match=f"config is for model '{other}', not '{name}'"):
        _ENTRYPOINTS[name](name=other)


@pytest.mark.parametrize("name", REGISTERED)
def test_checkpoint_round_trip(name, tiny_model, tmp_path):
    model = tiny_model(name).eval()
    path = save_checkpoint(model, tmp_path / f"{name}.safetensors")
    again = load_checkpoint(path)
    assert again.cfg == model.cfg
    x = _batch(model)[0]
    with torch.no_grad():
        a, b = model(x), again(x)
    for key in ("emotion_logits", "au_logits", "timing"):
        torch.testing.assert_close(a[key], b[key])


@pytest.mark.parametrize("name", REGISTERED)
def test_outputs_drive_per_frame_au_activations(name, tiny_model):
    model = tiny_model(name).eval()
    with torch.no_grad():
        out = model(_batch(model, b=1)[0])
    probs = torch.sigmoid(out["au_logits"][0]).numpy()
    timing = out["timing"][0].numpy()
    acts = au_activations(probs, timing, 50)
    assert acts.shape == (50, len(model.cfg.au_names))
    on, ap, off = timing_to_frames(timing, 50)
    np.testing.assert_allclose(acts[ap], probs, rtol=1e-6)  # the apex frame carries the full probability
    assert np.all(acts[:on] == 0) and np.all(acts[off + 1 :] == 0)
