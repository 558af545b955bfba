"""ml.train.metrics against confusion matrices worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml.train import metrics

# Worked example, 3 classes, 10 clips:
#   y_true = 0 0 0 0 1 1 1 2 2 2
#   y_pred = 0 0 1 2 1 1 0 2 2 2
# Confusion matrix (rows true, cols predicted):
#        p0 p1 p2
#   t0 [  2  1  1 ]   N0 = 4
#   t1 [  1  2  0 ]   N1 = 3
#   t2 [  0  0  3 ]   N2 = 3
# accuracy = (2 + 2 + 3) / 10 = 0.7
# class 0: TP 2, FP 1 (col sum 3 - 2), FN 2 -> F1 = 4 / (4 + 1 + 2) = 4/7
# class 1: TP 2, FP 1, FN 1               -> F1 = 4 / 6 = 2/3
# class 2: TP 3, FP 1, FN 0               -> F1 = 6 / 7
# UF1 = (4/7 + 2/3 + 6/7) / 3 = (12/21 + 14/21 + 18/21) / 3 = 44/63
# UAR = (2/4 + 2/3 + 3/3) / 3 = (1/2 + 2/3 + 1) / 3 = 13/18
Y_TRUE = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
Y_PRED = [0, 0, 1, 2, 1, 1, 0, 2, 2, 2]


def test_confusion_matrix_by_hand():
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED, 3)
    np.testing.assert_array_equal(cm, [[2, 1, 1], [1, 2, 0], [0, 0, 3]])
    assert cm.dtype == np.int64


def test_scores_by_hand():
    assert metrics.accuracy(Y_TRUE, Y_PRED) == pytest.approx(0.7)
    assert metrics.uf1(Y_TRUE, Y_PRED, 3) == pytest.approx(44 / 63)
    assert metrics.uar(Y_TRUE, Y_PRED, 3) == pytest.approx(13 / 18)
    assert metrics.macro_f1(Y_TRUE, Y_PRED, 3) == pytest.approx(44 / 63)
    np.testing.assert_allclose(
        metrics.per_class_f1(metrics.confusion_matrix(Y_TRUE, Y_PRED)), [4 / 7, 2 / 3, 6 / 7]
    )


def test_pooled_is_not_the_mean_of_folds():
    # Fold A: t=[0,0], p=[0,1]; fold B: t=[1], p=[1].
    # Pooled cm [[1,1],[0,1]]: F1_0 = 2/3, F1_1 = 2/3 -> UF1 2/3; UAR = (1/2 + 1)/2 = 3/4.
    # Per-fold average would give UF1 ((2/3 + 0)/2 ... ) something else; the API pools what it is given.
    t = np.concatenate([[0, 0], [1]])
    p = np.concatenate([[0, 1], [1]])
    assert metrics.uf1(t, p, 2) == pytest.approx(2 / 3)
    assert metrics.uar(t, p, 2) == pytest.approx(3 / 4)


def test_class_never_predicted_has_f1_zero_not_nan():
    # t = 0 0 1 1, p = 0 0 0 0: cm [[2,0],[2,0]]
    # F1_0 = 4 / (4 + 2 + 0) = 2/3; F1_1: TP 0, FP 0, FN 2 -> 0.  UF1 = 1/3; UAR = (1 + 0)/2 = 1/2.
    cm = metrics.confusion_matrix([0, 0, 1, 1], [0, 0, 0, 0], 2)
    f1 = metrics.per_class_f1(cm)
    assert not np.isnan(f1).any()
    np.testing.assert_allclose(f1, [2 / 3, 0.0])
    assert metrics.uf1([0, 0, 1, 1], [0, 0, 0, 0], 2) == pytest.approx(1 / 3)
    assert metrics.uar([0, 0, 1, 1], [0, 0, 0, 0], 2) == pytest.approx(0.5)


def test_class_absent_from_truth_is_excluded_from_uf1_uar():
    # 3 classes, class 2 never in y_true but predicted once.
    # t = 0 0 1 1, p = 0 2 1 1: cm [[1,0,1],[0,2,0],[0,0,0]]
    # F1_0 = 2/(2+0+1) = 2/3, F1_1 = 4/4 = 1, F1_2 = 0/(0+1+0) = 0.
    # UF1 over present classes {0,1} = (2/3 + 1)/2 = 5/6; UAR = (1/2 + 1)/2 = 3/4.
    # macro_f1 counts class 2 (it was predicted): (2/3 + 1 + 0)/3 = 5/9.
    t, p = [0, 0, 1, 1], [0, 2, 1, 1]
    assert metrics.uf1(t, p, 3) == pytest.approx(5 / 6)
    assert metrics.uar(t, p, 3) == pytest.approx(3 / 4)
    assert metrics.macro_f1(t, p, 3) == pytest.approx(5 / 9)
    # a class in neither list does not count anywhere
    assert metrics.macro_f1([0, 1], [0, 1], 5) == pytest.approx(1.0)


def test_report_is_json_ready():
    report = metrics.classification_report(Y_TRUE, Y_PRED, class_names=["neg", "pos", "sur"])
    assert report["confusion_matrix"] == [[2, 1, 1], [1, 2, 0], [0, 0, 3]]
    assert report["per_class"]["neg"] == {"f1": pytest.approx(4 / 7), "recall": 0.5, "support": 4}
    assert report["uar"] == pytest.approx(13 / 18)


@pytest.mark.parametrize(
    ("t", "p", "n", "message"),
    [
        ([0, 1], [0], None, "differ in length"),
        ([], [], None, "empty"),
        ([0, 3], [0, 1], 3, "outside 0..2"),
        ([0.5, 1], [0, 1], None, "integer class indices"),
        ([[0, 1]], [[0, 1]], None, "1-D"),
    ],
)
def test_bad_label_inputs(t, p, n, message):
    with pytest.raises(ValueError, match=message):
        metrics.confusion_matrix(t, p, n)


def test_au_f1_by_hand():
    # 4 clips x 3 AUs.
    truth = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
    probs = np.array([[0.9, 0.2, 0.1], [0.4, 0.8, 0.7], [0.6, 0.1, 0.0], [0.1, 0.3, 0.2]])
    # at 0.5: pred = [[1,0,0],[0,1,1],[1,0,0],[0,0,0]]
    # AU0: TP 1, FP 1, FN 1 -> 2/4 = 0.5; AU1: TP 1, FP 0, FN 1 -> 2/3; AU2: TP 0, FP 1, FN 0 -> 0.
    # macro over AUs present in truth (AU0, AU1): (0.5 + 2/3)/2 = 7/12.
    per_au, macro = metrics.au_f1(truth, probs)
    np.testing.assert_allclose(per_au, [0.5, 2 / 3, 0.0])
    assert macro == pytest.approx(7 / 12)
    per_au, macro = metrics.au_f1(truth.astype(bool), truth)
    np.testing.assert_allclose(per_au, [1.0, 1.0, 0.0])
    assert macro == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        metrics.au_f1(truth, probs[:, :2])


def test_timing_error_by_hand():
    true = np.array([[10, 20, 40], [5, np.nan, 30]])
    pred = np.array([[12, 17, 40], [4, 10, 35]])
    # onset |2|,|1| -> 1.5; apex |3| (second unknown) -> 3; offset 0, 5 -> 2.5; pooled (2+1+3+0+5)/5 = 2.2
    out = metrics.timing_error(true, pred)
    assert out == {"onset": 1.5, "apex": 3.0, "offset": 2.5, "mean": pytest.approx(2.2)}
    all_unknown = metrics.timing_error([[1, np.nan, 3]], [[1, 2, 3]])
    assert math.isnan(all_unknown["apex"])
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        metrics.timing_error([[1, 2]], [[1, 2]])
    with pytest.raises(ValueError, match="pred holds NaN"):
        metrics.timing_error([[1, 2, 3]], [[1, np.nan, 3]])
