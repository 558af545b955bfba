"""Write a ``CurveSet`` into an AnimSequence through the animation data controller.

The flow (UE 5.3+): ``AnimSequenceFactory`` with the target skeleton -> ``AssetTools.create_asset`` ->
``seq.controller``: ``open_bracket``, ``set_frame_rate``, ``set_number_of_frames``, then per rig curve
``add_curve`` and ``set_curve_keys`` with ``RichCurveKey(RCIM_CUBIC, RCTM_AUTO, time, value)``, and
``close_bracket``; the asset is saved only when every curve is in. Unreal recomputes the auto tangents
from the keys (Python cannot set tangents), which is what the CurveSet's keys were chosen for.
``AnimationLibrary.add_float_curve_keys`` is not used: it writes linear keys, one transaction per key.

Safety: an existing asset is never replaced unless ``overwrite``; then the new animation is built under a
temporary name first and swapped in (editor delete + rename) only once it is complete. On any error the
half-made asset is deleted and :class:`AssetWriteError` says what failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Protocol

import unreal

from microexpr_anim.errors import AssetExistsError, AssetWriteError

__all__ = [
    "CurveKeysLike",
    "CurveSetLike",
    "build_anim_asset",
    "frame_rate_fraction",
    "make_rich_curve_keys",
    "write_curves_into",
    "write_new_anim_sequence",
]

LOG = logging.getLogger(__name__)

#: ``EAnimAssetCurveFlags::AACF_Editable``, the controller's default flag for a new curve.
CURVE_FLAG_EDITABLE = 4
_TEMP_SUFFIX = "__MicroExprTmp"


class CurveKeysLike(Protocol):
    """What the writer reads from ``curves.CurveKeys``."""

    @property
    def name(self) -> str: ...
    @property
    def times(self) -> Iterable[float]: ...
    @property
    def values(self) -> Iterable[float]: ...
    @property
    def interp(self) -> str: ...
    @property
    def tangent(self) -> str: ...


class CurveSetLike(Protocol):
    """What the writer reads from ``curves.CurveSet``."""

    @property
    def fps(self) -> float: ...
    @property
    def n_frames(self) -> int: ...
    @property
    def curves(self) -> Sequence[CurveKeysLike]: ...


def frame_rate_fraction(fps: float) -> tuple[int, int]:
    """Exact ``FFrameRate`` numerator/denominator for ``fps`` (NTSC rates as ``N*1000/1001``).

    >>> frame_rate_fraction(200.0), frame_rate_fraction(29.97)
    ((200, 1), (30000, 1001))
    """
    if not fps > 0:
        raise ValueError(f"frame rate must be > 0, got {fps!r}")
    for base in (24, 30, 48, 60, 120, 240):
        if abs(fps - base * 1000 / 1001) < 5e-3:
            return base * 1000, 1001
    frac = Fraction(fps).limit_denominator(1001)
    return frac.numerator, frac.denominator


def _interp_mode(name: str) -> unreal.RichCurveInterpMode:
    modes = {
        "RCIM_Cubic": unreal.RichCurveInterpMode.RCIM_CUBIC,
        "RCIM_Linear": unreal.RichCurveInterpMode.RCIM_LINEAR,
        "RCIM_Constant": unreal.RichCurveInterpMode.RCIM_CONSTANT,
    }
    if name not in modes:
        raise AssetWriteError(f"unknown interpolation mode {name!r}; expected one of {sorted(modes)}")
    return modes[name]


def _tangent_mode(name: str) -> unreal.RichCurveTangentMode:
    modes = {
        "RCTM_Auto": unreal.RichCurveTangentMode.RCTM_AUTO,
        "RCTM_SmartAuto": unreal.RichCurveTangentMode.RCTM_SMART_AUTO,
        "RCTM_User": unreal.RichCurveTangentMode.RCTM_USER,
        "RCTM_Break": unreal.RichCurveTangentMode.RCTM_BREAK,
    }
    if name not in modes:
        raise AssetWriteError(f"unknown tangent mode {name!r}; expected one of {sorted(modes)}")
    return modes[name]


def make_rich_curve_keys(curve: CurveKeysLike) -> list[unreal.RichCurveKey]:
    """``RichCurveKey`` list for one curve (cubic/auto unless the CurveKeys says otherwise)."""
    interp = _interp_mode(curve.interp)
    tangent = _tangent_mode(curve.tangent)
    return [
        unreal.RichCurveKey(interp_mode=interp, tangent_mode=tangent, time=float(t), value=float(v))
        for t, v in zip(curve.times, curve.values, strict=True)
    ]


def _curve_id(name: str) -> unreal.AnimationCurveIdentifier:
    cid = unreal.AnimationCurveIdentifier()
    cid.set_curve_identifier(name, unreal.RawCurveTrackTypes.RCT_FLOAT)
    return cid


def write_curves_into(
    seq: unreal.AnimSequence,
    cs: CurveSetLike,
    *,
    set_timing: bool = True,
    replace_curves: bool = False,
    title: str = "MicroExprAnim: write curves",
) -> None:
    """Write every curve of ``cs`` into ``seq`` inside one controller bracket (one undo step).

    Args:
        seq: the AnimSequence to edit.
        cs: the curves (``curves.CurveSet``).
        set_timing: set the frame rate to ``cs.fps`` and the length to ``cs.n_frames - 1`` frame
            intervals (a new asset); False keeps the sequence's own timing (layering onto a copy).
        replace_curves: remove a curve of the same name first (layering onto a copy).

    Raises:
        AssetWriteError: the controller refused a curve or its keys (names the curve).
    """
    controller = seq.controller
    controller.open_bracket(title, True)
    try:
        if set_timing:
            num, den = frame_rate_fraction(cs.fps)
            controller.set_frame_rate(unreal.FrameRate(num, den), True)
            controller.set_number_of_frames(unreal.FrameNumber(max(1, int(cs.n_frames) - 1)), True)
        for curve in cs.curves:
            cid = _curve_id(curve.name)
            if replace_curves and unreal.AnimationLibrary.does_curve_exist(
                seq, curve.name, unreal.RawCurveTrackTypes.RCT_FLOAT
            ):
                controller.remove_curve(cid, True)
            if not controller.add_curve(cid, CURVE_FLAG_EDITABLE, True):
                raise AssetWriteError(f"the animation controller refused to add curve {curve.name!r}")
            if not controller.set_curve_keys(cid, make_rich_curve_keys(curve), True):
                raise AssetWriteError(f"the animation controller refused the keys of curve {curve.name!r}")
    finally:
        controller.close_bracket(True)


def _delete_quietly(asset: unreal.Object | None, path: str) -> None:
    try:
        if asset is not None:
            unreal.EditorAssetLibrary.delete_loaded_asset(asset)
        elif unreal.EditorAssetLibrary.does_asset_exist(path):
            unreal.EditorAssetLibrary.delete_asset(path)
    except Exception:  # cleanup must not hide the original error
        LOG.exception("could not delete half-made asset %s", path)


def _swap_into_place(seq: unreal.AnimSequence, final_path: str) -> None:
    """Replace the asset at ``final_path`` by ``seq`` through the editor's delete and rename."""
    lib = unreal.EditorAssetLibrary
    if not lib.delete_asset(final_path):
        raise AssetWriteError(
            f"could not delete the existing {final_path} to replace it (is it open, checked out by someone "
            "else or read-only?); nothing was changed"
        )
    if not lib.rename_loaded_asset(seq, final_path):
        raise AssetWriteError(f"could not move the new animation to {final_path}")


def build_anim_asset(
    package_path: str,
    asset_name: str,
    make: Callable[[str, str], unreal.Object | None],
    fill: Callable[[unreal.AnimSequence], None],
    *,
    overwrite: bool = False,
    what: str = "animation",
) -> unreal.AnimSequence:
    """Create an asset with ``make(name, folder)``, fill it, and save it, safely.

    An existing asset is refused unless ``overwrite``; with it, the new asset is built under a temporary
    name and swapped in only when complete. On error the half-made asset is deleted.

    Raises:
        AssetExistsError: the asset exists and ``overwrite`` is false (nothing is touched).
        AssetWriteError: creation, filling or saving failed (says which step).
    """
    lib = unreal.EditorAssetLibrary
    final_path = f"{package_path}/{asset_name}"
    exists = lib.does_asset_exist(final_path)
    if exists and not overwrite:
        raise AssetExistsError(f"{final_path} already exists; pass overwrite=True to replace it")
    build_name = asset_name + _TEMP_SUFFIX if exists else asset_name
    build_path = f"{package_path}/{build_name}"
    if exists and lib.does_asset_exist(build_path):
        _delete_quietly(None, build_path)  # left over by a crashed run
    created: unreal.Object | None = None
    step = f"creating {build_path}"
    try:
        with unreal.ScopedEditorTransaction(f"Generate micro-expression {asset_name}"):
            created = make(build_name, package_path)
            if created is None:
                raise AssetWriteError(f"the editor returned no asset for {build_path}")
            seq = unreal.AnimSequence.cast(created)
            step = f"writing the {what} into {build_path}"
            fill(seq)
            if exists:
                step = f"replacing {final_path}"
                _swap_into_place(seq, final_path)
            step = f"saving {final_path}"
            if not lib.save_loaded_asset(seq, False):
                raise AssetWriteError("the editor could not save it (read-only file or source control?)")
    except Exception as exc:
        _delete_quietly(created, build_path)
        detail = str(exc) if isinstance(exc, AssetWriteError) else f"{type(exc).__name__}: {exc}"
        raise AssetWriteError(f"{step} failed ({detail}); the half-made asset was deleted") from exc
    return seq


def write_new_anim_sequence(
    cs: CurveSetLike,
    skeleton: unreal.Skeleton,
    package_path: str,
    asset_name: str,
    *,
    overwrite: bool = False,
) -> unreal.AnimSequence:
    """Create ``package_path/asset_name`` as an AnimSequence of ``skeleton`` holding ``cs``, and save it.

    ``package_path`` and ``asset_name`` must already be validated (:mod:`microexpr_anim.naming`).

    Raises:
        AssetExistsError: the asset exists and ``overwrite`` is false (nothing is touched).
        AssetWriteError: creation, a curve, or saving failed; the half-made asset is deleted.
    """
    factory = unreal.AnimSequenceFactory()
    factory.target_skeleton = skeleton
    tools = unreal.AssetToolsHelpers.get_asset_tools()

    def make(name: str, folder: str) -> unreal.Object | None:
        return tools.create_asset(name, folder, unreal.AnimSequence, factory)

    def fill(seq: unreal.AnimSequence) -> None:
        write_curves_into(seq, cs, title=f"MicroExprAnim: {asset_name}")

    seq = build_anim_asset(
        package_path, asset_name, make, fill, overwrite=overwrite, what=f"{len(cs.curves)} curves"
    )
    LOG.info(
        "wrote %s/%s (%d curves, %.3f s at %g fps)",
        package_path,
        asset_name,
        len(cs.curves),
        (cs.n_frames - 1) / cs.fps,
        cs.fps,
    )
    return seq
