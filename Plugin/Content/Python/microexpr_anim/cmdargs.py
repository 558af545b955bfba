"""Arguments of the batch commandlet (``-run=MicroExprAnim -clips=DIR -dest=/Game/...``), pure Python.

The C++ commandlet hands its whole command line to :func:`parse_commandlet_args`, so the rules live here
where they can be tested: switches are ``-key=value`` or ``-flag`` (case-insensitive, like Unreal's
``FParse``); values may be double-quoted (``-clips="D:/My Clips"``); backslashes are kept as they are
(Windows paths). Words without a dash (the project path) and the engine's own switches
(:data:`ENGINE_SWITCHES`: ``-unattended``, ``-nullrhi``, ``-run=...``, ``-ini:...``) are passed over; any
other switch is refused with the list of known ones, so a misspelling (``-ovewrite``, ``-rigg=``) stops
the run instead of being silently ignored.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from microexpr_anim import _project

__all__ = ["ENGINE_SWITCHES", "USAGE", "BatchArgs", "parse_commandlet_args", "split_command_line"]

USAGE = (
    "UnrealEditor-Cmd <Project.uproject> -run=MicroExprAnim -clips=<folder> -dest=/Game/<folder> "
    "[-rig=metahuman|arkit|/Game/Path/DT_Table|table.csv] [-skeleton=/Game/Path/Skeleton] "
    "[-fps=<frames per second>] [-events=auto|take|strongest|all|<n>] [-emotion=<name>] "
    "[-intensity=<0..1>] [-variants=<n>] [-seed=<n>] "
    "[-report=<file.json>] "
    "[-model=auto|in_process|external] [-python=<python.exe>] [-weights=<file>] [-overwrite] "
    "[-skipcurvecheck] "
    "-unattended -nullrhi"
)

_VALUE_KEYS = (
    "clips",
    "dest",
    "rig",
    "skeleton",
    "fps",
    "events",
    "emotion",
    "intensity",
    "variants",
    "seed",
    "report",
    "model",
    "python",
    "weights",
)
_FLAG_KEYS = ("overwrite", "skipcurvecheck")
_MODEL_MODES = ("auto", "in_process", "external")
#: Switches of the engine itself that reach the commandlet's command line; passed over.
ENGINE_SWITCHES = (
    "run",
    "project",
    "unattended",
    "nullrhi",
    "nosplash",
    "nop4",
    "nosourcecontrol",
    "stdout",
    "fullstdoutlogoutput",
    "allowstdoutlogverbosity",
    "utf8output",
    "nologtimes",
    "log",
    "abslog",
    "logcmds",
    "execcmds",
    "dpcvars",
    "disablepipinstall",
    "forcepipinstalloninit",
    "enablepython",
    "forceenablepython",
    "buildmachine",
    "crashforuat",
    "nocrashreports",
    "silent",
    "nopause",
    "noshadercompile",
    "ddc",
    "multiprocess",
    "messaging",
    "installed",
    "notimeouts",
    "nosound",
    "culture",
    "ansimalloc",
    "stompmalloc",
    "trace",
    "tracehost",
    "tracefile",
)
#: Engine switches with their own syntax (``-ini:Engine:[Core.Log]:LogPython=Verbose``) start with this.
_INI_PREFIX = "ini:"


def _is_engine_switch(key: str) -> bool:
    return key in ENGINE_SWITCHES or key.startswith(_INI_PREFIX)


def _unknown_switch(token: str, key: str) -> ValueError:
    ours = (*_VALUE_KEYS, *_FLAG_KEYS)
    close = difflib.get_close_matches(key, ours, n=1, cutoff=0.6)
    hint = f" (did you mean -{close[0]}?)" if close else ""
    known = ", ".join([f"-{k}=" for k in _VALUE_KEYS] + [f"-{k}" for k in _FLAG_KEYS])
    return ValueError(f"unknown switch {token!r}{hint}; the known switches are {known}; usage: {USAGE}")


@dataclass(frozen=True)
class BatchArgs:
    """Parsed batch options (see :data:`USAGE`)."""

    clips: str
    dest: str
    rig: str = "metahuman"
    skeleton: str | None = None
    fps: float | None = None
    events: str | int = "auto"
    emotion: str | None = None
    intensity: float = 1.0
    variants: int = 1
    seed: int = 0
    report: str | None = None
    model: str | None = None
    python: str | None = None
    weights: str | None = None
    overwrite: bool = False
    check_skeleton: bool = True
    ignored: tuple[str, ...] = ()


def split_command_line(text: str) -> list[str]:
    """Split a command line on whitespace outside double quotes; quotes are removed, backslashes kept.

    >>> split_command_line('-clips="D:/My Clips" -overwrite')
    ['-clips=D:/My Clips', '-overwrite']
    """
    tokens: list[str] = []
    current: list[str] = []
    in_quotes = False
    started = False
    for ch in text:
        if ch == '"':
            in_quotes = not in_quotes
            started = True
        elif ch.isspace() and not in_quotes:
            if started:
                tokens.append("".join(current))
                current = []
                started = False
        else:
            current.append(ch)
            started = True
    if in_quotes:
        raise ValueError(f"unbalanced double quote in command line: {text!r}")
    if started:
        tokens.append("".join(current))
    return tokens


def _number(key: str, raw: str, kind: type[int] | type[float]) -> float:
    try:
        value = float(kind(raw))
    except ValueError:
        raise ValueError(
            f"-{key}={raw!r} is not a {'whole ' if kind is int else ''}number; usage: {USAGE}"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"-{key}={raw!r} must be finite")
    return value


def parse_commandlet_args(params: str | Sequence[str]) -> BatchArgs:
    """Parse the commandlet's parameters.

    Args:
        params: the raw parameter string Unreal passes to ``UCommandlet::Main``, or a list of tokens
            (``sys.argv[1:]`` of the ``-run=pythonscript`` entry).

    Returns:
        The options; the tokens passed over (engine switches and the project path) are in ``ignored``.

    Raises:
        ValueError: an unknown switch (with the known ones, and the closest as "did you mean"),
            ``-clips`` or ``-dest`` missing or empty, a number that does not parse, a value out of range,
            or a value switch given without ``=value``.
    """
    tokens = split_command_line(params) if isinstance(params, str) else list(params)
    values: dict[str, str] = {}
    flags: set[str] = set()
    ignored: list[str] = []
    for token in tokens:
        if not token.startswith("-"):
            ignored.append(token)
            continue
        body = token.lstrip("-")
        key, eq, value = body.partition("=")
        key = key.lower()
        if key in _VALUE_KEYS:
            if not eq:
                raise ValueError(f"{token!r} needs a value (-{key}=...); usage: {USAGE}")
            values[key] = value.strip()
        elif key in _FLAG_KEYS and not eq:
            flags.add(key)
        elif key in _FLAG_KEYS:
            if value.strip().lower() in ("1", "true", "yes", "on"):
                flags.add(key)
            elif value.strip().lower() not in ("0", "false", "no", "off"):
                raise ValueError(f"{token!r}: expected true or false")
        elif _is_engine_switch(key):
            ignored.append(token)
        else:
            raise _unknown_switch(token, key)
    for required in ("clips", "dest"):
        if not values.get(required):
            raise ValueError(f"missing -{required}=...; usage: {USAGE}")
    intensity = _number("intensity", values["intensity"], float) if "intensity" in values else 1.0
    _project.check_intensity(intensity, what="-intensity")
    variants = int(_number("variants", values["variants"], int)) if "variants" in values else 1
    if variants < 1:
        raise ValueError(f"-variants must be >= 1, got {variants}")
    seed = int(_number("seed", values["seed"], int)) if "seed" in values else 0
    fps = _number("fps", values["fps"], float) if values.get("fps") else None
    if fps is not None:
        _project.check_fps(fps, what="-fps")
    events = _project.parse_event_choice(values.get("events") or "auto") if "events" in values else "auto"
    model = values.get("model") or None
    if model is not None and model.lower() not in _MODEL_MODES:
        raise ValueError(f"-model={model!r} is not one of {', '.join(_MODEL_MODES)}")
    return BatchArgs(
        clips=values["clips"],
        dest=values["dest"],
        rig=values.get("rig") or "metahuman",
        skeleton=values.get("skeleton") or None,
        fps=fps,
        events=events,
        emotion=values.get("emotion") or None,
        intensity=intensity,
        variants=variants,
        seed=seed,
        report=values.get("report") or None,
        model=model.lower() if model else None,
        python=values.get("python") or None,
        weights=values.get("weights") or None,
        overwrite="overwrite" in flags,
        check_skeleton="skipcurvecheck" not in flags,
        ignored=tuple(ignored),
    )
