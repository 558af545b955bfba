"""Checkpoints: safetensors weights plus a JSON sidecar; nothing is ever unpickled.

A checkpoint ``X`` is two files written atomically side by side::

    X.safetensors   the model's state_dict (weights and buffers, e.g. the AU graph adjacency), and in its
                    header metadata, under "microexpr", the facts the weights depend on (JSON):
                    {"format", "format_version", "model", "cfg": ModelCfg.to_dict(), "au_names",
                     "emotion_names", "input_kind", "input_size", "version" [, "members", "mirror"]}
    X.json          a readable copy of those facts plus "adjacency", "training": meta, "num_params",
                    "created", "package_version", "stored_dtype"

:func:`load_checkpoint` rebuilds the model from the facts with ``create_model(name, **cfg)`` and loads the
weights strictly. The weights file's own facts are the reference: a sidecar that disagrees with them (an
edited AU list, a sidecar copied from other weights) is refused by name, and a checkpoint whose sidecar
was lost still loads. Weights written before the facts were embedded rely on the sidecar alone. Every
number read from a sidecar is bounded (members, input size) and the rebuilt model must match the tensor
shapes of the weights file before any real memory is allocated.

An :class:`ml.models.averaged.AveragedModel` (several seeds of one network, maybe averaged with the
mirrored clip) is saved whole: its record adds ``members`` and ``mirror``, and loading
rebuilds the same average. Weights may be stored as float16 (``dtype=``) to halve the file; they are
loaded back into float32 parameters.

PyTorch pickles (``.pt``/``.pth``/``.ckpt``, or any file starting with pickle or zip magic) are refused:
loading a pickle runs arbitrary code.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

import ml
from curves.atomic import atomic_path, check_can_write
from ml.errors import CheckpointError
from ml.models import ModelCfg, create_model
from ml.models._base import MicroExprModel
from ml.models.averaged import AveragedModel

__all__ = [
    "FACT_KEYS",
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_MEMBERS",
    "checkpoint_facts",
    "embed_facts",
    "embedded_facts",
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
#: The facts a checkpoint's weights depend on, stored in the safetensors header and copied to the sidecar.
FACT_KEYS = (
    "format",
    "format_version",
    "model",
    "cfg",
    "au_names",
    "emotion_names",
    "input_kind",
    "input_size",
    "version",
    "members",
    "mirror",
)
#: The safetensors header metadata key holding the facts (a JSON string).
_META_KEY = "microexpr"
#: Most trained copies one averaged checkpoint may hold.
MAX_MEMBERS = 64
#: Bounds on the input a checkpoint may ask for: (low, high) per ModelCfg field.
_CFG_BOUNDS = {"num_frames": (1, 1024), "image_size": (8, 1024), "in_chans": (1, 64)}
#: The largest sidecar read (bytes); a sidecar is a few kilobytes.
_MAX_SIDECAR_BYTES = 16_000_000
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
    # A safetensors file: an 8-byte little-endian header length, then the JSON header.
    header_len = int.from_bytes(head[:8], "little") if len(head) >= 8 else 0
    if len(head) == 9 and head[8:9] == b"{" and 0 < header_len <= path.stat().st_size:
        return
    if head[:1] == b"\x80" or head[:2] == b"PK":
        raise CheckpointError(
            f"{path}: this file is a pickle / zip PyTorch checkpoint despite its name; refusing to unpickle "
            f"it. {_CONVERT_HINT}"
        )
    raise CheckpointError(f"{path}: not a safetensors file (bad header); the file may be truncated")


def _bad(where: Path, what: str) -> CheckpointError:
    return CheckpointError(f"{where}: {what}; re-save the checkpoint with ml.checkpoint.save_checkpoint")


def _check_facts(facts: Any, where: Path) -> dict[str, Any]:
    """``facts`` if it is a well-formed, bounded checkpoint record; else a CheckpointError naming where."""
    if not isinstance(facts, dict) or facts.get("format") != FORMAT:
        raise CheckpointError(f"{where}: not a MicroExprAnim checkpoint record (format {FORMAT!r} expected)")
    version = facts.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise _bad(where, f"format_version must be a whole number, not {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{where}: checkpoint format version {version} is newer than this software reads "
            f"({FORMAT_VERSION}); update MicroExprAnim"
        )
    cfg = facts.get("cfg")
    if not isinstance(cfg, dict):
        raise _bad(where, f"'cfg' must be an object of model settings, not {type(cfg).__name__}")
    if not isinstance(facts.get("model", cfg.get("name")), str):
        raise _bad(where, f"'model' must be a model name, not {facts.get('model')!r:.60}")
    for key in ("au_names", "emotion_names"):
        for source in (facts, cfg):
            names = source.get(key)
            if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
                raise _bad(where, f"'{key}' must be a list of names, not {names!r:.60}")
    for key, (lo, hi) in _CFG_BOUNDS.items():
        value = cfg.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi
        ):
            raise _bad(where, f"cfg {key} must be a whole number between {lo} and {hi}, not {value!r:.60}")
    for key in ("mean", "std"):
        value = cfg.get(key)
        if value is not None and not (
            isinstance(value, list)
            and len(value) <= 64
            and all(isinstance(v, (int, float)) and math.isfinite(v) for v in value)
        ):
            raise _bad(where, f"cfg {key} must be a short list of numbers, not {value!r:.60}")
    if cfg.get("options") is not None and not isinstance(cfg.get("options"), dict):
        raise _bad(where, f"cfg options must be an object, not {type(cfg.get('options')).__name__}")
    members = facts.get("members")
    if members is not None and (
        not isinstance(members, int) or isinstance(members, bool) or not 1 <= members <= MAX_MEMBERS
    ):
        raise _bad(where, f"'members' must be a positive integer, at most {MAX_MEMBERS}, not {members!r:.60}")
    return facts


def read_sidecar(path: str | Path) -> dict[str, Any]:
    """Read and check the JSON sidecar of checkpoint ``path``.

    Raises:
        CheckpointError: the sidecar is missing, unreadable, too large or not a checkpoint sidecar.
    """
    side = sidecar_path(path)
    if not side.is_file():
        raise CheckpointError(
            f"{side}: checkpoint sidecar not found; every .safetensors checkpoint needs its .json beside it "
            "(for bare weights build the model yourself and use ml.checkpoint.load_weights_into)"
        )
    try:
        if side.stat().st_size > _MAX_SIDECAR_BYTES:
            raise CheckpointError(f"{side}: larger than {_MAX_SIDECAR_BYTES // 1_000_000} MB; not a sidecar")
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{side}: unreadable checkpoint sidecar ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or "cfg" not in data:
        raise CheckpointError(f"{side}: not a MicroExprAnim checkpoint sidecar (format {FORMAT!r} expected)")
    return _check_facts(data, side)


def embedded_facts(path: str | Path) -> dict[str, Any] | None:
    """The facts stored in a safetensors file's header (None for weights written without them).

    Raises:
        CheckpointError: the header cannot be read, or its record is malformed.
    """
    wpath = weights_path(path)
    try:
        with safe_open(str(wpath), framework="pt") as fh:
            meta = fh.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{wpath}: cannot read the safetensors header ({exc})") from exc
    text = meta.get(_META_KEY)
    if text is None:
        return None
    try:
        facts = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{wpath}: the checkpoint record in its header is not JSON ({exc})") from exc
    return _check_facts(facts, wpath)


def _header_shapes(wpath: Path) -> dict[str, tuple[int, ...]]:
    try:
        with safe_open(str(wpath), framework="pt") as fh:
            return {k: tuple(fh.get_slice(k).get_shape()) for k in fh.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{wpath}: cannot read the safetensors header ({exc})") from exc


def checkpoint_facts(model: MicroExprModel) -> dict[str, Any]:
    """The facts the weights of ``model`` depend on (what :func:`save_checkpoint` embeds)."""
    cfg = model.cfg
    facts: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": cfg.name,
        "cfg": cfg.to_dict(),
        "au_names": list(cfg.au_names),
        "emotion_names": list(cfg.emotion_names),
        "input_kind": cfg.input_kind,
        "input_size": list(cfg.input_size),
        "version": cfg.version,
    }
    if isinstance(model, AveragedModel):
        facts["members"] = len(model.members)
        facts["mirror"] = bool(model.mirror)
    return json.loads(json.dumps(facts))  # the JSON form, as read back


def _facts(wpath: Path, *, need: bool) -> dict[str, Any] | None:
    """The checkpoint's facts: the weights file's own, checked against the sidecar when both exist."""
    own = embedded_facts(wpath)
    side_file = sidecar_path(wpath)
    if not side_file.is_file():
        if own is None and need:
            read_sidecar(wpath)  # raises: sidecar not found
        return own
    side = read_sidecar(wpath)
    if own is None:
        return side
    for key in FACT_KEYS:
        if side.get(key) != own.get(key):
            raise CheckpointError(
                f"{side_file}: its {key} {side.get(key)!r:.200} disagrees with what {wpath.name} records "
                f"({own.get(key)!r:.200}); this sidecar does not belong to these weights. Restore the .json "
                f"written with them, or delete it (the weights file carries its own record)"
            )
    return own


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
    facts = checkpoint_facts(model)
    core: nn.Module = model.members[0] if isinstance(model, AveragedModel) else model
    adjacency = getattr(core, "adjacency", None)
    sidecar: dict[str, Any] = {
        **facts,
        "adjacency": None if adjacency is None else adjacency.detach().cpu().double().tolist(),
        "num_params": int(sum(p.numel() for p in model.parameters())),
        "stored_dtype": dtype,
        "package_version": ml.__version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "training": meta_json,
    }
    text = json.dumps(sidecar, indent=1) + "\n"
    # The sidecar is moved into place last: a checkpoint without its sidecar is refused on load.
    with atomic_path(spath, overwrite=overwrite) as stmp, atomic_path(wpath, overwrite=overwrite) as wtmp:
        header = {"format": "pt", "model": model.cfg.name, _META_KEY: json.dumps(facts)}
        save_file(state, str(wtmp), metadata=header)
        stmp.write_text(text, encoding="utf-8")
    _log.info("wrote checkpoint %s (+ %s)", wpath, spath.name)
    return wpath


def embed_facts(path: str | Path) -> Path:
    """Re-write a checkpoint written before the facts were embedded, with its sidecar's facts in its header.

    The checkpoint must load (its sidecar fits its weights); the tensors are written back bit-identical
    and the file is replaced atomically. A checkpoint that already records its facts is left as it is.

    Returns:
        The ``.safetensors`` path.

    Raises:
        CheckpointError: the checkpoint does not load as it is.
    """
    wpath = weights_path(path)
    load_checkpoint(wpath)
    if embedded_facts(wpath) is not None:
        return wpath
    side = read_sidecar(wpath)
    facts = {k: side[k] for k in FACT_KEYS if k in side}
    with safe_open(str(wpath), framework="pt") as fh:
        header = dict(fh.metadata() or {})
    header[_META_KEY] = json.dumps(facts)
    state = load_file(str(wpath), device="cpu")
    with atomic_path(wpath, overwrite=True) as tmp:
        save_file(state, str(tmp), metadata=header)
    _log.info("recorded the checkpoint facts inside %s", wpath)
    return wpath


def _check_names(facts: dict[str, Any], key: str, expected: Sequence[str], where: Path) -> None:
    got = list(facts.get(key) or facts["cfg"].get(key) or [])
    if got != list(expected):
        what = "AU" if key == "au_names" else "emotion"
        raise CheckpointError(
            f"{where}: checkpoint is for the {what} list {got}, but {list(expected)} is required; "
            f"use weights trained for that {what} list (or train with it)"
        )


def _misfit(own: dict[str, tuple[int, ...]], stored: dict[str, tuple[int, ...]]) -> list[str]:
    """What differs between a model's tensor shapes and a weights file's ([] when they fit)."""
    missing = sorted(set(own) - set(stored))
    extra = sorted(set(stored) - set(own))
    wrong = [
        f"{k} {stored[k]} vs model {own[k]}" for k in sorted(set(own) & set(stored)) if stored[k] != own[k]
    ]
    parts = []
    for label, items in (
        ("mismatched shapes", wrong),
        ("missing tensors", missing),
        ("unexpected tensors", extra),
    ):
        if items:
            parts.append(f"{label}: {', '.join(items[:5])}{' ...' if len(items) > 5 else ''}")
    return parts


def _shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def _refuse_misfit(name: str, parts: list[str], wpath: Path) -> None:
    if parts:
        raise CheckpointError(
            f"{wpath}: weights do not fit model {name!r} ({'; '.join(parts)}); "
            "the checkpoint was saved for another architecture or configuration"
        )


def _load_state(model: MicroExprModel, wpath: Path) -> None:
    _refuse_misfit(model.cfg.name, _misfit(_shapes(model), _header_shapes(wpath)), wpath)
    try:
        state = load_file(str(wpath), device="cpu")
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{wpath}: cannot read safetensors weights ({exc})") from exc
    model.load_state_dict(state, strict=True)


def _build(cfg: ModelCfg, members: int | None, mirror: bool) -> MicroExprModel:
    kwargs = {k: v for k, v in cfg.to_dict().items() if k != "name"}
    built = [create_model(cfg.name, **kwargs) for _ in range(members or 1)]
    return built[0] if members is None else AveragedModel(built, mirror=mirror)


def load_weights_into(model: MicroExprModel, path: str | Path) -> MicroExprModel:
    """Load checkpoint weights into an already built ``model`` (strict; shapes checked).

    When a sidecar is present its AU and emotion lists must match ``model.cfg``.

    Raises:
        CheckpointError: pickle file, missing/unreadable file, other AU/emotion list, mismatched tensors.
    """
    wpath = weights_path(path)
    _refuse_unsafe(wpath)
    facts = _facts(wpath, need=False)
    if facts is not None:
        if facts.get("members") is not None and not isinstance(model, AveragedModel):
            raise CheckpointError(
                f"{wpath}: this checkpoint averages {facts['members']} trained copies of "
                f"{facts.get('model')!r}; load it whole with ml.checkpoint.load_checkpoint"
            )
        _check_names(facts, "au_names", model.cfg.au_names, wpath)
        _check_names(facts, "emotion_names", model.cfg.emotion_names, wpath)
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
    facts = _facts(wpath, need=True)
    assert facts is not None  # need=True raises instead
    where = sidecar_path(wpath) if sidecar_path(wpath).is_file() else wpath
    if expect_aus is not None:
        _check_names(facts, "au_names", expect_aus, wpath)
    try:
        cfg = ModelCfg.from_dict(facts["cfg"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{where}: bad model config ({exc})") from exc
    _check_names(facts, "au_names", cfg.au_names, wpath)
    members = facts.get("members")
    mirror = bool(facts.get("mirror", False))
    try:
        # The model's shapes are first checked on the meta device (no memory), so a configuration that
        # does not fit the weights file is refused before anything is allocated.
        with torch.device("meta"):
            ghost = _build(cfg, members, mirror)
    except NotImplementedError:  # a model whose construction needs real tensors: checked after building
        ghost = None
    except (TypeError, ValueError, KeyError, AttributeError, RuntimeError) as exc:
        raise CheckpointError(f"{where}: cannot rebuild model {cfg.name!r} ({exc})") from exc
    if ghost is not None:
        _refuse_misfit(cfg.name, _misfit(_shapes(ghost), _header_shapes(wpath)), wpath)
    try:
        model = _build(cfg, members, mirror)
    except (TypeError, ValueError, KeyError, AttributeError, RuntimeError) as exc:
        raise CheckpointError(f"{where}: cannot rebuild model {cfg.name!r} ({exc})") from exc
    _load_state(model, wpath)
    model.to(device)
    model.eval()
    return model
