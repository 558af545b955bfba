import socket

import pytest
import torch

from ml.runtime import predict
from ml.train.config import TrainConfig
from ml.train.dist import DistEnv, cleanup, detect, init_distributed
from ml.train.loop import fit


def test_detect_single_process():
    assert detect({}) == DistEnv()
    assert not detect({"PATH": "/bin"}).enabled
    assert detect({"RANK": "0"}) == DistEnv()  # partial set: not distributed


def test_detect_torchrun():
    env = detect({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"})
    assert (env.rank, env.world_size, env.local_rank, env.enabled, env.is_main) == (3, 4, 1, True, False)


@pytest.mark.parametrize("bad", [{"RANK": "4", "WORLD_SIZE": "4"}, {"RANK": "x", "WORLD_SIZE": "2"}])
def test_detect_inconsistent(bad):
    with pytest.raises(ValueError, match="torchrun environment"):
        detect(bad)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ddp_gloo_one_process(monkeypatch, prepared):
    """A 1-process gloo group: the DDP code path (wrapper + DistributedSampler) trains and matches shapes."""
    import torch.distributed as dist

    from ml.models import create_model

    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(_free_port()))
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    env = detect()
    created = init_distributed(env, "cpu")
    try:
        assert created and dist.is_initialized() and dist.get_backend() == "gloo"
        torch.manual_seed(0)
        model = create_model("tiny_test_model")
        res = fit(
            model, prepared, TrainConfig(model="tiny_test_model", epochs=3, batch_size=8, lr=0.05), env=env
        )
        assert len(res.history) == 3
        assert res.history[-1]["total"] < res.history[0]["total"]
        pred = predict(model, prepared.inputs)
        assert pred.emotion_probs.shape == (len(prepared), 5)
    finally:
        cleanup(created)
    assert not dist.is_initialized()
