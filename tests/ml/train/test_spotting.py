"""Intensity and spotting scores on hand-worked cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml.train.spotting import (
    Interval,
    SpotCounts,
    emotion_uf1,
    intensity_scores,
    interval_iou,
    keyframe_errors,
    match_events,
    pearson,
    spot_counts,
)


def test_pearson_hand_worked() -> None:
    # deviations (-1.5, -0.5, 0.5, 1.5) and (-1.5, 0.5, -0.5, 1.5): products sum to 4, squares to 5 each
    assert pearson(np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4])) == pytest.approx(0.8)
    assert pearson(np.array([1.0, 2, 3]), np.array([2.0, 4, 6])) == pytest.approx(1.0)
    assert pearson(np.array([1.0, 2, 3]), np.array([3.0, 2, 1])) == pytest.approx(-1.0)
    assert pearson(np.array([0.0, 1, 0, 1]), np.array([0.0, 0, 1, 1])) == pytest.approx(0.0)


def test_pearson_constant_series() -> None:
    assert math.isnan(pearson(np.zeros(5), np.arange(5.0)))  # nothing to correlate with
    assert pearson(np.arange(5.0), np.full(5, 0.3)) == 0.0  # a flat prediction explains nothing


def test_pearson_refuses_mismatched_series() -> None:
    with pytest.raises(ValueError, match=r"two 1-D series of one length, got shapes \(3,\) and \(4,\)"):
        pearson(np.zeros(3), np.zeros(4))


def test_intensity_scores_skip_frames_without_face_or_prediction() -> None:
    truth = np.array([[0.0, 0.2], [0.5, 0.2], [1.0, 0.2], [0.0, 0.2], [9.0, 9.0]])
    pred = np.array([[0.1, 0.0], [0.5, 0.4], [0.7, np.nan], [0.1, 0.2], [0.0, 0.0]])
    present = np.array([True, True, True, True, False])
    scores = intensity_scores(truth, pred, ("AU1", "AU2"), present)
    # AU1 over frames 0-3: |errors| 0.1, 0, 0.3, 0.1
    assert scores.mae["AU1"] == pytest.approx(0.125)
    # AU2 over frames 0, 1, 3 (frame 2 has no prediction): |errors| 0.2, 0.2, 0
    assert scores.mae["AU2"] == pytest.approx(0.4 / 3)
    assert math.isnan(scores.pcc["AU2"])  # constant truth
    assert scores.mean_pcc == pytest.approx(scores.pcc["AU1"])  # AU2 has no PCC to average
    assert scores.mean_mae == pytest.approx((0.125 + 0.4 / 3) / 2)
    # AU1 truth (0, .5, 1, 0) vs (.1, .5, .7, .1): deviations (-.375, .125, .625, -.375)
    # and (-.25, .15, .35, -.25)
    expected = (0.09375 + 0.01875 + 0.21875 + 0.09375) / math.sqrt(0.6875 * 0.27)  # squares: .6875, .27
    assert scores.pcc["AU1"] == pytest.approx(expected)
    # gain: AU1 (.5 * .5 + 1 * .7) / (.5^2 + 1^2) = .95 / 1.25; AU2 (.2 * 0 + .2 * .4 + .2 * .2) / (3 * .2^2)
    assert scores.gain["AU1"] == pytest.approx(0.76)
    assert scores.gain["AU2"] == pytest.approx(1.0)


def test_intensity_gain_reads_the_size_pcc_cannot() -> None:
    truth = np.array([[0.0, 0.0], [0.4, 0.0], [0.8, 0.0], [0.2, 0.0]])
    pred = np.column_stack([0.5 * truth[:, 0], [0.0, 0.1, 0.0, 0.2]])
    scores = intensity_scores(truth, pred, ("AU6", "AU17"))
    assert scores.pcc["AU6"] == pytest.approx(1.0)  # half the size still correlates perfectly
    assert scores.gain["AU6"] == pytest.approx(0.5)
    assert math.isnan(scores.gain["AU17"])  # no truth to read the size of


def test_intensity_scores_refuse_bad_shapes() -> None:
    with pytest.raises(ValueError, match=r"must both be \(frames, 2 AUs\)"):
        intensity_scores(np.zeros((4, 2)), np.zeros((4, 3)), ("AU1", "AU2"))
    with pytest.raises(ValueError, match=r"present has shape \(3,\); expected \(4,\)"):
        intensity_scores(np.zeros((4, 2)), np.zeros((4, 2)), ("AU1", "AU2"), np.ones(3, bool))


def test_interval_iou_counts_inclusive_frames() -> None:
    assert interval_iou(Interval(0, 4, 9), Interval(0, 4, 9)) == 1.0
    assert interval_iou(Interval(0, 4, 9), Interval(5, 8, 14)) == pytest.approx(5 / 15)
    assert interval_iou(Interval(0, 4, 9), Interval(2, 4, 9)) == pytest.approx(8 / 10)
    assert interval_iou(Interval(0, 4, 9), Interval(10, 12, 19)) == 0.0


def test_interval_refuses_onset_after_offset() -> None:
    with pytest.raises(ValueError, match="onset 9 comes after its offset 3"):
        Interval(9, 5, 3)


def test_megc_matching_one_prediction_per_truth() -> None:
    truth = [Interval(0, 5, 9), Interval(20, 25, 29)]
    pred = [
        Interval(1, 5, 10),  # IoU 9/11 with the first
        Interval(0, 5, 9),  # a duplicate of an already matched event: a false positive
        Interval(21, 30, 40),  # IoU 9/21 < 0.5 with the second
    ]
    assert match_events(truth, pred) == [(0, 0)]
    counts = spot_counts(truth, pred)
    assert (counts.tp, counts.n_truth, counts.n_pred) == (1, 2, 3)
    assert counts.f1 == pytest.approx(2 / 5)
    assert counts.precision == pytest.approx(1 / 3) and counts.recall == pytest.approx(1 / 2)


def test_megc_iou_of_exactly_half_is_a_hit_and_best_overlap_wins() -> None:
    assert match_events([Interval(0, 5, 9)], [Interval(0, 10, 19)]) == [(0, 0)]  # 10 / 20
    truth = [Interval(0, 5, 10), Interval(4, 8, 12)]
    assert match_events(truth, [Interval(4, 8, 12)]) == [(1, 0)]  # IoU 1 beats 7/13


def test_spot_counts_add_across_clips() -> None:
    total = SpotCounts(1, 2, 3) + SpotCounts(2, 2, 2)
    assert (total.tp, total.n_truth, total.n_pred) == (3, 4, 5)
    assert total.f1 == pytest.approx(6 / 9)
    assert math.isnan(SpotCounts().f1)


def test_keyframe_errors_of_matched_pairs() -> None:
    truth = [Interval(10, 15, 30), Interval(50, 60, 70)]
    pred = [Interval(52, 58, 71), Interval(12, 15, 26)]
    errors = keyframe_errors(truth, pred, [(1, 0), (0, 1)])
    assert errors == {"onset": 2.0, "apex": 1.0, "offset": 2.5}
    assert all(math.isnan(v) for v in keyframe_errors(truth, pred, []).values())


def test_emotion_uf1_hand_worked() -> None:
    # happiness: TP 1, FN 1 -> 2/3; sadness: TP 1, FP 1 -> 2/3; anger: 1
    uf1 = emotion_uf1(
        ["happiness", "happiness", "sadness", "anger"], ["happiness", "sadness", "sadness", "anger"]
    )
    assert uf1 == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert math.isnan(emotion_uf1([], []))


def test_emotion_uf1_refuses_unpaired_labels() -> None:
    with pytest.raises(ValueError, match="2 true labels but 1 predicted; give one per event"):
        emotion_uf1(["happiness", "anger"], ["anger"])
