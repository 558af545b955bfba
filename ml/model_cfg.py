"""``ModelCfg``: everything needed to rebuild a model and feed it (the checkpoint sidecar's core).

It lives below the models and the input stages so that both can read it without importing each other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from curves.au import DEFAULT_AUS
from ml.rules import CASME2_EMOTIONS_5

__all__ = ["ModelCfg"]


@dataclass(frozen=True)
class ModelCfg:
    """Everything needed to rebuild a model and feed it: saved in every checkpoint's JSON sidecar.

    Attributes:
        name: registry name (``"au_gcn"``).
        au_names: AUs of the multi-label head, canonical names.
        emotion_names: classes of the emotion head.
        input_kind: how ``ml.stages.inputs.build_input`` prepares a clip (``"clip"``: TIM-normalised RGB
            crops;
            ``"clip_delta"``: their change from the first frame; ``"flow_delta"``: optical flow from the
            first frame, the shipped default's; other kinds are registered by the models that need
            them, e.g. ``"flow"``).
        num_frames, image_size, in_chans: input size (C, T, H, W) = (in_chans, num_frames, size, size).
        mean, std: per-channel normalisation of the input's channels ([0, 1] pixels, or pixels of
            displacement for flow inputs).
        fps: frame rate the model was trained at (informative; TIM makes the input rate-free).
        version: weights version string.
        options: family-specific hyper-parameters (width multiplier, adjacency, ...), JSON-serialisable.
    """

    name: str
    au_names: tuple[str, ...] = DEFAULT_AUS
    emotion_names: tuple[str, ...] = CASME2_EMOTIONS_5
    input_kind: str = "clip"
    num_frames: int = 16
    image_size: int = 112
    in_chans: int = 3
    mean: tuple[float, ...] = (0.5, 0.5, 0.5)
    std: tuple[float, ...] = (0.25, 0.25, 0.25)
    fps: float = 200.0
    version: str = "0"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def input_size(self) -> tuple[int, int, int, int]:
        return (self.in_chans, self.num_frames, self.image_size, self.image_size)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("au_names", "emotion_names", "mean", "std"):
            d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCfg:
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        for k in ("au_names", "emotion_names", "mean", "std"):
            if k in kwargs:
                kwargs[k] = tuple(kwargs[k])
        return cls(**kwargs)

    def replace(self, **changes: Any) -> ModelCfg:
        return replace(self, **changes)
