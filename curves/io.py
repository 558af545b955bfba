"""File formats: Unreal CurveTable CSV, Live Link Face CSV; OpenFace / py-feat AU import.

The CurveSet JSON is written by :meth:`curves.curveset.CurveSet.save`. Every writer goes through
:mod:`curves.atomic`: nothing half-written, no existing file replaced unless ``overwrite``.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from curves.atomic import atomic_write_text
from curves.au import canonical_au
from curves.curveset import CurveSet
from curves.errors import CurvesError
from curves.microexpression import MicroExpression
from curves.reading import read_text
from curves.richcurve import evaluate
from curves.rules import check_fps

__all__ = [
    "ARKIT_BLENDSHAPES",
    "LIVE_LINK_COLUMNS",
    "MAX_CSV_BYTES",
    "MAX_CURVE_LIST_BYTES",
    "OPENFACE_MAX_INTENSITY",
    "CsvTable",
    "curve_table_csv",
    "first_face_only",
    "frame_rate_of",
    "in_time_order",
    "live_link_csv",
    "read_csv_rows",
    "read_curve_names",
    "read_openface_csv",
    "read_pyfeat_csv",
    "sample_curveset",
    "sorted_by_time",
    "write_curve_table_csv",
    "write_live_link_csv",
]

logger = logging.getLogger(__name__)

#: Apple's 52 ``ARFaceAnchor.BlendShapeLocation`` names in Live Link Face's column order.
ARKIT_BLENDSHAPES: tuple[str, ...] = (
    "eyeBlinkLeft",
    "eyeLookDownLeft",
    "eyeLookInLeft",
    "eyeLookOutLeft",
    "eyeLookUpLeft",
    "eyeSquintLeft",
    "eyeWideLeft",
    "eyeBlinkRight",
    "eyeLookDownRight",
    "eyeLookInRight",
    "eyeLookOutRight",
    "eyeLookUpRight",
    "eyeSquintRight",
    "eyeWideRight",
    "jawForward",
    "jawRight",
    "jawLeft",
    "jawOpen",
    "mouthClose",
    "mouthFunnel",
    "mouthPucker",
    "mouthRight",
    "mouthLeft",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthShrugLower",
    "mouthShrugUpper",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "cheekPuff",
    "cheekSquintLeft",
    "cheekSquintRight",
    "noseSneerLeft",
    "noseSneerRight",
    "tongueOut",
)
_HEAD_EYE = (
    "HeadYaw",
    "HeadPitch",
    "HeadRoll",
    "LeftEyeYaw",
    "LeftEyePitch",
    "LeftEyeRoll",
    "RightEyeYaw",
    "RightEyePitch",
    "RightEyeRoll",
)
#: Live Link Face CSV columns: Timecode, BlendShapeCount, 52 PascalCase blendshapes, head and eye rotations.
LIVE_LINK_COLUMNS: tuple[str, ...] = (
    "Timecode",
    "BlendShapeCount",
    *(n[0].upper() + n[1:] for n in ARKIT_BLENDSHAPES),
    *_HEAD_EYE,
)


def sample_curveset(cs: CurveSet, times: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Each curve's auto-tangent replay at ``times`` (default: every frame of the CurveSet)."""
    t = np.arange(cs.n_frames) / cs.fps if times is None else np.asarray(times, dtype=np.float64)
    return {c.name: evaluate(c.times, c.values, t, interp=c.interp) for c in cs.curves}


def _num(x: float) -> str:
    return f"{float(x):.6g}"


def curve_table_csv(cs: CurveSet, *, times: str = "keys") -> str:
    """Unreal CurveTable CSV text: header ``---`` then times; one row per curve.

    Unreal's ``UCurveTable::CreateTableFromCSVString`` gives every row a key at every header time (an empty
    cell would read as 0), so each row holds a value at each header time: the curve's own replay there.

    Args:
        cs: the curves.
        times: ``"keys"`` (default) uses the union of all curves' key times: compact, and a curve's extra
            keys lie on its own replay so Unreal's re-tangented curve stays close to it; ``"frames"`` writes
            every frame (exact sampling).
    """
    if times == "keys":
        grid = np.unique(np.concatenate([c.times for c in cs.curves])) if cs.curves else np.zeros(0)
    elif times == "frames":
        grid = np.arange(cs.n_frames) / cs.fps
    else:
        raise ValueError(f"times must be 'keys' or 'frames', got {times!r}")
    samples = sample_curveset(cs, grid)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["---", *(_num(t) for t in grid)])
    for c in cs.curves:
        writer.writerow([c.name, *(_num(v) for v in samples[c.name])])
    return buf.getvalue()


def write_curve_table_csv(cs: CurveSet, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Write :func:`curve_table_csv` atomically (import it as a CurveTable with RCIM_Cubic)."""
    return atomic_write_text(path, curve_table_csv(cs), overwrite=overwrite)


def _timecode(seconds: float, fps: float) -> str:
    """Live Link Face timecode ``HH:MM:SS:FF.mmm`` (frames at the rate, sub-frame as thousandths)."""
    total_frames = seconds * fps
    whole = math.floor(total_frames + 1e-9)
    sub = round((total_frames - whole) * 1000) % 1000
    frame_rate = max(1, round(fps))
    ff = whole % frame_rate
    secs = whole // frame_rate
    return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}:{ff:02d}.{sub:03d}"


def live_link_csv(cs: CurveSet) -> str:
    """Live Link Face CSV text: one line per frame, ARKit blendshape columns, head/eye rotations zero.

    Raises:
        ValueError: a curve is not an ARKit blendshape name (lists them).
    """
    known = set(ARKIT_BLENDSHAPES)
    foreign = [n for n in cs.names if n not in known]
    if foreign:
        raise ValueError(
            f"Live Link Face CSV holds only ARKit blendshapes; these curves are not ARKit names: "
            f"{', '.join(foreign)} (use the arkit rig table)"
        )
    samples = sample_curveset(cs)
    t = np.arange(cs.n_frames) / cs.fps
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(LIVE_LINK_COLUMNS)
    for i, ti in enumerate(t):
        row = [_timecode(float(ti), cs.fps), str(len(ARKIT_BLENDSHAPES) + len(_HEAD_EYE))]
        row += [_num(np.clip(samples[n][i], 0.0, 1.0)) if n in samples else "0" for n in ARKIT_BLENDSHAPES]
        row += ["0"] * len(_HEAD_EYE)
        writer.writerow(row)
    return buf.getvalue()


def write_live_link_csv(cs: CurveSet, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Write :func:`live_link_csv` atomically."""
    return atomic_write_text(path, live_link_csv(cs), overwrite=overwrite)


# --- import ---------------------------------------------------------------------------------------

#: The largest AU track CSV read (bytes): an hour of OpenFace output at 60 fps is about 150 MB.
MAX_CSV_BYTES = 512_000_000
#: OpenFace's AU intensity scale.
OPENFACE_MAX_INTENSITY = 5.0
#: A step between timestamps this many times the median step means rows are missing.
_GAP_FACTOR = 1.75
_MISSING = ("", "nan", "NaN", "NAN", "None", "none", "null", "NULL")


@dataclass(frozen=True)
class CsvTable:
    """A CSV read with :func:`read_csv_rows`: header, rows of stripped cells, and each row's line."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def select(self, order: Sequence[int] | np.ndarray) -> CsvTable:
        """The rows at ``order`` (e.g. sorted by time), keeping their line numbers."""
        idx = [int(i) for i in order]
        return CsvTable(self.path, self.header, [self.rows[i] for i in idx], [self.lines[i] for i in idx])

    def column(self, name: str, *, missing_ok: bool = False) -> np.ndarray:
        """Column ``name`` as floats; NaN for empty cells when ``missing_ok``.

        Raises:
            ValueError: a cell is not a number, or is NaN/inf/empty without ``missing_ok`` (names the line).
        """
        j = self.header.index(name)
        out = np.empty(len(self.rows))
        for i, r in enumerate(self.rows):
            cell = r[j]
            if cell in _MISSING:
                if not missing_ok:
                    raise ValueError(f"{self.path}, line {self.lines[i]}: column {name} is empty ({cell!r})")
                out[i] = np.nan
                continue
            try:
                out[i] = float(cell)
            except ValueError:
                raise ValueError(
                    f"{self.path}, line {self.lines[i]}: column {name} is not a number: {cell!r}"
                ) from None
            if not math.isfinite(out[i]) and not missing_ok:
                raise ValueError(f"{self.path}, line {self.lines[i]}: column {name} is NaN or inf")
        return out


def read_csv_rows(path: str | os.PathLike[str]) -> CsvTable:
    """Read a CSV with a header (cells stripped, so OpenFace's ``", "`` separators work).

    Raises:
        FileNotFoundError, ValueError (too large, not UTF-8 text, empty, or rows of the wrong length,
        naming the line).
    """
    p = Path(path)
    text = read_text(
        p,
        kind="AU track file",
        max_bytes=MAX_CSV_BYTES,
        hint="split the tracks into clips",
        encoding="utf-8-sig",
    )
    reader = csv.reader(io.StringIO(text.replace("\0", "")), skipinitialspace=True)
    header: list[str] | None = None
    body: list[list[str]] = []
    lines: list[int] = []
    try:
        for r in reader:
            if not any(c.strip() for c in r):
                continue
            if header is None:
                header = [c.strip() for c in r]
                continue
            if len(r) != len(header):
                raise ValueError(
                    f"{p}, line {reader.line_num}: {len(r)} cells but the header has {len(header)}"
                )
            body.append([c.strip() for c in r])
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise ValueError(f"{p}, line {reader.line_num}: not a readable CSV row ({exc})") from None
    if header is None or not body:
        raise ValueError(f"{p}: no data rows under the header")
    return CsvTable(p, header, body, lines)


def sorted_by_time(
    table: CsvTable, times: np.ndarray, what: str, *, show_time: bool = True, hint: str = ""
) -> tuple[CsvTable, np.ndarray]:
    """Rows sorted by ``times`` (stable), and the sorted times; two rows at one time are refused.

    Raises:
        CurvesError (a ValueError) naming the file, both lines and ``what`` (with the time when
        ``show_time``).
    """
    order = np.argsort(times, kind="stable")
    table, times = table.select(order), np.asarray(times)[order]
    repeats = np.flatnonzero(np.diff(times) <= 0)
    if repeats.size:
        k = int(repeats[0])
        shown = f" {times[k]:g}" if show_time else ""
        raise CurvesError(
            f"{table.path}, lines {table.lines[k]} and {table.lines[k + 1]}: the same {what}{shown} twice; "
            f"each frame must appear once{hint}"
        )
    return table, times


def in_time_order(table: CsvTable, time_cols: Sequence[str]) -> tuple[CsvTable, np.ndarray | None]:
    """Rows sorted by the first time column present; refuses repeated times and missing rows.

    Returns the sorted table and its times (None when the file has no time column).
    """
    col = next((c for c in time_cols if c in table.header), None)
    if col is None:
        return table, None
    table, ts = sorted_by_time(table, table.column(col), col, hint=" (one face per file)")
    steps = np.diff(ts)
    if steps.size >= 2:
        typical = float(np.median(steps))
        big = np.flatnonzero(steps > _GAP_FACTOR * typical)
        if big.size:
            k = int(big[0])
            raise ValueError(
                f"{table.path}, lines {table.lines[k]} and {table.lines[k + 1]}: {col} jumps from {ts[k]:g} "
                f"to {ts[k + 1]:g} (frames are {typical:.4g} s apart): rows are missing; export every frame"
            )
    return table, ts


def frame_rate_of(
    table: CsvTable, ts: np.ndarray | None, fps: float | None, time_cols: Sequence[str]
) -> float:
    """The capture's frame rate: ``fps`` when given, else from the frame numbers and times ``ts`` (s).

    Raises ValueError naming the file when neither gives one.
    """
    if fps is not None:
        return check_fps(fps, what="--fps")
    if ts is not None and ts.size >= 2 and ts[-1] > ts[0]:
        if "frame" in table.header:
            frames = table.column("frame")
            if frames[-1] > frames[0]:
                return check_fps(
                    (frames[-1] - frames[0]) / (ts[-1] - ts[0]), what=f"{table.path}: frame rate"
                )
        return check_fps(1.0 / float(np.median(np.diff(ts))), what=f"{table.path}: frame rate")
    if ts is not None:
        raise ValueError(f"{table.path}: a single timestamp cannot give the frame rate; pass --fps")
    raise ValueError(
        f"{table.path}: cannot tell the frame rate (no {'/'.join(time_cols)} column); pass --fps"
    )


def first_face_only(table: CsvTable) -> CsvTable:
    """The rows of the first ``face_id`` of a capture that tracked several faces (with a warning)."""
    if "face_id" not in table.header:
        return table
    j = table.header.index("face_id")
    ids = list(dict.fromkeys(r[j] for r in table.rows))
    if len(ids) > 1:
        logger.warning(
            "%s holds %d faces (face_id %s); using face_id %s only", table.path, len(ids), ids[:10], ids[0]
        )
        return table.select([i for i, r in enumerate(table.rows) if r[j] == ids[0]])
    return table


def _fill_untracked(path: Path, act: np.ndarray, ok: np.ndarray, what: str) -> np.ndarray:
    if not ok.any():
        raise ValueError(f"{path}: {what} on no frame; nothing to animate")
    if not ok.all():
        logger.warning("%s: %d of %d frames without a face; interpolated", path, int((~ok).sum()), ok.size)
        idx = np.arange(ok.size)
        for j in range(act.shape[1]):
            act[:, j] = np.interp(idx, idx[ok], act[ok, j])
    return act


_OF_RE = re.compile(r"^AU(\d{2})_([rc])$")


def read_openface_csv(path: str | os.PathLike[str], fps: float | None = None) -> MicroExpression:
    """Read an OpenFace 2.x ``FeatureExtraction`` CSV as AU tracks.

    Intensity columns ``AU*_r`` (0-5) become activations ``/ 5`` (values outside 0-5 are clipped, with a
    warning); an AU with only a presence column ``AU*_c`` (OpenFace's AU28) uses presence (0/1). Rows are
    put in ``timestamp`` order; a repeated timestamp or missing rows are refused with their lines. Frames
    where ``success`` is 0 (no face tracked) are filled by linear interpolation from tracked neighbours,
    with a warning. The frame rate comes from ``frame``/``timestamp`` unless ``fps`` is given.

    Raises:
        FileNotFoundError; ValueError (no AU columns, bad numbers, no tracked frame, unknown fps).
    """
    table = first_face_only(read_csv_rows(path))
    p = table.path
    cols: dict[str, tuple[str, str]] = {}
    for name in table.header:
        m = _OF_RE.match(name)
        if m:
            au = canonical_au(m.group(1))
            kind = m.group(2)
            if kind == "r" or au not in cols:
                cols[au] = (name, kind)
    if not cols:
        raise ValueError(f"{p}: no OpenFace AU columns (AU01_r ... AU45_r / AU01_c ...) in the header")
    table, ts = in_time_order(table, ("timestamp",))
    rate = frame_rate_of(table, ts, fps, ("timestamp",))
    names = sorted(cols, key=lambda a: int(a[2:]))
    columns = []
    for a in names:
        column, kind = cols[a]
        values = table.column(column)
        top = OPENFACE_MAX_INTENSITY if kind == "r" else 1.0
        outside = np.flatnonzero((values < 0.0) | (values > top))
        if outside.size:
            logger.warning(
                "%s: column %s has %d values outside OpenFace's 0-%g (first at line %d: %g); clipped",
                p,
                column,
                outside.size,
                top,
                table.lines[int(outside[0])],
                values[outside[0]],
            )
        columns.append(np.clip(values / top, 0.0, 1.0))
    act = np.stack(columns, axis=1)
    if "success" in table.header:
        act = _fill_untracked(p, act, table.column("success") > 0.5, "OpenFace tracked a face (success 1)")
    return MicroExpression.from_tracks(
        {a: act[:, j] for j, a in enumerate(names)}, rate, model="openface", source=str(p)
    )


_FEAT_AU_RE = re.compile(r"^AU(\d{2})$")
_FEAT_EMOTIONS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")


def read_pyfeat_csv(path: str | os.PathLike[str], fps: float | None = None) -> MicroExpression:
    """Read a py-feat ``Fex`` CSV (columns ``AU01`` ... ``AU43`` in [0, 1]) as AU tracks.

    Emotion columns, when present, become the clip's emotion probabilities (mean over frames). Frames
    with no detected face (empty, NaN or None AU cells) are interpolated from their neighbours. Rows are
    put in time order; the frame rate comes from ``approx_time``/``timestamp``/``time`` unless ``fps``
    is given.
    """
    table = read_csv_rows(path)
    p = table.path
    names = [h for h in table.header if _FEAT_AU_RE.match(h)]
    if not names:
        raise ValueError(f"{p}: no py-feat AU columns (AU01 ... AU43) in the header")
    time_cols = ("approx_time", "timestamp", "time")
    table, ts = in_time_order(table, time_cols)
    rate = frame_rate_of(table, ts, fps, time_cols)
    act = np.stack([table.column(h, missing_ok=True) for h in names], axis=1)
    act = _fill_untracked(p, act, np.all(np.isfinite(act), axis=1), "py-feat detected a face")
    if act.min() < -1e-6 or act.max() > 1 + 1e-6:
        raise ValueError(f"{p}: py-feat AU values must lie in [0, 1], got [{act.min():.3g}, {act.max():.3g}]")
    probs: dict[str, float] = {}
    for e in _FEAT_EMOTIONS:
        if e in table.header:
            vals = table.column(e, missing_ok=True)
            vals = vals[np.isfinite(vals)]
            if vals.size and np.all(vals >= 0):
                probs[e] = float(np.mean(vals))
    total = sum(probs.values())
    probs = {k: v / total for k, v in probs.items()} if total > 0 else {}
    return MicroExpression.from_tracks(
        {canonical_au(h[2:]): np.clip(act[:, j], 0.0, 1.0) for j, h in enumerate(names)},
        rate,
        model="py-feat",
        source=str(p),
        emotion_probs=probs,
    )


#: The longest curve-name list read (bytes): a skeleton has a few thousand curves.
MAX_CURVE_LIST_BYTES = 1_000_000


def read_curve_names(path: str | os.PathLike[str] | None) -> list[str] | None:
    """Curve names from a text file, one per line (``#`` comments and blank lines skipped); None -> None.

    Raises:
        FileNotFoundError; CurvesError: too large, not UTF-8, or no name in it.
    """
    if path is None:
        return None
    text = read_text(path, kind="skeleton curve list", max_bytes=MAX_CURVE_LIST_BYTES)
    names = [line.strip() for line in text.splitlines()]
    names = [n for n in names if n and not n.startswith("#")]
    if not names:
        raise ValueError(f"{path}: no curve names in the skeleton curve list")
    return names
