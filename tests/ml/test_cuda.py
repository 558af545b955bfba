"""On a CUDA GPU: every model, a training run and the whole analysis give the CPU's results.

Float32 on the GPU (TF32 off) must match the CPU to rounding; bf16 and fp16 autocast, what training and
analysis use on CUDA, must stay close to it; training in each precision must learn; the analysis of a
clip on CUDA must give the CPU's tracks and events. Skipped without a GPU (CI has none):

    pytest tests/ml/test_cuda.py
"""

import numpy as np
import pytest
import torch

from ml.models import list_models
from ml.runtime import autocast, predict
from ml.train.config import TrainConfig
from ml.train.data import PreparedData
from ml.train.loop import fit

from .models.conftest import TINY_KWARGS, make_tiny_model

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

MODELS = sorted(TINY_KWARGS)


@pytest.fixture(autouse=True)
def exact_float32():
    """cuDNN convolutions may use TF32 (10-bit mantissa) for float32 unless told not to."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def _model(name: str) -> torch.nn.Module:
    return make_tiny_model(name).eval()


def _outputs(model: torch.nn.Module, x: torch.Tensor, device: str, amp: str) -> dict[str, np.ndarray]:
    model.to(device)
    with torch.no_grad(), autocast(device, amp):
        out = model(x.to(device))
    return {
        "emotion": torch.softmax(out["emotion_logits"].float(), -1).cpu().numpy(),
        "aus": torch.sigmoid(out["au_logits"].float()).cpu().numpy(),
        "timing": out["timing"].float().cpu().numpy(),
    }


def _inputs(model: torch.nn.Module, n: int = 4) -> torch.Tensor:
    return torch.randn((n, *model.cfg.input_size), generator=torch.Generator().manual_seed(1))


def test_every_product_model_is_covered():
    assert set(MODELS) == {n for n in list_models() if n != "tiny_test_model"}


@pytest.mark.parametrize("name", MODELS)
def test_float32_on_the_gpu_is_the_cpu_result(name):
    model = _model(name)
    x = _inputs(model)
    cpu = _outputs(model, x, "cpu", "none")
    gpu = _outputs(model, x, "cuda", "none")
    for key in cpu:
        np.testing.assert_allclose(gpu[key], cpu[key], atol=1e-4, err_msg=f"{name} {key}")


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
@pytest.mark.parametrize("name", MODELS)
def test_mixed_precision_stays_close_to_float32(name, amp):
    model = _model(name)
    x = _inputs(model)
    exact = _outputs(model, x, "cuda", "none")
    mixed = _outputs(model, x, "cuda", amp)
    for key in exact:  # bf16 keeps 8 bits of mantissa: about 0.4 % per rounding
        assert np.isfinite(mixed[key]).all(), f"{name} {amp} {key} not finite"
        np.testing.assert_allclose(mixed[key], exact[key], atol=0.03, err_msg=f"{name} {amp} {key}")


def test_predict_on_the_gpu_gives_the_cpu_probabilities():
    model = _model("au_gcn")
    x = _inputs(model, n=6).numpy()
    cpu = predict(model, x, device="cpu", batch_size=4)
    gpu = predict(model, x, device="cuda", batch_size=4)
    np.testing.assert_allclose(gpu.emotion_probs, cpu.emotion_probs, atol=1e-4)
    np.testing.assert_allclose(gpu.au_probs, cpu.au_probs, atol=1e-4)
    np.testing.assert_allclose(gpu.timing, cpu.timing, atol=1e-4)


def _separable(model: torch.nn.Module, n: int = 20) -> PreparedData:
    """Clips whose emotion class sets their mean brightness; one AU per class."""
    rng = np.random.default_rng(0)
    emotion = np.arange(n) % len(model.cfg.emotion_names)
    x = rng.normal(0, 0.3, (n, *model.cfg.input_size)).astype(np.float32)
    x += (emotion - emotion.mean()).astype(np.float32)[:, None, None, None, None]
    aus = np.zeros((n, len(model.cfg.au_names)), np.float32)
    aus[np.arange(n), emotion % len(model.cfg.au_names)] = 1.0
    return PreparedData(
        inputs=x,
        emotion=emotion.astype(np.int64),
        aus=aus,
        timing=np.tile(np.array([0.2, 0.5, 0.8], np.float32), (n, 1)),
        n_frames=np.full(n, 41, np.int64),
        subjects=tuple(f"s{i % 4}" for i in range(n)),
    )


@pytest.mark.parametrize("amp", ["bf16", "fp16", "none"])
def test_training_on_the_gpu_learns(amp):
    model = _model("au_gcn")
    data = _separable(model)
    cfg = TrainConfig(epochs=8, batch_size=8, lr=3e-3, amp=amp, augment=False)
    result = fit(model, data, cfg, device="cuda", seed=0)
    first, last = result.history[0]["total"], result.history[-1]["total"]
    assert np.isfinite(last) and last < 0.8 * first, (amp, first, last)
    assert next(model.parameters()).dtype == torch.float32  # autocast leaves the weights in float32


def test_the_analysis_on_the_gpu_gives_the_cpu_tracks_and_events(tmp_path, tiny_weights):
    from ml.analyze import analyze
    from ml.datasets.synthetic import generate_clip
    from ml.stages.video import write_video

    sc = generate_clip(5, 0, size=(160, 120), fps=100.0)
    clip = write_video(sc.frames, sc.fps, tmp_path / "c.avi")
    cpu = analyze(clip, weights=tiny_weights, device="cpu")
    gpu = analyze(clip, weights=tiny_weights, device="cuda")
    np.testing.assert_array_equal(gpu.activations, cpu.activations)  # measured on the CPU both times
    assert [(e.onset, e.apex, e.offset) for e in gpu.events] == [
        (e.onset, e.apex, e.offset) for e in cpu.events
    ]
    assert gpu.events, "the clip's expression was not found"
    for name, p in cpu.emotion_probs.items():  # the model's labels, in bf16 on the GPU
        assert abs(gpu.emotion_probs[name] - p) < 0.03, (name, gpu.emotion_probs[name], p)
