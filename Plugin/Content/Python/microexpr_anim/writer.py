"""Write a ``CurveSet`` into an AnimSequence through the animation data controller.

The flow (UE 5.3+): ``AnimSequenceFactory`` with the target skeleton -> ``AssetTools.create_asset`` ->
``seq.controller``: ``open_bracket``, the frame rate, ``set_number_of_frames``, then per rig curve
``add_curve`` and ``set_curve_keys`` with ``RichCurveKey(RCIM_CUBIC, RCTM_AUTO, time, value)``, and
``close_bracket``; then the onset/apex/offset sync markers and the metadata tags
(:mod:`microexpr_anim.provenance`), and the save. Unreal recomputes the auto tangents from the keys
(Python cannot set tangents), which is what the CurveSet's keys were chosen for.
``AnimationLibrary.add_float_curve_keys`` is not used: it writes linear keys, one transaction per key.

Frame rate: the asset plays at the clip's own rate (200 fps for CASME II and SAMM, 100 for SMIC, 30000/1001
for 29.97), and keys sit at the source frames' times in seconds. The factory leaves a populated 30 fps
model, and ``SetFrameRate`` then only accepts a multiple or a factor of the current rate; so the rate goes
through the least common multiple of the two when they are not compatible (30 -> 600 -> 200,
30 -> 30000 -> 30000/1001, see :func:`frame_rate_path`), and the length is set after the final rate.

Overwrite: the existing asset is changed in place, never deleted: the same object, so every montage,
Sequencer track, blend space and Anim Blueprint that references it keeps its reference. Its float curves
are removed and the new ones written in one controller bracket (one undo step). Only an asset this plugin
made (its ``MicroExprAnim.Generator`` tag) is overwritten. Before the change its frame rate, length,
float curves, markers and tags are read; if anything then fails (a curve, the markers, the save) they are
written back, so the asset is as it was. (Python cannot read a key's interpolation mode; the restored
keys are cubic/auto, which is what this plugin writes.) Nothing is ever deleted while a transaction or a
bracket is open: only a new, half-made asset is deleted after a failure, outside any transaction.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import unreal

from microexpr_anim.errors import AssetExistsError, AssetWriteError
from microexpr_anim.layerkeys import WindowEdit
from microexpr_anim.provenance import GENERATOR_TAG, MARKER_TRACK, TAG_PREFIX, Provenance

__all__ = [
    "AnimInfo",
    "CurveKeysLike",
    "CurveSetLike",
    "anim_info",
    "frame_rate_fraction",
    "frame_rate_path",
    "make_rich_curve_keys",
    "overwritable_anim",
    "write_curves_into",
    "write_layered_copy",
    "write_new_anim_sequence",
]

LOG = logging.getLogger(__name__)

#: ``EAnimAssetCurveFlags::AACF_Editable``, the controller's default flag for a new curve.
CURVE_FLAG_EDITABLE = 4


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


@dataclass(frozen=True)
class AnimInfo:
    """An asset's timing as the engine reports it: ``FFrameRate`` and length in frames and seconds."""

    path: str
    rate: tuple[int, int]
    frames: int
    seconds: float

    @property
    def fps(self) -> float:
        return self.rate[0] / self.rate[1]

    def __str__(self) -> str:
        num, den = self.rate
        rate = f"{num} fps" if den == 1 else f"{num}/{den} fps ({num / den:.5g})"
        return f"{self.path}: {self.frames} frames at {rate} = {self.seconds:.4f} s"


def frame_rate_fraction(fps: float) -> tuple[int, int]:
    """Exact ``FFrameRate`` numerator/denominator for ``fps`` (NTSC rates as ``N*1000/1001``).

    >>> frame_rate_fraction(200.0), frame_rate_fraction(29.97)
    ((200, 1), (30000, 1001))
    """
    if not fps > 0 or not math.isfinite(fps):
        raise ValueError(f"frame rate must be > 0, got {fps!r}")
    for base in (24, 30, 48, 60, 120, 240):
        if abs(fps - base * 1000 / 1001) < 5e-3:
            return base * 1000, 1001
    frac = Fraction(fps).limit_denominator(1001)
    return frac.numerator, frac.denominator


def _compatible(a: Fraction, b: Fraction) -> bool:
    """``FFrameRate::IsMultipleOf || IsFactorOf``: one rate is a whole multiple of the other."""
    ratio = a / b
    return ratio.numerator == 1 or ratio.denominator == 1


def frame_rate_path(current: tuple[int, int], target: tuple[int, int]) -> list[tuple[int, int]]:
    """The rates to set, in order, to go from ``current`` to ``target`` on a populated model.

    ``SetFrameRate`` accepts a rate only when it is a multiple or a factor of the current one; otherwise
    the path goes through their least common multiple, which is a multiple of both.

    >>> frame_rate_path((30, 1), (200, 1)), frame_rate_path((30, 1), (30000, 1001))
    ([(600, 1), (200, 1)], [(30000, 1), (30000, 1001)])
    >>> frame_rate_path((30, 1), (60, 1)), frame_rate_path((30, 1), (30, 1))
    ([(60, 1)], [])
    """
    cur, tgt = Fraction(*current), Fraction(*target)
    if cur == tgt:
        return []
    if _compatible(cur, tgt):
        return [target]
    via = Fraction(math.lcm(cur.numerator, tgt.numerator), math.gcd(cur.denominator, tgt.denominator))
    return [(via.numerator, via.denominator), target]


def anim_info(seq: unreal.AnimSequence) -> AnimInfo:
    """Frame rate and length of ``seq`` as its data model reports them."""
    model = seq.data_model_interface
    rate = model.get_frame_rate()
    frames = int(model.get_number_of_frames())
    path = seq.get_path_name().rsplit(".", 1)[0]
    return AnimInfo(
        path, (rate.numerator, rate.denominator), frames, frames * rate.denominator / rate.numerator
    )


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


@dataclass(frozen=True)
class _Curve:
    """A curve as plain data (what the writer writes and what a snapshot holds)."""

    name: str
    times: tuple[float, ...]
    values: tuple[float, ...]
    interp: str = "RCIM_Cubic"
    tangent: str = "RCTM_Auto"


def _set_timing(seq: unreal.AnimSequence, rate: tuple[int, int], frames: int) -> None:
    """Inside an open bracket: reach ``rate`` through compatible rates, then set the length."""
    controller = seq.controller
    current = seq.data_model_interface.get_frame_rate()
    for num, den in frame_rate_path((current.numerator, current.denominator), rate):
        controller.set_frame_rate(unreal.FrameRate(num, den), True)
    controller.set_number_of_frames(unreal.FrameNumber(max(1, frames)), True)


def write_curves_into(
    seq: unreal.AnimSequence,
    curves: Iterable[CurveKeysLike],
    *,
    timing: tuple[tuple[int, int], int] | None = None,
    replace: str = "none",
    title: str = "MicroExprAnim: write curves",
) -> None:
    """Write curves into ``seq`` inside one controller bracket (one undo step).

    Args:
        seq: the AnimSequence to edit.
        curves: the curves (``curves.CurveKeys``).
        timing: ``((numerator, denominator), frames)`` to set first; None keeps the sequence's timing.
        replace: ``"all"`` removes every float curve first (overwriting an asset in place); ``"named"``
            removes a curve of the same name (layering onto a copy); ``"none"`` adds only.

    Raises:
        AssetWriteError: the controller refused the frame rate, a curve or its keys (names which).
    """
    controller = seq.controller
    controller.open_bracket(title, True)
    try:
        if replace == "all":
            controller.remove_all_curves_of_type(unreal.RawCurveTrackTypes.RCT_FLOAT, True)
        if timing is not None:
            try:
                _set_timing(seq, timing[0], timing[1])
            except Exception as exc:  # the engine reports an incompatible rate as a Python exception
                raise AssetWriteError(
                    f"the animation controller refused frame rate {timing[0]}: {exc}"
                ) from exc
        for curve in curves:
            cid = _curve_id(curve.name)
            if replace == "named" and unreal.AnimationLibrary.does_curve_exist(
                seq, curve.name, unreal.RawCurveTrackTypes.RCT_FLOAT
            ):
                controller.remove_curve(cid, True)
            if not controller.add_curve(cid, CURVE_FLAG_EDITABLE, True):
                raise AssetWriteError(f"the animation controller refused to add curve {curve.name!r}")
            if not controller.set_curve_keys(cid, make_rich_curve_keys(curve), True):
                raise AssetWriteError(f"the animation controller refused the keys of curve {curve.name!r}")
    finally:
        controller.close_bracket(True)


def _write_provenance(seq: unreal.AnimSequence, provenance: Provenance) -> None:
    """Replace the markers of :data:`MARKER_TRACK` and the ``MicroExprAnim.*`` tags."""
    lib = unreal.AnimationLibrary
    if not lib.is_valid_anim_notify_track_name(seq, MARKER_TRACK):
        lib.add_animation_notify_track(seq, MARKER_TRACK)
    lib.remove_animation_sync_markers_by_track(seq, MARKER_TRACK)
    for name, time in provenance.markers:
        lib.add_animation_sync_marker(seq, name, time, MARKER_TRACK)
    assets = unreal.EditorAssetLibrary
    for tag in assets.get_metadata_tag_values(seq):
        if str(tag).startswith(TAG_PREFIX):
            assets.remove_metadata_tag(seq, str(tag))
    for tag, value in provenance.tags:
        assets.set_metadata_tag(seq, tag, value)


@dataclass(frozen=True)
class _Snapshot:
    """What an in-place overwrite changes, read before the change so that a failure can undo it."""

    rate: tuple[int, int]
    frames: int
    curves: tuple[_Curve, ...]
    markers: tuple[tuple[str, float], ...]
    tags: tuple[tuple[str, str], ...]


def _snapshot(seq: unreal.AnimSequence) -> _Snapshot:
    info = anim_info(seq)
    lib = unreal.AnimationLibrary
    curves = []
    for name in lib.get_animation_curve_names(seq, unreal.RawCurveTrackTypes.RCT_FLOAT):
        times, values = lib.get_float_keys(seq, name)
        curves.append(_Curve(str(name), tuple(float(t) for t in times), tuple(float(v) for v in values)))
    markers: tuple[tuple[str, float], ...] = ()
    if lib.is_valid_anim_notify_track_name(seq, MARKER_TRACK):
        markers = tuple(
            (str(m.marker_name), float(m.time))
            for m in lib.get_animation_sync_markers_for_track(seq, MARKER_TRACK)
        )
    tags = tuple(
        (str(k), str(v))
        for k, v in unreal.EditorAssetLibrary.get_metadata_tag_values(seq).items()
        if str(k).startswith(TAG_PREFIX)
    )
    return _Snapshot(info.rate, info.frames, tuple(curves), markers, tags)


def _restore(seq: unreal.AnimSequence, snap: _Snapshot) -> None:
    write_curves_into(
        seq,
        snap.curves,
        timing=(snap.rate, snap.frames),
        replace="all",
        title="MicroExprAnim: restore after a failure",
    )
    _write_provenance(seq, Provenance(markers=snap.markers, tags=snap.tags))


def _save(seq: unreal.AnimSequence, path: str) -> None:
    if not unreal.EditorAssetLibrary.save_loaded_asset(seq, False):
        raise AssetWriteError(
            f"the editor could not save {path} (read-only file, or checked out by someone else in source "
            "control?)"
        )


def overwritable_anim(path: str, skeleton: unreal.Skeleton | None) -> unreal.AnimSequence:
    """The asset at ``path`` if this plugin may overwrite it: an AnimSequence it made, same skeleton.

    Raises:
        AssetExistsError: it is another kind of asset, was not made by MicroExprAnim, or uses another
            skeleton (say which, and what to do).
    """
    asset = unreal.EditorAssetLibrary.load_asset(path)
    if not isinstance(asset, unreal.AnimSequence):
        raise AssetExistsError(f"{path} exists and is not an AnimSequence; choose another name")
    if not unreal.EditorAssetLibrary.get_metadata_tag(asset, GENERATOR_TAG):
        raise AssetExistsError(
            f"{path} exists and was not made by MicroExprAnim, so it is not overwritten; choose another "
            "name (or delete it yourself in the Content Browser)"
        )
    other = asset.get_skeleton()
    other_path = other.get_path_name() if other is not None else "None"
    if skeleton is not None and other_path != skeleton.get_path_name():
        raise AssetExistsError(
            f"{path} uses skeleton {other_path}, not {skeleton.get_path_name()}; choose another name"
        )
    return asset


def _replace_in_place(
    seq: unreal.AnimSequence, path: str, fill: Callable[[unreal.AnimSequence], None]
) -> None:
    """Overwrite ``seq`` (same object) with ``fill``; on any failure put back what it held, then raise."""
    snap = _snapshot(seq)
    try:
        fill(seq)
        _save(seq, path)
    except Exception as exc:
        try:
            _restore(seq, snap)
            outcome = f"{path} was put back as it was"
        except Exception:  # report the first error; the log has this one
            LOG.exception("could not restore %s", path)
            outcome = f"{path} could NOT be put back (see the Output Log); do not save it"
        detail = str(exc) if isinstance(exc, AssetWriteError) else f"{type(exc).__name__}: {exc}"
        raise AssetWriteError(f"overwriting {path} failed ({detail}); {outcome}") from exc


def _create_and_fill(
    path: str,
    make: Callable[[], unreal.Object | None],
    fill: Callable[[unreal.AnimSequence], None],
) -> unreal.AnimSequence:
    """Create a new asset, fill and save it; on failure delete the half-made asset (no transaction open)."""
    created = make()
    if created is None:
        raise AssetWriteError(
            f"the editor returned no asset for {path} (is the name taken by another asset type?)"
        )
    seq = unreal.AnimSequence.cast(created)
    try:
        fill(seq)
        _save(seq, path)
    except Exception as exc:
        try:
            unreal.EditorAssetLibrary.delete_loaded_asset(seq)
        except Exception:  # cleanup must not hide the original error
            LOG.exception("could not delete half-made asset %s", path)
        detail = str(exc) if isinstance(exc, AssetWriteError) else f"{type(exc).__name__}: {exc}"
        raise AssetWriteError(f"writing {path} failed ({detail}); the half-made asset was deleted") from exc
    return seq


def _write(
    path: str,
    skeleton: unreal.Skeleton | None,
    overwrite: bool,
    make: Callable[[], unreal.Object | None],
    fill_new: Callable[[unreal.AnimSequence], None],
    fill_existing: Callable[[unreal.AnimSequence], None],
) -> unreal.AnimSequence:
    """Create ``path`` with ``make`` and ``fill_new``, or overwrite it in place with ``fill_existing``."""
    if unreal.EditorAssetLibrary.does_asset_exist(path):
        if not overwrite:
            raise AssetExistsError(f"{path} already exists; pass overwrite=True to replace it")
        seq = overwritable_anim(path, skeleton)
        _replace_in_place(seq, path, fill_existing)
    else:
        seq = _create_and_fill(path, make, fill_new)
    LOG.info("wrote %s", anim_info(seq))
    return seq


def write_new_anim_sequence(
    cs: CurveSetLike,
    skeleton: unreal.Skeleton,
    package_path: str,
    asset_name: str,
    provenance: Provenance,
    *,
    overwrite: bool = False,
) -> unreal.AnimSequence:
    """Write ``package_path/asset_name``: an AnimSequence of ``skeleton`` holding ``cs`` at its own rate.

    ``package_path`` and ``asset_name`` must already be validated (:mod:`microexpr_anim.naming`).

    Raises:
        AssetExistsError: the asset exists and ``overwrite`` is false, or it is not one this plugin made
            for this skeleton (nothing is touched).
        AssetWriteError: creating, a curve, the markers or saving failed; a new asset is deleted, an
            overwritten one put back as it was.
    """
    path = f"{package_path}/{asset_name}"
    timing = (frame_rate_fraction(cs.fps), max(1, int(cs.n_frames) - 1))

    def make() -> unreal.Object | None:
        factory = unreal.AnimSequenceFactory()
        factory.target_skeleton = skeleton
        tools = unreal.AssetToolsHelpers.get_asset_tools()
        return tools.create_asset(asset_name, package_path, unreal.AnimSequence, factory)

    def fill(seq: unreal.AnimSequence) -> None:
        write_curves_into(seq, cs.curves, timing=timing, replace="all", title=f"MicroExprAnim: {asset_name}")
        _write_provenance(seq, provenance)

    return _write(path, skeleton, overwrite, make, fill, fill)


def _cubic_key(time: float, value: float) -> unreal.RichCurveKey:
    return unreal.RichCurveKey(
        interp_mode=unreal.RichCurveInterpMode.RCIM_CUBIC,
        tangent_mode=unreal.RichCurveTangentMode.RCTM_AUTO,
        time=float(time),
        value=float(value),
    )


def _edit_windows(seq: unreal.AnimSequence, edits: Sequence[WindowEdit], title: str) -> None:
    """In one bracket: in each edited curve, remove the base keys of the window and add the window's."""
    controller = seq.controller
    controller.open_bracket(title, True)
    try:
        for edit in edits:
            cid = _curve_id(edit.name)
            for time in edit.remove:
                if not controller.remove_curve_key(cid, time, True):
                    raise AssetWriteError(
                        f"the animation controller found no key of {edit.name!r} at {time} s"
                    )
            for time, value in edit.add:
                if not controller.set_curve_key(cid, _cubic_key(time, value), True):
                    raise AssetWriteError(f"the animation controller refused a key of curve {edit.name!r}")
    finally:
        controller.close_bracket(True)


def write_layered_copy(
    base: unreal.AnimSequence,
    base_curves: Sequence[CurveKeysLike],
    edits: Sequence[WindowEdit],
    added: Sequence[CurveKeysLike],
    package_path: str,
    asset_name: str,
    provenance: Provenance,
    *,
    overwrite: bool = False,
) -> unreal.AnimSequence:
    """Write a copy of ``base`` with the micro-expression layered in (``apply_to``).

    Args:
        base: the base animation (never modified).
        base_curves: its float curves as read back (times and values).
        edits: per base curve the micro-expression adds to, the keys of its window
            (:func:`microexpr_anim.layerkeys.window_edit`).
        added: curves the base does not have (written whole).

    A new copy is made with ``duplicate_loaded_asset`` and only the window keys of the edited curves
    change: every other key keeps the base's own interpolation and tangent modes. Overwriting an earlier
    copy in place rewrites it from ``base_curves`` (times and values; Python cannot read key modes).
    """
    path = f"{package_path}/{asset_name}"
    info = anim_info(base)
    title = f"MicroExprAnim: {asset_name}"

    def make() -> unreal.Object | None:
        return unreal.EditorAssetLibrary.duplicate_loaded_asset(base, path)

    def fill_copy(seq: unreal.AnimSequence) -> None:
        _edit_windows(seq, edits, title)
        write_curves_into(seq, added, title=title)
        _write_provenance(seq, provenance)

    def fill_existing(seq: unreal.AnimSequence) -> None:
        merged = {e.name.casefold(): e for e in edits}
        curves: list[CurveKeysLike] = []
        for c in base_curves:
            edit = merged.get(c.name.casefold())
            if edit is None:
                curves.append(c)
            else:
                times, values = zip(*edit.merged, strict=True)
                curves.append(_Curve(c.name, tuple(times), tuple(values)))
        write_curves_into(seq, [*curves, *added], timing=(info.rate, info.frames), replace="all", title=title)
        _write_provenance(seq, provenance)

    return _write(path, base.get_skeleton(), overwrite, make, fill_copy, fill_existing)
