"""The ``MicroExpression`` contract between ``ml`` (which produces it) and ``curves`` (which consumes it).

It lives here, in the numpy-only package, so that curves, the editor plugin and a separate Python
process can all read it without torch. It serialises to JSON (``python -m ml infer CLIP --json``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from curves.atomic import atomic_write_text
from curves.au import canonical_au
from curves.rules import MAX_FRAMES, check_fps, is_whole

__all__ = ["FORMAT", "MAX_JSON_BYTES", "MicroExpression"]

#: Identifies the JSON document; bump the suffix on an incompatible change.
FORMAT = "microexpr-anim/micro-expression@1"
#: The largest MicroExpression JSON read (bytes): an hour of 17 AU tracks at 60 fps is about 40 MB.
MAX_JSON_BYTES = 256_000_000


@dataclass(frozen=True, eq=False)
class MicroExpression:
    """One detected micro-expression and its per-frame AU activations.

    Attributes:
        fps: source frame rate (frames per second), > 0.
        onset, apex, offset: source frame indices, ``0 <= onset <= apex <= offset < n_frames``.
        emotion_probs: probability per emotion name (lowercase, e.g. ``"happiness"``); sums to ~1.
        au_names: canonical AU names (see :mod:`curves.au`), one per column of ``activations``.
        activations: array ``(n_frames, n_aus)`` in [0, 1]: AU activation at each source frame.
        model: model name (e.g. ``"au_gcn"``); ``model_version`` its weights' version.
        au_probs: clip-level probability of each AU (before the temporal envelope), optional.
        source: the clip the result came from (path or description).
        extra: anything else worth keeping (all windows found in a long clip, timings, ...).
    """

    fps: float
    onset: int
    apex: int
    offset: int
    emotion_probs: Mapping[str, float]
    au_names: tuple[str, ...]
    activations: np.ndarray
    model: str = "unknown"
    model_version: str = ""
    au_probs: Mapping[str, float] = field(default_factory=dict)
    source: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key in ("emotion_probs", "au_probs", "extra"):
            value = getattr(self, key)
            if not isinstance(value, Mapping):
                raise ValueError(f"{key} must be an object of name: value pairs, not {type(value).__name__}")
        object.__setattr__(self, "fps", check_fps(self.fps))
        names = tuple(canonical_au(n) for n in self.au_names)
        if len(set(names)) != len(names):
            raise ValueError(f"au_names has duplicates: {list(self.au_names)}")
        object.__setattr__(self, "au_names", names)
        act = np.asarray(self.activations, dtype=np.float64)
        if act.ndim == 1 and len(names) == 1:
            act = act[:, None]
        if act.ndim != 2 or act.shape[1] != len(names):
            raise ValueError(
                f"activations must have shape (frames, {len(names)}) to match au_names, got {act.shape}"
            )
        if not 1 <= act.shape[0] <= MAX_FRAMES:
            raise ValueError(f"activations must have 1 to {MAX_FRAMES} frames, got {act.shape[0]}")
        if not np.all(np.isfinite(act)):
            bad = np.argwhere(~np.isfinite(act))[0]
            raise ValueError(
                f"activations contain NaN or inf (first at frame {bad[0]}, {names[bad[1]]}); "
                "check the tracker output"
            )
        if act.min() < -1e-6 or act.max() > 1 + 1e-6:
            raise ValueError(
                f"activations must lie in [0, 1], got range [{act.min():.4g}, {act.max():.4g}]; "
                "rescale intensities (e.g. OpenFace AU*_r / 5) first"
            )
        act = np.clip(act, 0.0, 1.0)
        act.setflags(write=False)
        object.__setattr__(self, "activations", act)
        n = act.shape[0]
        for label in ("onset", "apex", "offset"):
            value = getattr(self, label)
            if not (is_whole(value) or hasattr(value, "__index__")):
                raise ValueError(f"{label} must be a frame index, got {value!r:.60}")
            object.__setattr__(self, label, int(value))
        if not 0 <= self.onset <= self.apex <= self.offset < n:
            raise ValueError(
                f"need 0 <= onset <= apex <= offset < {n} frames, got onset={self.onset}, "
                f"apex={self.apex}, offset={self.offset}"
            )
        probs = {str(k).lower(): float(v) for k, v in self.emotion_probs.items()}
        if any(not math.isfinite(v) or v < 0 for v in probs.values()):
            raise ValueError(f"emotion probabilities must be finite and >= 0, got {probs}")
        object.__setattr__(self, "emotion_probs", probs)
        object.__setattr__(self, "au_probs", {canonical_au(k): float(v) for k, v in self.au_probs.items()})

    @property
    def n_frames(self) -> int:
        return int(self.activations.shape[0])

    @property
    def duration(self) -> float:
        """Seconds from the first to the last source frame."""
        return (self.n_frames - 1) / self.fps

    @property
    def emotion(self) -> str:
        """The most probable emotion ("" if none given)."""
        if not self.emotion_probs:
            return ""
        return max(self.emotion_probs.items(), key=lambda kv: kv[1])[0]

    def track(self, au: str) -> np.ndarray:
        """Activation track ``(n_frames,)`` of one AU."""
        name = canonical_au(au)
        if name not in self.au_names:
            raise KeyError(f"{au!r} is not in this micro-expression's AUs {list(self.au_names)}")
        return np.asarray(self.activations[:, self.au_names.index(name)])

    # --- JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "fps": self.fps,
            "n_frames": self.n_frames,
            "onset": self.onset,
            "apex": self.apex,
            "offset": self.offset,
            "emotion": self.emotion,
            "emotion_probs": dict(self.emotion_probs),
            "au_names": list(self.au_names),
            "au_probs": dict(self.au_probs),
            "activations": [[round(float(v), 6) for v in row] for row in self.activations],
            "model": self.model,
            "model_version": self.model_version,
            "source": self.source,
            "extra": dict(self.extra),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MicroExpression:
        if not isinstance(data, Mapping):
            raise ValueError(f"a MicroExpression document is a JSON object, not {type(data).__name__}")
        fmt = data.get("format", FORMAT)
        if not str(fmt).startswith("microexpr-anim/micro-expression@"):
            raise ValueError(f"not a MicroExpression document (format {fmt!r})")
        missing = [k for k in ("fps", "onset", "apex", "offset", "au_names", "activations") if k not in data]
        if missing:
            raise ValueError(f"MicroExpression JSON lacks {missing}")
        if not isinstance(data["au_names"], list) or not data["au_names"]:
            raise ValueError(f"au_names must be a non-empty list of AU names, got {data['au_names']!r:.80}")
        return cls(
            fps=data["fps"],
            onset=data["onset"],
            apex=data["apex"],
            offset=data["offset"],
            emotion_probs=data.get("emotion_probs", {}),
            au_names=tuple(data["au_names"]),
            activations=np.asarray(data["activations"], dtype=np.float64).reshape(-1, len(data["au_names"])),
            model=data.get("model", "unknown"),
            model_version=data.get("model_version", ""),
            au_probs=data.get("au_probs", {}),
            source=data.get("source", ""),
            extra=data.get("extra", {}),
        )

    @classmethod
    def from_json(cls, text: str) -> MicroExpression:
        return cls.from_dict(json.loads(text))

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write JSON atomically; refuses to replace an existing file unless ``overwrite``."""
        return atomic_write_text(path, self.to_json(indent=1), overwrite=overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MicroExpression:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"MicroExpression JSON not found: {p}")
        if p.stat().st_size > MAX_JSON_BYTES:
            raise ValueError(f"{p}: larger than {MAX_JSON_BYTES // 1_000_000} MB; not a MicroExpression JSON")
        try:
            return cls.from_json(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ValueError(f"{p}: not a valid MicroExpression JSON: {exc}") from exc

    @classmethod
    def from_tracks(
        cls,
        tracks: Mapping[str, Sequence[float] | np.ndarray],
        fps: float,
        **kwargs: Any,
    ) -> MicroExpression:
        """Build from per-AU tracks; onset/apex/offset default to the first/peak/last active frames."""
        names = tuple(tracks)
        act = np.stack([np.asarray(tracks[n], dtype=np.float64) for n in names], axis=1)
        if "apex" not in kwargs:
            energy = act.sum(axis=1)
            kwargs.setdefault("apex", int(np.argmax(energy)))
            active = np.flatnonzero(energy > 0.1 * energy.max()) if energy.max() > 0 else np.array([0])
            kwargs.setdefault("onset", int(min(active[0], kwargs["apex"])))
            kwargs.setdefault("offset", int(max(active[-1], kwargs["apex"])))
        kwargs.setdefault("emotion_probs", {})
        return cls(fps=fps, au_names=names, activations=act, **kwargs)
