"""AU-GCN: 3D-ResNet-18 clip features, an AU co-occurrence graph, timing and emotion heads.

Paper: "Graph-Driven Micro-Expression Rendering with Emotionally Diverse Expressions for Lifelike Digital
Humans" (2025), called the AU-GCN paper throughout this package.

Architecture::

    x (B, 3, 16, 112, 112)
      -> 3D-ResNet-18 (Table 1; ml.models._resnet3d)      -> (B, 512, 2, 7, 7)
      -> global average pooling                             -> F (B, 512)          forward_features
    F -> timing:  Linear(512, 4) -> softmax -> cumsum[:3]   -> (onset, apex, offset), ordered in [0, 1]
         timing bins: Linear(512, 3 K)                     -> (B, 3, K) logits for the CE part of L_seg
    GCN over AU nodes (one-hot input, A^ from co-occurrence, 2 layers 1024 -> 512)
         -> per-AU classifiers C (A, 512);  au_logits = F C^T + b                  (B, A)
    AU nodes of this clip  X_i = F * C_i  (B, A, 512)
         -> self-attention pooling (SAGPool, ratio 0.5)    -> kept nodes (B, ceil(A/2), 512)
         -> [F | mean | max] -> Linear(1536, E)            -> emotion_logits (B, E)   forward_head

Decisions where the paper is silent or ambiguous (all switchable through ``cfg.options``):

* Order constraint (3.1 "temporal order constraint"): by construction. Four logits go through a softmax
  (four non-negative gaps summing to 1: before onset, onset->apex, apex->offset, after offset) and a
  cumulative sum, so ``0 <= onset <= apex <= offset <= 1`` holds for every input. The paper regresses
  onset and offset; apex is added because the animation envelope needs it.
* The CE of ``L_seg = CE + 0.5 MSE`` (3.2, "y_i classification labels"): each of onset/apex/offset is also
  classified into ``timing_bins`` (default 16 = the TIM length) temporal bins by a separate linear head;
  the target puts the probability mass on the two bins around the true time, linearly (so its mean is
  the true time). ``seg_ce: "none"`` drops it. MSE is over the three normalised times.
* GCN (3.3, 4.1.2): input one-hot (the identity, so the first layer's weight is the node embedding),
  two layers ``gcn_hidden`` (1024) and the feature size (512), ReLU between them and none after, since
  the second layer's output rows are signed classifiers (as in ML-GCN). Adjacency:
  ``A_ij = N_ij / N_j`` off the diagonal, plus identity self loops, normalised
  ``D^-1/2 (A + I) D^-1/2`` with row-sum degrees (see :mod:`ml.models._graph`). The adjacency and the
  counts are buffers, so checkpoints carry them; the default prior is CASME II's counts, and training
  calls :meth:`AUGCN.set_cooccurrence` with the training split's counts.
* Self-attention pooling (3.3, ratio 0.5) works on the AU graph as the paper describes ("retains key
  nodes"): the nodes of one clip are the clip feature gated by each AU classifier, ``X_i = F * C_i``;
  SAGPool scores them with a one-channel graph conv, keeps the top half and gates them by
  ``tanh(score)``; the emotion head reads ``[F | mean | max]`` of the kept nodes (``F`` is kept as a skip
  path). ``emotion_pool: "gap"`` feeds ``F`` alone to the emotion head.
* The paper's "emotion layer" on the nodes (3.3) is not modelled separately: emotion comes from the pooled
  AU graph above.
* Loss: ``total = w_seg_ce CE_bins + w_seg_mse MSE + w_au BCE(AU) + w_emotion CE(emotion)`` with
  ``loss_weights`` defaults 1.0 / 0.5 / 0.7 / 0.3 (``L_seg + L_graph``, alpha = 0.7).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as Fn
from torch import nn

from ml.models._base import MicroExprModel, ModelCfg
from ml.models._graph import GraphConv, SelfAttentionPool, default_cooccurrence, normalized_adjacency
from ml.models._registry import register_model
from ml.models._resnet3d import ResNet3d, stage_widths

__all__ = ["AUGCN", "DEFAULT_LOSS_WEIGHTS", "au_gcn", "au_gcn_small"]

#: Weights of the loss parts: L_seg = seg_ce + 0.5 seg_mse; L_graph = 0.7 au + 0.3 emotion.
DEFAULT_LOSS_WEIGHTS: dict[str, float] = {"seg_ce": 1.0, "seg_mse": 0.5, "au": 0.7, "emotion": 0.3}

_DEFAULT_OPTIONS: dict[str, Any] = {
    "width": 1.0,
    "gcn_hidden": None,  # None: 2 x feature size (1024 at width 1)
    "pool_ratio": 0.5,
    "emotion_pool": "sag",  # "sag" | "gap"
    "seg_ce": "bins",  # "bins" | "none"
    "timing_bins": 16,
    "dropout": 0.0,
    "self_loop": 1.0,
    "zero_init_residual": True,
    "loss_weights": DEFAULT_LOSS_WEIGHTS,
    "emotion_class_weights": None,  # list of E floats, or None
    "au_pos_weight": None,  # list of A floats, or None
}


class AUGCN(MicroExprModel):
    """The AU-GCN paper's network; build it with ``create_model("au_gcn")`` or ``"au_gcn_small"``.

    Args:
        cfg: model config; ``cfg.options`` holds the keys of ``_DEFAULT_OPTIONS`` (all filled in).
        cooccurrence: ``(A, A)`` AU co-occurrence counts for the graph; default: CASME II's.
    """

    au_cooccurrence: torch.Tensor
    adjacency: torch.Tensor
    emotion_class_weights: torch.Tensor | None
    au_pos_weight: torch.Tensor | None

    def __init__(self, cfg: ModelCfg, cooccurrence: np.ndarray | None = None) -> None:
        super().__init__(cfg)
        opt = cfg.options
        n_au = len(cfg.au_names)
        n_emo = len(cfg.emotion_names)
        if n_au < 1 or n_emo < 2:
            raise ValueError(f"au_gcn needs >= 1 AU and >= 2 emotions, got {n_au} and {n_emo}")
        self.backbone = ResNet3d(
            cfg.in_chans, float(opt["width"]), zero_init_residual=bool(opt["zero_init_residual"])
        )
        d = self.backbone.num_features
        self.num_features = d
        self.drop = nn.Dropout(float(opt["dropout"]))
        # timing
        self.timing_head = nn.Linear(d, 4)
        self.timing_bins = int(opt["timing_bins"]) if opt["seg_ce"] == "bins" else 0
        self.timing_bin_head = nn.Linear(d, 3 * self.timing_bins) if self.timing_bins > 0 else None
        # AU graph
        self.gcn1 = GraphConv(n_au, int(opt["gcn_hidden"]))
        self.gcn2 = GraphConv(int(opt["gcn_hidden"]), d)
        self.au_bias = nn.Parameter(torch.zeros(n_au))
        counts = default_cooccurrence(cfg.au_names) if cooccurrence is None else cooccurrence
        self.register_buffer("au_cooccurrence", torch.zeros(n_au, n_au, dtype=torch.float32))
        self.register_buffer("adjacency", torch.eye(n_au, dtype=torch.float32))
        self.set_cooccurrence(counts)
        # emotion
        self.emotion_pool = str(opt["emotion_pool"])
        self.pool = SelfAttentionPool(d, float(opt["pool_ratio"])) if self.emotion_pool == "sag" else None
        self._emotion_in = 3 * d if self.pool is not None else d
        self.emotion_head = nn.Linear(self._emotion_in, n_emo)
        # loss settings as buffers so they follow .to(device)
        cw = opt["emotion_class_weights"]
        pw = opt["au_pos_weight"]
        self.register_buffer(
            "emotion_class_weights",
            None if cw is None else torch.tensor(cw, dtype=torch.float32),
            persistent=False,
        )
        self.register_buffer(
            "au_pos_weight",
            None if pw is None else torch.tensor(pw, dtype=torch.float32),
            persistent=False,
        )
        self.loss_weights = dict(opt["loss_weights"])

    # ------------------------------------------------------------------ graph
    def set_cooccurrence(self, counts: np.ndarray | Sequence[Sequence[float]]) -> None:
        """Replace the AU graph by one built from ``(A, A)`` co-occurrence counts (e.g. the training split's).

        Args:
            counts: ``counts[i, j]`` clips coded with both AU i and AU j; ``counts[j, j]`` clips with AU j,
                in the order of ``cfg.au_names``.

        Raises:
            ValueError: wrong shape, negative or non-finite counts.
        """
        c = np.asarray(counts, dtype=np.float64)
        n = len(self.cfg.au_names)
        if c.shape != (n, n):
            raise ValueError(
                f"co-occurrence counts must be ({n}, {n}) for AUs {list(self.cfg.au_names)}, got {c.shape}"
            )
        adj = normalized_adjacency(c, self_loop=float(self.cfg.options["self_loop"]))
        with torch.no_grad():
            self.au_cooccurrence.copy_(torch.from_numpy(c))
            self.adjacency.copy_(torch.from_numpy(adj))

    def au_classifiers(self) -> torch.Tensor:
        """Per-AU classifiers from the GCN over one-hot AU nodes: ``(A, num_features)``."""
        adj = self.adjacency
        eye = torch.eye(adj.shape[0], device=adj.device, dtype=adj.dtype)
        h = Fn.relu(self.gcn1(eye, adj))
        return self.gcn2(h, adj)

    # ------------------------------------------------------------------ forward
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` clip -> ``(B, num_features)`` pooled 3D-ResNet feature.

        Raises:
            ValueError: ``x`` is not 5-D with ``cfg.in_chans`` channels.
        """
        if x.ndim != 5 or x.shape[1] != self.cfg.in_chans:
            raise ValueError(
                f"au_gcn expects (B, {self.cfg.in_chans}, T, H, W) input, got shape {tuple(x.shape)}"
            )
        return self.backbone(x).mean(dim=(2, 3, 4))

    def forward_head(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        """Clip feature ``(B, D)`` -> ``emotion_logits (B, E)``, ``au_logits (B, A)``, ``timing (B, 3)``,
        and ``timing_logits (B, 3, K)`` when the bin CE is on."""
        f = self.drop(features)
        out: dict[str, torch.Tensor] = {}
        gaps = torch.softmax(self.timing_head(f).float(), dim=-1)
        out["timing"] = torch.cumsum(gaps, dim=-1)[:, :3].clamp(0.0, 1.0)
        if self.timing_bin_head is not None:
            out["timing_logits"] = self.timing_bin_head(f).view(f.shape[0], 3, self.timing_bins)
        cls = self.au_classifiers()  # (A, D)
        out["au_logits"] = f @ cls.to(f.dtype).t() + self.au_bias.to(f.dtype)
        if self.pool is not None:
            nodes = f.unsqueeze(1) * cls.to(f.dtype).unsqueeze(0)  # (B, A, D)
            kept, _ = self.pool(nodes, self.adjacency)
            emo_in = torch.cat([f, kept.mean(dim=1), kept.amax(dim=1)], dim=-1)
        else:
            emo_in = f
        out["emotion_logits"] = self.emotion_head(emo_in)
        return out

    def reset_classifier(self, num_emotions: int, emotion_names: Sequence[str] | None = None) -> None:
        """Replace the emotion head by a fresh one with ``num_emotions`` classes (e.g. another protocol).

        Args:
            num_emotions: number of classes (>= 2).
            emotion_names: their names; default keeps the current names if the count is unchanged,
                otherwise ``class0, class1, ...``.

        Raises:
            ValueError: fewer than 2 classes, or names that do not match the count.
        """
        if num_emotions < 2:
            raise ValueError(f"an emotion head needs at least 2 classes, got {num_emotions}")
        if emotion_names is not None:
            names = tuple(emotion_names)
            if len(names) != num_emotions:
                raise ValueError(f"{len(names)} emotion names given for {num_emotions} classes")
        elif num_emotions == len(self.cfg.emotion_names):
            names = self.cfg.emotion_names
        else:
            names = tuple(f"class{i}" for i in range(num_emotions))
        ref = self.emotion_head.weight
        self.emotion_head = nn.Linear(self._emotion_in, num_emotions).to(device=ref.device, dtype=ref.dtype)
        options = dict(self.cfg.options)
        if options.get("emotion_class_weights") is not None:
            options["emotion_class_weights"] = None
            self.emotion_class_weights = None
        self.cfg = self.cfg.replace(emotion_names=names, options=options)

    # ------------------------------------------------------------------ loss
    def loss(self, out: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Loss parts and their weighted sum ``"total"``.

        Args:
            out: the model's output dict.
            target: any of ``"emotion"`` (B,) long, ``"aus"`` (B, A) 0/1, ``"timing"`` (B, 3) in [0, 1];
                optional ``"aus_mask"`` (B,) or (B, A) and ``"timing_mask"`` (B,) or (B, 3), 1 where the
                label is known (e.g. SMIC has no AU labels). Missing parts count as zero.

        Returns:
            ``{"total", "seg", "graph", "seg_ce", "seg_mse", "au", "emotion"}`` scalar tensors.

        Raises:
            ValueError: a target has the wrong shape, or no target is given.
        """
        ref = out["au_logits"]
        zero = ref.new_zeros((), dtype=torch.float32)
        parts = {"seg_ce": zero, "seg_mse": zero, "au": zero, "emotion": zero}
        b = ref.shape[0]
        if not any(k in target for k in ("emotion", "aus", "timing")):
            raise ValueError("loss needs at least one of the targets 'emotion', 'aus', 'timing'")
        if "emotion" in target:
            y = target["emotion"].long()
            _check_shape("emotion", y, (b,))
            parts["emotion"] = Fn.cross_entropy(
                out["emotion_logits"].float(), y, weight=self.emotion_class_weights
            )
        if "aus" in target:
            y = target["aus"].float()
            _check_shape("aus", y, tuple(ref.shape))
            known = _combine_mask(torch.isfinite(y), target.get("aus_mask"))
            y = torch.nan_to_num(y, nan=0.0).clamp(0.0, 1.0)
            per = Fn.binary_cross_entropy_with_logits(
                ref.float(), y, pos_weight=self.au_pos_weight, reduction="none"
            )
            parts["au"] = _masked_mean(per, known)
        if "timing" in target:
            t = target["timing"].float()
            _check_shape("timing", t, (b, 3))
            mask = _combine_mask(torch.isfinite(t), target.get("timing_mask"))
            t = torch.nan_to_num(t, nan=0.0).clamp(0.0, 1.0)
            parts["seg_mse"] = _masked_mean((out["timing"].float() - t) ** 2, mask)
            if "timing_logits" in out:
                logits = out["timing_logits"].float()
                q = _two_hot(t, logits.shape[-1])
                ce = -(q * torch.log_softmax(logits, dim=-1)).sum(-1)  # (B, 3)
                parts["seg_ce"] = _masked_mean(ce, mask)
        w = self.loss_weights
        seg = w["seg_ce"] * parts["seg_ce"] + w["seg_mse"] * parts["seg_mse"]
        graph = w["au"] * parts["au"] + w["emotion"] * parts["emotion"]
        return {"total": seg + graph, "seg": seg, "graph": graph, **parts}


def _check_shape(name: str, t: torch.Tensor, shape: tuple[int, ...]) -> None:
    if tuple(t.shape) != shape:
        raise ValueError(f"target {name!r} must have shape {shape}, got {tuple(t.shape)}")


def _combine_mask(finite: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``(B, K)`` float mask: 1 where the label is finite and (if given) ``mask`` ((B,) or (B, K)) is set."""
    m = finite.float()
    if mask is not None:
        mm = mask.to(device=m.device, dtype=m.dtype)
        m = m * (mm[:, None] if mm.ndim == 1 else mm)
    return m


def _masked_mean(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``values (B, K)`` over entries where ``mask`` ((B,) or (B, K)) is non-zero."""
    if mask is None:
        return values.mean()
    m = mask.to(values.dtype)
    if m.ndim == 1:
        m = m[:, None].expand_as(values)
    return (values * m).sum() / m.sum().clamp_min(1.0)


def _two_hot(t: torch.Tensor, bins: int) -> torch.Tensor:
    """Soft bin targets ``(B, 3, bins)``: mass split linearly between the two bins around ``t * (bins-1)``."""
    pos = t * (bins - 1)
    lo = pos.floor().clamp(0, bins - 1)
    hi = (lo + 1).clamp(max=bins - 1)
    w_hi = pos - lo
    q = torch.zeros(*t.shape, bins, dtype=t.dtype, device=t.device)
    q.scatter_add_(-1, lo.long().unsqueeze(-1), (1 - w_hi).unsqueeze(-1))
    q.scatter_add_(-1, hi.long().unsqueeze(-1), w_hi.unsqueeze(-1))
    return q


_CFG_FIELDS = frozenset(ModelCfg.__dataclass_fields__) - {"name", "options"}


def _resolve_options(
    base: dict[str, Any], given: dict[str, Any], feature_dim: int | None = None
) -> dict[str, Any]:
    unknown = set(given) - set(_DEFAULT_OPTIONS)
    if unknown:
        raise ValueError(f"unknown au_gcn option(s) {sorted(unknown)}; known: {sorted(_DEFAULT_OPTIONS)}")
    opt = {**_DEFAULT_OPTIONS, **base, **{k: v for k, v in given.items() if v is not None}}
    weights = {**DEFAULT_LOSS_WEIGHTS, **dict(opt["loss_weights"])}
    bad = set(weights) - set(DEFAULT_LOSS_WEIGHTS)
    if bad:
        raise ValueError(f"unknown loss weight(s) {sorted(bad)}; known: {sorted(DEFAULT_LOSS_WEIGHTS)}")
    opt["loss_weights"] = {k: float(v) for k, v in weights.items()}
    if opt["emotion_pool"] not in ("sag", "gap"):
        raise ValueError(f"emotion_pool must be 'sag' or 'gap', got {opt['emotion_pool']!r}")
    if opt["seg_ce"] not in ("bins", "none"):
        raise ValueError(f"seg_ce must be 'bins' or 'none', got {opt['seg_ce']!r}")
    if opt["seg_ce"] == "bins" and int(opt["timing_bins"]) < 2:
        raise ValueError(f"timing_bins must be >= 2, got {opt['timing_bins']!r}")
    opt["width"] = float(opt["width"])
    if opt["gcn_hidden"] is None and feature_dim is not None:
        opt["gcn_hidden"] = 2 * feature_dim
    return opt


def _create_au_gcn(name: str, base: dict[str, Any], kwargs: dict[str, Any]) -> AUGCN:
    kw = dict(kwargs)
    given_name = kw.pop("name", name)
    if given_name != name:
        raise ValueError(f"config is for model {given_name!r}, not {name!r}")
    cooccurrence = kw.pop("cooccurrence", None)
    options = dict(kw.pop("options", None) or {})
    for key in list(kw):
        if key in _DEFAULT_OPTIONS:
            options[key] = kw.pop(key)
    unknown = set(kw) - _CFG_FIELDS
    if unknown:
        raise ValueError(
            f"unknown argument(s) {sorted(unknown)} for {name}; config fields: {sorted(_CFG_FIELDS)}, "
            f"options: {sorted(_DEFAULT_OPTIONS)}"
        )

    width = float(options["width"] if options.get("width") is not None else base["width"])
    opt = _resolve_options(base, options, stage_widths(width)[-1])
    cfg = ModelCfg.from_dict({"name": name, **kw, "options": opt})
    return AUGCN(cfg, cooccurrence=None if cooccurrence is None else np.asarray(cooccurrence))


@register_model
def au_gcn(**kwargs: Any) -> AUGCN:
    """The AU-GCN paper's full network: Table 1's 3D-ResNet-18 (width 1.0, 512-d feature, GCN 1024 -> 512)."""
    return _create_au_gcn("au_gcn", {"width": 1.0}, kwargs)


@register_model
def au_gcn_small(**kwargs: Any) -> AUGCN:
    """Same depth and heads at a quarter of the channels (16/32/64/128): the small shipped default."""
    return _create_au_gcn("au_gcn_small", {"width": 0.25}, kwargs)
