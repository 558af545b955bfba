"""Pooled figures: every tested clip's prediction scored together, once, as MEGC does.

Pure functions of predictions and labels; :func:`ml.train.folds.run_folds` and
:func:`ml.train.folds.evaluate_weights` produce the predictions, the command line writes the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ml.rules import normalized_to_frame
from ml.train import metrics

__all__ = ["ClipPredictions", "pooled_metrics", "pooled_report"]


@dataclass(frozen=True)
class ClipPredictions:
    """A model's predictions beside the labels, one row per clip.

    Attributes:
        emotion_true: ``(N,)`` class indices.
        emotion_probs: ``(N, C)`` class probabilities.
        aus_true: ``(N, A)`` 0/1 AU labels.
        au_probs: ``(N, A)`` AU probabilities.
        timing_true: ``(N, 3)`` coded onset/apex/offset as fractions of the clip.
        timing: ``(N, 3)`` reported onset/apex/offset fractions (fitted to motion, or the network's).
        timing_network: ``(N, 3)`` the timing head's own fractions, before any fit to motion.
        n_frames: ``(N,)`` source frames of each clip.
        fps: ``(N,)`` frame rate of each clip, to report timing errors in milliseconds too
            (None: in frames only).
    """

    emotion_true: np.ndarray
    emotion_probs: np.ndarray
    aus_true: np.ndarray
    au_probs: np.ndarray
    timing_true: np.ndarray
    timing: np.ndarray
    timing_network: np.ndarray
    n_frames: np.ndarray
    fps: np.ndarray | None = None

    def rows(self, mask: np.ndarray) -> ClipPredictions:
        """The clips where ``mask`` is true."""
        return ClipPredictions(
            emotion_true=self.emotion_true[mask],
            emotion_probs=self.emotion_probs[mask],
            aus_true=self.aus_true[mask],
            au_probs=self.au_probs[mask],
            timing_true=self.timing_true[mask],
            timing=self.timing[mask],
            timing_network=self.timing_network[mask],
            n_frames=self.n_frames[mask],
            fps=None if self.fps is None else self.fps[mask],
        )

    def frames(self, fractions: np.ndarray) -> np.ndarray:
        """``(N, 3)`` fractions of each clip -> 0-based source frame positions."""
        return normalized_to_frame(fractions, np.asarray(self.n_frames)[:, None])


def pooled_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    n_classes: int,
    aus_true: np.ndarray,
    aus_prob: np.ndarray,
    timing_true_frames: np.ndarray,
    timing_pred_frames: np.ndarray,
    *,
    au_threshold: float = 0.5,
    timing_network_frames: np.ndarray | None = None,
) -> dict[str, Any]:
    """All reported figures from pooled predictions.

    Args:
        y_true, y_pred: ``(N,)`` class indices.
        n_classes: number of emotion classes.
        aus_true: ``(N, A)`` 0/1; aus_prob: ``(N, A)`` probabilities.
        timing_true_frames, timing_pred_frames: ``(N, 3)`` onset/apex/offset in source frames.
        timing_network_frames: the timing head's own ``(N, 3)`` before the fit to motion; when given,
            its errors are reported as ``timing_error_frames_network``.
    """

    cm = metrics.confusion_matrix(y_true, y_pred, n_classes)
    per_au, au_macro = metrics.au_f1(aus_true.astype(np.int64), (aus_prob >= au_threshold).astype(np.int64))
    timing = metrics.timing_error(timing_true_frames, timing_pred_frames)
    out: dict[str, Any] = {
        "n": len(y_true),
        "accuracy": float(metrics.accuracy(y_true, y_pred)),
        "macro_f1": float(metrics.macro_f1(y_true, y_pred, n_classes)),
        "uf1": float(metrics.uf1(y_true, y_pred, n_classes)),
        "uar": float(metrics.uar(y_true, y_pred, n_classes)),
        "confusion": np.asarray(cm).tolist(),
        "au_f1_macro": float(au_macro),
        "au_f1": [float(v) for v in np.asarray(per_au)],
        "timing_error_frames": {k: float(v) for k, v in dict(timing).items()},
    }
    if timing_network_frames is not None:
        head = metrics.timing_error(timing_true_frames, timing_network_frames)
        out["timing_error_frames_network"] = {k: float(v) for k, v in dict(head).items()}
    return out


def pooled_report(pred: ClipPredictions) -> dict[str, Any]:
    """The pooled figures of ``pred`` (:func:`pooled_metrics`), plus ``timing_error_ms`` when fps is known."""

    true_frames = pred.frames(pred.timing_true)
    pred_frames = pred.frames(pred.timing)
    pooled = pooled_metrics(
        pred.emotion_true,
        pred.emotion_probs.argmax(axis=1),
        pred.emotion_probs.shape[1],
        pred.aus_true,
        pred.au_probs,
        true_frames,
        pred_frames,
        timing_network_frames=pred.frames(pred.timing_network),
    )
    if pred.fps is not None:
        fps = np.asarray(pred.fps, dtype=np.float64)
        pooled["timing_error_ms"] = float(np.mean(np.abs(pred_frames - true_frames) / fps[:, None]) * 1000.0)
    return pooled
