"""Training settings: one dataclass, read from YAML, overridden from the command line.

A config file has two sections, ``model`` (the :class:`ml.models.ModelCfg` fields plus model keyword
arguments) and ``train`` (the :class:`TrainConfig` fields)::

    model:
      name: au_gcn
      num_frames: 16
      image_size: 112
    train:
      epochs: 30
      batch_size: 8
      lr: 0.001

Command-line values that are not None replace the file's values (YAML sets defaults, CLI overrides).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

__all__ = ["TrainConfig", "load_config", "merge_overrides"]


@dataclass(frozen=True)
class TrainConfig:
    """How one protocol run trains and evaluates.

    Attributes:
        model: registry name of the model.
        model_kwargs: keyword overrides passed to ``create_model`` (ModelCfg fields such as ``image_size``,
            ``num_frames``, and family options such as ``width``).
        split: ``"loso"`` (leave one subject out) or ``"kfold"`` (k folds by subject).
        k: number of folds for ``kfold``.
        classes: class protocol of :func:`ml.datasets.label_sets.apply_protocol` (``"casme2_5"``,
            ``"casme2_7"``, ``"composite3"``, ``"as_is"``).
        keyframes: ``"gt"`` (the sheet's onset/apex/offset feed the input builder) or ``"gamdss"``
            (:func:`ml.timing.keyframes.select_keyframes` picks them from the crops).
        epochs: fixed number of epochs per fold (no model selection on the test fold).
        val_fraction: if > 0, this fraction of the training *subjects* is held out and the epoch with
            the best validation loss is kept; the test fold is never looked at.
        batch_size, lr, weight_decay: AdamW settings; the learning rate follows a cosine schedule.
        warmup_epochs: linear warm-up epochs before the cosine schedule.
        seed: seeds Python, numpy and torch; each fold uses ``seed + fold index`` (the index among all
            the protocol's folds, so folds split over several runs train as in one), and member ``m``
            of an averaged model adds ``1000 m``.
        device: ``"cpu"``, ``"cuda"`` or None (CUDA when present).
        amp: autocast dtype on CUDA, ``"bf16"``, ``"fp16"`` or ``"none"``.
        crop_size: size of the aligned crops kept in the cache (model inputs are resized from them).
        cache: folder of cached crops (None: ``<out>/cache`` from the command line, the ``cache_dir`` given
            to :func:`ml.train.folds.run_folds`).
        on_missing: ``"error"`` or ``"skip"`` for clips whose frames are missing.
        max_folds: evaluate only N folds (quick runs); None for all.
        first_fold: index of the first fold evaluated (with ``max_folds``, to split a protocol's folds
            across machines; the pooled metrics then cover only those folds).
        augment: random horizontal flips and small brightness changes during training.
        num_threads: torch CPU threads (None: torch's default).
        workers: processes that read and align clips into the cache (0: the main process).
        refine_timing: evaluate the onset/apex/offset that inference reports, the network's fitted to
            each test clip's motion (:mod:`ml.timing.motion_fit`); the timing head's own errors are
            reported beside them (``timing_error_frames_network``).
        members: copies of the network trained per fold (and for shipped weights) from different seeds,
            their probabilities averaged (:class:`ml.models.averaged.AveragedModel`); 1 trains one.
        mirror_average: also run each trained model on the mirrored clip and average (the training
            augmentation's mirror); needs ``augment``, which taught the model mirrored faces.
    """

    model: str = "au_gcn"
    model_kwargs: Mapping[str, Any] = field(default_factory=dict)
    split: str = "loso"
    k: int = 5
    classes: str = "casme2_5"
    keyframes: str = "gt"
    epochs: int = 30
    val_fraction: float = 0.0
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_epochs: int = 1
    seed: int = 0
    device: str | None = None
    amp: str = "bf16"
    crop_size: int = 112
    cache: str | None = None
    on_missing: str = "error"
    max_folds: int | None = None
    first_fold: int = 0
    augment: bool = True
    num_threads: int | None = None
    workers: int = 0
    refine_timing: bool = True
    members: int = 1
    mirror_average: bool = False

    def __post_init__(self) -> None:
        if self.split not in ("loso", "kfold"):
            raise ValueError(f"split must be 'loso' or 'kfold', got {self.split!r}")
        if self.keyframes not in ("gt", "gamdss"):
            raise ValueError(f"keyframes must be 'gt' or 'gamdss', got {self.keyframes!r}")
        if self.amp not in ("bf16", "fp16", "none"):
            raise ValueError(f"amp must be 'bf16', 'fp16' or 'none', got {self.amp!r}")
        if self.on_missing not in ("error", "skip"):
            raise ValueError(f"on_missing must be 'error' or 'skip', got {self.on_missing!r}")
        if self.device not in (None, "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {self.device!r}")
        for name in ("epochs", "batch_size", "k", "crop_size", "members"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.first_fold < 0:
            raise ValueError(f"first_fold must be >= 0, got {self.first_fold!r}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction!r}")
        if self.mirror_average and not self.augment:
            raise ValueError(
                "mirror_average needs augment: true (a model trained without mirrored clips has not "
                "learnt that a mirrored face carries the same AUs)"
            )
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["model_kwargs"] = dict(self.model_kwargs)
        return d

    def replace(self, **changes: Any) -> TrainConfig:
        return replace(self, **changes)


_TRAIN_FIELDS = {f.name for f in fields(TrainConfig)}


def _from_mapping(data: Mapping[str, Any], source: str) -> TrainConfig:
    unknown_top = set(data) - {"model", "train"}
    if unknown_top:
        raise ValueError(f"{source}: unknown section(s) {sorted(unknown_top)}; expected 'model' and 'train'")
    model_sec = dict(data.get("model") or {})
    train_sec = dict(data.get("train") or {})
    unknown = set(train_sec) - _TRAIN_FIELDS
    if unknown:
        raise ValueError(
            f"{source}: unknown train setting(s) {sorted(unknown)}; known: {sorted(_TRAIN_FIELDS)}"
        )
    name = model_sec.pop("name", train_sec.pop("model", "au_gcn"))
    kwargs = dict(train_sec.pop("model_kwargs", {}) or {})
    kwargs.update(model_sec)
    try:
        return TrainConfig(model=str(name), model_kwargs=kwargs, **train_sec)
    except TypeError as exc:
        raise ValueError(f"{source}: {exc}") from exc


def load_config(path: str | Path | None) -> TrainConfig:
    """Read a YAML config (None: the built-in defaults).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the YAML is malformed or names unknown settings.
    """
    if path is None:
        return TrainConfig()

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"config file not found: {p}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{p}: not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ValueError(f"{p}: expected a mapping with 'model' and 'train' sections")
    return _from_mapping(data, str(p))


def merge_overrides(cfg: TrainConfig, **overrides: Any) -> TrainConfig:
    """Replace settings by the overrides that are not None (command-line values)."""
    changes = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(changes) - _TRAIN_FIELDS
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)}")
    if "model" in changes and changes["model"] != cfg.model:
        # A different model keeps only the generic input settings of the file.
        keep = {"num_frames", "image_size", "emotion_names", "au_names"}
        changes.setdefault("model_kwargs", {k: v for k, v in cfg.model_kwargs.items() if k in keep})
    return cfg.replace(**changes)
