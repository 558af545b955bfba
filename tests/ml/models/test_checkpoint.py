"""Checkpoints: safetensors round trip, sidecar contents, refusals (pickle, AU list, shapes, overwrite)."""

import json
import pickle

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ml.analyze import default_weights_path
from ml.checkpoint import (
    MAX_MEMBERS,
    embed_facts,
    embedded_facts,
    load_checkpoint,
    load_weights_into,
    read_sidecar,
    save_checkpoint,
)
from ml.errors import CheckpointError
from ml.models import create_model

AUS3 = ("AU1", "AU2", "AU4")
COUNTS = np.array([[4, 2, 0], [2, 2, 1], [0, 1, 3]])


def _model(**kw):
    torch.manual_seed(0)
    m = create_model("au_gcn", width=0.125, au_names=AUS3, **kw)
    m.set_cooccurrence(COUNTS)
    # perturb BN statistics so running buffers are part of what must round-trip
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm3d):
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.9, 1.1)
                mod.weight.uniform_(0.5, 1.5)
    return m.eval()


def test_round_trip_gives_identical_outputs(tmp_path):
    model = _model()
    path = save_checkpoint(model, tmp_path / "w", meta={"data": "synthetic", "epochs": 2})
    assert path == tmp_path / "w.safetensors" and (tmp_path / "w.json").is_file()
    loaded = load_checkpoint(path)
    x = torch.randn(1, 3, 8, 32, 32)
    with torch.no_grad():
        a, b = model(x), loaded(x)
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert torch.equal(loaded.adjacency, model.adjacency)
    assert not loaded.training and loaded.cfg == model.cfg
    # also into a freshly built model, and by the sidecar's name
    again = create_model("au_gcn", width=0.125, au_names=AUS3)
    load_weights_into(again, path)
    again.eval()
    with torch.no_grad():
        assert torch.equal(again(x)["au_logits"], a["au_logits"])
    assert torch.equal(load_checkpoint(tmp_path / "w.json").adjacency, model.adjacency)


def test_sidecar_contents(tmp_path):
    model = _model()
    save_checkpoint(model, tmp_path / "w.safetensors", meta={"epochs": 3})
    side = json.loads((tmp_path / "w.json").read_text())
    assert side["model"] == "au_gcn"
    assert side["au_names"] == list(AUS3)
    assert side["emotion_names"] == list(model.cfg.emotion_names)
    assert side["input_size"] == [3, 16, 112, 112]
    assert side["cfg"]["options"]["width"] == 0.125
    assert side["training"] == {"epochs": 3}
    assert side["version"] == model.cfg.version
    np.testing.assert_allclose(side["adjacency"][0], [0.5, 0.5222330, 0.0], atol=1e-6)
    assert read_sidecar(tmp_path / "w")["num_params"] == model.num_params


def test_refuses_to_overwrite(tmp_path):
    model = _model()
    save_checkpoint(model, tmp_path / "w")
    before = (tmp_path / "w.safetensors").read_bytes()
    with pytest.raises(FileExistsError, match="already exists"):
        save_checkpoint(create_model("au_gcn_small", au_names=AUS3), tmp_path / "w")
    assert (tmp_path / "w.safetensors").read_bytes() == before
    save_checkpoint(model, tmp_path / "w", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.json", "w.safetensors"]  # no temp files left


def test_refuses_pickle_formats_and_bad_meta(tmp_path):
    with pytest.raises(ValueError, match="safetensors"):
        save_checkpoint(_model(), tmp_path / "w.pt")
    with pytest.raises(ValueError, match="JSON"):
        save_checkpoint(_model(), tmp_path / "w", meta={"bad": object()})
    assert list(tmp_path.iterdir()) == []


class _Trap:
    """Unpickling this creates a marker file: proves the loader never unpickles."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_refuses_pickle_checkpoints(tmp_path):
    marker = tmp_path / "unpickled.txt"
    pt = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, pt)
    with pytest.raises(CheckpointError, match=r"model\.pt.*pickle.*safetensors"):
        load_checkpoint(pt)
    with pytest.raises(CheckpointError, match="Convert it once"):
        load_weights_into(_model(), pt)
    # a pickle disguised with the right suffix is refused by content
    disguised = tmp_path / "evil.safetensors"
    disguised.write_bytes(pickle.dumps(_Trap(marker)))
    with pytest.raises(CheckpointError, match=r"evil\.safetensors.*pickle"):
        load_checkpoint(disguised)
    # a torch zip file renamed too
    zipped = tmp_path / "zip.safetensors"
    zipped.write_bytes(pt.read_bytes())
    with pytest.raises(CheckpointError, match="pickle / zip"):
        load_weights_into(_model(), zipped)
    assert not marker.exists()


def test_wrong_au_list_is_refused(tmp_path):
    path = save_checkpoint(_model(), tmp_path / "w")
    with pytest.raises(CheckpointError, match=r"w\.safetensors.*AU list \['AU1', 'AU2', 'AU4'\].*'AU12'"):
        load_checkpoint(path, expect_aus=("AU1", "AU2", "AU12"))
    other = create_model("au_gcn", width=0.125, au_names=("AU1", "AU2", "AU12"))
    with pytest.raises(CheckpointError, match="AU list"):
        load_weights_into(other, path)
    assert load_checkpoint(path, expect_aus=list(AUS3)).cfg.au_names == AUS3


def test_mismatched_shapes_are_refused(tmp_path):
    path = save_checkpoint(_model(), tmp_path / "w")
    wider = create_model("au_gcn", width=0.25, au_names=AUS3)
    with pytest.raises(CheckpointError, match=r"w\.safetensors.*do not fit.*mismatched shapes"):
        load_weights_into(wider, path)


def test_missing_files(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nothing.safetensors")
    path = save_checkpoint(_model(), tmp_path / "w")
    (tmp_path / "w.json").unlink()
    assert load_checkpoint(path).cfg.au_names == AUS3  # the weights carry their own record
    legacy = _legacy(tmp_path, "old")
    (tmp_path / "old.json").unlink()
    with pytest.raises(CheckpointError, match=r"old\.json.*sidecar not found"):
        load_checkpoint(legacy)
    truncated = tmp_path / "t.safetensors"
    truncated.write_bytes(b"\x10\x00")
    with pytest.raises(CheckpointError, match="not a safetensors"):
        load_weights_into(_model(), truncated)


def test_bare_weights_load_without_sidecar(tmp_path):
    model = _model()
    path = save_checkpoint(model, tmp_path / "w")
    (tmp_path / "w.json").unlink()
    fresh = create_model("au_gcn", width=0.125, au_names=AUS3).eval()
    load_weights_into(fresh, path)
    torch.testing.assert_close(fresh.adjacency, model.adjacency)


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("ml.checkpoint.save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(_model(), tmp_path / "w")
    assert list(tmp_path.iterdir()) == []


def _legacy(tmp_path, name="legacy"):
    """A checkpoint as written before the facts went into the safetensors header: tensors and sidecar only."""
    path = save_checkpoint(_model(), tmp_path / name)
    save_file(load_file(str(path)), str(path), metadata={"format": "pt"})
    assert embedded_facts(path) is None
    return path


def _edit_sidecar(path, **changes):
    side = path.with_suffix(".json")
    data = json.loads(side.read_text())
    data.update(changes)
    side.write_text(json.dumps(data))


def test_the_weights_file_records_what_it_depends_on(tmp_path):
    path = save_checkpoint(_model(), tmp_path / "w")
    with safe_open(str(path), framework="pt") as fh:
        record = json.loads(fh.metadata()["microexpr"])
    assert record["au_names"] == list(AUS3) and record["model"] == "au_gcn"
    assert record["input_size"] == [3, 16, 112, 112] and record["format_version"] == 1
    side = read_sidecar(path)
    assert all(side[k] == v for k, v in record.items())  # the sidecar is a readable copy


def test_a_sidecar_that_disagrees_with_the_weights_is_refused_by_name(tmp_path):
    path = save_checkpoint(_model(), tmp_path / "w")
    _edit_sidecar(path, au_names=list(reversed(AUS3)))
    with pytest.raises(CheckpointError, match=r"w\.json: its au_names \['AU4', 'AU2', 'AU1'\] disagrees"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="does not belong to these weights"):
        load_weights_into(_model(), path)
    # a sidecar copied from other weights
    other = save_checkpoint(
        create_model("au_gcn", width=0.125, au_names=("AU1", "AU2", "AU12")), tmp_path / "o"
    )
    (tmp_path / "w.json").write_text(other.with_suffix(".json").read_text())
    with pytest.raises(CheckpointError, match=r"its cfg .* disagrees"):
        load_checkpoint(path)


def test_legacy_weights_load_with_their_sidecar(tmp_path):
    path = _legacy(tmp_path)
    model = load_checkpoint(path)
    assert model.cfg.au_names == AUS3
    x = torch.randn(1, 3, 8, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(x)["au_logits"], _model()(x)["au_logits"])


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"members": 100000}, f"'members' must be a positive integer, at most {MAX_MEMBERS}, not 100000"),
        ({"members": True}, "'members' must be a positive integer"),
        ({"cfg": ["au_gcn"]}, "'cfg' must be an object of model settings, not list"),
        ({"format_version": "one"}, "format_version must be a whole number, not 'one'"),
        ({"format_version": 99}, "newer than this software reads"),
        ({"au_names": "AU1"}, "'au_names' must be a list of names"),
        ({"format": "other"}, "not a MicroExprAnim checkpoint sidecar"),
    ],
)
def test_bad_sidecar_values_are_refused_before_any_allocation(tmp_path, changes, match):
    path = _legacy(tmp_path)
    _edit_sidecar(path, **changes)
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(path)


def test_a_config_that_does_not_fit_the_weights_is_refused_before_building(tmp_path, monkeypatch):
    path = _legacy(tmp_path)
    side = json.loads(path.with_suffix(".json").read_text())
    side["cfg"]["options"]["width"] = 8.0  # would allocate a model hundreds of times larger
    path.with_suffix(".json").write_text(json.dumps(side))
    with pytest.raises(CheckpointError, match=r"legacy\.safetensors: weights do not fit model 'au_gcn'"):
        load_checkpoint(path)
    side["cfg"]["image_size"] = 20000
    path.with_suffix(".json").write_text(json.dumps(side))
    with pytest.raises(CheckpointError, match="cfg image_size must be a whole number between 8 and 1024"):
        load_checkpoint(path)


def test_a_truncated_weights_file_is_a_checkpoint_error(tmp_path):
    path = save_checkpoint(_model(), tmp_path / "w")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"w\.safetensors"):
        load_checkpoint(path)


def test_embedding_the_facts_keeps_the_tensors_bit_identical(tmp_path):
    path = _legacy(tmp_path)
    before = load_file(str(path))
    embed_facts(path)
    after = load_file(str(path))
    assert before.keys() == after.keys()
    for key, tensor in before.items():
        assert (
            tensor.dtype == after[key].dtype and tensor.numpy().tobytes() == after[key].numpy().tobytes()
        ), key
    assert embedded_facts(path)["au_names"] == list(AUS3)
    # now the weights themselves refuse a sidecar edited afterwards
    _edit_sidecar(path, au_names=list(reversed(AUS3)))
    with pytest.raises(CheckpointError, match="disagrees"):
        load_checkpoint(path)


def test_shipped_weights_load_and_keep_their_labels():
    model = load_checkpoint(default_weights_path())
    side = read_sidecar(default_weights_path())
    assert list(model.cfg.au_names) == side["au_names"] and side["au_names"][:3] == ["AU1", "AU2", "AU4"]


@pytest.mark.parametrize("low_byte", [0x80, 0x50])
def test_a_header_length_that_looks_like_a_pickle_is_still_safetensors(tmp_path, low_byte):
    """A safetensors header whose length starts with the pickle (0x80) or zip ("PK") byte is not a pickle."""
    from ml.checkpoint import _refuse_unsafe

    header = b"{" + b" " * 8 + b"}"
    length = low_byte + 256 * (0x4B if low_byte == 0x50 else 0)
    header = header.ljust(length, b" ")
    path = tmp_path / "w.safetensors"
    path.write_bytes(length.to_bytes(8, "little") + header)
    assert path.read_bytes()[:1] == bytes([low_byte])
    _refuse_unsafe(path)  # no error
