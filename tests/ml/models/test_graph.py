"""AU graph: adjacency from co-occurrence counts, computed by hand."""

import math

import numpy as np
import pytest
import torch

from ml.models._graph import (
    SelfAttentionPool,
    conditional_adjacency,
    default_cooccurrence,
    normalized_adjacency,
)

# 3 AUs: N_0 = 4, N_1 = 2, N_2 = 3 clips; AU0&AU1 together on 2 clips, AU1&AU2 on 1, AU0&AU2 never.
COUNTS = np.array([[4, 2, 0], [2, 2, 1], [0, 1, 3]])


def test_conditional_adjacency_by_hand():
    # A_ij = N_ij / N_j off the diagonal: A_01 = 2/2, A_10 = 2/4, A_12 = 1/3, A_21 = 1/2.
    expected = np.array([[0.0, 1.0, 0.0], [0.5, 0.0, 1 / 3], [0.0, 0.5, 0.0]])
    np.testing.assert_allclose(conditional_adjacency(COUNTS), expected, atol=1e-12)


def test_normalized_adjacency_by_hand():
    # A~ = A + I = [[1, 1, 0], [.5, 1, 1/3], [0, .5, 1]]; row degrees d = [2, 11/6, 3/2];
    # A^_ij = A~_ij / sqrt(d_i d_j).
    s01 = math.sqrt(2 * 11 / 6)  # sqrt(11/3)
    s12 = math.sqrt(11 / 6 * 3 / 2)  # sqrt(2.75)
    expected = np.array(
        [
            [1 / 2, 1 / s01, 0.0],
            [0.5 / s01, 6 / 11, (1 / 3) / s12],
            [0.0, 0.5 / s12, 2 / 3],
        ]
    )
    np.testing.assert_allclose(
        expected,
        [[0.5, 0.5222330, 0.0], [0.2611165, 0.5454545, 0.2010076], [0.0, 0.3015113, 0.6666667]],
        atol=1e-6,
    )
    got = normalized_adjacency(COUNTS)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert not np.allclose(got, got.T)  # asymmetric, as in the paper


def test_never_seen_au_has_only_self_loop():
    counts = np.array([[3, 0], [0, 0]])
    np.testing.assert_allclose(normalized_adjacency(counts), np.eye(2))


def test_bad_counts_rejected():
    with pytest.raises(ValueError, match="square"):
        conditional_adjacency(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        conditional_adjacency(np.array([[1, -1], [-1, 1]]))


def test_default_prior_is_casme2_table():
    counts = default_cooccurrence(("AU1", "AU2", "AU12R", "AU43"))
    # CASME II 2014 sheet: AU1 on 19 clips, AU2 on 21, both on 14; AU12 on 34; AU43 not in the table.
    assert counts[0, 0] == 19 and counts[1, 1] == 21 and counts[0, 1] == 14 and counts[2, 2] == 34
    assert counts[3].sum() == 0 and counts[:, 3].sum() == 0
    assert conditional_adjacency(counts)[0, 1] == pytest.approx(14 / 21)


def test_self_attention_pool_keeps_half_and_gates():
    torch.manual_seed(0)
    pool = SelfAttentionPool(4, ratio=0.5)
    x = torch.randn(2, 5, 4)
    with torch.no_grad():
        kept, idx = pool(x, torch.eye(5))
        score = (x @ pool.score.weight + pool.score.bias).squeeze(-1)  # identity adjacency
    assert kept.shape == (2, 3, 4) and idx.shape == (2, 3)  # ceil(0.5 * 5) = 3
    for b in range(2):
        top = sorted(range(5), key=lambda i: -float(score[b, i]))[:3]
        assert sorted(idx[b].tolist()) == sorted(top)
        for j, i in enumerate(idx[b].tolist()):
            torch.testing.assert_close(kept[b, j], x[b, i] * torch.tanh(score[b, i]))
