"""Batch generation: a folder of clips -> one AnimSequence per clip, plus a report (JSON and CSV).

Entry points: :func:`generate_batch` (console), :func:`run_commandlet` (the ``-run=MicroExprAnim``
commandlet hands it its command line) and :func:`main` (``-run=pythonscript -script="...
microexpr_batch.py -clips=... -dest=..."``). A bad clip is reported and the batch goes on; clips whose
asset already exists are skipped unless ``overwrite``; any failure gives a non-zero exit.

The report (JSON, and CSV beside it) is rewritten after every clip, so a run that is killed leaves one
(``"finished": false``). Running the same batch again with the same report continues it: clips the
report lists as done (whose assets still exist) are kept, the others are done now, and the report is
completed in place. A report of a different batch (other clips folder or destination) is refused.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import unreal

from microexpr_anim import _project
from microexpr_anim.api import DEFAULT_DEST, ProgressFn, checked_folder, generate, resolve_skeleton
from microexpr_anim.cmdargs import parse_commandlet_args
from microexpr_anim.errors import BatchFailedError, GenerationCancelledError
from microexpr_anim.naming import MAX_NAME_LENGTH, sanitize_asset_name
from microexpr_anim.rigtables import resolve_rig_table
from microexpr_anim.settings import Settings, load_settings, saved_dir
from microexpr_anim.writer import anim_info

__all__ = [
    "BatchItem",
    "BatchReport",
    "commandlet_entry",
    "find_clips",
    "generate_batch",
    "main",
    "run_commandlet",
]

LOG = logging.getLogger(__name__)

TRACK_SUFFIXES = (".json", ".csv")
REPORT_COLUMNS = ("clip", "asset", "status", "error", "frame_rate", "length_s")
#: Report entries that must match for a rerun to continue a report.
_BATCH_KEYS = ("clips_dir", "dest")


@dataclass(frozen=True)
class BatchItem:
    """One clip's outcome: ``status`` is ``done``, ``skipped`` (asset exists), ``failed`` or ``cancelled``;
    for ``done``, the asset's frame rate (``200/1``) and length in seconds as the engine reports them."""

    clip: str
    asset: str
    status: str
    error: str = ""
    frame_rate: str = ""
    length_s: float | None = None


@dataclass(frozen=True)
class BatchReport:
    """All outcomes and where the report files were written."""

    items: tuple[BatchItem, ...]
    report_json: str = ""
    report_csv: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> list[BatchItem]:
        return [i for i in self.items if i.status in ("failed", "cancelled")]

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, 1 otherwise."""
        return 1 if self.failed else 0


def _is_frame_folder(folder: Path) -> bool:
    return any(p.is_file() and p.suffix.lower() in _project.clip_extensions()[0] for p in folder.iterdir())


def find_clips(folder: Path) -> list[Path]:
    """Clips under ``folder``: video files, track files (.json/.csv) and frame folders, sorted.

    A folder holding image files is one clip (CASME II layout ``sub01/EP02_01f/img1.jpg``); other
    folders are searched recursively. Hidden files are ignored.
    """
    found: list[Path] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            found.extend([entry] if _is_frame_folder(entry) else find_clips(entry))
        elif entry.suffix.lower() in _project.clip_extensions()[1] + TRACK_SUFFIXES:
            found.append(entry)
    return found


def _clip_asset_names(clips: Sequence[Path], root: Path) -> list[str]:
    """``AS_MicroExpr_<relative path>`` per clip, unique (a numeric suffix resolves clashes)."""
    names: list[str] = []
    used: set[str] = set()
    for clip in clips:
        rel = clip.relative_to(root)
        stem = "_".join([*rel.parts[:-1], rel.stem if clip.is_file() else rel.name])
        base = sanitize_asset_name(f"AS_MicroExpr_{stem}")
        name, k = base, 2
        while name.lower() in used:
            name = f"{base[: MAX_NAME_LENGTH - 4]}_{k}"
            k += 1
        used.add(name.lower())
        names.append(name)
    return names


def _default_report_path() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return saved_dir() / "reports" / f"batch_{stamp}.json"


def _counts(items: Sequence[BatchItem]) -> dict[str, int]:
    return {s: sum(1 for i in items if i.status == s) for s in ("done", "skipped", "failed", "cancelled")}


def _write_reports(
    items: Sequence[BatchItem], json_path: Path, header: dict[str, object], *, finished: bool
) -> None:
    """Write (or rewrite) the JSON and CSV report; atomic, so a kill never leaves half a file."""
    doc = {**header, "finished": finished, "counts": _counts(items), "items": [asdict(i) for i in items]}
    _project.atomic_write_text(json_path, json.dumps(doc, indent=1), overwrite=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for item in items:
        length = "" if item.length_s is None else f"{item.length_s:.6g}"
        writer.writerow([item.clip, item.asset, item.status, item.error, item.frame_rate, length])
    _project.atomic_write_text(json_path.with_suffix(".csv"), out.getvalue(), overwrite=True)


def _earlier_run(json_path: Path, header: dict[str, object]) -> dict[str, BatchItem]:
    """Clips an earlier run of this batch finished (report ``json_path``), by clip; refuse another batch's."""
    if not json_path.exists():
        return {}
    try:
        doc = json.loads(json_path.read_text(encoding="utf-8"))
        items = [BatchItem(**i) for i in doc["items"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise FileExistsError(
            f"report {json_path} exists but is not a MicroExprAnim batch report ({exc}); choose another "
            "report file"
        ) from None
    for key in _BATCH_KEYS:
        if doc.get(key) != header[key]:
            raise FileExistsError(
                f"report {json_path} belongs to another batch ({key} {doc.get(key)!r}, not {header[key]!r}); "
                "choose another report file, or rerun that batch to continue it"
            )
    lib = unreal.EditorAssetLibrary
    return {
        i.clip: i
        for i in items
        if i.status == "done" and all(lib.does_asset_exist(a) for a in i.asset.split(";") if a)
    }


def generate_batch(
    clips_dir: str | Path,
    skeleton: unreal.Skeleton | str | None = None,
    rig_table: unreal.DataTable | str | Path = "metahuman",
    dest: str = DEFAULT_DEST,
    *,
    overwrite: bool = False,
    emotion: str | None = None,
    intensity: float = 1.0,
    variants: int = 1,
    seed: int = 0,
    fps: float | None = None,
    events: str | int = "auto",
    report: str | Path | None = None,
    settings: Settings | None = None,
    check_skeleton: bool = True,
    progress: ProgressFn | None = None,
) -> BatchReport:
    """Generate one AnimSequence (or ``variants``) per clip under ``clips_dir``; never stops at a bad clip.

    Args:
        clips_dir: folder of clips (videos, frame folders, MicroExpression JSON, OpenFace CSV).
        fps: frame rate of every clip (required when there are frame folders, e.g. 200 for CASME II).
        events: what of each take becomes assets (see :func:`microexpr_anim.generate`; default ``"auto"``).
        report: report JSON path (a CSV is written beside it); default
            ``<Project>/Saved/MicroExprAnim/reports/batch_<time>.json``. An existing report of the same
            batch is continued (its done clips are kept unless ``overwrite``).
        progress: called per clip with (done, total, message); returning True cancels the rest.
        Others: as :func:`microexpr_anim.generate`.

    Returns:
        The report; ``exit_code`` is 1 if any clip failed.

    Raises:
        FileNotFoundError, NotADirectoryError: ``clips_dir`` is not a folder.
        AssetPathError, RigTableError, ValueError: a setting shared by all clips is wrong (nothing done).
        FileExistsError: ``report`` exists and belongs to another batch.
    """
    root = Path(clips_dir)
    if not root.exists():
        raise FileNotFoundError(f"clips folder not found: {root}")
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder of clips")
    json_path = Path(report) if report else _default_report_path()
    if json_path.suffix.lower() != ".json":
        json_path = json_path.with_suffix(".json")
    folder = checked_folder(dest)
    skel = resolve_skeleton(skeleton)
    resolved = resolve_rig_table(rig_table, skel, check_skeleton=check_skeleton)
    header: dict[str, object] = {
        "clips_dir": str(root.resolve()),
        "dest": folder,
        "rig_table": resolved.source,
        "skeleton": skel.get_path_name(),
        "emotion": emotion,
        "intensity": intensity,
        "variants": variants,
        "seed": seed,
        "fps": fps,
        "events": events,
    }
    earlier = _earlier_run(json_path, header)  # refuses a file that is not this batch's report
    if overwrite:
        earlier = {}  # redo every clip; the report is rewritten
    run_settings = settings or load_settings()
    clips = find_clips(root)
    names = _clip_asset_names(clips, root)
    items: list[BatchItem] = []
    cancelled = False

    def make(clip: Path, name: str) -> list[unreal.AnimSequence]:
        return generate(
            clip,
            skel,
            resolved,
            dest=folder,
            name=name,
            emotion=emotion,
            intensity=intensity,
            variants=variants,
            seed=seed,
            overwrite=overwrite,
            fps=fps,
            events=events,
            settings=run_settings,
            check_skeleton=check_skeleton,
        )

    for index, (clip, name) in enumerate(zip(clips, names, strict=True)):
        asset = f"{folder}/{name}"
        if str(clip) in earlier:
            items.append(earlier[str(clip)])
        elif cancelled or (progress is not None and progress(index, len(clips), f"{clip.name}")):
            cancelled = True
            items.append(BatchItem(str(clip), asset, "cancelled", "cancelled by the user"))
        else:
            item = _one_clip(clip, folder, name, variants, overwrite, make)
            cancelled = item.status == "cancelled"
            items.append(item)
        _write_reports(items, json_path, header, finished=False)
    _write_reports(items, json_path, header, finished=True)
    result = BatchReport(
        items=tuple(items),
        counts=_counts(items),
        report_json=str(json_path),
        report_csv=str(json_path.with_suffix(".csv")),
    )
    LOG.info(
        "MicroExprAnim batch: %d done, %d skipped, %d failed; report %s",
        result.counts["done"],
        result.counts["skipped"],
        result.counts["failed"] + result.counts["cancelled"],
        result.report_json,
    )
    return result


def _one_clip(
    clip: Path,
    folder: str,
    name: str,
    variants: int,
    overwrite: bool,
    make: Callable[[Path, str], list[unreal.AnimSequence]],
) -> BatchItem:
    """Generate one clip's asset(s) with ``make``; the outcome as a report line (never raises)."""
    asset = f"{folder}/{name}"
    targets = [name] if variants == 1 else [f"{name}_v{k}" for k in range(variants)]
    if not overwrite and all(unreal.EditorAssetLibrary.does_asset_exist(f"{folder}/{t}") for t in targets):
        return BatchItem(str(clip), asset, "skipped", "asset exists (pass overwrite to redo)")
    try:
        made = make(clip, name)
    except GenerationCancelledError as exc:
        return BatchItem(str(clip), asset, "cancelled", str(exc))
    except Exception as exc:  # one bad clip must not stop the batch
        LOG.error("MicroExprAnim: %s failed: %s", clip, exc)
        return BatchItem(str(clip), asset, "failed", f"{type(exc).__name__}: {exc}")
    infos = [anim_info(m) for m in made]
    num, den = infos[0].rate
    paths = ";".join(i.path for i in infos) or asset
    return BatchItem(str(clip), paths, "done", "", f"{num}/{den}", round(infos[0].seconds, 6))


def run_commandlet(params: str | Sequence[str], *, settings: Settings | None = None) -> int:
    """Run a batch from commandlet parameters (see :data:`cmdargs.USAGE`); returns the exit code."""
    args = parse_commandlet_args(params)
    if args.ignored:
        LOG.info("MicroExprAnim: ignoring switches %s", " ".join(args.ignored))
    run_settings = settings or load_settings()
    if args.model or args.python or args.weights:
        run_settings = replace(
            run_settings,
            model_mode=args.model or ("external" if args.python else run_settings.model_mode),
            external_python=args.python or run_settings.external_python,
            weights=args.weights or run_settings.weights,
        )
    result = generate_batch(
        args.clips,
        args.skeleton,
        args.rig,
        args.dest,
        overwrite=args.overwrite,
        emotion=args.emotion,
        intensity=args.intensity,
        variants=args.variants,
        seed=args.seed,
        fps=args.fps,
        events=args.events,
        report=args.report,
        settings=run_settings,
        check_skeleton=args.check_skeleton,
    )
    for item in result.failed:
        unreal.log_error(f"MicroExprAnim: {item.clip}: {item.error}")
    unreal.log(
        f"MicroExprAnim batch: {result.counts.get('done', 0)} done, "
        f"{result.counts.get('skipped', 0)} skipped, "
        f"{len(result.failed)} failed; report {result.report_json}"
    )
    return result.exit_code


def main(argv: str | Sequence[str]) -> None:
    """Entry of ``-run=pythonscript -script="microexpr_batch.py -clips=..."``: raises when any clip failed.

    The pythonscript commandlet returns non-zero when the script raises, so a failed batch fails the
    process.
    """
    code = run_commandlet(argv if isinstance(argv, str) else list(argv))
    if code != 0:
        raise BatchFailedError("MicroExprAnim batch: some clips failed; see the report and the log above")


def commandlet_entry(params_base64: str) -> None:
    """Entry used by ``UMicroExprAnimCommandlet``: its command line, UTF-8 then Base64 (no quoting issues)."""
    params = base64.b64decode(params_base64.encode("ascii")).decode("utf-8")
    main(params)
