"""Shared fixtures of the ml tests: a tiny registered model, tiny prepared data, demo and noise clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from ml.models import MicroExprModel, ModelCfg, register_model


class TinyModel(MicroExprModel):
    """Conv3d -> GAP -> three linear heads; timing ordered by softmax + cumsum."""

    def __init__(self, cfg: ModelCfg) -> None:
        super().__init__(cfg)
        self.conv = nn.Conv3d(cfg.in_chans, 8, 3, padding=1)
        self.emo = nn.Linear(8, len(cfg.emotion_names))
        self.au = nn.Linear(8, len(cfg.au_names))
        self.tim = nn.Linear(8, 4)
        self.cooc: np.ndarray | None = None

    def set_cooccurrence(self, counts: np.ndarray) -> None:
        self.cooc = np.asarray(counts)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x)).mean(dim=(2, 3, 4))

    def forward_head(self, f: torch.Tensor) -> dict[str, torch.Tensor]:
        gaps = torch.softmax(self.tim(f), dim=-1)
        return {"emotion_logits": self.emo(f), "au_logits": self.au(f), "timing": gaps.cumsum(-1)[:, :3]}

    def loss(self, out: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        e = F.cross_entropy(out["emotion_logits"], target["emotion"])
        a = F.binary_cross_entropy_with_logits(out["au_logits"], target["aus"])
        t = F.mse_loss(out["timing"], target["timing"])
        return {"total": e + a + t, "emotion": e, "au": a, "timing": t}


@register_model
def tiny_test_model(**kw: object) -> TinyModel:
    kw.setdefault("num_frames", 4)
    kw.setdefault("image_size", 8)
    return TinyModel(ModelCfg.from_dict({"name": "tiny_test_model", **kw}))


def make_prepared(n: int = 24, seed: int = 0, size: int = 8, frames: int = 4):
    """Separable tiny data: the emotion class sets the mean brightness of the clip."""
    from ml.train.data import PreparedData

    rng = np.random.default_rng(seed)
    emotion = np.arange(n) % 5
    x = rng.normal(0, 0.3, (n, 3, frames, size, size)).astype(np.float32)
    x += (emotion[:, None, None, None, None] - 2).astype(np.float32)
    aus = np.zeros((n, 11), np.float32)
    aus[np.arange(n), emotion] = 1.0
    timing = np.tile(np.array([0.2, 0.5, 0.8], np.float32), (n, 1))
    return PreparedData(
        inputs=x,
        emotion=emotion.astype(np.int64),
        aus=aus,
        timing=timing,
        n_frames=np.full(n, 41, np.int64),
        subjects=tuple(f"s{i % 4}" for i in range(n)),
    )


@pytest.fixture
def prepared():
    return make_prepared()


@pytest.fixture(scope="session")
def tiny_synthetic(tmp_path_factory):
    """A tiny synthetic CASME II-layout dataset: 4 subjects x 8 clips, 160 x 120 at 100 fps."""
    from ml.datasets.synthetic import write_dataset

    root = tmp_path_factory.mktemp("synth") / "tiny"
    return write_dataset(root, subjects=4, clips=32, seed=3, size=(160, 120), fps=100.0)


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    """An untrained au_gcn_small checkpoint at the shipped input size (for pipeline tests)."""
    from ml.checkpoint import save_checkpoint
    from ml.models import create_model

    torch.manual_seed(0)
    model = create_model("au_gcn_small", image_size=32, width=0.125)
    return save_checkpoint(model, tmp_path_factory.mktemp("w") / "tiny.safetensors")


@pytest.fixture(scope="session")
def demo():
    """A clear happiness clip (AU6 + AU12), 320x240 at 200 fps, with distractors."""
    from ml.datasets.synthetic import demo_clip

    return demo_clip(0)


@pytest.fixture(scope="session")
def demo_video(demo, tmp_path_factory) -> Path:
    """The demo clip written as an MJPG .avi at 200 fps."""
    from ml.stages.video import write_video

    return write_video(demo.frames, demo.fps, tmp_path_factory.mktemp("video") / "demo.avi")


@pytest.fixture(scope="session")
def noise_video(tmp_path_factory) -> Path:
    """A 30-frame video of coloured noise: no face anywhere."""
    from ml.stages.video import write_video

    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (30, 240, 320, 3), dtype=np.uint8)
    return write_video(frames, 30.0, tmp_path_factory.mktemp("noise") / "noise.avi")
