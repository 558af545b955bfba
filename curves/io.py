"""File formats: CurveSet JSON, Unreal CurveTable CSV, Live Link Face CSV; OpenFace / py-feat AU import.

Every writer goes through :mod:`curves.atomic`: nothing half-written, no existing file replaced unless
``overwrite``.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from curves.atomic import atomic_write_text
from curves.au import canonical_au
from curves.curveset import CurveSet
from curves.microexpression import MicroExpression
from curves.richcurve import evaluate

__all__ = [
    "ARKIT_BLENDSHAPES",
    "LIVE_LINK_COLUMNS",
    "curve_table_csv",
    "live_link_csv",
    "read_csv_rows",
    "read_openface_csv",
    "read_pyfeat_csv",
    "sample_curveset",
    "write_curve_table_csv",
    "write_curveset_json",
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


def write_curveset_json(cs: CurveSet, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Write the CurveSet JSON contract (atomic)."""
    return atomic_write_text(path, cs.to_json(), overwrite=overwrite)


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


def read_csv_rows(path: str | os.PathLike[str]) -> tuple[Path, list[str], list[list[str]]]:
    """Read a CSV with a header (cells stripped, so OpenFace's ``", "`` separators work).

    Raises:
        FileNotFoundError, ValueError (empty file or rows of the wrong length, naming the line).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"AU track file not found: {p}")
    text = p.read_text(encoding="utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text), skipinitialspace=True) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValueError(f"{p}: no data rows under the header")
    header = [c.strip() for c in rows[0]]
    body = []
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise ValueError(f"{p}, line {i}: {len(r)} cells but the header has {len(header)}")
        body.append([c.strip() for c in r])
    return p, header, body


def _column(p: Path, header: list[str], body: list[list[str]], name: str) -> np.ndarray:
    j = header.index(name)
    out = np.empty(len(body))
    for i, r in enumerate(body):
        try:
            out[i] = float(r[j])
        except ValueError:
            raise ValueError(f"{p}, line {i + 2}: column {name} is not a number: {r[j]!r}") from None
    if not np.all(np.isfinite(out)):
        bad = int(np.flatnonzero(~np.isfinite(out))[0])
        raise ValueError(f"{p}, line {bad + 2}: column {name} is NaN or inf")
    return out


def _fps_from(
    p: Path,
    header: list[str],
    body: list[list[str]],
    fps: float | None,
    time_cols: Sequence[str],
) -> float:
    if fps is not None:
        rate = float(fps)
        if not math.isfinite(rate) or rate <= 0:
            raise ValueError(f"fps must be a positive number, got {fps!r}")
        return rate
    for col in time_cols:
        if col in header:
            ts = _column(p, header, body, col)
            if ts.size >= 2 and ts[-1] > ts[0]:
                if "frame" in header:
                    frames = _column(p, header, body, "frame")
                    if frames[-1] > frames[0]:
                        return float((frames[-1] - frames[0]) / (ts[-1] - ts[0]))
                steps = np.diff(ts)
                steps = steps[steps > 0]
                if steps.size:
                    return float(1.0 / np.median(steps))
    raise ValueError(f"{p}: cannot tell the frame rate (no usable {'/'.join(time_cols)} column); pass --fps")


def _one_face(p: Path, header: list[str], body: list[list[str]]) -> list[list[str]]:
    if "face_id" not in header:
        return body
    j = header.index("face_id")
    ids = list(dict.fromkeys(r[j] for r in body))
    if len(ids) > 1:
        logger.warning("%s holds %d faces (face_id %s); using face_id %s only", p, len(ids), ids, ids[0])
        return [r for r in body if r[j] == ids[0]]
    return body


_OF_RE = re.compile(r"^AU(\d{2})_([rc])$")


def read_openface_csv(path: str | os.PathLike[str], fps: float | None = None) -> MicroExpression:
    """Read an OpenFace 2.x ``FeatureExtraction`` CSV as AU tracks.

    Intensity columns ``AU*_r`` (0-5) become activations ``/ 5``; an AU with only a presence column
    ``AU*_c`` (OpenFace's AU28) uses presence (0/1). Frames where ``success`` is 0 (no face tracked) are
    filled by linear interpolation from tracked neighbours, with a warning. The frame rate comes from
    ``frame``/``timestamp`` unless ``fps`` is given.

    Raises:
        FileNotFoundError; ValueError (no AU columns, bad numbers, no tracked frame, unknown fps).
    """
    p, header, body = read_csv_rows(path)
    body = _one_face(p, header, body)
    cols: dict[str, tuple[str, str]] = {}
    for name in header:
        m = _OF_RE.match(name)
        if m:
            au = canonical_au(m.group(1))
            kind = m.group(2)
            if kind == "r" or au not in cols:
                cols[au] = (name, kind)
    if not cols:
        raise ValueError(f"{p}: no OpenFace AU columns (AU01_r ... AU45_r / AU01_c ...) in the header")
    rate = _fps_from(p, header, body, fps, ("timestamp",))
    names = sorted(cols, key=lambda a: int(a[2:]))
    act = np.stack(
        [_column(p, header, body, cols[a][0]) / (5.0 if cols[a][1] == "r" else 1.0) for a in names], axis=1
    )
    act = np.clip(act, 0.0, 1.0)
    if "success" in header:
        ok = _column(p, header, body, "success") > 0.5
        if not ok.any():
            raise ValueError(f"{p}: OpenFace tracked no face on any frame (success is 0 everywhere)")
        if not ok.all():
            missing = int((~ok).sum())
            logger.warning("%s: %d of %d frames without a tracked face; interpolated", p, missing, ok.size)
            idx = np.arange(ok.size)
            for j in range(act.shape[1]):
                act[:, j] = np.interp(idx, idx[ok], act[ok, j])
    return MicroExpression.from_tracks(
        {a: act[:, j] for j, a in enumerate(names)}, rate, model="openface", source=str(p)
    )


_FEAT_AU_RE = re.compile(r"^AU(\d{2})$")
_FEAT_EMOTIONS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")


def read_pyfeat_csv(path: str | os.PathLike[str], fps: float | None = None) -> MicroExpression:
    """Read a py-feat ``Fex`` CSV (columns ``AU01`` ... ``AU43`` in [0, 1]) as AU tracks.

    Emotion columns, when present, become the clip's emotion probabilities (mean over frames). Frames
    with no detected face (empty/NaN AU cells) are interpolated from their neighbours. The frame rate comes
    from ``approx_time``/``timestamp`` unless ``fps`` is given.
    """
    p, header, body = read_csv_rows(path)
    names = [h for h in header if _FEAT_AU_RE.match(h)]
    if not names:
        raise ValueError(f"{p}: no py-feat AU columns (AU01 ... AU43) in the header")
    rate = _fps_from(p, header, body, fps, ("approx_time", "timestamp", "time"))
    cols = []
    for h in names:
        j = header.index(h)
        col = np.array([float(r[j]) if r[j] not in ("", "nan", "NaN") else np.nan for r in body])
        cols.append(col)
    act = np.stack(cols, axis=1)
    ok = np.all(np.isfinite(act), axis=1)
    if not ok.any():
        raise ValueError(f"{p}: no frame with a detected face (all AU cells empty)")
    if not ok.all():
        logger.warning("%s: %d of %d frames without a face; interpolated", p, int((~ok).sum()), ok.size)
        idx = np.arange(ok.size)
        for j in range(act.shape[1]):
            act[:, j] = np.interp(idx, idx[ok], act[ok, j])
    if act.min() < -1e-6 or act.max() > 1 + 1e-6:
        raise ValueError(f"{p}: py-feat AU values must lie in [0, 1], got [{act.min():.3g}, {act.max():.3g}]")
    probs: dict[str, float] = {}
    for e in _FEAT_EMOTIONS:
        if e in header:
            j = header.index(e)
            vals = [float(r[j]) for r in body if r[j] not in ("", "nan", "NaN")]
            if vals:
                probs[e] = float(np.mean(vals))
    total = sum(probs.values())
    if total > 0:
        probs = {k: v / total for k, v in probs.items()}
    return MicroExpression.from_tracks(
        {canonical_au(h[2:]): np.clip(act[:, j], 0.0, 1.0) for j, h in enumerate(names)},
        rate,
        model="py-feat",
        source=str(p),
        emotion_probs=probs,
    )
