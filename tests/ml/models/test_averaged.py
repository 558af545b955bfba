"""AveragedModel: averages of members and of the mirrored clip, checked against the members run by hand;
checkpoints of averaged models (float32 exact, float16 halved); refusals."""

import json

import numpy as np
import pytest
import torch

from ml.checkpoint import load_checkpoint, load_weights_into, save_checkpoint
from ml.errors import CheckpointError
from ml.models import create_model
from ml.models.averaged import AveragedModel
from ml.stages.inputs import mirror_clip


def _member(seed: int, **kw):
    torch.manual_seed(seed)
    kw = {"width": 0.125, "image_size": 24, "input_kind": "flow_delta", **kw}
    return create_model("au_gcn_small", **kw).eval()


def _probs(out):
    return (
        torch.softmax(out["emotion_logits"], -1),
        torch.sigmoid(out["au_logits"]),
        out["timing"],
    )


def test_mirror_clip_by_hand():
    # channel 0 (horizontal flow) of a ramp u = w becomes -(W - 1 - w); channel 1 is only reversed
    w = torch.arange(5, dtype=torch.float32)
    x = w.view(1, 1, 1, 1, 5).repeat(1, 3, 2, 2, 1)
    m = mirror_clip(x, (0,))
    assert m[0, 0, 0, 0].tolist() == [-4.0, -3.0, -2.0, -1.0, -0.0]
    assert m[0, 1, 0, 0].tolist() == [4.0, 3.0, 2.0, 1.0, 0.0]
    assert torch.equal(mirror_clip(m, (0,)), x)  # a mirror twice is the identity


def test_average_of_members_and_mirror_matches_hand_computation():
    a, b = _member(0), _member(1)
    x = torch.randn(2, 3, 16, 24, 24)
    xm = x.flip(-1)
    xm[:, 0] = -xm[:, 0]
    with torch.no_grad():
        runs = [_probs(m(v)) for m in (a, b) for v in (x, xm)]
        got = _probs(AveragedModel([a, b], mirror=True).eval()(x))
    for k in range(3):
        expected = sum(r[k] for r in runs) / 4
        torch.testing.assert_close(got[k], expected, atol=1e-5, rtol=1e-5)
    # averages of ordered triples stay ordered; probabilities stay probabilities
    t = got[2]
    assert bool(((t[:, 0] <= t[:, 1]) & (t[:, 1] <= t[:, 2])).all())
    torch.testing.assert_close(got[0].sum(-1), torch.ones(2))


def test_one_member_without_mirror_is_the_member():
    a = _member(0)
    x = torch.randn(1, 3, 16, 24, 24)
    with torch.no_grad():
        for p, q in zip(_probs(a(x)), _probs(AveragedModel([a]).eval()(x)), strict=True):
            torch.testing.assert_close(p, q, atol=1e-6, rtol=1e-5)


def test_members_must_match_and_cannot_train():
    with pytest.raises(ValueError, match="at least one"):
        AveragedModel([])
    with pytest.raises(ValueError, match="share one configuration"):
        AveragedModel([_member(0), _member(1, image_size=32)])
    avg = AveragedModel([_member(0)])
    with pytest.raises(TypeError, match="train each member"):
        avg.loss({}, {})


def test_checkpoint_round_trip_float32_exact(tmp_path):
    avg = AveragedModel([_member(0), _member(1)], mirror=True).eval()
    path = save_checkpoint(avg, tmp_path / "avg")
    side = json.loads((tmp_path / "avg.json").read_text())
    assert side["members"] == 2 and side["mirror"] is True and side["stored_dtype"] == "float32"
    loaded = load_checkpoint(path)
    assert isinstance(loaded, AveragedModel) and loaded.mirror and len(loaded.members) == 2
    x = torch.randn(1, 3, 16, 24, 24)
    with torch.no_grad():
        for key, value in avg(x).items():
            assert torch.equal(value, loaded(x)[key]), key


def test_checkpoint_float16_halves_the_file_and_loads_the_rounded_values(tmp_path):
    model = _member(0)
    p32 = save_checkpoint(model, tmp_path / "w32")
    p16 = save_checkpoint(model, tmp_path / "w16", dtype="float16")
    assert 0.45 < p16.stat().st_size / p32.stat().st_size < 0.55
    loaded = load_checkpoint(p16)
    own = model.state_dict()
    for key, value in loaded.state_dict().items():
        assert value.dtype == own[key].dtype, key  # loaded back into the model's float32
        if value.is_floating_point():
            assert torch.equal(value, own[key].half().float()), key
        else:
            assert torch.equal(value, own[key]), key
    with pytest.raises(ValueError, match="float16"):
        save_checkpoint(model, tmp_path / "w8", dtype="int8")
    assert not (tmp_path / "w8.safetensors").exists()


def test_averaged_checkpoint_into_a_single_model_is_refused(tmp_path):
    path = save_checkpoint(AveragedModel([_member(0), _member(1)]), tmp_path / "avg")
    with pytest.raises(CheckpointError, match=r"averages 2 trained copies.*load_checkpoint"):
        load_weights_into(_member(2), path)


@pytest.mark.parametrize("members", [0, "two", 1.5])
def test_bad_member_count_in_sidecar(tmp_path, members):
    path = save_checkpoint(AveragedModel([_member(0)]), tmp_path / "avg")
    side = json.loads((tmp_path / "avg.json").read_text())
    side["members"] = members
    (tmp_path / "avg.json").write_text(json.dumps(side))
    with pytest.raises(CheckpointError, match="'members' must be a positive integer"):
        load_checkpoint(path)


def test_mirror_average_of_a_mirror_symmetric_clip_changes_nothing():
    # u odd and v even under the mirror: the mirrored clip is the clip itself
    a = _member(0)
    g = torch.randn(1, 3, 16, 24, 12)
    x = torch.cat([g, g.flip(-1)], dim=-1)
    x[:, 0, ..., 12:] = -x[:, 0, ..., 12:]
    assert torch.equal(mirror_clip(x, (0,)), x)
    with torch.no_grad():
        plain = _probs(a(x))
        both = _probs(AveragedModel([a], mirror=True).eval()(x))
    for p, q in zip(plain, both, strict=True):
        np.testing.assert_allclose(p.numpy(), q.numpy(), atol=1e-5)


def test_stored_state_is_what_a_float16_checkpoint_loads(tmp_path):
    from ml.checkpoint import stored_state

    avg = AveragedModel([_member(0), _member(1)], mirror=True).eval()
    loaded = load_checkpoint(save_checkpoint(avg, tmp_path / "avg", dtype="float16"))
    avg.load_state_dict(stored_state(avg, "float16"))  # what tools/train_default_weights.py checks
    x = torch.randn(1, 3, 16, 24, 24)
    with torch.no_grad():
        for key, value in avg(x).items():
            assert torch.equal(value, loaded(x)[key]), key
