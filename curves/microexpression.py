"""The ``MicroExpression`` contract between ``ml`` (which produces it) and ``curves`` (which consumes it).

It lives here, in the numpy-only package, so that curves, the editor plugin and a separate Python
process can all read it without torch. It serialises to JSON (``python -m ml infer CLIP --json``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from curves.atomic import atomic_write_text
from curves.au import canonical_au
from curves.reading import read_text
from curves.rules import MAX_FRAMES, check_fps, is_whole

__all__ = ["EVENT_KINDS", "FORMAT", "MAX_JSON_BYTES", "MICRO_MAX_S", "ExpressionEvent", "MicroExpression"]

#: Identifies the JSON document; bump the suffix on an incompatible change.
FORMAT = "microexpr-anim/micro-expression@1"
#: The largest MicroExpression JSON read (bytes): an hour of 17 AU tracks at 60 fps is about 40 MB.
MAX_JSON_BYTES = 256_000_000


#: An expression lasting at most this long (onset to offset, seconds) is a micro-expression.
MICRO_MAX_S = 0.5
EVENT_KINDS = ("micro", "macro")


@dataclass(frozen=True)
class ExpressionEvent:
    """One expression in a take: when, how strong, which AUs, which emotion.

    ``onset``, ``apex`` and ``offset`` are frame indices of the take (offset inclusive); ``peak`` is the
    expression's strength at the apex in [0, 1]; ``kind`` is ``"micro"`` (at most :data:`MICRO_MAX_S`)
    or ``"macro"``; ``aus`` are the AUs active at the apex, strongest first; ``emotion`` is the
    best-fitting emotion (``"others"`` when none fits) and ``emotion_scores`` each emotion's fit in [0, 1].
    """

    onset: int
    apex: int
    offset: int
    peak: float
    duration_s: float
    kind: str
    aus: tuple[str, ...]
    emotion: str
    emotion_scores: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for label in ("onset", "apex", "offset"):
            value = getattr(self, label)
            if not (is_whole(value) or hasattr(value, "__index__")):
                raise ValueError(f"event {label} must be a frame index, got {value!r:.60}")
            object.__setattr__(self, label, int(value))
        if not 0 <= self.onset <= self.apex <= self.offset:
            raise ValueError(
                f"an event needs 0 <= onset <= apex <= offset, got {self.onset}, {self.apex}, {self.offset}"
            )
        peak, duration = float(self.peak), float(self.duration_s)
        if not (math.isfinite(peak) and 0.0 <= peak <= 1.0 + 1e-9):
            raise ValueError(f"an event's peak lies in [0, 1], got {self.peak!r}")
        if not (math.isfinite(duration) and duration >= 0):
            raise ValueError(f"an event's duration is seconds >= 0, got {self.duration_s!r}")
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"an event's kind is one of {EVENT_KINDS}, got {self.kind!r}")
        object.__setattr__(self, "peak", min(peak, 1.0))
        object.__setattr__(self, "duration_s", duration)
        object.__setattr__(self, "aus", tuple(canonical_au(a) for a in self.aus))
        object.__setattr__(self, "emotion", str(self.emotion).lower())
        scores = {str(k).lower(): float(v) for k, v in dict(self.emotion_scores).items()}
        object.__setattr__(self, "emotion_scores", scores)

    def shifted(self, frames: int) -> ExpressionEvent:
        """The same event with its frame indices moved by ``-frames`` (into a clip starting there)."""
        return replace(self, onset=self.onset - frames, apex=self.apex - frames, offset=self.offset - frames)

    def to_dict(self) -> dict[str, Any]:
        return {
            "onset": self.onset,
            "apex": self.apex,
            "offset": self.offset,
            "peak": self.peak,
            "duration_s": self.duration_s,
            "kind": self.kind,
            "aus": list(self.aus),
            "emotion": self.emotion,
            "emotion_scores": dict(self.emotion_scores),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExpressionEvent:
        if not isinstance(data, Mapping):
            raise ValueError(f"an event is a JSON object, not {type(data).__name__}")
        missing = [k for k in ("onset", "apex", "offset") if k not in data]
        if missing:
            raise ValueError(f"an event lacks {missing}")
        aus = data.get("aus", [])
        if not isinstance(aus, list):
            raise ValueError(f"an event's aus is a list of AU names, got {aus!r:.60}")
        scores = data.get("emotion_scores", {})
        if not isinstance(scores, Mapping):
            raise ValueError(f"an event's emotion_scores is an object, got {scores!r:.60}")
        return cls(
            onset=data["onset"],
            apex=data["apex"],
            offset=data["offset"],
            peak=data.get("peak", 1.0),
            duration_s=data.get("duration_s", 0.0),
            kind=data.get("kind", "micro"),
            aus=tuple(str(a) for a in aus),
            emotion=str(data.get("emotion", "")),
            emotion_scores=scores,
        )


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
        extra: anything else worth keeping (the face report, timings, ...).
        events: every expression found in the take, strongest first (frame indices of this clip); the
            onset, apex and offset above are the strongest's. Empty for a single detection.
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
    events: tuple[ExpressionEvent, ...] = ()

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
        events = tuple(self.events)
        for k, event in enumerate(events):
            if not isinstance(event, ExpressionEvent):
                raise ValueError(f"events[{k}] must be an ExpressionEvent, got {type(event).__name__}")
            if event.offset >= n:
                raise ValueError(f"events[{k}] ends at frame {event.offset}, past the last frame {n - 1}")
        object.__setattr__(self, "events", events)

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

    def event_clip(self, index: int = 0, *, pad_s: float = 0.15) -> MicroExpression:
        """Event ``index`` (0: the strongest) on its own: the tracks from its onset to its offset, with
        ``pad_s`` seconds of the take's own frames on either side (so the curves start and end at rest).

        Frame indices are those of the new clip; ``extra["window"]`` holds ``[start, stop)`` in this one.
        """
        if not self.events:
            raise ValueError(f"{self.source or 'this micro-expression'} lists no events to take one from")
        if not -len(self.events) <= index < len(self.events):
            raise ValueError(
                f"event {index} does not exist; there are {len(self.events)} (0 is the strongest)"
            )
        event = self.events[index]
        pad = max(0, round(pad_s * self.fps))
        start = max(0, event.onset - pad)
        stop = min(self.n_frames, event.offset + pad + 1)
        probs = dict(event.emotion_scores) or {event.emotion: 1.0}
        return MicroExpression(
            fps=self.fps,
            onset=event.onset - start,
            apex=event.apex - start,
            offset=event.offset - start,
            emotion_probs=probs,
            au_names=self.au_names,
            activations=self.activations[start:stop],
            model=self.model,
            model_version=self.model_version,
            au_probs=self.au_probs,
            source=self.source,
            extra={**dict(self.extra), "window": [start, stop], "event": index},
            events=(event.shifted(start),),
        )

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
            "events": [e.to_dict() for e in self.events],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | Sequence[Any]) -> MicroExpression:
        if isinstance(data, list):
            return cls._from_detections(data)
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
            events=tuple(ExpressionEvent.from_dict(e) for e in _event_list(data.get("events", []))),
        )

    @classmethod
    def _from_detections(cls, items: Sequence[Any]) -> MicroExpression:
        """One take from a list of detections over the same clip (the older ``infer --all`` output):
        the per-frame maximum of their tracks, each detection an event, the strongest first."""
        if not items:
            raise ValueError("an empty list holds no MicroExpression (the analysis found nothing)")
        found = sorted((cls.from_dict(item) for item in items), key=lambda m: -m.peak)
        first = found[0]
        for m in found:
            if (m.fps, m.n_frames, m.au_names) != (first.fps, first.n_frames, first.au_names):
                raise ValueError("a list of MicroExpressions must come from one clip (same fps, frames, AUs)")
        return replace(
            first,
            activations=np.max(np.stack([m.activations for m in found]), axis=0),
            events=tuple(m.as_event() for m in found),
        )

    @property
    def peak(self) -> float:
        """The largest activation at the apex."""
        return float(self.activations[self.apex].max(initial=0.0))

    def as_event(self, *, active: float = 0.1) -> ExpressionEvent:
        """This detection's onset, apex and offset as an event (AUs above ``active`` at the apex)."""
        duration = (self.offset - self.onset + 1) / self.fps
        at_apex = self.activations[self.apex]
        order = np.argsort(-at_apex)
        return ExpressionEvent(
            onset=self.onset,
            apex=self.apex,
            offset=self.offset,
            peak=self.peak,
            duration_s=duration,
            kind="micro" if duration <= MICRO_MAX_S else "macro",
            aus=tuple(self.au_names[i] for i in order if at_apex[i] > active),
            emotion=self.emotion or "others",
            emotion_scores=self.emotion_probs,
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
        text = read_text(p, kind="MicroExpression JSON", max_bytes=MAX_JSON_BYTES)
        try:
            return cls.from_json(text)
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


def _event_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"events must be a list of event objects, got {type(value).__name__}")
    return value
