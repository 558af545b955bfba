"""Heads and loss terms shared by the paper re-implementations (``ms3d_resnet50``, ``gamdss``, ``madv``).

None of the three papers predicts onset/apex/offset timing or per-frame AUs; the project needs both from
every model so that curves and the plugin work with any of them. Each family therefore adds the same two
small heads on top of its own clip feature:

* :class:`OrderedTimingHead` -- ``Linear(D, 3)`` mapped to ``0 <= onset <= apex <= offset <= 1`` by nested
  sigmoids (``on = s(a)``, ``ap = on + (1 - on) s(b)``, ``off = ap + (1 - ap) s(c)``), so the order holds by
  construction for any weights;
* a multi-label AU head (``Linear(D, A)``) when the paper has none;

and :func:`auxiliary_losses` adds ``timing`` (smooth-L1 on the three fractions) and ``au`` (BCE) terms to
the paper's own loss. Targets that a batch does not carry are skipped.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ml.models._base import ModelCfg

__all__ = ["OrderedTimingHead", "auxiliary_losses", "build_cfg", "focal_loss", "ordered_timing"]


def ordered_timing(raw: torch.Tensor) -> torch.Tensor:
    """Map unconstrained ``(B, 3)`` to ordered fractions ``0 <= on <= apex <= off <= 1``.

    Args:
        raw: ``(B, 3)`` real numbers.

    Returns:
        ``(B, 3)`` onset, apex, offset in ``[0, 1]``, non-decreasing along the last axis.
    """
    s = torch.sigmoid(raw)
    on = s[:, 0]
    ap = on + (1.0 - on) * s[:, 1]
    off = ap + (1.0 - ap) * s[:, 2]
    return torch.stack([on, ap, off], dim=1)


class OrderedTimingHead(nn.Module):
    """``(B, D)`` feature -> ``(B, 3)`` ordered onset/apex/offset fractions.

    The bias starts at a typical micro-expression placement (onset 0.2, apex 0.5, offset 0.8 of the clip),
    so an untrained model predicts a plausible envelope.
    """

    def __init__(self, dim: int, hidden: int = 0) -> None:
        super().__init__()
        last = nn.Linear(hidden if hidden > 0 else dim, 3)
        self.net: nn.Module = (
            nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(inplace=True), last) if hidden > 0 else last
        )
        nn.init.zeros_(last.weight)
        with torch.no_grad():
            # s(a)=0.2; 0.2+0.8 s(b)=0.5 -> s(b)=0.375; 0.5+0.5 s(c)=0.8 -> s(c)=0.6
            last.bias.copy_(torch.logit(torch.tensor([0.2, 0.375, 0.6])))

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        return ordered_timing(self.net(feat))


def focal_loss(
    logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0, alpha: torch.Tensor | float = 1.0
) -> torch.Tensor:
    """Multi-class focal loss ``mean_i  -alpha (1 - p_i)^gamma log p_i`` (``p_i`` = prob. of the true class).

    Args:
        logits: ``(B, C)``.
        target: ``(B,)`` class indices.
        gamma: down-weighting of easy samples (0 gives cross-entropy).
        alpha: balance factor, a scalar or a ``(C,)`` per-class tensor.
    """
    logp = F.log_softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
    p = logp.exp()
    a = alpha[target] if isinstance(alpha, torch.Tensor) else alpha
    return (-a * (1.0 - p) ** gamma * logp).mean()


def auxiliary_losses(
    out: dict[str, torch.Tensor],
    target: dict[str, torch.Tensor],
    *,
    timing_weight: float = 1.0,
    au_weight: float = 1.0,
) -> dict[str, torch.Tensor]:
    """Timing (smooth-L1 on fractions) and AU (BCE with logits) terms, when the batch has those targets.

    Returns:
        ``{"timing": ..., "au": ...}`` unweighted values of the terms present, and ``"aux_total"`` the
        weighted sum (0 when none present).
    """
    parts: dict[str, torch.Tensor] = {}
    total = out["emotion_logits"].new_zeros(())
    if "timing" in target and "timing" in out:
        t = target["timing"].to(out["timing"].dtype)
        parts["timing"] = F.smooth_l1_loss(out["timing"], t, beta=0.1)
        total = total + timing_weight * parts["timing"]
    if "aus" in target and "au_logits" in out:
        parts["au"] = F.binary_cross_entropy_with_logits(
            out["au_logits"], target["aus"].to(out["au_logits"].dtype)
        )
        total = total + au_weight * parts["au"]
    parts["aux_total"] = total
    return parts


def with_auxiliary_losses(
    parts: dict[str, torch.Tensor],
    total: torch.Tensor,
    out: dict[str, torch.Tensor],
    target: dict[str, torch.Tensor],
    opts: dict[str, Any],
) -> dict[str, torch.Tensor]:
    """Add the weighted timing/AU terms (``opts["timing_weight"]``, ``opts["au_weight"]``) to a family's
    own loss ``total`` and return all parts with ``"total"``: the common ending of every ``loss()``."""
    aux = auxiliary_losses(
        out, target, timing_weight=float(opts["timing_weight"]), au_weight=float(opts["au_weight"])
    )
    total = total + aux.pop("aux_total")
    parts.update(aux)
    parts["total"] = total
    return parts


def build_cfg(
    name: str,
    cfg_defaults: dict[str, Any],
    option_defaults: dict[str, Any],
    variant_options: dict[str, Any],
    kwargs: dict[str, Any],
) -> ModelCfg:
    """A family's :class:`ModelCfg` from its defaults and ``create_model`` keyword arguments.

    ``kwargs`` may hold ModelCfg fields, family options (flat, or under ``options``) and ``name`` (must
    match). Priority: kwargs > variant options > family defaults.

    Raises:
        ValueError: an unknown argument or option, or a config for another model.
    """
    kw = dict(kwargs)
    given = kw.pop("name", name)
    if given != name:
        raise ValueError(f"config is for model {given!r}, not {name!r}")
    options = {**option_defaults, **variant_options, **dict(kw.pop("options", None) or {})}
    for key in list(kw):
        if key in option_defaults:
            options[key] = kw.pop(key)
    fields = set(ModelCfg.__dataclass_fields__) - {"name", "options"}
    unknown = (set(kw) - fields) | (set(options) - set(option_defaults))
    if unknown:
        raise ValueError(
            f"unknown argument(s) {sorted(unknown)} for {name}; config fields: {sorted(fields)}, "
            f"options: {sorted(option_defaults)}"
        )
    merged = {**cfg_defaults, **kw}
    for key in ("au_names", "emotion_names", "mean", "std"):
        if key in merged:
            merged[key] = tuple(merged[key])
    return ModelCfg(name=name, options=options, **merged)
