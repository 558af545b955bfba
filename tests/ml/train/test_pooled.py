"""Pooled figures from predictions, checked against hand-computed cases."""

import numpy as np
import pytest

from ml.train.pooled import ClipPredictions, pooled_report


def _predictions(fps=None):
    # 4 clips, 2 classes, 1 AU; clip lengths 11 and 21 frames
    return ClipPredictions(
        emotion_true=np.array([0, 0, 1, 1]),
        emotion_probs=np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.4, 0.6]]),
        aus_true=np.array([[1.0], [0.0], [1.0], [0.0]]),
        au_probs=np.array([[0.7], [0.6], [0.2], [0.1]]),
        timing_true=np.array([[0.0, 0.5, 1.0]] * 4),
        timing=np.array([[0.1, 0.5, 1.0]] * 4),
        timing_network=np.array([[0.0, 0.6, 0.9]] * 4),
        n_frames=np.array([11, 11, 21, 21]),
        fps=fps,
    )


def test_pooled_report_hand_computed():
    pooled = pooled_report(_predictions())
    # predicted classes 0, 1, 1, 1: one clip of class 0 missed
    assert pooled["n"] == 4 and pooled["confusion"] == [[1, 1], [0, 2]]
    assert pooled["accuracy"] == pytest.approx(0.75)
    # recall 0.5 and 1.0 -> UAR 0.75; F1 of class 0 = 2/3, class 1 = 0.8
    assert pooled["uar"] == pytest.approx(0.75)
    assert pooled["uf1"] == pytest.approx((2 / 3 + 0.8) / 2)
    # AU decisions 1, 1, 0, 0 against 1, 0, 1, 0: tp 1, fp 1, fn 1 -> F1 0.5
    assert pooled["au_f1_macro"] == pytest.approx(0.5)
    # onset off by 0.1 of (n - 1): 1 frame on the 11-frame clips, 2 on the 21-frame clips
    assert pooled["timing_error_frames"]["onset"] == pytest.approx(1.5)
    assert pooled["timing_error_frames"]["apex"] == pytest.approx(0.0)
    # the head alone: apex and offset each off by 0.1 of (n - 1)
    assert pooled["timing_error_frames_network"]["apex"] == pytest.approx(1.5)
    assert "timing_error_ms" not in pooled


def test_pooled_report_in_milliseconds_when_fps_is_known():
    pooled = pooled_report(_predictions(fps=np.array([100.0, 100.0, 200.0, 200.0])))
    # onset errors 1 frame at 100 fps (10 ms) and 2 frames at 200 fps (10 ms); apex and offset exact
    assert pooled["timing_error_ms"] == pytest.approx(10.0 / 3)


def test_rows_keeps_the_selected_clips():
    sub = _predictions(fps=np.array([1.0, 2.0, 3.0, 4.0])).rows(np.array([False, True, True, False]))
    assert sub.emotion_true.tolist() == [0, 1] and sub.n_frames.tolist() == [11, 21]
    assert sub.fps is not None and sub.fps.tolist() == [2.0, 3.0]
