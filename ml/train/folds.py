"""Subject-independent evaluation: train every fold from scratch, predict its held-out subjects, pool.

No choice is ever made on a test fold: each fold trains for a fixed number of epochs, or (with
``val_fraction > 0``) keeps the epoch with the best loss on clips of *training* subjects held out.
Emotion metrics (accuracy, macro-F1, UF1, UAR) are computed once on the predictions of all folds
together (pooled), as MEGC does; AU macro-F1 uses a 0.5 threshold; timing errors are mean absolute
differences in source frames between predicted and coded onset/apex/offset.

The AU co-occurrence graph of models that have one (``set_cooccurrence``) is recomputed from each
fold's training clips, so the test subjects' labels never reach the model.

:func:`run_folds` trains and predicts, :func:`protocol_report` turns its predictions into the report
(the figures come from :func:`ml.train.pooled.pooled_report`); the command line writes the files.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as tdist
from tqdm import tqdm

from curves.au import DEFAULT_AUS
from ml.checkpoint import load_checkpoint
from ml.datasets.label_sets import apply_protocol
from ml.datasets.schema import ClipRecord
from ml.datasets.splits import kfold_folds, loso_folds, validation_split
from ml.datasets.stats import au_cooccurrence
from ml.errors import CheckpointError
from ml.models import MicroExprModel, ModelCfg, create_model
from ml.models.averaged import AveragedModel
from ml.rules import normalized_to_frame
from ml.runtime import predict, resolve_device
from ml.timing.motion_fit import refine_fractions
from ml.train import dist
from ml.train.config import TrainConfig
from ml.train.data import PreparedData, au_targets, load_crops, prepare_data
from ml.train.dist import DistEnv
from ml.train.loop import FitResult, fit, seed_everything
from ml.train.pooled import ClipPredictions, pooled_report

__all__ = [
    "FoldRun",
    "auto_au_pos_weight",
    "build_model",
    "evaluate_weights",
    "protocol_report",
    "run_folds",
    "run_protocol",
    "train_full",
]

log = logging.getLogger(__name__)


def build_model(
    cfg: TrainConfig, classes: Sequence[str], train_records: Sequence[ClipRecord] | None = None
) -> MicroExprModel:
    """Create ``cfg.model`` for ``classes``; set its AU graph from ``train_records`` when it has one.

    A model option ``au_pos_weight: auto`` becomes :func:`auto_au_pos_weight` of ``train_records``.
    """

    kwargs = dict(cfg.model_kwargs)
    kwargs["emotion_names"] = tuple(classes)
    if kwargs.get("au_pos_weight") == "auto":  # from the training clips; without them only the shape counts
        kwargs["au_pos_weight"] = (
            None if train_records is None else auto_au_pos_weight(train_records, _au_names(cfg))
        )
    model = create_model(cfg.model, **kwargs)
    if train_records is not None and hasattr(model, "set_cooccurrence"):
        counts = au_cooccurrence(list(train_records), model.cfg.au_names)
        model.set_cooccurrence(np.asarray(counts))  # type: ignore[operator]
    return model


def _au_names(cfg: TrainConfig) -> tuple[str, ...]:

    names = cfg.model_kwargs.get("au_names")
    return tuple(names) if names else tuple(DEFAULT_AUS)


def auto_au_pos_weight(records: Sequence[ClipRecord], au_names: Sequence[str]) -> list[float]:
    """Weights of the positive AU labels in the BCE: ``sqrt(negatives / positives)`` per AU, in [1, 10].

    Rare AUs (CASME II's AU9, AU10 and AU15 are each in under 5 % of clips) are otherwise never worth
    predicting; the square root keeps their precision from collapsing. An AU absent from the
    training clips gets 1.
    """

    y = au_targets(list(records), list(au_names))
    pos = y.sum(axis=0)
    neg = len(records) - pos
    w = np.where(pos > 0, np.sqrt(neg / np.maximum(pos, 1.0)), 1.0)
    return [round(float(v), 4) for v in np.clip(w, 1.0, 10.0)]


def _folds(records: Sequence[ClipRecord], cfg: TrainConfig) -> list[Any]:

    folds = (
        loso_folds(list(records))
        if cfg.split == "loso"
        else kfold_folds(list(records), k=cfg.k, seed=cfg.seed)
    )
    for fold in folds:
        if not fold.train or not fold.test:
            raise ValueError(
                f"fold {fold.name} has an empty {'training' if not fold.train else 'test'} split; "
                "the dataset needs clips from at least 2 subjects"
            )
    stop = None if cfg.max_folds is None else cfg.first_fold + cfg.max_folds
    folds = folds[cfg.first_fold : stop]
    if not folds:
        raise ValueError("no folds to evaluate (empty dataset?)")
    return list(folds)


def _subset(data: PreparedData, idx: Sequence[int]) -> PreparedData:

    ix = np.asarray(idx, dtype=np.int64)
    return PreparedData(
        inputs=data.inputs[ix],
        emotion=data.emotion[ix],
        aus=data.aus[ix],
        timing=data.timing[ix],
        n_frames=data.n_frames[ix],
        subjects=tuple(data.subjects[i] for i in ix),
    )


def _refined_timing(
    records: Sequence[ClipRecord], timing: np.ndarray, cache: str | Path | None, crop_size: int
) -> np.ndarray:
    """The network's ``(N, 3)`` timing fractions fitted to each clip's motion, as inference does."""

    return np.stack(
        [
            refine_fractions(load_crops(rec, cache, crop_size).crops, t)
            for rec, t in zip(records, timing, strict=True)
        ]
    )


def _train_members(
    cfg: TrainConfig,
    classes: Sequence[str],
    records: Sequence[ClipRecord],
    data: PreparedData,
    *,
    seed: int,
    device: str,
    env: DistEnv | None = None,
    val: PreparedData | None = None,
    progress: bool = False,
) -> tuple[MicroExprModel, list[FitResult]]:
    """Train ``cfg.members`` copies of the network on ``data`` (member ``m`` seeded ``seed + 1000 m``).

    Returns the model to predict with (the single network, or their :class:`AveragedModel` when
    ``cfg.members > 1`` or ``cfg.mirror_average``) and each member's fit result.
    """

    members: list[MicroExprModel] = []
    results: list[FitResult] = []
    for m in range(cfg.members):
        member_seed = seed + 1000 * m
        seed_everything(member_seed)
        model = build_model(cfg, classes, records)
        results.append(
            fit(model, data, cfg, device=device, env=env, val=val, seed=member_seed, progress=progress)
        )
        members.append(model)
    if cfg.members == 1 and not cfg.mirror_average:
        return members[0], results
    return AveragedModel(members, mirror=cfg.mirror_average), results


def _model_cfg(cfg: TrainConfig, classes: Sequence[str]) -> ModelCfg:
    return build_model(cfg, classes).cfg


@dataclass(frozen=True)
class FoldRun:
    """What running the folds produced, before any figure is computed.

    Attributes:
        records: the clips after the class protocol; row ``i`` of ``predictions`` is ``records[i]``.
        classes: emotion names in class-index order.
        model_cfg: the configuration of the networks trained.
        predictions: one row per record; rows of clips in folds that were not run are NaN.
        folds: per fold: name, test subjects, split sizes, the first member's losses, accuracy.
        device: where the networks trained.
        world_size: processes that trained each fold together.
        seconds_prepare: time to align faces and build inputs.
        seconds_total: time of the whole run.
    """

    records: tuple[ClipRecord, ...]
    classes: tuple[str, ...]
    model_cfg: ModelCfg
    predictions: ClipPredictions
    folds: tuple[dict[str, Any], ...]
    device: str
    world_size: int
    seconds_prepare: float
    seconds_total: float

    @property
    def tested(self) -> np.ndarray:
        """``(N,)`` bool: the clips that a fold run held out and predicted."""
        return ~np.isnan(self.predictions.timing[:, 0])


def run_folds(
    records: Sequence[ClipRecord],
    cfg: TrainConfig,
    *,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> FoldRun:
    """Train ``cfg.model`` on every fold of ``records`` and predict each fold's held-out clips.

    Args:
        records: labelled clips (any dataset loader's output).
        cfg: training settings (split, classes, epochs, ...).
        cache_dir: crop cache folder when ``cfg.cache`` names none (None: a temporary folder when the
            timing fit needs the crops again, otherwise no cache).
        progress: tqdm bars on stderr.

    Raises:
        ValueError: empty dataset or split, labels outside the class protocol.
    """

    if not records:
        raise ValueError("the dataset has no clips")
    env = dist.detect()
    device = resolve_device(cfg.device, local_rank=env.local_rank if env.enabled else None)
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    created = dist.init_distributed(env, device)
    scratch = contextlib.ExitStack()  # a temporary crop cache, when no cache folder is given
    try:
        t0 = time.perf_counter()
        records, classes = apply_protocol(list(records), cfg.classes)
        if not records:
            raise ValueError(f"no clips left after the class protocol {cfg.classes!r}")
        folds = _folds(records, cfg)
        model_cfg = _model_cfg(cfg, classes)
        cache = cfg.cache if cfg.cache is not None else cache_dir
        if cache is None and cfg.refine_timing:  # the timing fit reads the test clips' crops again
            cache = scratch.enter_context(tempfile.TemporaryDirectory(prefix="microexpr-crops-"))
        if env.enabled and not env.is_main:
            _barrier()  # rank 0 fills the cache first
        data = prepare_data(
            records,
            model_cfg,
            cache_dir=cache,
            crop_size=cfg.crop_size,
            keyframes=cfg.keyframes,
            workers=cfg.workers,
            progress=progress and env.is_main,
        )
        if env.enabled and env.is_main:
            _barrier()
        t_prep = time.perf_counter() - t0
        n = len(records)
        probs_e = np.full((n, len(classes)), np.nan)
        probs_au = np.full((n, len(model_cfg.au_names)), np.nan)
        timing = np.full((n, 3), np.nan)
        timing_net = np.full((n, 3), np.nan)
        fold_reports: list[dict[str, Any]] = []
        for i, fold in enumerate(
            tqdm(folds, desc=f"{cfg.split} folds", unit="fold", disable=not (progress and env.is_main))
        ):
            seed = cfg.seed + cfg.first_fold + i
            train_idx: Sequence[int] = list(fold.train)
            val_idx: Sequence[int] = []
            if cfg.val_fraction > 0:
                train_idx, val_idx = validation_split(
                    records, train_idx, fraction=cfg.val_fraction, seed=seed
                )
            model, results = _train_members(
                cfg,
                classes,
                [records[j] for j in train_idx],
                _subset(data, train_idx),
                seed=seed,
                device=device,
                env=env,
                val=_subset(data, val_idx) if len(val_idx) else None,
                progress=progress,
            )
            result = results[0]
            test_idx = list(fold.test)
            pred = predict(
                model, data.inputs[test_idx], device=device, batch_size=cfg.batch_size, amp=cfg.amp
            )
            probs_e[test_idx] = pred.emotion_probs
            probs_au[test_idx] = pred.au_probs
            timing_net[test_idx] = pred.timing
            timing[test_idx] = (
                _refined_timing([records[j] for j in test_idx], pred.timing, cache, cfg.crop_size)
                if cfg.refine_timing
                else pred.timing
            )
            fold_true = data.emotion[test_idx]
            fold_pred = pred.emotion_probs.argmax(axis=1)
            fold_reports.append(
                {
                    "name": fold.name,
                    "test_subjects": list(fold.test_subjects),
                    "n_train": len(train_idx),
                    "n_val": len(val_idx),
                    "n_test": len(test_idx),
                    "members": len(results),  # losses and epoch below: the first member's
                    "epoch_kept": result.best_epoch + 1,
                    "first_loss": result.history[0].get("total") if result.history else None,
                    "final_loss": result.history[-1].get("total") if result.history else None,
                    "accuracy": float(np.mean(fold_true == fold_pred)),
                }
            )
        predictions = ClipPredictions(
            emotion_true=data.emotion,
            emotion_probs=probs_e,
            aus_true=data.aus,
            au_probs=probs_au,
            timing_true=data.timing,
            timing=timing,
            timing_network=timing_net,
            n_frames=data.n_frames,
            fps=np.asarray([r.fps for r in records], dtype=np.float64),
        )
        return FoldRun(
            records=tuple(records),
            classes=tuple(classes),
            model_cfg=model_cfg,
            predictions=predictions,
            folds=tuple(fold_reports),
            device=device,
            world_size=env.world_size,
            seconds_prepare=t_prep,
            seconds_total=time.perf_counter() - t0,
        )
    finally:
        scratch.close()
        dist.cleanup(created)


def _rounded_frames(run: FoldRun, fractions: np.ndarray, j: int) -> list[float]:
    """Clip ``j``'s onset/apex/offset fractions as source frames, to 2 decimals."""
    frames = normalized_to_frame(fractions[j], int(run.predictions.n_frames[j]))
    return [round(float(v), 2) for v in frames]


def protocol_report(run: FoldRun, cfg: TrainConfig, *, data_source: str = "") -> dict[str, Any]:
    """The report of a fold run: ``pooled`` figures over all tested clips, ``folds``, ``predictions``
    (per clip, frames in source frames), ``classes``, the model configuration and timings.

    ``data_source`` describes the data (recorded as ``data``).
    """

    pred = run.predictions
    done = run.tested
    classes = run.classes
    au_names = run.model_cfg.au_names
    return {
        "model": cfg.model,
        "split": cfg.split,
        "classes": list(classes),
        "class_protocol": cfg.classes,
        "keyframes": cfg.keyframes,
        "timing": _timing_source(cfg.refine_timing),
        "data": data_source,
        "n_clips": len(run.records),
        "n_subjects": len({r.subject for r in run.records}),
        "n_folds_run": len(run.folds),
        "device": run.device,
        "world_size": run.world_size,
        "model_cfg": run.model_cfg.to_dict(),
        "au_names": list(au_names),
        "pooled": pooled_report(pred.rows(done)),
        "folds": list(run.folds),
        "predictions": [
            {
                "clip": run.records[j].key,
                "true": classes[int(pred.emotion_true[j])],
                "pred": classes[int(pred.emotion_probs[j].argmax())],
                "timing_true": _rounded_frames(run, pred.timing_true, j),
                "timing_pred": _rounded_frames(run, pred.timing, j),
                "timing_network": _rounded_frames(run, pred.timing_network, j),
                "aus_true": [a for a, y in zip(au_names, pred.aus_true[j], strict=True) if y > 0.5],
                "au_probs": [round(float(v), 4) for v in pred.au_probs[j]],
            }
            for j in np.flatnonzero(done).tolist()
        ],
        "seconds": {"prepare": round(run.seconds_prepare, 2), "total": round(run.seconds_total, 2)},
    }


def run_protocol(
    records: Sequence[ClipRecord],
    cfg: TrainConfig,
    *,
    cache_dir: str | Path | None = None,
    progress: bool = False,
    data_source: str = "",
) -> dict[str, Any]:
    """Train and evaluate ``cfg.model`` on every fold of ``records``; return the report.

    :func:`run_folds` then :func:`protocol_report`; the files are written by
    :func:`ml.train.report.write_outputs`.

    Raises:
        ValueError: empty dataset or split, labels outside the class protocol.
    """

    return protocol_report(
        run_folds(records, cfg, cache_dir=cache_dir, progress=progress), cfg, data_source=data_source
    )


def _timing_source(refine_timing: bool) -> str:
    return "fitted to motion (ml.timing.motion_fit)" if refine_timing else "network"


def _barrier() -> None:

    if tdist.is_available() and tdist.is_initialized():
        tdist.barrier()


def train_full(
    records: Sequence[ClipRecord],
    cfg: TrainConfig,
    *,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> tuple[MicroExprModel, dict[str, Any]]:
    """Train one model on all ``records`` (no held-out fold): how shipped weights are made.

    Returns:
        The trained model (eval mode, on CPU) and a summary (classes, losses per epoch, seconds).
    """

    t0 = time.perf_counter()
    records, classes = apply_protocol(list(records), cfg.classes)
    data = prepare_data(
        records,
        _model_cfg(cfg, classes),
        cache_dir=cache_dir,
        crop_size=cfg.crop_size,
        keyframes=cfg.keyframes,
        workers=cfg.workers,
        progress=progress,
    )
    device = resolve_device(cfg.device)
    model, results = _train_members(
        cfg, classes, records, data, seed=cfg.seed, device=device, progress=progress
    )
    model.to("cpu").eval()
    return model, {
        "classes": list(classes),
        "n_clips": len(records),
        "n_subjects": len({r.subject for r in records}),
        "members": cfg.members,
        "mirror_average": cfg.mirror_average,
        "history": results[0].history,  # the first member's; all of them below
        "member_histories": [r.history for r in results],
        "seconds": round(time.perf_counter() - t0, 2),
        "device": device,
    }


def evaluate_weights(
    records: Sequence[ClipRecord],
    weights: str | Path,
    *,
    classes: str = "casme2_5",
    cache_dir: str | Path | None = None,
    crop_size: int = 112,
    keyframes: str = "gt",
    device: str | None = None,
    batch_size: int = 16,
    progress: bool = False,
    refine_timing: bool = True,
) -> dict[str, Any]:
    """Evaluate a trained checkpoint on ``records`` (e.g. another dataset) with the pooled metrics.

    Timing is the network's fitted to each clip's motion, as inference reports it (``refine_timing``);
    the timing head's own error is reported beside it.

    The checkpoint's emotion list must be the class protocol's list.

    Raises:
        ml.errors.CheckpointError: unreadable weights, or weights for other emotion classes.
        ValueError: empty dataset.
    """

    if not records:
        raise ValueError("the dataset has no clips")
    t0 = time.perf_counter()
    dev = resolve_device(device)
    model = load_checkpoint(weights, device=dev)
    records, names = apply_protocol(list(records), classes)
    if tuple(names) != tuple(model.cfg.emotion_names):
        raise CheckpointError(
            f"{weights}: the model predicts {list(model.cfg.emotion_names)}, but the class protocol "
            f"{classes!r} has {list(names)}; choose the matching --classes"
        )
    with contextlib.ExitStack() as scratch:
        if cache_dir is None and refine_timing:  # the timing fit reads the crops again
            cache_dir = scratch.enter_context(tempfile.TemporaryDirectory(prefix="microexpr-crops-"))
        data = prepare_data(
            records,
            model.cfg,
            cache_dir=cache_dir,
            crop_size=crop_size,
            keyframes=keyframes,
            progress=progress,
        )
        # bf16 autocast on CUDA, as inference runs; ml.runtime.autocast leaves CPU in float32
        pred = predict(model, data.inputs, device=dev, batch_size=batch_size, amp="bf16")
        timing = (
            _refined_timing(list(records), pred.timing, cache_dir, crop_size)
            if refine_timing
            else pred.timing
        )
    pooled = pooled_report(
        ClipPredictions(
            emotion_true=data.emotion,
            emotion_probs=pred.emotion_probs,
            aus_true=data.aus,
            au_probs=pred.au_probs,
            timing_true=data.timing,
            timing=timing,
            timing_network=pred.timing,
            n_frames=data.n_frames,
        )
    )
    return {
        "model": model.cfg.name,
        "weights": str(weights),
        "timing": _timing_source(refine_timing),
        "split": "none (all clips are test clips)",
        "classes": list(names),
        "class_protocol": classes,
        "n_clips": len(records),
        "n_subjects": len({r.subject for r in records}),
        "n_folds_run": 0,
        "au_names": list(model.cfg.au_names),
        "pooled": pooled,
        "predictions": [
            {"clip": r.key, "true": names[int(t)], "pred": names[int(p)]}
            for r, t, p in zip(records, data.emotion, pred.emotion_probs.argmax(axis=1), strict=True)
        ],
        "seconds": {"total": round(time.perf_counter() - t0, 2)},
    }
