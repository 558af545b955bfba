"""Scores of per-frame AU intensities and of spotted expression events against known truth.

- Intensity: Pearson correlation (PCC) and mean absolute error (MAE) per AU over the frames with a face
  and a prediction; the mean PCC averages the AUs whose truth varies (a constant truth has no
  correlation to measure), a prediction that stays constant while the truth varies scores PCC 0. The
  gain (the least-squares slope through the origin of the prediction on the truth) says how much of the
  truth's size the prediction reads, which PCC cannot: a track at half the truth's size correlates
  perfectly, but a rig driven by it moves half as far.
- Spotting (MEGC rule): frames are inclusive intervals [onset, offset]; predictions are taken in the
  order given (strongest first), each matching the unmatched truth interval it overlaps most when that
  IoU is at least 0.5. Counts add across clips before precision, recall and F1 are formed.
- Keyframes: mean absolute onset, apex and offset errors (frames) over matched events.
- Emotion UF1: the unweighted mean over the truth's emotion classes of each class's F1 over matched
  events (MEGC's UF1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MEGC_IOU = 0.5


def pearson(truth: np.ndarray, pred: np.ndarray) -> float:
    """PCC of two equal-length 1-D series: NaN when the truth is constant, 0 when only the prediction is."""
    truth = np.asarray(truth, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    if truth.shape != pred.shape or truth.ndim != 1:
        raise ValueError(f"PCC needs two 1-D series of one length, got shapes {truth.shape} and {pred.shape}")
    t, p = truth - truth.mean(), pred - pred.mean()
    st, sp = math.sqrt(float(t @ t)), math.sqrt(float(p @ p))
    if st < 1e-12:
        return math.nan
    if sp < 1e-12:
        return 0.0
    return float(t @ p) / (st * sp)


@dataclass(frozen=True)
class IntensityScores:
    """PCC, MAE and gain per AU, and the means of PCC (over AUs whose truth varies) and MAE (over all)."""

    pcc: dict[str, float]
    mae: dict[str, float]
    gain: dict[str, float]

    @property
    def mean_pcc(self) -> float:
        values = [v for v in self.pcc.values() if not math.isnan(v)]
        return float(np.mean(values)) if values else math.nan

    @property
    def mean_mae(self) -> float:
        values = [v for v in self.mae.values() if not math.isnan(v)]
        return float(np.mean(values)) if values else math.nan


def intensity_scores(
    truth: np.ndarray, pred: np.ndarray, names: Sequence[str], present: np.ndarray | None = None
) -> IntensityScores:
    """Per-AU PCC, MAE and gain of (N, A) ``pred`` against (N, A) ``truth`` (columns named by ``names``).

    The gain is ``sum(truth * pred) / sum(truth ** 2)``: 1 when the prediction reads the truth's size,
    NaN when the truth is zero throughout. Frames where ``present`` is False or the prediction is NaN are
    left out, per AU.
    """
    truth = np.asarray(truth, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    if truth.shape != pred.shape or truth.ndim != 2 or truth.shape[1] != len(names):
        raise ValueError(
            f"truth {truth.shape} and prediction {pred.shape} must both be (frames, {len(names)} AUs)"
        )
    keep = np.ones(truth.shape[0], bool) if present is None else np.asarray(present, bool)
    if keep.shape != (truth.shape[0],):
        raise ValueError(f"present has shape {keep.shape}; expected ({truth.shape[0]},), one flag per frame")
    pcc: dict[str, float] = {}
    mae: dict[str, float] = {}
    gain: dict[str, float] = {}
    for j, name in enumerate(names):
        rows = keep & ~np.isnan(pred[:, j])
        if rows.sum() < 2:
            pcc[name], mae[name], gain[name] = math.nan, math.nan, math.nan
            continue
        t, p = truth[rows, j], pred[rows, j]
        pcc[name] = pearson(t, p)
        mae[name] = float(np.abs(t - p).mean())
        size = float(t @ t)
        gain[name] = float(t @ p) / size if size > 1e-12 else math.nan
    return IntensityScores(pcc, mae, gain)


@dataclass(frozen=True)
class Interval:
    """An expression event in frames (inclusive), with its apex and emotion label."""

    onset: int
    apex: int
    offset: int
    emotion: str = ""

    def __post_init__(self) -> None:
        if not self.onset <= self.offset:
            raise ValueError(f"Event onset {self.onset} comes after its offset {self.offset}")


def interval_iou(a: Interval, b: Interval) -> float:
    """Intersection over union of two inclusive frame intervals."""
    inter = min(a.offset, b.offset) - max(a.onset, b.onset) + 1
    if inter <= 0:
        return 0.0
    union = max(a.offset, b.offset) - min(a.onset, b.onset) + 1
    return inter / union


def match_events(
    truth: Sequence[Interval], pred: Sequence[Interval], threshold: float = MEGC_IOU
) -> list[tuple[int, int]]:
    """(truth index, prediction index) pairs by the MEGC rule; predictions in the given order."""
    free = set(range(len(truth)))
    pairs: list[tuple[int, int]] = []
    for p, interval in enumerate(pred):
        best, best_iou = -1, threshold
        for t in sorted(free):
            iou = interval_iou(truth[t], interval)
            if iou >= best_iou and (best < 0 or iou > best_iou):
                best, best_iou = t, iou
        if best >= 0:
            free.discard(best)
            pairs.append((best, p))
    return pairs


@dataclass(frozen=True)
class SpotCounts:
    """True positives, truth events and predicted events; add counts across clips, then read F1."""

    tp: int = 0
    n_truth: int = 0
    n_pred: int = 0

    def __add__(self, other: SpotCounts) -> SpotCounts:
        return SpotCounts(self.tp + other.tp, self.n_truth + other.n_truth, self.n_pred + other.n_pred)

    @property
    def precision(self) -> float:
        return self.tp / self.n_pred if self.n_pred else math.nan

    @property
    def recall(self) -> float:
        return self.tp / self.n_truth if self.n_truth else math.nan

    @property
    def f1(self) -> float:
        """2 TP / (truth + predictions); NaN when there is neither."""
        total = self.n_truth + self.n_pred
        return 2.0 * self.tp / total if total else math.nan


def spot_counts(
    truth: Sequence[Interval], pred: Sequence[Interval], threshold: float = MEGC_IOU
) -> SpotCounts:
    return SpotCounts(len(match_events(truth, pred, threshold)), len(truth), len(pred))


def keyframe_errors(
    truth: Sequence[Interval], pred: Sequence[Interval], pairs: Sequence[tuple[int, int]]
) -> dict[str, float]:
    """Mean absolute onset, apex and offset errors (frames) over matched pairs; NaN without pairs."""
    if not pairs:
        return {"onset": math.nan, "apex": math.nan, "offset": math.nan}
    return {
        key: float(np.mean([abs(getattr(truth[t], key) - getattr(pred[p], key)) for t, p in pairs]))
        for key in ("onset", "apex", "offset")
    }


def emotion_uf1(true_labels: Sequence[str], pred_labels: Sequence[str]) -> float:
    """Unweighted F1 over the truth's classes (MEGC UF1); NaN without labels."""
    if len(true_labels) != len(pred_labels):
        raise ValueError(
            f"{len(true_labels)} true labels but {len(pred_labels)} predicted; give one per event"
        )
    classes = sorted(set(true_labels))
    if not classes:
        return math.nan
    scores = []
    for c in classes:
        tp = sum(t == c and p == c for t, p in zip(true_labels, pred_labels, strict=True))
        fp = sum(t != c and p == c for t, p in zip(true_labels, pred_labels, strict=True))
        fn = sum(t == c and p != c for t, p in zip(true_labels, pred_labels, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))
