"""Console API: ``generate``, ``generate_from_emotion`` (no clip), ``apply_to`` (layering onto an existing
animation), ``check_rig`` (what a rig table can show), skeleton helpers.

Example (Unreal's Python console)::

    import microexpr_anim as mx
    mx.generate("D:/clips/EP02_01f.mp4", "/Game/MetaHumans/Common/Face/Face_Archetype_Skeleton",
                "metahuman", dest="/Game/MicroExpressions", emotion="happiness", intensity=0.8)
    mx.generate_from_emotion("fear", None, "metahuman", count=20, seed=3)
    mx.apply_to("/Game/Anims/AS_Dialogue", "D:/clips/EP02_01f.mp4", "metahuman", at_time=2.0,
                regions="all", duck_mouth=True)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import unreal

from microexpr_anim import _project
from microexpr_anim._project import CurveKeysObj, CurveSetObj, MicroExpressionObj
from microexpr_anim.errors import (
    AssetExistsError,
    AssetPathError,
    GenerationCancelledError,
    MicroExprPluginError,
)
from microexpr_anim.layerkeys import WindowEdit, window_edit
from microexpr_anim.model import load_micro_expression
from microexpr_anim.naming import (
    asset_name_for_clip,
    check_package_path,
    sanitize_asset_name,
    split_object_path,
)
from microexpr_anim.provenance import Provenance, describe
from microexpr_anim.rigtables import ResolvedRigTable, resolve_rig_table, skeleton_curve_names
from microexpr_anim.settings import Settings, load_settings
from microexpr_anim.writer import overwritable_anim, write_layered_copy, write_new_anim_sequence

__all__ = [
    "DEFAULT_DEST",
    "METAHUMAN_FACE_SKELETONS",
    "apply_to",
    "check_rig",
    "default_skeleton",
    "generate",
    "generate_from_emotion",
    "make_curvesets_for",
    "read_anim_curveset",
    "resolve_skeleton",
]

LOG = logging.getLogger(__name__)

DEFAULT_DEST = "/Game/MicroExpressions"
#: Where MetaHuman projects keep the face skeleton (project content, then the MetaHuman plugin's).
METAHUMAN_FACE_SKELETONS = (
    "/Game/MetaHumans/Common/Face/Face_Archetype_Skeleton",
    "/MetaHuman/IdentityTemplate/Face_Archetype_Skeleton",
)

#: Called between steps with (done, total, message); returns True to cancel.
ProgressFn = Callable[[int, int, str], bool]


def _content_roots_for(path: str) -> list[str]:
    """``Game`` plus the root of ``path`` when it is a mounted content root (a plugin's)."""
    roots = ["Game"]
    root = str(path).strip().replace("\\", "/").strip("/").split("/", 1)[0]
    if root and root != "Game" and unreal.EditorAssetLibrary.does_directory_exist("/" + root):
        roots.append(root)
    return roots


def checked_folder(dest: str) -> str:
    """Validate an asset folder against /Game and the mounted plugin roots."""
    return check_package_path(dest, _content_roots_for(dest))


def default_skeleton() -> unreal.Skeleton | None:
    """MetaHuman's Face_Archetype_Skeleton if the project has it, else None."""
    for path in METAHUMAN_FACE_SKELETONS:
        if unreal.EditorAssetLibrary.does_asset_exist(path):
            asset = unreal.EditorAssetLibrary.load_asset(path)
            if isinstance(asset, unreal.Skeleton):
                return asset
    return None


def resolve_skeleton(skeleton: unreal.Skeleton | str | None) -> unreal.Skeleton:
    """A Skeleton from an object or an asset path; None means the MetaHuman face skeleton.

    Raises:
        ValueError: the asset does not exist or is not a Skeleton.
    """
    if isinstance(skeleton, unreal.Skeleton):
        return skeleton
    if skeleton is None or not str(skeleton).strip():
        found = default_skeleton()
        if found is None:
            raise ValueError(
                "no skeleton given and the MetaHuman Face_Archetype_Skeleton is not in this project; "
                "pass skeleton='/Game/Path/To/Skeleton'"
            )
        return found
    path = str(skeleton).strip()
    if not unreal.EditorAssetLibrary.does_asset_exist(path):
        raise ValueError(f"skeleton {path} not found in the project")
    asset = unreal.EditorAssetLibrary.load_asset(path)
    if not isinstance(asset, unreal.Skeleton):
        raise ValueError(f"{path} is not a Skeleton asset")
    return asset


def make_curvesets_for(
    me: MicroExpressionObj,
    resolved: ResolvedRigTable,
    *,
    emotion: str | None = None,
    intensity: float = 1.0,
    variants: int = 1,
    seed: int = 0,
) -> list[CurveSetObj]:
    """``curves.pipeline.make_curvesets`` with a validated rig table (handed over as the parsed table)."""
    sets = _project.make_curvesets(
        me, rig=resolved.table, emotion=emotion, intensity=intensity, variants=variants, seed=seed
    )
    if not sets:
        raise MicroExprPluginError(f"no curves came out for {me.source or 'the clip'} with {resolved.source}")
    return list(sets)


def read_anim_curveset(seq: unreal.AnimSequence) -> CurveSetObj:
    """The float curves of an existing AnimSequence as a CurveSet (for layering)."""
    model = seq.data_model_interface
    rate = model.get_frame_rate()
    fps = rate.numerator / rate.denominator
    n_keys = max(1, int(model.get_number_of_keys()))
    curves: list[tuple[str, list[float], list[float]]] = []
    for name in unreal.AnimationLibrary.get_animation_curve_names(seq, unreal.RawCurveTrackTypes.RCT_FLOAT):
        times, values = unreal.AnimationLibrary.get_float_keys(seq, name)
        if len(times) == 0:
            continue
        curves.append((str(name), [float(t) for t in times], [float(v) for v in values]))
    return _project.curve_set(fps, n_keys, curves, source=seq.get_path_name())


def generate(
    clip: str | Path,
    skeleton: unreal.Skeleton | str | None,
    rig_table: unreal.DataTable | str | Path | ResolvedRigTable,
    dest: str = DEFAULT_DEST,
    name: str | None = None,
    emotion: str | None = None,
    intensity: float = 1.0,
    variants: int = 1,
    seed: int = 0,
    overwrite: bool = False,
    base_animation: unreal.AnimSequence | str | None = None,
    at_time: float | None = None,
    *,
    fps: float | None = None,
    events: str | int = "auto",
    settings: Settings | None = None,
    check_skeleton: bool = True,
    progress: ProgressFn | None = None,
    regions: str = "all",
    duck_mouth: bool = True,
) -> list[unreal.AnimSequence]:
    """Turn a clip into AnimSequence asset(s) and return them.

    Args:
        clip: a video file or frame folder (runs the model), a MicroExpression JSON, or an OpenFace /
            py-feat CSV of AU intensities.
        skeleton: the target Skeleton (object or asset path); None picks MetaHuman's
            Face_Archetype_Skeleton when the project has it.
        rig_table: the AU-to-rig table: a DataTable of MicroExprAURigRow, ``"metahuman"``, ``"arkit"``,
            a DataTable asset path or a CSV file.
        dest: content folder for the new assets (under /Game or a mounted plugin root).
        name: asset name (sanitised); default ``AS_MicroExpr_<clip stem>``; variants get ``_v<k>``.
        emotion: emotion to express (default: the clip's most probable one).
        intensity: scale of the expression (1 = as detected).
        variants: number of jittered variants (variant 0 is the unjittered one).
        seed: seed of the variants' jitter.
        overwrite: replace existing assets of the same name (never otherwise). The asset is changed in
            place (the same object: montages, Sequencer tracks and Blueprints that use it keep it), and
            only an asset MicroExprAnim made is replaced.
        base_animation: layer the micro-expression onto a copy of this AnimSequence at ``at_time``
            seconds; the original is untouched.
        at_time: where the micro-expression starts in ``base_animation`` (default 0).
        fps: the clip's frame rate: required for a folder of frames (CASME II and SAMM 200, SMIC 100,
            CAS(ME)^2 30), and overrides a video's or CSV's own rate. The asset plays at this rate.
        events: what of the take becomes assets: ``"take"`` (the whole take), ``"strongest"`` (its
            strongest expression), ``"all"`` (one asset per expression, ``_e01``, ``_e02``... strongest
            first), an expression number (1 = strongest), or ``"auto"`` (default: the whole take when it
            lasts up to 5 s or holds one expression, else one asset per expression).
        settings: how to run the model (default: the saved settings).
        check_skeleton: require every rig curve to be a curve of the skeleton.
        progress: called between steps with (done, total, message); returning True cancels.
        regions: when layering, ``"all"`` or ``"upper"`` (the mouth curves are left out).
        duck_mouth: when layering every region, scale the mouth curves down where the base talks, so
            the micro-expression does not fight the lip sync (see ``curves.layering``).

    Returns:
        The created AnimSequences, one per variant and expression (each logged with its frame rate and
        length).

    Raises:
        AssetPathError, AssetExistsError, AssetWriteError, RigTableError, ModelUnavailableError,
        FileNotFoundError, ValueError: with a message naming the file, asset or row at fault.
    """
    if variants < 1:
        raise ValueError(f"variants must be >= 1, got {variants}")
    _project.check_intensity(intensity)  # checked before the model runs
    if fps is not None:
        _project.check_fps(fps)
    _project.parse_event_choice(events)
    base_seq: unreal.AnimSequence | None = None
    if base_animation is not None:
        base_seq = _resolve_anim(base_animation)
        if skeleton is None:
            skeleton = base_seq.get_skeleton()
    folder = checked_folder(dest)
    names = _asset_names(clip, name, variants)
    skel = resolve_skeleton(skeleton)
    owner = skel if base_seq is None else base_seq.get_skeleton()  # the skeleton the assets are made for
    _refuse_existing(folder, names, overwrite, owner)  # refused before the model runs, not after
    step = _Steps(progress, 3 + variants)
    step(0, "reading the rig table")
    resolved = _resolved(rig_table, skel, check_skeleton)
    step(1, f"analysing {Path(clip).name}")
    me = load_micro_expression(clip, settings or load_settings(), fps=fps)
    step(2, "fitting curves")
    pieces = _project.choose_pieces(me, events)
    sets = []
    for _label, piece in pieces:
        made = make_curvesets_for(
            piece, resolved, emotion=emotion, intensity=intensity, variants=variants, seed=seed
        )
        if len(made) != variants:
            raise MicroExprPluginError(
                f"asked for {variants} variants but the curve fitting gave {len(made)}"
            )
        sets += made
    if len(pieces) > 1:  # one asset per expression: the names are known only now; checked before writing
        names = [f"{n}_e{k + 1:02d}" for k in range(len(pieces)) for n in names]
        _refuse_existing(folder, names, overwrite, owner)
        step.total = 3 + len(names)
    created: list[unreal.AnimSequence] = []
    for k, (asset_name, cs) in enumerate(zip(names, sets, strict=True)):
        step(3 + k, f"writing {folder}/{asset_name}")
        if base_seq is None:
            about = _provenance(cs, clip, resolved)
            created.append(write_new_anim_sequence(cs, skel, folder, asset_name, about, overwrite=overwrite))
        else:
            layering = _Layering(at_time or 0.0, regions, duck_mouth)
            created.append(
                _layer_onto_copy(base_seq, cs, clip, resolved, layering, folder, asset_name, overwrite)
            )
    return created


def check_rig(
    rig_table: unreal.DataTable | str | Path | ResolvedRigTable,
    skeleton: unreal.Skeleton | str | None = None,
) -> list[str]:
    """What ``rig_table`` can show: AUs shown, shown in part (with what they fall back to) or not at all,
    rows that do nothing and, with a ``skeleton``, the table's curves it lacks; one finding per line, also
    logged. Nothing is refused: this is the report to read before writing."""
    resolved = rig_table if isinstance(rig_table, ResolvedRigTable) else resolve_rig_table(rig_table)
    table = resolved.table
    names = None if skeleton is None else skeleton_curve_names(resolve_skeleton(skeleton))
    if names:  # Unreal matches curve names ignoring case: report in the skeleton's spelling
        spelled = {n.casefold(): n for n in names}
        table = table.with_curve_names(
            {c: spelled[c.casefold()] for c in table.curves if c.casefold() in spelled}
        )
    lines = _project.rig_coverage(table, skeleton_curves=names).lines()
    for line in lines:
        unreal.log(f"MicroExprAnim: {line}")
    return lines


def generate_from_emotion(
    emotion: str,
    skeleton: unreal.Skeleton | str | None,
    rig_table: unreal.DataTable | str | Path | ResolvedRigTable,
    count: int = 5,
    seed: int = 0,
    dest: str = DEFAULT_DEST,
    name: str | None = None,
    overwrite: bool = False,
    *,
    fps: float = 30.0,
    check_skeleton: bool = True,
    progress: ProgressFn | None = None,
) -> list[unreal.AnimSequence]:
    """Micro-expressions of ``emotion`` with no clip: ``count`` AnimSequences, all different, the same
    ``seed`` giving the same set (``curves.generate``: AU sets, sides, timing and intensity drawn from the
    CASME II and SAMM coding sheets). Each asset records its AUs and timing in its metadata tags.

    Args:
        emotion: an emotion the sheets code (``fear``, ``happiness``, ``disgust``, ``surprise``, ...).
        skeleton, rig_table, dest, overwrite, check_skeleton, progress: as for :func:`generate`.
        count: how many expressions.
        seed: the set's seed.
        name: asset name stem (default ``AS_MicroExpr_<Emotion>``); each gets ``_NN``.
        fps: frame rate of the new assets.

    Raises:
        ValueError: an emotion the sheets do not code, a bad count; the errors of :func:`generate`.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise ValueError(f"count must be a whole number from 1 to 1000, got {count!r}")
    fps = _project.check_fps(fps)
    folder = checked_folder(dest)
    stem = sanitize_asset_name(name or f"AS_MicroExpr_{str(emotion).strip().title()}")
    names = [f"{stem}_{k:02d}" for k in range(count)]
    skel = resolve_skeleton(skeleton)
    _refuse_existing(folder, names, overwrite, skel)
    step = _Steps(progress, 2 + count)
    step(0, "reading the rig table")
    resolved = _resolved(rig_table, skel, check_skeleton)
    unreal.log(f"MicroExprAnim: {_project.rig_coverage(resolved.table).summary_line()}")
    step(1, f"drawing {count} {emotion} micro-expressions")
    sets = _project.generated_curvesets(str(emotion), count, int(seed), fps=fps, rig=resolved.table)
    created: list[unreal.AnimSequence] = []
    for k, (asset_name, cs) in enumerate(zip(names, sets, strict=True)):
        step(2 + k, f"writing {folder}/{asset_name}")
        about = _provenance(cs, _generated_label(cs.settings), resolved)
        created.append(write_new_anim_sequence(cs, skel, folder, asset_name, about, overwrite=overwrite))
    return created


def _generated_label(settings: Mapping[str, Any]) -> str:
    """What the Clip tag of a generated asset says: enough to make it again."""
    gen = dict(settings.get("generated") or {})
    return (
        f"generated:{gen.get('emotion', settings.get('emotion', ''))} seed={gen.get('seed', '')} "
        f"index={gen.get('index', '')} aus={'+'.join(str(a) for a in gen.get('aus', []))} "
        f"intensity={float(gen.get('intensity', 0.0)):.3f}"
    )


def _provenance(
    cs: CurveSetObj, clip: str | Path, resolved: ResolvedRigTable, at_time: float = 0.0
) -> Provenance:
    return describe(
        cs.settings,
        clip=str(clip),
        source_fps=cs.fps,
        duration_s=cs.duration,
        rig_table=resolved.source,
        at_time=at_time,
    )


class _Steps:
    """Progress through ``total`` steps; the callback returning True cancels the run."""

    def __init__(self, progress: ProgressFn | None, total: int) -> None:
        self.progress, self.total = progress, total

    def __call__(self, done: int, message: str) -> None:
        if self.progress is not None and self.progress(done, self.total, message):
            raise GenerationCancelledError(f"cancelled by the user while {message}")


def _resolved(
    rig_table: unreal.DataTable | str | Path | ResolvedRigTable,
    skeleton: unreal.Skeleton,
    check_skeleton: bool,
) -> ResolvedRigTable:
    """The rig table checked against ``skeleton`` (a table resolved already is used as it is)."""
    if isinstance(rig_table, ResolvedRigTable):
        return rig_table
    return resolve_rig_table(rig_table, skeleton, check_skeleton=check_skeleton)


def _refuse_existing(folder: str, names: list[str], overwrite: bool, skeleton: unreal.Skeleton) -> None:
    """Refuse names that exist unless ``overwrite``; with it, refuse any that MicroExprAnim did not make."""
    existing = [n for n in names if unreal.EditorAssetLibrary.does_asset_exist(f"{folder}/{n}")]
    if existing and not overwrite:
        raise AssetExistsError(
            f"{folder}/{existing[0]} already exists; pass overwrite=True to replace it "
            "(or choose another name)"
        )
    for asset_name in existing:
        overwritable_anim(f"{folder}/{asset_name}", skeleton)


def _asset_names(clip: str | Path, name: str | None, variants: int) -> list[str]:
    if name is not None:
        base = sanitize_asset_name(name)
        if base != name:
            LOG.warning("asset name %r sanitised to %r", name, base)
        return [base] if variants == 1 else [f"{base}_v{k}" for k in range(variants)]
    if variants == 1:
        return [asset_name_for_clip(clip)]
    return [asset_name_for_clip(clip, variant=k) for k in range(variants)]


def _resolve_anim(anim: unreal.AnimSequence | str) -> unreal.AnimSequence:
    if isinstance(anim, unreal.AnimSequence):
        return anim
    path = str(anim)
    if not unreal.EditorAssetLibrary.does_asset_exist(path):
        raise ValueError(f"base animation {path} not found in the project")
    asset = unreal.EditorAssetLibrary.load_asset(path)
    if not isinstance(asset, unreal.AnimSequence):
        raise ValueError(f"{path} is not an AnimSequence")
    return asset


@dataclass(frozen=True)
class _Layering:
    """Where and how a micro-expression goes onto a base animation."""

    at_time: float
    regions: str = "all"
    duck_mouth: bool = True


def _layer_onto_copy(
    base: unreal.AnimSequence,
    micro: CurveSetObj,
    clip: str | Path,
    resolved: ResolvedRigTable,
    layering: _Layering,
    folder: str,
    asset_name: str,
    overwrite: bool,
) -> unreal.AnimSequence:
    """Copy ``base`` to ``folder/asset_name`` and add the micro-expression's curves at ``at_time``."""
    at_time = layering.at_time
    base_cs = read_anim_curveset(base)
    if not 0.0 <= at_time <= base_cs.duration:
        raise ValueError(
            f"at_time {at_time} s is outside {base.get_path_name()} (0 to {base_cs.duration:.3f} s)"
        )
    layered = _project.layer_curveset(
        base_cs, micro, at_time, regions=layering.regions, duck_mouth=layering.duck_mouth
    )
    window = (at_time, at_time + micro.duration)
    base_by_name = {c.name.casefold(): c for c in base_cs.curves}
    edits: list[WindowEdit] = []
    added: list[CurveKeysObj] = []
    left_out = set(dict(layered.settings).get("layered", {}).get("left_out", ()))
    for name in [n for n in micro.names if n not in left_out]:
        result = next(c for c in layered.curves if c.name.casefold() == name.casefold())
        base_curve = base_by_name.get(name.casefold())
        if base_curve is None:
            added.append(result)
            continue
        ends = _project.evaluate_keys(list(result.times), list(result.values), list(window))
        edits.append(
            window_edit(
                base_curve.name,
                zip(base_curve.times, base_curve.values, strict=True),
                zip(result.times, result.values, strict=True),
                window,
                (ends[0], ends[1]),
            )
        )
    return write_layered_copy(
        base,
        base_cs.curves,
        edits,
        added,
        folder,
        asset_name,
        _provenance(micro, clip, resolved, at_time),
        overwrite=overwrite,
    )


def apply_to(
    base_animation: unreal.AnimSequence | str,
    clip: str | Path,
    rig_table: unreal.DataTable | str | Path,
    at_time: float = 0.0,
    dest: str | None = None,
    name: str | None = None,
    emotion: str | None = None,
    intensity: float = 1.0,
    seed: int = 0,
    overwrite: bool = False,
    *,
    fps: float | None = None,
    settings: Settings | None = None,
    check_skeleton: bool = True,
    regions: str = "all",
    duck_mouth: bool = True,
) -> unreal.AnimSequence:
    """Layer a micro-expression onto a copy of ``base_animation`` (default ``<base>_MicroExpr`` beside it).

    The original animation is never modified. ``regions="upper"`` adds only the brows, lids, cheeks and
    nose; ``duck_mouth`` (with ``"all"``) scales the mouth curves down where the base talks, so a
    micro-expression laid over dialogue leaves the lip sync alone. See :func:`generate` for the others.
    """
    base = _resolve_anim(base_animation)
    base_folder, base_name = split_object_path(base.get_path_name())
    try:
        folder = checked_folder(dest or base_folder)
    except AssetPathError as exc:
        raise AssetPathError(f"{exc}; pass dest='/Game/...' for the layered copy") from exc
    result = generate(
        clip,
        base.get_skeleton(),
        rig_table,
        dest=folder,
        name=name or f"{base_name}_MicroExpr",
        emotion=emotion,
        intensity=intensity,
        seed=seed,
        overwrite=overwrite,
        base_animation=base,
        at_time=at_time,
        fps=fps,
        settings=settings,
        check_skeleton=check_skeleton,
        regions=regions,
        duck_mouth=duck_mouth,
    )
    return result[0]
