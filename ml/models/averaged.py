"""Several trained copies of one network, and optionally the mirrored clip, averaged into one prediction.

Copies of the same network trained from different seeds disagree most on the clips none of them has
learnt well; averaging their probabilities removes much of that seed-to-seed noise, and averaging each
with its prediction on the mirrored clip removes more (the figures are in the README's "Models and data"
section, measured with ``bench/loso_synthetic.py``).

The mirror is the same one the training augmentation applies (:func:`ml.stages.inputs.mirror_clip`): the clip
flipped left to right, with the channels the input kind declares sign-changing under a mirror
(:class:`ml.stages.inputs.InputTraits.mirror_negate`, the horizontal flow component) negated. The AU list has
no left/right AUs, so a face's mirror image carries the same labels.

What is averaged: emotion and AU *probabilities* (returned as their logits, so ``softmax``/``sigmoid`` of
the output gives the averages back) and the timing fractions (an average of ordered triples is ordered).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ml.models._base import MicroExprModel
from ml.stages.inputs import input_traits, mirror_clip

__all__ = ["AveragedModel"]

_EPS = 1e-7


class AveragedModel(MicroExprModel):
    """The average of ``members`` (same architecture and labels), each on the clip and, if
    ``mirror``, on its mirror image.

    Only for prediction: train the members one by one (:func:`ml.train.loop.fit`); ``loss`` refuses.
    Checkpoints save and load it whole (:mod:`ml.checkpoint` records ``members`` and ``mirror`` in the
    sidecar); its state dict holds each member under ``members.<i>.``.
    """

    def __init__(self, members: Sequence[MicroExprModel], *, mirror: bool = False) -> None:
        if not members:
            raise ValueError("an averaged model needs at least one member")
        first = members[0].cfg
        for m in members[1:]:
            if m.cfg.to_dict() != first.to_dict():
                raise ValueError(
                    f"averaged members must share one configuration; {m.cfg.name!r} differs from the first"
                )
        super().__init__(first)
        self.members = nn.ModuleList(members)
        self.mirror = bool(mirror)

    @property
    def mirror_negate(self) -> tuple[int, ...]:
        return input_traits(self.cfg.input_kind).mirror_negate

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        views = [x, mirror_clip(x, self.mirror_negate)] if self.mirror else [x]
        emotion: list[torch.Tensor] = []
        aus: list[torch.Tensor] = []
        timing: list[torch.Tensor] = []
        for member in self.members:
            for view in views:
                out = member(view)
                emotion.append(torch.softmax(out["emotion_logits"].float(), dim=-1))
                aus.append(torch.sigmoid(out["au_logits"].float()))
                timing.append(out["timing"].float())
        p_emotion = torch.stack(emotion).mean(0).clamp_min(_EPS)
        p_aus = torch.stack(aus).mean(0).clamp(_EPS, 1.0 - _EPS)
        return {
            "emotion_logits": torch.log(p_emotion),
            "au_logits": torch.log(p_aus) - torch.log1p(-p_aus),
            "timing": torch.stack(timing).mean(0),
        }

    def loss(self, out: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        raise TypeError("an AveragedModel is for prediction; train each member on its own")
