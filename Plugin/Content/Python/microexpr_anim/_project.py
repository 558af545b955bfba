"""The project's ``curves`` and ``ml`` packages, imported when first needed.

They are looked up at run time (``importlib``) rather than imported statically: the editor may not have
them on ``sys.path`` until the user installs them (see Plugin/README.md), and a missing package should
give one clear message instead of breaking the menu. Objects coming back are typed by the small
protocols the plugin relies on.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, cast

from microexpr_anim.errors import MicroExprPluginError

__all__ = [
    "CurveKeysObj",
    "CurveSetObj",
    "MicroExpressionObj",
    "RigCoverageObj",
    "RigRowObj",
    "RigTableObj",
    "atomic_write_text",
    "coded_aus",
    "curve_set",
    "evaluate_keys",
    "generated_curvesets",
    "layer_curveset",
    "load_rig_table",
    "load_tracks",
    "make_curvesets",
    "micro_expression_from_json",
    "parse_rig_records",
    "project_module",
    "rig_coverage",
]


class MicroExpressionObj(Protocol):
    """What the plugin reads from ``curves.MicroExpression``."""

    @property
    def source(self) -> str: ...
    @property
    def fps(self) -> float: ...
    @property
    def extra(self) -> Mapping[str, Any]: ...


class CurveKeysObj(Protocol):
    """What the plugin reads from ``curves.CurveKeys``."""

    @property
    def name(self) -> str: ...
    @property
    def times(self) -> Any: ...
    @property
    def values(self) -> Any: ...
    @property
    def interp(self) -> str: ...
    @property
    def tangent(self) -> str: ...


class CurveSetObj(Protocol):
    """What the plugin reads from ``curves.CurveSet``."""

    @property
    def fps(self) -> float: ...
    @property
    def n_frames(self) -> int: ...
    @property
    def curves(self) -> tuple[CurveKeysObj, ...]: ...
    @property
    def names(self) -> list[str]: ...
    @property
    def duration(self) -> float: ...
    @property
    def settings(self) -> Any: ...
    @property
    def source(self) -> str: ...


class RigRowObj(Protocol):
    """What the plugin reads from ``curves.rigmap.RigRow``."""

    @property
    def name(self) -> str: ...
    @property
    def au(self) -> str: ...
    @property
    def curve(self) -> str: ...


class RigTableObj(Protocol):
    """What the plugin reads from ``curves.rigmap.RigTable`` (``make_curvesets(rig=...)`` takes it as is)."""

    @property
    def rows(self) -> tuple[RigRowObj, ...]: ...
    @property
    def source(self) -> str: ...
    @property
    def curves(self) -> list[str]: ...
    def with_curve_names(self, spelling: Mapping[str, str]) -> RigTableObj: ...


class RigCoverageObj(Protocol):
    """What the plugin reads from ``curves.coverage.RigCoverage``."""

    @property
    def shown(self) -> tuple[str, ...]: ...
    def summary_line(self) -> str: ...
    def lines(self) -> list[str]: ...


def project_module(name: str) -> ModuleType:
    """Import ``curves.*``/``ml.*``; raise a clear error when the package is not on Unreal's sys.path."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise MicroExprPluginError(
                f"the Python package {exc.name!r} (microexpr-anim) is not importable in Unreal's Python; "
                "install it into the plugin as Plugin/README.md says ('Install', step 2)"
            ) from exc
        raise


def clip_extensions() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``curves.rules``' (image, video) file extensions: what the clip reader accepts."""
    rules = project_module("curves.rules")
    return tuple(rules.IMAGE_EXTENSIONS), tuple(rules.VIDEO_EXTENSIONS)


def parse_event_choice(choice: str | int) -> str | int:
    """``curves.pieces.parse_choice``: ``auto``, ``take``, ``strongest``, ``all`` or an event number."""
    return cast("str | int", project_module("curves.pieces").parse_choice(choice))


def choose_pieces(me: MicroExpressionObj, choice: str | int) -> list[tuple[str, MicroExpressionObj]]:
    """``curves.pieces.choose_pieces``: the (label, tracks) of each asset to make from a take."""
    return cast(
        "list[tuple[str, MicroExpressionObj]]", project_module("curves.pieces").choose_pieces(me, choice)
    )


def check_fps(fps: object, *, what: str = "fps") -> float:
    """``curves.rules.check_fps``: the one frame-rate rule (ValueError naming ``what``)."""
    return float(project_module("curves.rules").check_fps(fps, what=what))


def check_intensity(intensity: object, *, what: str = "intensity") -> float:
    """``curves.rules.check_intensity``: an intensity lies in [0, 1] (ValueError naming ``what``)."""
    return float(project_module("curves.rules").check_intensity(intensity, what=what))


def load_tracks(path: str | Path, *, fps: float | None = None) -> MicroExpressionObj:
    """``curves.pipeline.load_tracks``: MicroExpression JSON, OpenFace or py-feat CSV."""
    return cast(MicroExpressionObj, project_module("curves.pipeline").load_tracks(path, fps=fps))


def parse_rig_records(records: Iterable[Mapping[str, object]], source: str) -> RigTableObj:
    """``curves.rigmap.parse_rig_records``, the one rig-table rule (ValueError names the table, row)."""
    return cast(RigTableObj, project_module("curves.rigmap").parse_rig_records(records, source))


def load_rig_table(path: str | Path) -> RigTableObj:
    """``curves.rigmap.load_rig_table``: a rig CSV file (ValueError names the file and line)."""
    return cast(RigTableObj, project_module("curves.rigmap").load_rig_table(path))


def micro_expression_from_json(text: str) -> MicroExpressionObj:
    """``curves.MicroExpression.from_json``."""
    return cast(MicroExpressionObj, project_module("curves.microexpression").MicroExpression.from_json(text))


def analyze(clip: Path, *, weights: str | None, device: str | None, fps: float | None) -> MicroExpressionObj:
    """``ml.analyze.analyze`` (needs torch); ``fps`` is required for a folder of frames."""
    analysis = project_module("ml.analyze")
    return cast(MicroExpressionObj, analysis.analyze(clip, weights=weights, device=device, fps=fps))


def make_curvesets(me: MicroExpressionObj, **kwargs: Any) -> list[CurveSetObj]:
    """``curves.pipeline.make_curvesets``."""
    return list(project_module("curves.pipeline").make_curvesets(me, **kwargs))


def layer_curveset(
    base: CurveSetObj, micro: CurveSetObj, at_time: float, *, regions: str = "all", duck_mouth: bool = True
) -> CurveSetObj:
    """``curves.layering.layer_curveset``."""
    layering = project_module("curves.layering")
    return cast(
        CurveSetObj, layering.layer_curveset(base, micro, at_time, regions=regions, duck_mouth=duck_mouth)
    )


def rig_coverage(table: RigTableObj, *, skeleton_curves: Iterable[str] | None = None) -> RigCoverageObj:
    """``curves.coverage.rig_coverage`` with the coded micro-expressions' AU sets for the share figure."""
    stats = project_module("curves.generate").load_statistics()
    sets = [combo for combos in stats.combos.values() for combo in combos]
    coverage = project_module("curves.coverage").rig_coverage(
        table, skeleton_curves=skeleton_curves, au_sets=sets
    )
    return cast(RigCoverageObj, coverage)


def coded_aus(emotion: str) -> set[str]:
    """The AUs the coding sheets code on micro-expressions of ``emotion`` (a name or alias)."""
    profile = project_module("curves.emotion").resolve_emotion(
        emotion, project_module("curves.emotion").load_profiles()
    )
    combos = project_module("curves.generate").load_statistics().combos.get(profile.name, ())
    return {str(au) for combo, _ in combos for au in combo}


def generated_curvesets(
    emotion: str, count: int, seed: int, *, fps: float, rig: RigTableObj
) -> list[CurveSetObj]:
    """``curves.generate``: ``count`` micro-expressions of ``emotion`` drawn among the AUs ``rig`` shows,
    each as a CurveSet with its AU list and timing in ``settings["generated"]``."""
    gen = project_module("curves.generate")
    expressions = gen.generate_expressions(emotion, count, seed, fps=fps, within=rig_coverage(rig).shown)
    return [cast(CurveSetObj, gen.build_generated(g, rig=rig).curveset) for g in expressions]


def evaluate_keys(times: Sequence[float], values: Sequence[float], at: Sequence[float]) -> list[float]:
    """``curves.richcurve.evaluate``: the curve Unreal builds from cubic/auto keys, sampled at ``at``."""
    out = project_module("curves.richcurve").evaluate(list(times), list(values), list(at))
    return [float(v) for v in out]


def curve_set(
    fps: float,
    n_frames: int,
    curves: list[tuple[str, list[float], list[float]]] | tuple[CurveKeysObj, ...],
    **kw: Any,
) -> CurveSetObj:
    """A ``curves.CurveSet`` from ``(name, times, values)`` triples or existing CurveKeys."""
    mod = project_module("curves.curveset")
    keys = tuple(
        mod.CurveKeys(name=c[0], times=c[1], values=c[2]) if isinstance(c, tuple) else c for c in curves
    )
    return cast(CurveSetObj, mod.CurveSet(fps=fps, n_frames=n_frames, curves=keys, **kw))


def atomic_write_text(path: Path, text: str, *, overwrite: bool) -> Path:
    """``curves.atomic.atomic_write_text``."""
    return Path(project_module("curves.atomic").atomic_write_text(path, text, overwrite=overwrite))
