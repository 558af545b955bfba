"""FRichCurve emulator against values worked out by hand from Unreal's rules."""

import time

import numpy as np
import pytest

from curves.keys import replay_matrix
from curves.richcurve import auto_tangents, evaluate, evaluate_with_tangents

T3 = [0.0, 1.0, 3.0]
V3 = [0.0, 1.0, 0.5]


def test_three_keys_tangents_by_hand():
    arrive, leave = auto_tangents(T3, V3)
    # first key: leave 0; last key: arrive 0; middle: (0.5 - 0) / (3 - 0) = 1/6.
    np.testing.assert_allclose(arrive, [0.0, 1 / 6, 0.0])
    np.testing.assert_allclose(leave, [0.0, 1 / 6, 0.0])


def test_tension_scales_inner_tangent():
    arrive, leave = auto_tangents(T3, V3, tension=0.5)
    assert arrive[1] == pytest.approx(1 / 12)
    assert leave[1] == pytest.approx(1 / 12)


def test_three_keys_evaluation_by_hand():
    # segment 0-1, dt 1: P0 0, P1 0, P2 1 - (1/6)/3 = 17/18, P3 1;
    #   at alpha 1/2: (0 + 0 + 3*17/18 + 1)/8 = 23/48.
    # segment 1-3, dt 2: P0 1, P1 1 + (1/6)*2/3 = 10/9, P2 0.5, P3 0.5;
    #   at alpha 1/2: (1 + 10/3 + 1.5 + 0.5)/8 = 19/24.
    got = evaluate(T3, V3, [0.5, 2.0])
    np.testing.assert_allclose(got, [23 / 48, 19 / 24], rtol=0, atol=1e-12)


def test_keys_hit_exactly_and_constant_extrapolation():
    got = evaluate(T3, V3, [-1.0, 0.0, 1.0, 3.0, 7.0])
    np.testing.assert_allclose(got, [0.0, 0.0, 1.0, 0.5, 0.5], atol=1e-15)


def test_linear_and_constant_segments():
    assert evaluate(T3, V3, 0.5, interp="linear") == pytest.approx(0.5)
    assert evaluate(T3, V3, 2.0, interp="linear") == pytest.approx(0.75)
    assert evaluate(T3, V3, 0.5, interp="constant") == pytest.approx(0.0)
    assert evaluate(T3, V3, 2.9, interp="constant") == pytest.approx(1.0)
    # at or after the last key Unreal returns the last value (post-infinity branch).
    assert evaluate(T3, V3, 3.0, interp="constant") == pytest.approx(0.5)


def test_left_key_mode_governs_segment():
    assert evaluate(T3, V3, 0.5, interp=["linear", "cubic", "cubic"]) == pytest.approx(0.5)
    assert evaluate(T3, V3, 2.0, interp=["cubic", "linear", "cubic"]) == pytest.approx(0.75)
    # a constant right key does not make the segment constant.
    assert evaluate(T3, V3, 0.5, interp=["cubic", "constant", "cubic"]) != pytest.approx(0.0)


def test_constant_neighbour_rule_keeps_or_zeroes_stored_tangents():
    stored = np.full(3, 5.0)
    # key 1 linear after a constant key: arrive 0 (previous not cubic), leave 0.
    arrive, leave = auto_tangents(T3, V3, interp=["constant", "linear", "cubic"], arrive=stored, leave=stored)
    assert (arrive[1], leave[1]) == (0.0, 0.0)
    # key 1 constant after a cubic key: arrive kept (previous is cubic), leave 0.
    arrive, leave = auto_tangents(T3, V3, interp=["cubic", "constant", "cubic"], arrive=stored, leave=stored)
    assert (arrive[1], leave[1]) == (5.0, 0.0)
    # user tangents are left alone.
    arrive, leave = auto_tangents(T3, V3, tangent="user", arrive=stored, leave=stored)
    np.testing.assert_array_equal(arrive, stored)
    np.testing.assert_array_equal(leave, stored)


def test_tiny_time_span_uses_kinda_small_number():
    arrive, _ = auto_tangents([0.0, 1e-5, 2e-5], [0.0, 1.0, 2.0])
    assert arrive[1] == pytest.approx(2.0 / 1e-4)


def test_single_key_and_no_keys():
    np.testing.assert_array_equal(evaluate([1.0], [0.3], [0.0, 1.0, 5.0]), [0.3, 0.3, 0.3])
    np.testing.assert_array_equal(evaluate([], [], [0.0, 1.0], default=0.25), [0.25, 0.25])


def test_cubic_with_user_tangents_matches_bezier():
    # one segment with leave 3 and arrive -3 over dt 2: P1 = 0 + 3*2/3 = 2, P2 = 1 + 3*2/3 = 3.
    got = evaluate_with_tangents([0.0, 2.0], [0.0, 1.0], [0.0, -3.0], [3.0, 0.0], 0.5)
    a = 0.25
    want = 3 * (1 - a) ** 2 * a * 2 + 3 * (1 - a) * a**2 * 3 + a**3 * 1
    assert float(got) == pytest.approx(want)


def test_bad_keys_are_rejected():
    with pytest.raises(ValueError, match="sorted"):
        evaluate([1.0, 0.0], [0.0, 1.0], 0.5)
    with pytest.raises(ValueError, match="NaN"):
        evaluate([0.0, np.nan], [0.0, 1.0], 0.5)
    with pytest.raises(ValueError, match="interpolation mode"):
        evaluate(T3, V3, 0.5, interp="bezier")


def test_replay_matrix_is_the_emulator():
    rng = np.random.default_rng(3)
    kt = np.sort(rng.uniform(0, 2, 9))
    kv = rng.uniform(0, 1, 9)
    q = np.concatenate([np.linspace(-0.5, 2.5, 400), kt])
    np.testing.assert_allclose(replay_matrix(kt, q) @ kv, evaluate(kt, kv, q), atol=1e-12)


def test_million_evaluations_under_a_second():
    rng = np.random.default_rng(0)
    kt = np.sort(rng.uniform(0, 10, 40))
    kv = rng.uniform(0, 1, 40)
    q = rng.uniform(-1, 11, 1_000_000)
    best = min(_timed(kt, kv, q) for _ in range(3))
    assert best < 1.0


def _timed(kt, kv, q):
    start = time.perf_counter()
    evaluate(kt, kv, q)
    return time.perf_counter() - start
