"""The front end of every analysis: read a clip (streaming from a file) and follow its face.

:class:`FaceOptions` says how the face is found and which span is read; :func:`read_face_track` gives
the :class:`~ml.stages.face.FaceTrack` every analysis starts from; :func:`face_report` says in the
result which spans were analysed, which frames had no face, where the cuts were and the head pose, and
warns where the footage limits what can be measured (a face too small, a clip without colour).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ml.errors import ClipReadError, NoFaceError
from ml.rules import MIN_FRAMES
from ml.stages.face import FaceTrack, align_clip, no_face_message, runs_of, track_faces
from ml.stages.video import Clip, open_clip

__all__ = [
    "MONOCHROME_CHROMA",
    "SMALL_FACE_EYE_PX",
    "FaceOptions",
    "check_length",
    "face_chroma",
    "face_report",
    "monochrome_warning",
    "read_face_track",
    "small_face_warning",
]

#: A face whose eye centres are closer than this in the source frames, px, is too small to read
#: micro-expressions from: a millimetre of skin is a third of a pixel there, and noise starts events.
#: Measured on the animated photographs framed as wider shots (``python3 -m bench.real_faces
#: --no-template --face-height H``): eyes 23-25 px apart (a face a sixth of a 640x360 frame's height)
#: read as a close-up does (mean PCC 0.79-0.81, spotting F1 0.84-0.91); 16-18 px (an eighth) found two
#: to three times as many events as there were (F1 0.50-0.65).
SMALL_FACE_EYE_PX = 20.0

#: A face whose crops' mean chroma (each pixel's largest less smallest of R, G and B, 0-255) is under
#: this was filmed without colour: infrared and high-speed research cameras (SAMM's, for one),
#: black-and-white film. The development faces rendered in grey read 1.9 (sensor noise and compression),
#: in colour 54-101.
MONOCHROME_CHROMA = 8.0
#: Frames the chroma is measured on, evenly spread over the frames with the face.
_CHROMA_FRAMES = 16

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaceOptions:
    """How the face is found and which part of the clip is read (the ``faces``/``infer`` options).

    Attributes:
        detector: ``"landmarks"`` (default) or ``"haar"`` (see :mod:`ml.stages.face`).
        choose, index: which face is the subject when several are seen (``largest``, ``center``,
            ``index`` counting from the left).
        start_s, end_s, max_frames: the span of the clip to read.
        allow_truncated: go on with the frames that decode when a video is truncated.
    """

    detector: str = "landmarks"
    choose: str = "largest"
    index: int = 0
    start_s: float | None = None
    end_s: float | None = None
    max_frames: int | None = None
    allow_truncated: bool = False


def check_length(frames: int, source: Path | str) -> None:
    if frames < MIN_FRAMES:
        raise ValueError(
            f"{source}: has {frames} frame(s); at least {MIN_FRAMES} are needed for a micro-expression"
        )


def read_face_track(
    clip: str | Path | Clip,
    *,
    fps: float | None = None,
    progress: bool = False,
    face: FaceOptions | None = None,
) -> FaceTrack:
    """Read a clip (streaming from a file) and follow its face: the front end of every analysis.

    Raises:
        NoFaceError: no frame has the face.
        ml.errors.ClipReadError: unreadable, truncated (unless allowed) or empty clip.
    """
    opts = face or FaceOptions()
    if isinstance(clip, Clip):
        check_length(clip.num_frames, clip.source)
        return align_clip(
            clip, progress=progress, detector=opts.detector, choose=opts.choose, index=opts.index
        )
    with open_clip(
        Path(clip),
        fps,
        start_s=opts.start_s,
        end_s=opts.end_s,
        max_frames=opts.max_frames,
        allow_truncated=opts.allow_truncated,
    ) as stream:
        chunks = list(
            track_faces(
                ((f.number, f.rgb) for f in stream),
                stream.fps,
                source=stream.source,
                detector=opts.detector,
                choose=opts.choose,
                index=opts.index,
                progress=progress,
                total=stream.info.declared_frames,
            )
        )
    track = FaceTrack.concatenate(chunks)
    if track.num_frames == 0:
        raise ClipReadError(f"{stream.source}: no readable frame in the selected span (empty or corrupt)")
    check_length(track.num_frames, stream.source)
    if not track.present.any():
        raise NoFaceError(no_face_message(stream.source, track.num_frames, track.detector))
    return track


def face_report(track: FaceTrack, *, measured: bool = False) -> dict[str, Any]:
    """What the analysis says about the face: the spans analysed, the frames without it, other faces, its
    size (the median distance between the eye centres in the source frames, px) and what the user should
    know about it (``warnings``: one sentence each, logged here as well; every analysis reports its face
    once). ``measured``: the AU tracks were measured from the face (the landmarks' limits apply)."""
    report: dict[str, Any] = {
        "detector": track.detector,
        "analysed_spans": [list(s) for s in track.spans(MIN_FRAMES)],
        "faceless_spans": runs_of(~track.present),
        "cuts": list(track.cuts),
        "other_faces_present": int(track.other_faces.max(initial=0)),
    }
    eyes = track.eye_distance_px()
    report["eye_distance_px"] = None if eyes is None else round(eyes, 1)
    warnings = [small_face_warning(eyes, track.source)]
    if measured:
        warnings.append(monochrome_warning(face_chroma(track.crops, track.present), track.source))
    report["warnings"] = [warning for warning in warnings if warning is not None]
    for warning in report["warnings"]:
        log.warning("%s", warning)
    if track.detector == "landmarks":
        report["head_pose_deg"] = [
            None if not np.isfinite(p).all() else [round(float(v), 1) for v in p] for p in track.pose
        ]
    return report


def small_face_warning(eyes: float | None, source: str | Path) -> str | None:
    """What to tell the user when the face's eyes are ``eyes`` px apart (None: no face), too close for
    micro-expressions (:data:`SMALL_FACE_EYE_PX`)."""
    if eyes is None or eyes >= SMALL_FACE_EYE_PX:
        return None
    return (
        f"{source}: the face is small in this clip (its eyes {eyes:.0f} px apart; {SMALL_FACE_EYE_PX:.0f} px "
        "or more is needed): micro-expressions are lost in the noise and some events found may be noise; "
        "film closer, or crop the video around the face before analysing it"
    )


def face_chroma(crops: np.ndarray, present: np.ndarray) -> float | None:
    """Mean chroma of the face in ``(N, S, S, 3)`` RGB crops: each pixel's largest less smallest channel
    over the middle half of the crop (the face), averaged over up to :data:`_CHROMA_FRAMES` frames with
    the face (``present``); None when no frame has it."""
    frames = np.flatnonzero(present)
    if len(frames) == 0:
        return None
    picked = frames[np.linspace(0, len(frames) - 1, min(_CHROMA_FRAMES, len(frames))).round().astype(int)]
    quarter = crops.shape[1] // 4
    middle = np.asarray(crops[picked, quarter : crops.shape[1] - quarter, quarter : crops.shape[2] - quarter])
    return float(np.mean(middle.max(axis=-1).astype(np.int16) - middle.min(axis=-1)))


def monochrome_warning(chroma: float | None, source: str | Path) -> str | None:
    """What to tell the user when the face's chroma (:func:`face_chroma`) says the clip has no colour
    (:data:`MONOCHROME_CHROMA`; None: no face).

    The landmark model follows the lips less surely without colour, and lips apart (AU25), which the
    landmarks and the flow must both see, suffers most: on the development faces filmed in grey
    (``python3 -m bench.real_faces --monochrome --no-template``) micro-expressions at 30 fps read AU25
    at PCC 0.21 against 0.62 in colour (0.45 and -0.02 per face) and the jaw drop (AU26) at 0.66 against
    0.83; with the photographs themselves made grey, AU25 read 0.09 and 0.00 against 0.82 and 0.74. The
    held-out Grace Hopper portrait read it no worse in grey (0.48 against 0.01), so this says what can
    happen, not what will.
    """
    if chroma is None or chroma >= MONOCHROME_CHROMA:
        return None
    return (
        f"{source}: the clip has no colour (monochrome footage): the landmark model follows the lips less "
        "surely without colour, so lips apart (AU25) and the jaw drop (AU26) may be missed or read small "
        "on some faces; check them, and key them by hand where they matter"
    )
