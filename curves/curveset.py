"""The ``CurveSet`` contract between ``curves`` (which produces it) and the Unreal plugin (which writes it).

A CurveSet is everything the asset writer needs: the frame rate and length of the AnimSequence, and for
each rig curve (e.g. ``CTRL_expressions_mouthCornerPullL``) the keys to hand to
``AnimDataController.set_curve_keys`` as ``RichCurveKey(RCIM_CUBIC, RCTM_AUTO, time, value)``. Unreal
recomputes auto tangents from those keys; the keys were chosen so that its curve reproduces the target.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from curves.atomic import atomic_write_text
from curves.reading import read_text
from curves.rules import check_fps, check_frame_count

__all__ = ["FORMAT", "INTERP_MODES", "MAX_JSON_BYTES", "TANGENT_MODES", "CurveKeys", "CurveSet"]

FORMAT = "microexpr-anim/curve-set@1"
INTERP_MODES = ("RCIM_Cubic", "RCIM_Linear", "RCIM_Constant")
#: The largest CurveSet JSON read (bytes).
MAX_JSON_BYTES = 256_000_000
TANGENT_MODES = ("RCTM_Auto", "RCTM_SmartAuto", "RCTM_User", "RCTM_Break", "RCTM_None")


@dataclass(frozen=True, eq=False)
class CurveKeys:
    """Keys of one rig curve.

    Attributes:
        name: rig curve name as the skeleton spells it.
        times: key times in seconds, strictly increasing, shape ``(K,)``.
        values: key values, shape ``(K,)``.
        interp: interpolation mode of every key (Unreal spelling, ``RCIM_Cubic``).
        tangent: tangent mode of every key (``RCTM_Auto``).
        source_aus: the AUs that drive this curve.
        mapping_rows: names of the rig-table rows that produced it.
        max_error, rms_error: replay error of the keys against the target track (through the
            FRichCurve emulator), in curve units; NaN when unknown.
    """

    name: str
    times: np.ndarray
    values: np.ndarray
    interp: str = "RCIM_Cubic"
    tangent: str = "RCTM_Auto"
    source_aus: tuple[str, ...] = ()
    mapping_rows: tuple[str, ...] = ()
    max_error: float = float("nan")
    rms_error: float = float("nan")

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("curve name is empty")
        t = np.asarray(self.times, dtype=np.float64).reshape(-1)
        v = np.asarray(self.values, dtype=np.float64).reshape(-1)
        if t.shape != v.shape:
            raise ValueError(f"curve {self.name}: {t.size} times but {v.size} values")
        if t.size == 0:
            raise ValueError(f"curve {self.name} has no keys")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(v))):
            raise ValueError(f"curve {self.name}: key times/values contain NaN or inf")
        if np.any(np.diff(t) <= 0):
            raise ValueError(f"curve {self.name}: key times must be strictly increasing")
        if self.interp not in INTERP_MODES:
            raise ValueError(f"curve {self.name}: interp {self.interp!r} not one of {INTERP_MODES}")
        if self.tangent not in TANGENT_MODES:
            raise ValueError(f"curve {self.name}: tangent {self.tangent!r} not one of {TANGENT_MODES}")
        t.setflags(write=False)
        v.setflags(write=False)
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "source_aus", tuple(self.source_aus))
        object.__setattr__(self, "mapping_rows", tuple(self.mapping_rows))

    @property
    def n_keys(self) -> int:
        return int(self.times.size)

    def to_dict(self) -> dict[str, Any]:
        def _num(x: float) -> float | None:
            return None if math.isnan(x) else float(x)

        return {
            "name": self.name,
            "interp": self.interp,
            "tangent": self.tangent,
            "keys": [
                [round(float(t), 9), round(float(v), 9)] for t, v in zip(self.times, self.values, strict=True)
            ],
            "source_aus": list(self.source_aus),
            "mapping_rows": list(self.mapping_rows),
            "max_error": _num(self.max_error),
            "rms_error": _num(self.rms_error),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CurveKeys:
        keys = np.asarray(data["keys"], dtype=np.float64).reshape(-1, 2)
        return cls(
            name=str(data["name"]),
            times=keys[:, 0],
            values=keys[:, 1],
            interp=data.get("interp", "RCIM_Cubic"),
            tangent=data.get("tangent", "RCTM_Auto"),
            source_aus=tuple(data.get("source_aus", ())),
            mapping_rows=tuple(data.get("mapping_rows", ())),
            max_error=float("nan") if data.get("max_error") is None else float(data["max_error"]),
            rms_error=float("nan") if data.get("rms_error") is None else float(data["rms_error"]),
        )


@dataclass(frozen=True, eq=False)
class CurveSet:
    """All rig curves of one micro-expression animation.

    Attributes:
        fps: frame rate of the AnimSequence (the source clip's, unless resampled).
        n_frames: number of sampled frames; the animation lasts ``(n_frames - 1) / fps`` seconds and
            every key time lies in ``[0, duration]``.
        curves: one :class:`CurveKeys` per rig curve, names unique.
        settings: everything used to make it (rig table, emotion, intensity, tolerance, seed, model...).
        source: where it came from (clip path, MicroExpression JSON, OpenFace CSV).
    """

    fps: float
    n_frames: int
    curves: tuple[CurveKeys, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fps", check_fps(self.fps))
        object.__setattr__(self, "n_frames", check_frame_count(self.n_frames))
        curves = tuple(self.curves)
        names = [c.name for c in curves]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate curve names in CurveSet: {dupes}")
        end = self.duration + 1e-6
        for c in curves:
            if c.times[0] < -1e-9 or c.times[-1] > end:
                raise ValueError(
                    f"curve {c.name}: keys span [{c.times[0]:.4f}, {c.times[-1]:.4f}] s, outside the "
                    f"animation's [0, {self.duration:.4f}] s"
                )
        object.__setattr__(self, "curves", curves)
        object.__setattr__(self, "settings", dict(self.settings))

    @property
    def duration(self) -> float:
        return (self.n_frames - 1) / self.fps

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.curves]

    def curve(self, name: str) -> CurveKeys:
        for c in self.curves:
            if c.name == name:
                return c
        raise KeyError(f"no curve named {name!r}; curves: {self.names}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "fps": self.fps,
            "n_frames": self.n_frames,
            "duration": self.duration,
            "source": self.source,
            "settings": dict(self.settings),
            "curves": [c.to_dict() for c in self.curves],
        }

    def to_json(self, *, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CurveSet:
        if not isinstance(data, Mapping):
            raise ValueError(f"a CurveSet document is a JSON object, not {type(data).__name__}")
        fmt = data.get("format", FORMAT)
        if not str(fmt).startswith("microexpr-anim/curve-set@"):
            raise ValueError(f"not a CurveSet document (format {fmt!r})")
        return cls(
            fps=data["fps"],
            n_frames=data["n_frames"],
            curves=tuple(CurveKeys.from_dict(c) for c in data.get("curves", ())),
            settings=data.get("settings", {}),
            source=data.get("source", ""),
        )

    @classmethod
    def from_json(cls, text: str) -> CurveSet:
        return cls.from_dict(json.loads(text))

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        return atomic_write_text(path, self.to_json(), overwrite=overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CurveSet:
        p = Path(path)
        text = read_text(p, kind="CurveSet JSON", max_bytes=MAX_JSON_BYTES)
        try:
            return cls.from_json(text)
        except (json.JSONDecodeError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ValueError(f"{p}: not a valid CurveSet JSON: {exc}") from exc
