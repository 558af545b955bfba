"""Augmentation respects what the input means: a mirrored flow field has its horizontal component negated."""

import torch

from ml.train.loop import _augment


def _always_flip_generator() -> torch.Generator:
    # find a seed whose first draw flips the single clip of the batch
    for seed in range(100):
        if float(torch.rand(1, generator=torch.Generator().manual_seed(seed))) < 0.5:
            return torch.Generator().manual_seed(seed)
    raise AssertionError("no seed flips")


def test_flip_negates_flow_u_and_skips_brightness():
    # a field moving right everywhere (u = +1, v = 0.5) with a left-to-right ramp in a third channel
    x = torch.zeros(1, 3, 2, 4, 4)
    x[:, 0] = 1.0
    x[:, 1] = 0.5
    x[:, 2] = torch.arange(4.0)
    out = _augment(x, _always_flip_generator(), negate_on_flip=(0,), photometric=False)
    assert torch.all(out[:, 0] == -1.0)  # mirrored rightward motion is leftward motion
    assert torch.all(out[:, 1] == 0.5)  # vertical motion unchanged
    assert torch.equal(out[0, 2, 0, 0], torch.tensor([3.0, 2.0, 1.0, 0.0]))  # mirrored image


def test_pixel_inputs_keep_sign_on_flip():
    x = torch.ones(1, 3, 2, 4, 4)
    out = _augment(x, _always_flip_generator(), photometric=False)
    assert torch.all(out == 1.0)
