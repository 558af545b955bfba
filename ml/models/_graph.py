"""AU graph pieces of the AU-GCN paper: co-occurrence adjacency, graph convolution, self-attention pooling.

Adjacency (section 3.2-3.3)::

    A_ij  = P(U_i | U_j) = N_ij / N_j      (i != j; N_j = clips with AU j, N_ij = clips with both)
    A~    = A + I                         (self loops; the diagonal of A itself is left at 0 so every
                                           node's self weight is exactly 1)
    A^    = D~^-1/2 A~ D~^-1/2            (D~_ii = sum_j A~_ij, the row sum of the asymmetric A~)

``A^`` stays asymmetric: row ``i`` tells node ``i`` how much to listen to each AU ``j``, weighted by how
likely ``i`` is when ``j`` fires. An AU with ``N_j = 0`` (never seen in the training split) gets an empty
column and only its self loop.
"""

from __future__ import annotations

import json
import logging
import math
from importlib import resources

import numpy as np
import torch
from torch import nn

from curves.au import parse_au

__all__ = [
    "GraphConv",
    "SelfAttentionPool",
    "conditional_adjacency",
    "default_cooccurrence",
    "normalized_adjacency",
]

_log = logging.getLogger(__name__)


def _check_counts(counts: np.ndarray) -> np.ndarray:
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"co-occurrence counts must be a square (A, A) array, got shape {c.shape}")
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ValueError("co-occurrence counts must be finite and non-negative")
    return c


def conditional_adjacency(counts: np.ndarray) -> np.ndarray:
    """Asymmetric conditional-probability adjacency ``A_ij = N_ij / N_j`` (zero diagonal).

    Args:
        counts: ``(A, A)`` clip counts; ``counts[j, j]`` is ``N_j``, the clips coded with AU ``j``.

    Returns:
        ``(A, A)`` float64 with ``A_ii = 0``; columns of never-seen AUs are zero.
    """
    c = _check_counts(counts)
    n_j = np.diag(c).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(n_j[None, :] > 0, c / np.where(n_j > 0, n_j, 1.0)[None, :], 0.0)
    np.fill_diagonal(a, 0.0)
    return np.clip(a, 0.0, 1.0)


def normalized_adjacency(counts: np.ndarray, *, self_loop: float = 1.0) -> np.ndarray:
    """``D~^-1/2 (A + self_loop * I) D~^-1/2`` with ``A`` from :func:`conditional_adjacency`.

    Args:
        counts: ``(A, A)`` co-occurrence counts.
        self_loop: weight of the self loops (1 in the paper).

    Returns:
        ``(A, A)`` float64, asymmetric in general.
    """
    if not self_loop > 0:
        raise ValueError(f"self_loop must be > 0, got {self_loop!r}")
    a = conditional_adjacency(counts) + self_loop * np.eye(len(counts))
    d = a.sum(axis=1)
    inv = 1.0 / np.sqrt(d)
    return inv[:, None] * a * inv[None, :]


def default_cooccurrence(au_names: tuple[str, ...] | list[str]) -> np.ndarray:
    """CASME II co-occurrence counts (shipped ``ml/data/casme2_au_cooccurrence.json``) for ``au_names``.

    Sided names (``AU12R``) use their bilateral AU's counts; AUs absent from the table get zero counts
    (self loop only) and a log message.

    Returns:
        ``(A, A)`` float64 counts.
    """
    text = resources.files("ml").joinpath("data/casme2_au_cooccurrence.json").read_text(encoding="utf-8")
    table = json.loads(text)
    index = {name: i for i, name in enumerate(table["aus"])}
    full = np.asarray(table["counts"], dtype=np.float64)
    n = len(au_names)
    out = np.zeros((n, n), dtype=np.float64)
    rows = [index.get(parse_au(name).bilateral_name) for name in au_names]
    missing = [name for name, r in zip(au_names, rows, strict=True) if r is None]
    if missing:
        _log.info("no CASME II co-occurrence prior for %s; they start with self loops only", missing)
    for i, ri in enumerate(rows):
        for j, rj in enumerate(rows):
            if ri is not None and rj is not None:
                out[i, j] = full[ri, rj]
    return out


class GraphConv(nn.Module):
    """One graph convolution ``H' = A^ H W (+ b)`` with a fixed adjacency passed at call time.

    Args:
        in_dim: node feature size.
        out_dim: output node feature size.
        bias: add a learnable bias.
    """

    def __init__(self, in_dim: int, out_dim: int, *, bias: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_dim, out_dim))
        self.bias = nn.Parameter(torch.zeros(out_dim)) if bias else None
        bound = 1.0 / math.sqrt(out_dim)
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, h: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        """``h (..., N, in_dim)``, ``adj (N, N)`` -> ``(..., N, out_dim)``."""
        out = adj.to(h.dtype) @ (h @ self.weight.to(h.dtype))
        if self.bias is not None:
            out = out + self.bias.to(out.dtype)
        return out


class SelfAttentionPool(nn.Module):
    """Self-attention graph pooling (SAGPool): score nodes with a one-channel graph conv, keep the top
    ``ceil(ratio * N)`` and gate them by ``tanh(score)``.

    The pooled adjacency would be ``adj[idx][:, idx]``; it is not returned because the kept nodes are
    read out straight away (mean and max over nodes).

    Args:
        dim: node feature size.
        ratio: fraction of nodes kept (0.5 in the paper).
    """

    def __init__(self, dim: int, ratio: float = 0.5) -> None:
        super().__init__()
        if not 0.0 < ratio <= 1.0:
            raise ValueError(f"pooling ratio must be in (0, 1], got {ratio!r}")
        self.ratio = ratio
        self.score = GraphConv(dim, 1)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pool nodes.

        Args:
            x: ``(B, N, D)`` node features.
            adj: ``(N, N)`` normalised adjacency.

        Returns:
            ``(kept, idx)``: gated kept nodes ``(B, k, D)`` and their indices ``(B, k)``.
        """
        n = x.shape[1]
        k = max(1, math.ceil(self.ratio * n))
        score = self.score(x, adj).squeeze(-1)  # (B, N)
        top, idx = torch.topk(score, k, dim=1)
        kept = torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[2]))
        return kept * torch.tanh(top).unsqueeze(-1), idx
