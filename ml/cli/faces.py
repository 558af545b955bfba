"""``microexpr faces``: the face in every frame of a clip: crops, landmarks, pose, blendshapes, presence.

    microexpr faces clip.mp4 --out faces/
    microexpr faces take.mov --start 12 --end 40 --face center --out faces/
    microexpr faces CASME2_RAW_selected/sub01/EP02_01f --fps 200 --out faces/

Writes, all at once when everything succeeded (frames are streamed, so long takes fit in memory)::

    OUT/crops/frame_000046.png ...   one S x S RGB stabilised crop per frame, named by frame number
    OUT/contact_sheet.png            evenly spaced crops with the landmarks and the AU regions drawn
                                     (red border: no face on that frame; a yellow bar: a cut)
    OUT/faces.json                   the clip, the faceless frames, the analysed spans, the cuts, and per
                                     frame: presence, head pose, blendshapes, landmarks (source and crop)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from curves.atomic import atomic_directory
from ml.cli.face_options import add_face_arguments, face_options
from ml.rules import check_fps

if TYPE_CHECKING:
    import numpy as np

    from ml.stages.face import FaceTrack

__all__ = ["ContactSheet", "register", "run"]

#: Largest crop side a user may ask for (a crop is kept per frame).
MAX_CROP_SIZE = 1024


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "faces",
        help="write the face of every frame of a clip: crops, landmarks, pose, a contact sheet",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("clip", help="video file (mp4/avi/mov) or folder of numbered frames")
    p.add_argument("--out", required=True, help="output folder to create")
    p.add_argument(
        "--size", type=int, default=112, help=f"crop side in pixels (16 to {MAX_CROP_SIZE}; default 112)"
    )
    add_face_arguments(p)
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.set_defaults(func=run)


class ContactSheet:
    """Evenly spaced crops of a stream, kept a few at a time (the spacing doubles as the stream grows)."""

    def __init__(self, max_tiles: int = 48, columns: int = 8, tile: int = 160) -> None:
        self.max_tiles, self.columns, self.tile = max_tiles, columns, tile
        self.step = 1
        self.kept: list[tuple[int, np.ndarray]] = []  # (frame number, tile image)

    def offer(
        self, index: int, number: int, crop: np.ndarray, landmarks: np.ndarray, present: bool, cut: bool
    ) -> None:
        if index % self.step:
            return
        self.kept.append((number, _tile(crop, landmarks, present, cut, self.tile)))
        if len(self.kept) > 2 * self.max_tiles:
            self.kept = self.kept[::2]
            self.step *= 2

    def render(self) -> np.ndarray:
        import cv2  # heavy: imported when the command runs, so `microexpr --help` stays instant
        import numpy as np

        picks = self.kept
        if len(picks) > self.max_tiles:
            keep = np.unique(np.linspace(0, len(picks) - 1, self.max_tiles).round().astype(int))
            picks = [picks[i] for i in keep]
        size, columns = self.tile, self.columns
        tile_h = size + 16
        rows = max(1, (len(picks) + columns - 1) // columns)
        sheet = np.full((rows * tile_h, columns * size, 3), 24, np.uint8)
        for k, (number, image) in enumerate(picks):
            r, c = divmod(k, columns)
            y, x = r * tile_h, c * size
            sheet[y : y + size, x : x + size] = image
            cv2.putText(
                sheet,
                f"#{number}",
                (x + 3, y + size + 12),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.38,
                (230, 230, 230),
                1,
                cv2.LINE_AA,
            )
        return sheet


def _tile(crop: np.ndarray, landmarks: np.ndarray, present: bool, cut: bool, size: int) -> np.ndarray:
    """A crop scaled to ``size`` with its landmarks (dots) and AU regions (outlines) drawn."""
    import cv2  # heavy: see ContactSheet.render
    import numpy as np

    from ml.stages.landmarks import REGIONS
    from ml.stages.landmarks.regions import region_polygon

    scale = size / crop.shape[0]
    tile = cv2.resize(crop, (size, size), interpolation=cv2.INTER_LINEAR)
    if present and np.isfinite(landmarks).all():
        xy = landmarks[:, :2].astype(np.float64) * scale
        across = xy[263] - xy[33]
        across = across / max(float(np.linalg.norm(across)), 1e-9)
        for k, region in enumerate(REGIONS.values()):
            hue = np.full((1, 1), k * 12, np.uint8)
            colour = tuple(int(v) for v in cv2.applyColorMap(hue, cv2.COLORMAP_HSV)[0, 0])
            poly = np.round(region_polygon(xy, region, across) * 16).astype(np.int32)
            cv2.polylines(tile, [poly], True, colour, 1, cv2.LINE_AA, shift=4)
        for x, y in np.round(xy * 16).astype(np.int32)[::3]:
            cv2.circle(tile, (int(x), int(y)), 8, (255, 255, 255), -1, cv2.LINE_AA, shift=4)
    if not present:
        cv2.rectangle(tile, (0, 0), (size - 1, size - 1), (255, 0, 0), 3)
    if cut:
        cv2.rectangle(tile, (0, 0), (5, size - 1), (255, 220, 0), -1)
    return tile


def _frame_record(track: FaceTrack, i: int) -> dict[str, Any]:
    import numpy as np  # heavy only in the sense that this module stays light at import

    rec: dict[str, Any] = {
        "frame": int(track.first_index + i),
        "number": int(track.frame_numbers[i]),
        "present": bool(track.present[i]),
        "presence": round(float(track.presence[i]), 4),
        "segment": int(track.segments[i]),
        "other_faces": int(track.other_faces[i]),
        "crop_transform": [[round(float(v), 6) for v in row] for row in track.transforms[i]],
    }
    if track.present[i] and np.isfinite(track.landmarks[i]).all():
        yaw, pitch, roll = (round(float(v), 2) for v in track.pose[i])
        rec["pose"] = {"yaw": yaw, "pitch": pitch, "roll": roll}
        rec["blendshapes"] = [round(float(v), 4) for v in track.blendshapes[i]]
        rec["landmarks_crop"] = np.round(track.landmarks[i], 2).tolist()
        rec["landmarks_source"] = np.round(track.landmarks_in_frame(i), 2).tolist()
    return rec


def _write_frames_json(handle: IO[str], track: FaceTrack, first: bool) -> None:
    for i in range(track.num_frames):
        handle.write(
            ("" if first and i == 0 else ",\n") + json.dumps(_frame_record(track, i), separators=(",", ":"))
        )


def run(args: argparse.Namespace) -> int:
    import cv2  # heavy (OpenCV, the landmark runtime): imported when the command runs
    import numpy as np

    from ml.errors import ClipReadError, NoFaceError, UserError
    from ml.stages.face import BLENDSHAPE_NAMES, no_face_message, runs_of, track_faces
    from ml.stages.video import open_clip

    out = Path(args.out)
    if not 16 <= args.size <= MAX_CROP_SIZE:
        raise UserError(f"--size must be between 16 and {MAX_CROP_SIZE} pixels, got {args.size}")
    if args.fps is not None:
        check_fps(args.fps, what="--fps")
    opts = face_options(args)
    started = time.perf_counter()
    sheet = ContactSheet()
    present: list[bool] = []
    spans: list[list[int]] = []
    cuts: list[int] = []
    other = 0
    first_number: int | None = None
    with (
        open_clip(
            args.clip,
            args.fps,
            start_s=opts.start_s,
            end_s=opts.end_s,
            max_frames=opts.max_frames,
            allow_truncated=opts.allow_truncated,
        ) as stream,
        atomic_directory(out, overwrite=args.overwrite, keep=[args.clip]) as tmp,
    ):
        crops_dir = tmp / "crops"
        crops_dir.mkdir()
        frames_part = tmp / ".frames.json"
        detector = opts.detector
        with frames_part.open("w", encoding="utf-8") as handle:
            for chunk in track_faces(
                ((f.number, f.rgb) for f in stream),
                stream.fps,
                source=stream.source,
                size=args.size,
                detector=opts.detector,
                choose=opts.choose,
                index=opts.index,
                chunk_frames=256,
                progress=True,
                total=stream.info.declared_frames,
            ):
                detector = chunk.detector
                if first_number is None and chunk.num_frames:
                    first_number = int(chunk.frame_numbers[0])
                cut_set = set(chunk.cuts)
                for i in range(chunk.num_frames):
                    number = int(chunk.frame_numbers[i])
                    path = crops_dir / f"frame_{number:06d}.png"
                    if not cv2.imwrite(str(path), cv2.cvtColor(chunk.crops[i], cv2.COLOR_RGB2BGR)):
                        raise OSError(f"{out / 'crops' / path.name}: cannot write the crop")
                    sheet.offer(
                        chunk.first_index + i,
                        number,
                        chunk.crops[i],
                        chunk.landmarks[i],
                        bool(chunk.present[i]),
                        i in cut_set,
                    )
                _write_frames_json(handle, chunk, first=not present)
                spans += [[chunk.first_index + a, chunk.first_index + b] for a, b in chunk.spans()]
                cuts += [chunk.first_index + c for c in chunk.cuts]
                present += chunk.present.tolist()
                other = max(other, int(chunk.other_faces.max(initial=0)))
        if not present:
            raise ClipReadError(f"{stream.source}: no readable frame in the selected span (empty or corrupt)")
        if not any(present):
            raise NoFaceError(no_face_message(stream.source, len(present), detector))
        mask = np.asarray(present)
        faceless = runs_of(~mask)
        header = {
            "source": str(stream.source),
            "fps": stream.fps,
            "frames": len(present),
            "frame_size": [stream.info.width, stream.info.height],
            "first_frame": stream.info.first_index,
            "first_frame_number": first_number,
            "crop_size": args.size,
            "detector": detector,
            "face_choice": {"rule": opts.choose, "index": opts.index},
            "other_faces_present": other,
            "faces_present_fraction": round(float(mask.mean()), 4),
            "missing_frames": [int(i) for i in np.flatnonzero(~mask)],
            "faceless_spans": faceless,
            "analysed_spans": [s for s in spans if s[1] - s[0] >= 4],
            "cuts": cuts,
            "truncated": list(stream.truncated) if stream.truncated else None,
            "blendshape_names": list(BLENDSHAPE_NAMES),
            "landmarks": "478 points (x, y, z): landmarks_crop in crop pixels, landmarks_source in frame "
            "pixels",
            "pose": "degrees; yaw > 0: the subject turns to their left; pitch > 0: looks up; roll > 0: head "
            "tilts towards the subject's left shoulder",
            "crops": "crops/frame_%06d.png (frame number)",
            "seconds": round(time.perf_counter() - started, 3),
        }
        with (tmp / "faces.json").open("w", encoding="utf-8") as handle:
            text = json.dumps(header, indent=1)
            handle.write(text[:-2] + ',\n "per_frame": [\n')
            with frames_part.open(encoding="utf-8") as part:
                while block := part.read(1 << 20):
                    handle.write(block)
            handle.write("\n ]\n}\n")
        frames_part.unlink()
        if not cv2.imwrite(str(tmp / "contact_sheet.png"), cv2.cvtColor(sheet.render(), cv2.COLOR_RGB2BGR)):
            raise OSError(f"{out}: cannot write contact_sheet.png")
    n, seen = len(present), int(mask.sum())
    notes = []
    if faceless:
        notes.append(f"no face on {n - seen} frames ({len(faceless)} spans, listed in faces.json)")
    if other:
        notes.append(f"other faces were present (up to {other}); the subject is the {opts.choose} face")
    if cuts:
        notes.append(f"{len(cuts)} cut(s) restarted stabilisation")
    summary = "; ".join([f"{stream.source}: {n} frames, face on {seen}", *notes, f"written to {out}"])
    print(summary)
    return 0
