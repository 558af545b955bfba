"""Turn a clip's aligned face crops into a model's input tensor, by the model's ``cfg.input_kind``.

Builders are pure numpy functions registered by name; they run once per clip and their output is cached
by the training harness, so epochs are compute-bound::

    x = build_input(cfg, crops, keyframes=(onset, apex, offset))   # (C, T, H, W) float32

``crops`` is ``(N, S, S, 3)`` uint8 RGB, the aligned crops at any size (112 from ``ml.stages.face``);
``keyframes`` are 0-based indices into ``crops`` (ground truth in training, or a selection such as
GAMDSS at inference; None when unknown). Most builders work on crops resized to ``cfg.image_size``
(:func:`build_input` resizes them); those registered with ``full_size=True`` get the crops as given,
because what they measure (optical flow of one- or two-pixel motions) is lost by shrinking first.

A kind also says how training may augment it (:class:`InputTraits`): which channels change sign under a
horizontal mirror (the horizontal flow component), and whether brightness/contrast jitter makes sense
(only for raw pixels: a difference or a flow input would read a brightness change as motion).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from ml.model_cfg import ModelCfg
from ml.rules import MIN_FRAMES
from ml.stages.temporal import optical_flow, photometric_residual, tim_interpolate

__all__ = [
    "InputBuilder",
    "InputTraits",
    "build_input",
    "clip_delta_input",
    "flow_delta_input",
    "input_traits",
    "mirror_clip",
    "register_input",
    "resize_crops",
]

Keyframes = tuple[int, int, int]
InputBuilder = Callable[["ModelCfg", np.ndarray, "Keyframes | None"], np.ndarray]


@dataclass(frozen=True)
class InputTraits:
    """How an input kind is built and may be augmented.

    Attributes:
        full_size: the builder gets the crops at their own size (it resizes its output itself).
        mirror_negate: channels whose sign flips under a horizontal mirror.
        pixels: the channels are (normalised) pixel values, so brightness/contrast jitter applies.
        keyframes: the builder reads onset/apex/offset; inference, which has none annotated, selects
            them (``ml.timing.keyframes.select_keyframes``) for such kinds.
    """

    full_size: bool = False
    mirror_negate: tuple[int, ...] = ()
    pixels: bool = True
    keyframes: bool = False


_BUILDERS: dict[str, InputBuilder] = {}
_TRAITS: dict[str, InputTraits] = {}


def register_input(
    kind: str,
    *,
    full_size: bool = False,
    mirror_negate: tuple[int, ...] = (),
    pixels: bool = True,
    keyframes: bool = False,
) -> Callable[[InputBuilder], InputBuilder]:
    """Decorator: register an input builder for ``cfg.input_kind == kind`` (see :class:`InputTraits`)."""

    def deco(fn: InputBuilder) -> InputBuilder:
        _BUILDERS[kind] = fn
        _TRAITS[kind] = InputTraits(
            full_size=full_size, mirror_negate=tuple(mirror_negate), pixels=pixels, keyframes=keyframes
        )
        return fn

    return deco


def _ensure_registered(kind: str) -> None:
    if kind not in _BUILDERS:
        raise ValueError(
            f"unknown input kind {kind!r}; known: {sorted(_BUILDERS)} (model families register their own "
            "kinds when ml.models is imported)"
        )


def input_traits(kind: str) -> InputTraits:
    """The :class:`InputTraits` of a registered input kind.

    Raises:
        ValueError: unknown kind.
    """
    _ensure_registered(kind)
    return _TRAITS[kind]


def resize_crops(crops: np.ndarray, size: int) -> np.ndarray:
    """Resize ``(N, H, W, 3)`` uint8 crops to ``(N, size, size, 3)`` (area filter when shrinking)."""
    crops = np.asarray(crops)
    if crops.shape[1] == size and crops.shape[2] == size:
        return crops

    interp = cv2.INTER_AREA if size < crops.shape[1] else cv2.INTER_LINEAR
    return np.stack([cv2.resize(f, (size, size), interpolation=interp) for f in crops]).astype(np.uint8)


def build_input(cfg: ModelCfg, crops: np.ndarray, keyframes: Keyframes | None = None) -> np.ndarray:
    """Prepare one clip for a model. Returns ``(C, T, H, W)`` float32 with ``H = W = cfg.image_size``."""
    crops = np.asarray(crops)
    if crops.ndim != 4 or crops.shape[-1] != 3 or crops.dtype != np.uint8:
        raise ValueError(f"crops must be (N, H, W, 3) uint8, got {crops.shape} {crops.dtype}")
    if crops.shape[0] < MIN_FRAMES:
        raise ValueError(f"a clip needs at least {MIN_FRAMES} frames, got {crops.shape[0]}")
    _ensure_registered(cfg.input_kind)
    if not _TRAITS[cfg.input_kind].full_size:
        crops = resize_crops(crops, cfg.image_size)
    return _BUILDERS[cfg.input_kind](cfg, crops, keyframes)


@register_input("clip")
def _clip_input(cfg: ModelCfg, crops: np.ndarray, keyframes: Keyframes | None) -> np.ndarray:
    """TIM-interpolate the whole clip to ``cfg.num_frames`` frames and normalise: ``(3, T, H, W)``."""

    frames = tim_interpolate(crops, cfg.num_frames).astype(np.float32) / 255.0  # (T, H, W, 3)
    mean = np.asarray(cfg.mean, dtype=np.float32)
    std = np.asarray(cfg.std, dtype=np.float32)
    frames = (frames - mean) / std
    return np.ascontiguousarray(frames.transpose(3, 0, 1, 2))


@register_input("clip_delta", pixels=False)
def clip_delta_input(cfg: ModelCfg, crops: np.ndarray, keyframes: tuple[int, int, int] | None) -> np.ndarray:
    """TIM-normalised clip minus its first frame, lighting removed, amplified: ``(3, T, H, W)`` float32.

    A micro-expression is a small change from a neutral first frame; subtracting that frame removes the
    face's identity and appearance and leaves the motion (as optical-flow inputs do, at the cost of
    nothing but a subtraction). Lighting is not motion: flicker under mains lights at high frame rates
    and exposure changes scale and shift the whole face, so each frame is first matched to the first one
    by a per-channel gain and offset (least squares, :func:`photometric_residual`). ``cfg.std`` scales
    the result (e.g. 0.05: a 5 % change of a pixel becomes 1.0). ``keyframes`` are not used.
    """

    frames = tim_interpolate(crops, cfg.num_frames).astype(np.float32) / 255.0  # (T, H, W, 3)
    delta = photometric_residual(frames, frames[0])
    delta /= np.asarray(cfg.std, dtype=np.float32)
    return np.ascontiguousarray(delta.transpose(3, 0, 1, 2))


@register_input("flow_delta", full_size=True, mirror_negate=(0,), pixels=False)
def flow_delta_input(cfg: ModelCfg, crops: np.ndarray, keyframes: tuple[int, int, int] | None) -> np.ndarray:
    """Optical flow from the first frame to each TIM frame, measured at full crop size: ``(3, T, S, S)``.

    Channels: horizontal and vertical displacement and its magnitude, in pixels of a 112 px crop
    (``(value - cfg.mean) / cfg.std``), area-averaged down to ``cfg.image_size``. Flow is what an AU
    is: a small displacement of skin in a fixed direction at a fixed place, the same on every face,
    where a pixel difference depends on the face's own shading. Measured on the full-size crops (Farneback),
    it keeps one-pixel motions that shrinking the crops first would blur away, and the
    small network then reads a clean, small field. ``keyframes`` are not used.
    """

    size = crops.shape[1]
    frames = np.clip(tim_interpolate(crops, cfg.num_frames), 0.0, 255.0).astype(np.float32)  # (T, S, S, 3)
    grey = frames.mean(axis=-1)
    scale = 112.0 / size
    out = np.zeros((3, cfg.num_frames, cfg.image_size, cfg.image_size), dtype=np.float32)
    for t in range(1, cfg.num_frames):
        flow = optical_flow(grey[0], grey[t]) * scale
        if size != cfg.image_size:
            flow = cv2.resize(flow, (cfg.image_size, cfg.image_size), interpolation=cv2.INTER_AREA)
        out[0, t], out[1, t] = flow[..., 0], flow[..., 1]
        out[2, t] = np.hypot(flow[..., 0], flow[..., 1])
    mean = np.asarray(cfg.mean, dtype=np.float32).reshape(3, 1, 1, 1)
    std = np.asarray(cfg.std, dtype=np.float32).reshape(3, 1, 1, 1)
    return np.ascontiguousarray((out - mean) / std)


def mirror_clip(x: torch.Tensor, negate: Sequence[int] = ()) -> torch.Tensor:
    """``(B, C, T, H, W)`` clips flipped left to right, channels ``negate`` changing sign."""
    out = x.flip(-1)
    if negate:
        sign = torch.ones(x.shape[1], dtype=x.dtype, device=x.device)
        sign[list(negate)] = -1
        out = out * sign.view(1, -1, 1, 1, 1)
    return out
