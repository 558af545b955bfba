"""Key selection: replay within tolerance everywhere, far fewer keys, Unreal's reduction rule by hand."""

import numpy as np
import pytest

from curves.keys import remove_redundant_auto_tangent_keys, select_keys
from curves.richcurve import evaluate
from curves.spline import smooth_track


def _random_track(rng, n, fps):
    t = np.arange(n) / fps
    y = np.zeros(n)
    for _ in range(rng.integers(1, 4)):
        y += rng.uniform(0.1, 0.5) * np.exp(-(((t - rng.uniform(0, t[-1])) / rng.uniform(0.03, 0.2)) ** 2))
    y = np.clip(y + rng.normal(0, 0.02, n), 0, 1)
    return smooth_track(y, fps)


@pytest.mark.parametrize("seed", range(8))
def test_replay_within_tolerance_at_every_frame(seed):
    rng = np.random.default_rng(seed)
    fps = float(rng.choice([30.0, 60.0, 200.0]))
    n = int(rng.integers(8, 160))
    tol = float(rng.choice([0.005, 0.01, 0.02]))
    y = _random_track(rng, n, fps)
    sel = select_keys(y, fps, tolerance=tol)
    t = np.arange(n) / fps
    replay = evaluate(sel.times, sel.values, t)  # independent replay of the returned keys
    assert np.max(np.abs(replay - y)) <= tol + 1e-12
    assert sel.max_error == pytest.approx(np.max(np.abs(replay - y)))
    assert sel.indices[0] == 0 and sel.indices[-1] == n - 1
    np.testing.assert_allclose(sel.times, sel.indices / fps)
    assert np.all(np.diff(sel.indices) > 0)


def test_endpoints_stay_on_the_target():
    fps = 200.0
    y = _random_track(np.random.default_rng(5), 100, fps)
    sel = select_keys(y, fps)
    assert sel.values[0] == y[0] and sel.values[-1] == y[-1]


def test_at_most_an_eighth_of_per_frame_keys_on_200fps_envelope():
    fps = 200.0
    t = np.arange(160) / fps
    y = np.zeros_like(t)
    rise = (t >= 0.1) & (t <= 0.25)
    y[rise] = 0.8 * np.sin(0.5 * np.pi * (t[rise] - 0.1) / 0.15) ** 2
    fall = (t > 0.25) & (t <= 0.5)
    y[fall] = 0.8 * np.cos(0.5 * np.pi * (t[fall] - 0.25) / 0.25) ** 2
    sel = select_keys(y, fps, tolerance=0.01)
    assert sel.n_keys <= t.size / 8
    assert sel.max_error <= 0.01


def test_constant_track_needs_two_keys_and_single_frame_one():
    assert select_keys(np.full(50, 0.3), 30.0).n_keys == 2
    assert select_keys([0.4], 30.0).n_keys == 1


def test_value_range_is_respected():
    y = _random_track(np.random.default_rng(2), 120, 200.0)
    sel = select_keys(y, 200.0, value_range=(0.0, 1.0))
    assert sel.values.min() >= 0.0 and sel.values.max() <= 1.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="tolerance"):
        select_keys(np.zeros(10), 30.0, tolerance=0.0)
    with pytest.raises(ValueError, match="fps"):
        select_keys(np.zeros(10), 0.0)
    with pytest.raises(ValueError, match="NaN"):
        select_keys(np.array([0.0, np.nan, 0.0]), 30.0)


def test_selection_reports_its_replay_errors():
    y = _random_track(np.random.default_rng(7), 90, 60.0)
    sel = select_keys(y, 60.0)
    replay = evaluate(sel.times, sel.values, np.arange(90) / 60.0)
    assert sel.max_error == pytest.approx(np.abs(replay - y).max(), abs=1e-12)
    assert 0.0 <= sel.max_error <= 0.01 and 0.0 <= sel.rms_error <= sel.max_error


def test_remove_redundant_keys_by_hand():
    # Keys on a line (0,0) (1,1) (2,2) (3,3): auto tangents [0, 1, 1, 0] (ends flat).
    t = np.arange(4.0)
    v = np.arange(4.0)
    # tol 0.01: key 1 checked on segment 0->2 (leave 0, arrive 1): P = 0, 0, 4/3, 2 -> 0.75 at 1/2, off by
    # 0.25: kept. Key 2 on 1->3 (leave 1, arrive 0): P = 1, 5/3, 3, 3 -> 2.25, off by 0.25: kept.
    kt, _ = remove_redundant_auto_tangent_keys(t, v, 0.01)
    np.testing.assert_array_equal(kt, t)
    # tol 0.3: key 1 dropped (0.25); key 2 checked on 0->3 (leave 0, arrive 0) at alpha 2/3:
    # 3*(1/3)*(4/9)*3 + (8/27)*3 = 20/9, off by 2/9 < 0.3: dropped.
    kt, kv = remove_redundant_auto_tangent_keys(t, v, 0.3)
    np.testing.assert_array_equal(kt, [0.0, 3.0])
    np.testing.assert_array_equal(kv, [0.0, 3.0])


def test_fewer_keys_than_unreal_reduction_at_equal_or_lower_error():
    fps = 200.0
    y = _random_track(np.random.default_rng(11), 200, fps)
    t = np.arange(y.size) / fps
    ours = select_keys(y, fps, tolerance=0.01)
    # find Unreal's rule's largest tolerance whose final error is within 0.01 (it re-tangents afterwards)
    lo, hi, best = 0.0, 0.01, y.size
    for _ in range(20):
        mid = (lo + hi) / 2
        kt, kv = remove_redundant_auto_tangent_keys(t, y, mid)
        if np.max(np.abs(evaluate(kt, kv, t) - y)) <= 0.01:
            best, lo = kt.size, mid
        else:
            hi = mid
    assert ours.n_keys < best
