"""From clip records to model-ready tensors, with aligned face crops cached once on disk.

Reading a clip and aligning its faces is by far the slowest step, so its result (uint8 crops at
``crop_size``) is stored as one ``.npz`` per clip under a cache folder, keyed by a hash of the clip's
path, its modification time, the settings and the face alignment's version. Every later epoch, fold and
run reads the cache.
Model inputs are then built from the cached crops by :func:`ml.stages.inputs.build_input` (the same function
inference uses), which resizes them to the model's ``image_size`` when its input kind asks for that.

The input builders live in :mod:`ml.stages.inputs`; ``clip_delta_input`` and ``resize_crops`` are re-exported
here.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from curves.atomic import atomic_path
from ml.datasets.frames import keyframe_indices, read_record
from ml.datasets.schema import ClipRecord
from ml.models._base import ModelCfg
from ml.rules import MIN_FRAMES, frame_to_normalized
from ml.stages import face as face_stage
from ml.stages.face import align_clip
from ml.stages.inputs import build_input, clip_delta_input, resize_crops
from ml.timing.keyframes import select_keyframes

__all__ = [
    "CACHE_VERSION",
    "CachedClip",
    "PreparedData",
    "au_targets",
    "cache_key",
    "clip_delta_input",
    "load_crops",
    "prepare_data",
    "resize_crops",
    "timing_targets",
]

log = logging.getLogger(__name__)

#: Bump when the cached file's layout changes; changes of the crops themselves are caught by
#: ``ml.stages.face.ALIGNMENT_VERSION``, which is part of every key too.
CACHE_VERSION = "1"


@dataclass(frozen=True)
class CachedClip:
    """Aligned crops of one clip and its ground-truth keyframes.

    Attributes:
        crops: ``(N, S, S, 3)`` uint8 RGB aligned faces.
        keyframes: 0-based (onset, apex, offset) indices into ``crops``, or None if the sheet has none.
        fps: frame rate of the clip.
        missing: number of frames without a detected face (their crops are interpolated by ml.stages.face).
    """

    crops: np.ndarray
    keyframes: tuple[int, int, int] | None
    fps: float
    missing: int = 0

    @property
    def n_frames(self) -> int:
        return int(self.crops.shape[0])


def cache_key(record: ClipRecord, crop_size: int) -> str:
    """A file name stem unique to the clip's media (path + modification time), the crop settings and the
    face alignment's version (:data:`ml.stages.face.ALIGNMENT_VERSION`)."""
    path = Path(record.path) if record.path is not None else None
    stamp = ""
    if path is not None and path.exists():
        stamp = f"{path.stat().st_mtime_ns}"
        if path.is_dir():
            files = sorted(path.iterdir())
            stamp += f":{len(files)}:{max((f.stat().st_mtime_ns for f in files), default=0)}"

    source = path.resolve() if path else record.key
    text = f"v{CACHE_VERSION}|a{face_stage.ALIGNMENT_VERSION}|{source}|{stamp}|{crop_size}"
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in record.key)[-60:]
    return f"{safe}-{digest}"


def _read_and_align(record: ClipRecord, crop_size: int) -> CachedClip:

    clip = read_record(record)
    if clip.frames.shape[0] < MIN_FRAMES:
        raise ValueError(
            f"{record.path}: clip {record.key} has {clip.frames.shape[0]} frames; at least {MIN_FRAMES} "
            "are needed"
        )
    track = align_clip(clip, size=crop_size)
    keyframes = keyframe_indices(record, clip)
    return CachedClip(
        crops=np.ascontiguousarray(track.crops, dtype=np.uint8),
        keyframes=None if keyframes is None else (int(keyframes[0]), int(keyframes[1]), int(keyframes[2])),
        fps=float(clip.fps),
        missing=len(track.missing_frames),
    )


def load_crops(record: ClipRecord, cache_dir: str | Path | None, crop_size: int = 112) -> CachedClip:
    """Aligned crops of ``record``, from the cache when present, else computed and cached.

    Raises:
        ValueError: the clip has fewer than 4 frames.
        ml.errors.ClipReadError / NoFaceError: from reading and aligning the clip.
    """
    if cache_dir is None:
        return _read_and_align(record, crop_size)

    cache = Path(cache_dir)
    file = cache / f"{cache_key(record, crop_size)}.npz"
    if file.is_file():
        try:
            with np.load(file) as z:
                k = [int(v) for v in z["keyframes"]]
                kf = (k[0], k[1], k[2]) if len(k) == 3 else None
                return CachedClip(
                    crops=z["crops"], keyframes=kf, fps=float(z["fps"]), missing=int(z["missing"])
                )
        except (OSError, KeyError, ValueError) as exc:
            log.warning("ignoring unreadable cache file %s (%s); recomputing", file, exc)
    item = _read_and_align(record, crop_size)
    cache.mkdir(parents=True, exist_ok=True)
    with atomic_path(file, overwrite=True) as tmp, open(tmp, "wb") as fh:
        np.savez(
            fh,
            crops=item.crops,
            keyframes=np.asarray(item.keyframes if item.keyframes else [], dtype=np.int64),
            fps=np.float64(item.fps),
            missing=np.int64(item.missing),
        )
    return item


def au_targets(records: Sequence[ClipRecord], au_names: Sequence[str]) -> np.ndarray:
    """Multi-hot AU targets ``(N, A)`` float32; unilateral codes count for their bilateral AU."""
    index = {name: j for j, name in enumerate(au_names)}
    out = np.zeros((len(records), len(au_names)), dtype=np.float32)
    for i, rec in enumerate(records):
        for au in rec.aus:
            for name in (au, au.rstrip("LR") if au[-1:] in ("L", "R") else au):
                if name in index:
                    out[i, index[name]] = 1.0
    return out


def timing_targets(keyframes: tuple[int, int, int] | None, n_frames: int) -> np.ndarray:
    """Onset, apex, offset as fractions of the clip ``(3,)``: ``index / (n_frames - 1)``.

    A clip without keyframes (no onset/offset coded) is taken to span the micro-expression:
    (0, 0.5, 1).
    """
    if keyframes is None:
        return np.array([0.0, 0.5, 1.0], dtype=np.float32)
    t = np.clip(frame_to_normalized(np.asarray(keyframes, dtype=np.float64), n_frames), 0.0, 1.0)
    t = np.maximum.accumulate(t)  # keep onset <= apex <= offset
    return t.astype(np.float32)


def _cache_one(args: tuple[ClipRecord, str | Path, int]) -> str:

    cv2.setNumThreads(1)
    record, cache_dir, crop_size = args
    load_crops(record, cache_dir, crop_size)
    return record.key


def _fill_cache(
    records: Sequence[ClipRecord], cache_dir: str | Path, crop_size: int, workers: int, progress: bool
) -> None:
    """Read and align the clips missing from the cache with a pool of ``workers`` processes."""

    todo = [r for r in records if not (Path(cache_dir) / f"{cache_key(r, crop_size)}.npz").is_file()]
    if not todo:
        return
    ctx = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        jobs = pool.map(_cache_one, [(r, cache_dir, crop_size) for r in todo], chunksize=1)
        for _ in tqdm(jobs, total=len(todo), desc="aligning faces", unit="clip", disable=not progress):
            pass


@dataclass(frozen=True)
class PreparedData:
    """Model-ready arrays for a list of records (row i belongs to ``records[i]``).

    Attributes:
        inputs: ``(N, C, T, H, W)`` float32 model inputs.
        emotion: ``(N,)`` int64 class indices into the model's ``emotion_names``.
        aus: ``(N, A)`` float32 multi-hot AU targets.
        timing: ``(N, 3)`` float32 ground-truth onset/apex/offset fractions.
        n_frames: ``(N,)`` int64 source frame counts (for errors in frames).
        subjects: subject id of each row.
    """

    inputs: np.ndarray
    emotion: np.ndarray
    aus: np.ndarray
    timing: np.ndarray
    n_frames: np.ndarray
    subjects: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.inputs.shape[0])


def prepare_data(
    records: Sequence[ClipRecord],
    model_cfg: ModelCfg,
    *,
    cache_dir: str | Path | None,
    crop_size: int = 112,
    keyframes: str = "gt",
    progress: bool = False,
    workers: int = 0,
) -> PreparedData:
    """Read (or load from cache), align and build the inputs and targets of every record.

    Args:
        records: clips to prepare; their emotions must be in ``model_cfg.emotion_names``.
        model_cfg: the model's cfg (input kind, frames, image size, AU and emotion lists).
        cache_dir: folder for cached crops (None: no cache).
        crop_size: cached crop size.
        keyframes: ``"gt"`` or ``"gamdss"``: which keyframes the input builder gets.
        progress: show a tqdm bar.
        workers: processes reading and aligning clips that are not cached yet (0: this process).

    Raises:
        ValueError: no records, or an emotion outside the model's classes.
    """

    if not records:
        raise ValueError("no clips to prepare (empty split or dataset)")
    classes = {name: i for i, name in enumerate(model_cfg.emotion_names)}
    bad = sorted({r.emotion for r in records if r.emotion not in classes})
    if bad:
        raise ValueError(
            f"emotion label(s) {bad} are not classes of the model {list(model_cfg.emotion_names)}; "
            "choose a matching class protocol (--classes)"
        )
    inputs: list[np.ndarray] = []
    timing: list[np.ndarray] = []
    n_frames: list[int] = []
    if workers > 0 and cache_dir is not None:
        _fill_cache(records, cache_dir, crop_size, workers, progress)
    for rec in tqdm(records, desc="preparing clips", unit="clip", disable=not progress, leave=False):
        item = load_crops(rec, cache_dir, crop_size)
        if keyframes == "gamdss":
            # With annotated keyframes this is the paper's local re-selection around them; without,
            # the whole-clip search.
            kf: tuple[int, int, int] | None = tuple(  # type: ignore[assignment]
                int(v) for v in select_keyframes(item.crops, "gamdss", annotated=item.keyframes)
            )
        else:
            kf = item.keyframes
        inputs.append(build_input(model_cfg, item.crops, kf).astype(np.float32, copy=False))
        timing.append(timing_targets(item.keyframes, item.n_frames))
        n_frames.append(item.n_frames)
    return PreparedData(
        inputs=np.stack(inputs),
        emotion=np.asarray([classes[r.emotion] for r in records], dtype=np.int64),
        aus=au_targets(records, model_cfg.au_names),
        timing=np.stack(timing),
        n_frames=np.asarray(n_frames, dtype=np.int64),
        subjects=tuple(r.subject for r in records),
    )
