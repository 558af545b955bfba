"""Turn a clip's aligned face crops into a model's input tensor, by the model's ``cfg.input_kind``.

Builders are pure numpy functions registered by name; they run once per clip and their output is cached
by the training harness, so epochs are compute-bound::

    x = build_input(cfg, crops, keyframes=(onset, apex, offset))   # (C, T, H, W) float32

``crops`` is ``(N, H, W, 3)`` uint8 RGB at ``cfg.image_size``; ``keyframes`` are 0-based indices into
``crops`` (ground truth in training, or a selection such as GAMDSS at inference; None when unknown).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ml.models._base import ModelCfg

__all__ = ["InputBuilder", "build_input", "clip_delta_input", "register_input"]

Keyframes = tuple[int, int, int]
InputBuilder = Callable[["ModelCfg", np.ndarray, "Keyframes | None"], np.ndarray]
_BUILDERS: dict[str, InputBuilder] = {}


def register_input(kind: str) -> Callable[[InputBuilder], InputBuilder]:
    """Decorator: register an input builder for ``cfg.input_kind == kind``."""

    def deco(fn: InputBuilder) -> InputBuilder:
        _BUILDERS[kind] = fn
        return fn

    return deco


def build_input(cfg: ModelCfg, crops: np.ndarray, keyframes: Keyframes | None = None) -> np.ndarray:
    """Prepare one clip for a model. Returns ``(C, T, H, W)`` float32."""
    crops = np.asarray(crops)
    if crops.ndim != 4 or crops.shape[-1] != 3 or crops.dtype != np.uint8:
        raise ValueError(f"crops must be (N, H, W, 3) uint8, got {crops.shape} {crops.dtype}")
    if crops.shape[0] < 4:
        raise ValueError(f"a clip needs at least 4 frames, got {crops.shape[0]}")
    if cfg.input_kind not in _BUILDERS:
        import ml.models  # model modules register their own input kinds

        ml.models.list_models()
    if cfg.input_kind not in _BUILDERS:
        raise ValueError(f"unknown input kind {cfg.input_kind!r}; known: {sorted(_BUILDERS)}")
    return _BUILDERS[cfg.input_kind](cfg, crops, keyframes)


@register_input("clip")
def _clip_input(cfg: ModelCfg, crops: np.ndarray, keyframes: Keyframes | None) -> np.ndarray:
    """TIM-interpolate the whole clip to ``cfg.num_frames`` frames and normalise: ``(3, T, H, W)``."""
    from ml.temporal import tim_interpolate

    frames = tim_interpolate(crops, cfg.num_frames).astype(np.float32) / 255.0  # (T, H, W, 3)
    mean = np.asarray(cfg.mean, dtype=np.float32)
    std = np.asarray(cfg.std, dtype=np.float32)
    frames = (frames - mean) / std
    return np.ascontiguousarray(frames.transpose(3, 0, 1, 2))


@register_input("clip_delta")
def clip_delta_input(cfg: ModelCfg, crops: np.ndarray, keyframes: tuple[int, int, int] | None) -> np.ndarray:
    """TIM-normalised clip minus its first frame, amplified: ``(3, T, H, W)`` float32.

    A micro-expression is a small change from a neutral first frame; subtracting that frame removes the
    face's identity and appearance and leaves the motion (as optical-flow inputs do, at the cost of
    nothing but a subtraction). Each frame's mean change is removed, so lighting flicker does not
    count as motion. ``cfg.std`` scales the difference (e.g. 0.05: a 5 % change of a pixel
    becomes 1.0). ``keyframes`` are not used.
    """
    from ml.temporal import tim_interpolate

    frames = tim_interpolate(crops, cfg.num_frames).astype(np.float32) / 255.0  # (T, H, W, 3)
    delta = frames - frames[:1]
    delta -= delta.mean(axis=(1, 2), keepdims=True)  # global brightness changes (flicker) are not motion
    delta /= np.asarray(cfg.std, dtype=np.float32)
    return np.ascontiguousarray(delta.transpose(3, 0, 1, 2))
