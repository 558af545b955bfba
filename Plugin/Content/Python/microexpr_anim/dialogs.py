"""Menu actions: an options form (details view of a Python uclass), a cancellable progress dialog,
and the new assets selected in the Content Browser. Imported only when a menu entry is clicked.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import unreal

from microexpr_anim import _project
from microexpr_anim.api import (
    DEFAULT_DEST,
    ProgressFn,
    check_rig,
    default_skeleton,
    generate,
    generate_from_emotion,
)
from microexpr_anim.batch import find_clips, generate_batch
from microexpr_anim.errors import GenerationCancelledError, MicroExprPluginError
from microexpr_anim.rigtables import ensure_rig_datatable
from microexpr_anim.writer import anim_info

__all__ = ["MicroExprBatchOptions", "MicroExprGenerateOptions", "show_batch_dialog", "show_generate_dialog"]

LOG = logging.getLogger(__name__)
TITLE = "Micro-Expression"
_EXPECTED = (
    MicroExprPluginError,
    ValueError,
    FileNotFoundError,
    FileExistsError,
    NotADirectoryError,
    OSError,
)


_FRAME_RATE_META = {
    "ClampMin": "0.0",
    "ToolTip": "Frames per second of the clip: required for frame folders (CASME II and SAMM 200, SMIC 100); "
    "0 = the clip's own rate",
}


@unreal.uclass()
class MicroExprGenerateOptions(unreal.Object):
    """Options of "Generate Micro-Expression" (shown in a details view)."""

    clip = unreal.uproperty(
        unreal.FilePath,
        meta={
            "ToolTip": "Video file, MicroExpression JSON or OpenFace CSV (empty: use Frame Folder)",
            "FilePathFilter": "Clips|*.mp4;*.avi;*.mov;*.mkv;*.json;*.csv",
        },
    )
    frame_folder = unreal.uproperty(
        unreal.DirectoryPath,
        meta={"ToolTip": "A folder of frames (CASME II, SAMM, SMIC layout), used when Clip is empty"},
    )
    frame_rate = unreal.uproperty(float, meta=_FRAME_RATE_META)
    skeleton = unreal.uproperty(
        unreal.Skeleton, meta={"ToolTip": "Target skeleton (MetaHuman: Face_Archetype_Skeleton)"}
    )
    rig_table = unreal.uproperty(
        unreal.DataTable, meta={"ToolTip": "AU-to-rig DataTable (MicroExprAURigRow)"}
    )
    emotion = unreal.uproperty(str, meta={"ToolTip": "Emotion to express; empty = the clip's own"})
    intensity = unreal.uproperty(float, meta={"ClampMin": "0.0", "ClampMax": "1.0"})
    destination = unreal.uproperty(str, meta={"ToolTip": "Content folder, e.g. /Game/MicroExpressions"})
    asset_name = unreal.uproperty(str, meta={"ToolTip": "Empty = AS_MicroExpr_<clip name>"})
    variants = unreal.uproperty(int, meta={"ClampMin": "1", "UIMax": "16"})
    overwrite = unreal.uproperty(bool, meta={"ToolTip": "Replace an existing asset of the same name"})
    check_skeleton_curves = unreal.uproperty(
        bool, meta={"ToolTip": "Require every rig curve of the table to be a curve of the skeleton"}
    )
    from_emotion_only = unreal.uproperty(
        bool,
        meta={
            "ToolTip": "No clip: draw Variants different micro-expressions of Emotion from the coding "
            "sheets' statistics (fear, happiness, disgust, surprise, anger, sadness, contempt, ...)"
        },
    )
    seed = unreal.uproperty(int, meta={"ToolTip": "Seed of the variants; the same seed gives the same set"})


@unreal.uclass()
class MicroExprBatchOptions(unreal.Object):
    """Options of "Batch Generate..."."""

    clips_folder = unreal.uproperty(unreal.DirectoryPath, meta={"ToolTip": "Folder of clips"})
    frame_rate = unreal.uproperty(float, meta=_FRAME_RATE_META)
    skeleton = unreal.uproperty(unreal.Skeleton)
    rig_table = unreal.uproperty(unreal.DataTable)
    emotion = unreal.uproperty(str)
    intensity = unreal.uproperty(float, meta={"ClampMin": "0.0", "ClampMax": "1.0"})
    destination = unreal.uproperty(str)
    overwrite = unreal.uproperty(bool, meta={"ToolTip": "Redo clips whose asset already exists"})
    check_skeleton_curves = unreal.uproperty(
        bool, meta={"ToolTip": "Require every rig curve of the table to be a curve of the skeleton"}
    )


_last: dict[str, unreal.Object] = {}


def _default_table() -> unreal.DataTable | None:
    try:
        return ensure_rig_datatable("metahuman")
    except Exception as exc:  # the form still opens; the user can pick a table
        LOG.warning("MicroExprAnim: default rig table unavailable: %s", exc)
        return None


def _fill_defaults(opts: MicroExprGenerateOptions | MicroExprBatchOptions) -> None:
    """The fields both forms share: MetaHuman skeleton and table when present, intensity 1."""
    opts.skeleton = default_skeleton()
    opts.rig_table = _default_table()
    opts.intensity = 1.0
    opts.destination = DEFAULT_DEST
    opts.check_skeleton_curves = True
    opts.frame_rate = 0.0


def _generate_options() -> MicroExprGenerateOptions:
    opts = _last.get("generate")
    if isinstance(opts, MicroExprGenerateOptions):
        return opts
    opts = MicroExprGenerateOptions()
    _fill_defaults(opts)
    opts.frame_folder = unreal.DirectoryPath("")
    opts.variants = 1
    _last["generate"] = opts
    return opts


def _batch_options() -> MicroExprBatchOptions:
    opts = _last.get("batch")
    if isinstance(opts, MicroExprBatchOptions):
        return opts
    opts = MicroExprBatchOptions()
    _fill_defaults(opts)
    _last["batch"] = opts
    return opts


def _frame_rate(value: float | None) -> float | None:
    """The form's frame rate: 0 (or empty) means the clip's own."""
    return float(value) if value else None


def _message(text: str) -> None:
    unreal.EditorDialog.show_message(TITLE, text, unreal.AppMsgType.OK)


@contextmanager
def _slow_task(total: int, title: str) -> Iterator[ProgressFn]:
    """A cancellable progress dialog; yields a ``progress(done, total, message) -> cancel`` callback."""
    with unreal.ScopedSlowTask(float(total), title) as task:
        task.make_dialog(True)

        def progress(done: int, _total: int, message: str) -> bool:
            task.enter_progress_frame(1.0, message)
            return bool(task.should_cancel())

        yield progress


def _run_reporting(action: Callable[[], None]) -> None:
    try:
        action()
    except GenerationCancelledError as exc:
        unreal.log_warning(f"MicroExprAnim: {exc}")
    except _EXPECTED as exc:
        unreal.log_error(f"MicroExprAnim: {exc}")
        _message(str(exc))
    except Exception as exc:  # a bug: show it rather than fail silently
        unreal.log_error("MicroExprAnim: unexpected error\n" + traceback.format_exc())
        _message(f"Unexpected error ({type(exc).__name__}: {exc}); details in the Output Log")


def show_generate_dialog() -> None:
    """Menu action "Generate Micro-Expression"."""
    opts = _generate_options()
    if not unreal.EditorDialog.show_object_details_view("Generate Micro-Expression", opts):
        return

    def run() -> None:
        table = opts.rig_table if opts.rig_table is not None else "metahuman"
        if not _rig_accepted(table, opts):
            return
        if bool(opts.from_emotion_only):
            _generate_from_emotion(opts, table)
            return
        clip = str(opts.clip.file_path).strip() or str(opts.frame_folder.path).strip()
        if not clip:
            raise ValueError("choose a clip file or a folder of frames first")
        variants = max(1, int(opts.variants))
        with _slow_task(3 + variants, "Generating micro-expression...") as progress:
            made = generate(
                clip,
                opts.skeleton,
                table,
                dest=str(opts.destination) or DEFAULT_DEST,
                name=str(opts.asset_name).strip() or None,
                emotion=str(opts.emotion).strip() or None,
                intensity=float(opts.intensity),
                variants=variants,
                overwrite=bool(opts.overwrite),
                fps=_frame_rate(opts.frame_rate),
                check_skeleton=bool(opts.check_skeleton_curves),
                progress=progress,
            )
        _show_made(made)

    _run_reporting(run)


def _show_made(made: list[unreal.AnimSequence]) -> None:
    unreal.EditorAssetLibrary.sync_browser_to_objects([m.get_path_name() for m in made])
    unreal.log("MicroExprAnim: wrote " + "; ".join(str(anim_info(m)) for m in made))


def _rig_accepted(table: unreal.DataTable | str, opts: MicroExprGenerateOptions) -> bool:
    """Put what the rig table can show in the Output Log before anything is written; when generating
    from an emotion whose coded AUs the table cannot show, ask first. False when the user stops there."""
    lines = check_rig(table, opts.skeleton)
    emotion = str(opts.emotion).strip()
    if not (bool(opts.from_emotion_only) and emotion):
        return True
    needed = _project.coded_aus(emotion)
    dropped = [line for line in lines[2:] if line.split(" ", 1)[0] in needed]
    if not dropped:
        return True
    text = "\n".join(
        [lines[0], *dropped, "", f"Generate {emotion} micro-expressions with this rig table anyway?"]
    )
    answer = unreal.EditorDialog.show_message(TITLE, text, unreal.AppMsgType.YES_NO)
    return bool(answer == unreal.AppReturnType.YES)


def _generate_from_emotion(opts: MicroExprGenerateOptions, table: unreal.DataTable | str) -> None:
    emotion = str(opts.emotion).strip()
    if not emotion:
        raise ValueError("Emotion is empty: name the emotion to generate (fear, happiness, surprise, ...)")
    count = max(1, int(opts.variants))
    with _slow_task(2 + count, f"Generating {count} {emotion} micro-expressions...") as progress:
        made = generate_from_emotion(
            emotion,
            opts.skeleton,
            table,
            count=count,
            seed=int(opts.seed),
            dest=str(opts.destination) or DEFAULT_DEST,
            name=str(opts.asset_name).strip() or None,
            overwrite=bool(opts.overwrite),
            fps=_frame_rate(opts.frame_rate) or 30.0,
            check_skeleton=bool(opts.check_skeleton_curves),
            progress=progress,
        )
    _show_made(made)


def show_batch_dialog() -> None:
    """Menu action "Batch Generate..."."""
    opts = _batch_options()
    if not unreal.EditorDialog.show_object_details_view("Batch Generate Micro-Expressions", opts):
        return

    def run() -> None:
        folder = str(opts.clips_folder.path).strip()
        if not folder or not Path(folder).is_dir():
            raise ValueError(f"choose a folder of clips first (got {folder!r})")
        total = max(1, len(find_clips(Path(folder))))
        with _slow_task(total, "Generating micro-expressions...") as progress:
            report = generate_batch(
                folder,
                opts.skeleton,
                opts.rig_table if opts.rig_table is not None else "metahuman",
                dest=str(opts.destination) or DEFAULT_DEST,
                overwrite=bool(opts.overwrite),
                emotion=str(opts.emotion).strip() or None,
                intensity=float(opts.intensity),
                fps=_frame_rate(opts.frame_rate),
                check_skeleton=bool(opts.check_skeleton_curves),
                progress=progress,
            )
        done = [p for i in report.items if i.status == "done" for p in i.asset.split(";")]
        if done:
            unreal.EditorAssetLibrary.sync_browser_to_objects(done)
        _message(
            f"{report.counts.get('done', 0)} created, {report.counts.get('skipped', 0)} skipped, "
            f"{len(report.failed)} failed.\nReport: {report.report_csv}"
        )

    _run_reporting(run)
