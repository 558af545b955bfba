"""Checkpoints: safetensors weights plus a JSON sidecar; nothing is ever unpickled.

A checkpoint ``X`` is two files written atomically side by side::

    X.safetensors   the model's state_dict (weights and buffers, e.g. the AU graph adjacency)
    X.json          {"format": "microexpr-checkpoint", "model": name, "cfg": ModelCfg.to_dict(),
                     "au_names", "emotion_names", "adjacency", "input_size", "version", "training": meta,
                     "num_params", "created", "package_version", "stored_dtype"
                     [, "members": n, "mirror": bool]}

:func:`load_checkpoint` rebuilds the model from the sidecar with ``create_model(name, **cfg)`` and loads
the weights strictly. An :class:`ml.models.averaged.AveragedModel` (several seeds of one network, maybe
averaged with the mirrored clip) is saved whole: its sidecar adds ``members`` and ``mirror``, and loading
rebuilds the same average. Weights may be stored as float16 (``dtype=``) to halve the file; they are
loaded back into float32 parameters.

PyTorch pickles (``.pt``/``.pth``/``.ckpt``, or any file starting with pickle or zip magic) are refused:
loading a pickle runs arbitrary code.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

import ml
from curves.atomic import atomic_path, check_can_write
from ml.errors import CheckpointError
from ml.models import ModelCfg, create_model
from ml.models._base import MicroExprModel
from ml.models.averaged import AveragedModel

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "load_checkpoint",
    "load_weights_into",
    "read_sidecar",
    "save_checkpoint",
    "sidecar_path",
    "stored_state",
    "weights_path",
]

_log = logging.getLogger(__name__)

FORMAT = "microexpr-checkpoint"
FORMAT_VERSION = 1
_PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".tar")

_CONVERT_HINT = (
    "Convert it once, in a Python session you trust with that file: "
    "`import torch; from ml.models import create_model; from ml.checkpoint import save_checkpoint; "
    "m = create_model(NAME); m.load_state_dict(torch.load(FILE, map_location='cpu', weights_only=True)); "
    "save_checkpoint(m, 'OUT.safetensors')`."
)


def weights_path(path: str | Path) -> Path:
    """The ``.safetensors`` file of checkpoint ``path`` (given as ``X``, ``X.safetensors`` or ``X.json``)."""
    p = Path(path)
    if p.suffix == ".safetensors":
        return p
    if p.suffix == ".json":
        return p.with_suffix(".safetensors")
    if p.suffix in _PICKLE_SUFFIXES:
        return p
    return p.with_name(p.name + ".safetensors")


def sidecar_path(path: str | Path) -> Path:
    """The JSON sidecar beside a checkpoint's weights."""
    return weights_path(path).with_suffix(".json")


def _refuse_unsafe(path: Path) -> None:
    """Raise ``CheckpointError`` unless ``path`` exists and is a safetensors file (by suffix and content)."""
    if path.suffix in _PICKLE_SUFFIXES:
        raise CheckpointError(
            f"{path}: refusing to load a PyTorch pickle checkpoint ({path.suffix}); loading pickles can run "
            f"arbitrary code, so this project only reads .safetensors weights. {_CONVERT_HINT}"
        )
    if not path.is_file():
        raise CheckpointError(f"{path}: weights file not found; pass the .safetensors file of a checkpoint")
    with path.open("rb") as fh:
        head = fh.read(9)
    if head[:1] == b"\x80" or head[:2] == b"PK":
        raise CheckpointError(
            f"{path}: this file is a pickle / zip PyTorch checkpoint despite its name; refusing to unpickle "
            f"it. {_CONVERT_HINT}"
        )
    header_len = int.from_bytes(head[:8], "little") if len(head) >= 8 else 0
    if len(head) < 9 or head[8:9] != b"{" or header_len <= 0 or header_len > path.stat().st_size:
        raise CheckpointError(f"{path}: not a safetensors file (bad header); the file may be truncated")


def read_sidecar(path: str | Path) -> dict[str, Any]:
    """Read and check the JSON sidecar of checkpoint ``path``.

    Raises:
        CheckpointError: the sidecar is missing, unreadable or not a checkpoint sidecar.
    """
    side = sidecar_path(path)
    if not side.is_file():
        raise CheckpointError(
            f"{side}: checkpoint sidecar not found; every .safetensors checkpoint needs its .json beside it "
            "(for bare weights build the model yourself and use ml.checkpoint.load_weights_into)"
        )
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{side}: unreadable checkpoint sidecar ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or "cfg" not in data:
        raise CheckpointError(f"{side}: not a MicroExprAnim checkpoint sidecar (format {FORMAT!r} expected)")
    if int(data.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(
            f"{side}: checkpoint format version {data['format_version']} is newer than this software "
            f"reads ({FORMAT_VERSION}); update MicroExprAnim"
        )
    return data


def stored_state(model: MicroExprModel, dtype: str = "float32") -> dict[str, torch.Tensor]:
    """``model``'s state dict as :func:`save_checkpoint` stores it: on the CPU, floats as ``dtype``.

    ``model.load_state_dict(stored_state(model, "float16"))`` gives a model its stored values, e.g. to
    check what a float16 checkpoint will predict before writing it.

    Raises:
        ValueError: ``dtype`` is neither ``"float32"`` nor ``"float16"``.
    """

    stored = {"float32": torch.float32, "float16": torch.float16}.get(dtype)
    if stored is None:
        raise ValueError(f"dtype must be 'float32' or 'float16', not {dtype!r}")
    return {
        k: (v.to(stored) if v.is_floating_point() else v).detach().to("cpu").contiguous()
        for k, v in model.state_dict().items()
    }


def save_checkpoint(
    model: MicroExprModel,
    path: str | Path,
    *,
    meta: dict[str, Any] | None = None,
    overwrite: bool = False,
    dtype: str = "float32",
) -> Path:
    """Write ``X.safetensors`` and ``X.json`` for ``model`` atomically.

    Args:
        model: any registry model, or an :class:`ml.models.averaged.AveragedModel` of them.
        path: ``X``, ``X.safetensors`` or ``X.json``.
        meta: training information (JSON-serialisable): data, protocol, epochs, metrics, command...
        overwrite: replace an existing checkpoint.
        dtype: how floating-point tensors are stored, ``"float32"`` or ``"float16"`` (half the size;
            predictions move by about 1e-3 of a probability).

    Returns:
        The ``.safetensors`` path.

    Raises:
        FileExistsError: a file exists and ``overwrite`` is false (nothing is written).
        ValueError: a pickle suffix was asked for, ``meta`` is not JSON-serialisable, or an unknown
            ``dtype``.
    """

    state = stored_state(model, dtype)
    wpath = weights_path(path)
    if wpath.suffix != ".safetensors":
        raise ValueError(
            f"{path}: checkpoints are written as .safetensors (pickle formats are not supported)"
        )
    spath = sidecar_path(wpath)
    check_can_write(wpath, overwrite=overwrite)
    check_can_write(spath, overwrite=overwrite)
    try:
        meta_json = json.loads(json.dumps(meta or {}))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"meta must be JSON-serialisable: {exc}") from exc
    cfg = model.cfg
    core: nn.Module = model.members[0] if isinstance(model, AveragedModel) else model
    adjacency = getattr(core, "adjacency", None)
    sidecar: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": cfg.name,
        "cfg": cfg.to_dict(),
        "au_names": list(cfg.au_names),
        "emotion_names": list(cfg.emotion_names),
        "adjacency": None if adjacency is None else adjacency.detach().cpu().double().tolist(),
        "input_size": list(cfg.input_size),
        "input_kind": cfg.input_kind,
        "version": cfg.version,
        "num_params": int(sum(p.numel() for p in model.parameters())),
        "stored_dtype": dtype,
        "package_version": ml.__version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "training": meta_json,
    }
    if isinstance(model, AveragedModel):
        sidecar["members"] = len(model.members)
        sidecar["mirror"] = bool(model.mirror)
    text = json.dumps(sidecar, indent=1) + "\n"
    # The sidecar is moved into place last: a checkpoint without its sidecar is refused on load.
    with atomic_path(spath, overwrite=overwrite) as stmp, atomic_path(wpath, overwrite=overwrite) as wtmp:
        save_file(state, str(wtmp), metadata={"format": "pt", "model": cfg.name})
        stmp.write_text(text, encoding="utf-8")
    _log.info("wrote checkpoint %s (+ %s)", wpath, spath.name)
    return wpath


def _check_names(side: dict[str, Any], key: str, expected: Sequence[str], where: Path) -> None:
    got = list(side.get(key) or side["cfg"].get(key) or [])
    if got != list(expected):
        what = "AU" if key == "au_names" else "emotion"
        raise CheckpointError(
            f"{where}: checkpoint is for the {what} list {got}, but {list(expected)} is required; "
            f"use weights trained for that {what} list (or train with it)"
        )


def _load_state(model: MicroExprModel, wpath: Path) -> None:

    try:
        state = load_file(str(wpath), device="cpu")
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{wpath}: cannot read safetensors weights ({exc})") from exc
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    extra = sorted(set(state) - set(own))
    wrong = [
        f"{k} {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in sorted(set(own) & set(state))
        if tuple(state[k].shape) != tuple(own[k].shape)
    ]
    if missing or extra or wrong:
        parts = []
        if wrong:
            parts.append(f"mismatched shapes: {', '.join(wrong[:5])}{' ...' if len(wrong) > 5 else ''}")
        if missing:
            parts.append(f"missing tensors: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
        if extra:
            parts.append(f"unexpected tensors: {', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}")
        raise CheckpointError(
            f"{wpath}: weights do not fit model {model.cfg.name!r} ({'; '.join(parts)}); "
            "the checkpoint was saved for another architecture or configuration"
        )
    model.load_state_dict(state, strict=True)


def load_weights_into(model: MicroExprModel, path: str | Path) -> MicroExprModel:
    """Load checkpoint weights into an already built ``model`` (strict; shapes checked).

    When a sidecar is present its AU and emotion lists must match ``model.cfg``.

    Raises:
        CheckpointError: pickle file, missing/unreadable file, other AU/emotion list, mismatched tensors.
    """
    wpath = weights_path(path)
    _refuse_unsafe(wpath)
    if sidecar_path(wpath).is_file():
        side = read_sidecar(wpath)

        if side.get("members") is not None and not isinstance(model, AveragedModel):
            raise CheckpointError(
                f"{wpath}: this checkpoint averages {side['members']} trained copies of "
                f"{side.get('model')!r}; load it whole with ml.checkpoint.load_checkpoint"
            )
        _check_names(side, "au_names", model.cfg.au_names, wpath)
        _check_names(side, "emotion_names", model.cfg.emotion_names, wpath)
    _load_state(model, wpath)
    return model


def load_checkpoint(
    path: str | Path, *, device: str = "cpu", expect_aus: Sequence[str] | None = None
) -> MicroExprModel:
    """Rebuild a model from ``X.json`` and load ``X.safetensors``; returned in eval mode on ``device``.

    Args:
        path: ``X``, ``X.safetensors`` or ``X.json``.
        device: torch device for the model.
        expect_aus: AU list the caller needs; a checkpoint for another list is refused.

    Raises:
        CheckpointError: pickle file, missing sidecar or weights, unknown model, other AU list,
            weights that do not fit the configuration.
    """

    wpath = weights_path(path)
    _refuse_unsafe(wpath)
    side = read_sidecar(wpath)
    if expect_aus is not None:
        _check_names(side, "au_names", expect_aus, wpath)
    try:
        cfg = ModelCfg.from_dict(side["cfg"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{sidecar_path(wpath)}: bad model config in sidecar ({exc})") from exc
    _check_names(side, "au_names", cfg.au_names, wpath)
    kwargs = {k: v for k, v in cfg.to_dict().items() if k != "name"}
    n_members = side.get("members")
    if n_members is not None and (not isinstance(n_members, int) or n_members < 1):
        raise CheckpointError(
            f"{sidecar_path(wpath)}: 'members' must be a positive integer, not {n_members!r}"
        )
    try:
        members = [create_model(cfg.name, **kwargs) for _ in range(n_members or 1)]
    except ValueError as exc:
        raise CheckpointError(f"{sidecar_path(wpath)}: cannot rebuild model {cfg.name!r}: {exc}") from exc
    model = members[0]
    if n_members is not None:
        model = AveragedModel(members, mirror=bool(side.get("mirror", False)))
    _load_state(model, wpath)
    model.to(device)
    model.eval()
    return model
