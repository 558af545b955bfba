"""Evaluation metrics for micro-expression recognition, pure numpy.

Emotion metrics follow MEGC2019 (composite evaluation): **UF1 and UAR are pooled**, i.e. computed once from
the confusion matrix of every fold's test predictions together (pass the concatenated ``y_true``/``y_pred``
of all LOSO folds), never averaged over folds.

Definitions, with ``cm[i, j]`` = clips of true class i predicted as j, ``TP_c = cm[c, c]``,
``FP_c = column sum - TP_c``, ``FN_c = row sum - TP_c``, ``N_c = row sum`` (support):

- ``F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c)``, and 0 when that denominator is 0. A class that is never
  predicted has ``F1_c = 0`` (not NaN).
- ``UF1 = mean of F1_c`` over the classes **present in y_true** (``N_c > 0``); ``UAR = mean of TP_c / N_c``
  over the same classes. A class absent from the ground truth has no recall and is excluded (MEGC);
  predicting it still costs the true classes recall and F1.
- ``macro_f1`` = mean of ``F1_c`` over the classes present in y_true **or** y_pred (scikit-learn's default
  label set), so a spurious prediction of an absent class lowers it, while UF1 ignores that class.
- ``accuracy = trace / total``.

AU detection: per-AU binary F1 (``2TP / (2TP + FP + FN)``, 0 when undefined); the macro F1 averages the AUs
that occur at least once in the ground truth (the same choice as UF1); if none does, it is 0.

Timing: mean absolute error in frames per keyframe; missing ground truth (NaN, e.g. SMIC apex) is left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "accuracy",
    "au_f1",
    "classification_report",
    "confusion_matrix",
    "macro_f1",
    "per_class_f1",
    "timing_error",
    "uar",
    "uar_from_confusion",
    "uf1",
    "uf1_from_confusion",
]


def _labels(values: object, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if (
            np.issubdtype(array.dtype, np.floating)
            and np.all(np.isfinite(array))
            and np.all(array == np.round(array))
        ):
            array = array.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integer class indices, got dtype {array.dtype}")
    return array.astype(np.int64)


def confusion_matrix(y_true: object, y_pred: object, n_classes: int | None = None) -> np.ndarray:
    """Confusion matrix, rows = true class, columns = predicted class.

    Args:
        y_true: ``(N,)`` true class indices.
        y_pred: ``(N,)`` predicted class indices.
        n_classes: C; default ``max(label) + 1``.

    Returns:
        ``(C, C)`` int64.

    Raises:
        ValueError: lengths differ, no samples, non-integer labels, or a label outside ``0..C-1``.
    """
    t = _labels(y_true, "y_true")
    p = _labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length ({t.size} vs {p.size})")
    if t.size == 0:
        raise ValueError("no predictions to score (empty y_true/y_pred)")
    if n_classes is None:
        n_classes = int(max(t.max(), p.max())) + 1
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1, got {n_classes}")
    for name, arr in (("y_true", t), ("y_pred", p)):
        if arr.min() < 0 or arr.max() >= n_classes:
            raise ValueError(
                f"{name} holds labels outside 0..{n_classes - 1} (min {arr.min()}, max {arr.max()})"
            )
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (t, p), 1)
    return cm


def per_class_f1(cm: np.ndarray) -> np.ndarray:
    """``(C,)`` F1 per class from a confusion matrix (0 where ``2TP + FP + FN == 0``)."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    denom = cm.sum(axis=0) + cm.sum(axis=1)  # = 2TP + FP + FN
    return np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)


def uf1_from_confusion(cm: np.ndarray) -> float:
    """Unweighted F1 (MEGC) over the classes with ground-truth support."""
    cm = np.asarray(cm)
    present = cm.sum(axis=1) > 0
    if not present.any():
        raise ValueError("the confusion matrix is empty")
    return float(per_class_f1(cm)[present].mean())


def uar_from_confusion(cm: np.ndarray) -> float:
    """Unweighted average recall (MEGC) over the classes with ground-truth support."""
    cm = np.asarray(cm, dtype=np.float64)
    support = cm.sum(axis=1)
    present = support > 0
    if not present.any():
        raise ValueError("the confusion matrix is empty")
    return float((np.diag(cm)[present] / support[present]).mean())


def accuracy(y_true: object, y_pred: object) -> float:
    """Share of correct predictions."""
    cm = confusion_matrix(y_true, y_pred)
    return float(np.trace(cm) / cm.sum())


def macro_f1(y_true: object, y_pred: object, n_classes: int | None = None) -> float:
    """Mean per-class F1 over classes present in y_true or y_pred."""
    cm = confusion_matrix(y_true, y_pred, n_classes)
    seen = (cm.sum(axis=0) + cm.sum(axis=1)) > 0
    return float(per_class_f1(cm)[seen].mean())


def uf1(y_true: object, y_pred: object, n_classes: int | None = None) -> float:
    """MEGC unweighted F1; pass all folds' predictions together for the pooled figure."""
    return uf1_from_confusion(confusion_matrix(y_true, y_pred, n_classes))


def uar(y_true: object, y_pred: object, n_classes: int | None = None) -> float:
    """MEGC unweighted average recall; pass all folds' predictions together for the pooled figure."""
    return uar_from_confusion(confusion_matrix(y_true, y_pred, n_classes))


def classification_report(
    y_true: object,
    y_pred: object,
    n_classes: int | None = None,
    class_names: Sequence[str] | None = None,
) -> dict[str, object]:
    """All emotion metrics at once, JSON-ready.

    Returns:
        ``{"accuracy", "macro_f1", "uf1", "uar", "confusion_matrix" (list of lists), "per_class":
        {name: {"f1", "recall", "support"}}}``.
    """
    cm = confusion_matrix(
        y_true,
        y_pred,
        n_classes if n_classes is not None else (len(class_names) if class_names is not None else None),
    )
    names = list(class_names) if class_names is not None else [str(i) for i in range(cm.shape[0])]
    if len(names) != cm.shape[0]:
        raise ValueError(f"{len(names)} class names for {cm.shape[0]} classes")
    f1 = per_class_f1(cm)
    support = cm.sum(axis=1)
    recall = np.divide(np.diag(cm), support, out=np.zeros(len(names)), where=support > 0)
    seen = (cm.sum(axis=0) + support) > 0
    return {
        "accuracy": float(np.trace(cm) / cm.sum()),
        "macro_f1": float(f1[seen].mean()),
        "uf1": uf1_from_confusion(cm),
        "uar": uar_from_confusion(cm),
        "confusion_matrix": cm.tolist(),
        "per_class": {
            name: {"f1": float(f1[i]), "recall": float(recall[i]), "support": int(support[i])}
            for i, name in enumerate(names)
        },
    }


def au_f1(y_true: object, y_pred: object, *, threshold: float = 0.5) -> tuple[np.ndarray, float]:
    """Per-AU F1 and their macro average for multi-label AU detection.

    Args:
        y_true: ``(N, A)`` 0/1 (or bool) ground truth.
        y_pred: ``(N, A)`` 0/1 predictions, or probabilities (binarised at ``threshold``).
        threshold: probability threshold for non-binary predictions.

    Returns:
        ``(per_au (A,) float64, macro)``; see the module docstring for the undefined cases.

    Raises:
        ValueError: shapes differ or are not 2-D, empty input, NaN predictions.
    """
    t = np.asarray(y_true)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.ndim != 2 or p.ndim != 2 or t.shape != p.shape:
        raise ValueError(
            f"y_true and y_pred must both be (N, A) arrays of the same shape, got {t.shape} and {p.shape}"
        )
    if t.size == 0:
        raise ValueError("no AU predictions to score (empty arrays)")
    if np.isnan(p).any():
        raise ValueError("y_pred holds NaN")
    truth = t.astype(bool) if t.dtype == bool else np.asarray(t, dtype=np.float64) >= 0.5
    pred = p >= threshold
    tp = (truth & pred).sum(axis=0).astype(np.float64)
    fp = (~truth & pred).sum(axis=0)
    fn = (truth & ~pred).sum(axis=0)
    denom = 2 * tp + fp + fn
    per_au = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    present = truth.any(axis=0)
    macro = float(per_au[present].mean()) if present.any() else 0.0
    return per_au, macro


def timing_error(true: object, pred: object) -> dict[str, float]:
    """Mean absolute onset/apex/offset error in frames.

    Args:
        true: ``(N, 3)`` ground-truth onset, apex, offset (source frame indices or numbers); NaN = unknown.
        pred: ``(N, 3)`` predictions in the same units.

    Returns:
        ``{"onset", "apex", "offset", "mean"}``: per-keyframe MAE over the clips where it is known (NaN only
        if no clip knows it), and ``mean`` over all known keyframes pooled.

    Raises:
        ValueError: shapes are not ``(N, 3)`` or differ, no clips, or NaN in predictions.
    """
    t = np.asarray(true, dtype=np.float64)
    p = np.asarray(pred, dtype=np.float64)
    if t.ndim != 2 or t.shape[1:] != (3,) or t.shape != p.shape:
        raise ValueError(
            f"true and pred must both be (N, 3) onset/apex/offset arrays, got {t.shape} and {p.shape}"
        )
    if t.shape[0] == 0:
        raise ValueError("no clips to score timing on")
    if np.isnan(p).any():
        raise ValueError("pred holds NaN: every clip needs predicted onset, apex and offset")
    err = np.abs(t - p)
    known = ~np.isnan(t)
    out: dict[str, float] = {}
    for j, key in enumerate(("onset", "apex", "offset")):
        out[key] = float(err[known[:, j], j].mean()) if known[:, j].any() else float("nan")
    out["mean"] = float(err[known].mean()) if known.any() else float("nan")
    return out
