"""The preview video: AU intensities as the keys replay them, the driven face, and the files written."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageSequence

from curves.curveset import CurveKeys, CurveSet
from curves.rigmap import RigRow, RigTable
from ml.analyze import read_face_track
from ml.cli import preview_video
from ml.cli.main import run_command
from ml.datasets.photo_clips.drive import (
    drive_intensities,
    least_expressive_frame,
    replayed_aus,
    stock_face,
    track_neutral_face,
)
from ml.datasets.photo_clips.photos import PHOTOS, NeutralFace
from ml.datasets.photo_clips.preview import (
    PANEL,
    plan_preview,
    preview_frames,
    write_preview_video,
)
from ml.errors import NoFaceError, UserError
from ml.stages.face import FaceTrack
from ml.stages.landmarks import Landmarker

SMILE_L, SMILE_R = "CTRL_expressions_mouthCornerPullL", "CTRL_expressions_mouthCornerPullR"


@pytest.fixture(scope="module")
def landmarker() -> Landmarker:
    return Landmarker(num_threads=1)


@pytest.fixture(scope="module")
def stock(landmarker: Landmarker) -> NeutralFace:
    return stock_face(PANEL, landmarker)


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory: pytest.TempPathFactory, stock: NeutralFace) -> Path:
    """A real clip: the stock face held still for five frames, then a grey frame (no face)."""
    path = tmp_path_factory.mktemp("clip") / "still.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (PANEL, PANEL))
    bgr = cv2.cvtColor(stock.rgb, cv2.COLOR_RGB2BGR)
    for _ in range(5):
        writer.write(bgr)
    writer.write(np.full_like(bgr, 128))
    writer.release()
    return path


@pytest.fixture(scope="module")
def clip_track(clip_path: Path) -> FaceTrack:
    """The clip read by the product's face stage."""
    return read_face_track(clip_path)


def key_curve(name: str, times: list[float], values: list[float], interp: str = "RCIM_Cubic") -> CurveKeys:
    return CurveKeys(name, np.array(times), np.array(values), interp=interp)


def hand_table() -> RigTable:
    return RigTable(
        (
            RigRow("AU12_L", "AU12", "smileL", 1.0, "L"),
            RigRow("AU12_R", "AU12", "smileR", 0.5, "R"),
            RigRow("AU6_L", "AU6", "smileL", 0.5, "L"),
            RigRow("AU4", "AU4", "brow", 2.0, ""),
            RigRow("AU9_a", "AU9", "smileL", 1.0, ""),
            RigRow("AU9_b", "AU9", "brow", 1.0, ""),
            RigRow("AU10_L", "AU10", "notKeyed", 1.0, "L"),
        ),
        source="hand.csv",
    )


def smile_keys(fps: float, n_frames: int, value: float = 1.0) -> CurveSet:
    end = (n_frames - 1) / fps
    keys = (np.array([0.0, end]), np.array([value, value]))
    return CurveSet(fps, n_frames, (CurveKeys(SMILE_L, *keys), CurveKeys(SMILE_R, *keys)))


def test_replayed_intensities_invert_a_hand_made_table() -> None:
    t = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    curves = (
        key_curve("smileL", [0.0, 1.0], [0.0, 0.4], interp="RCIM_Linear"),  # 0.4 t
        key_curve("SmileR", [0.0, 1.0], [0.2, 0.6], interp="RCIM_Linear"),  # 0.2 + 0.4 t (any case)
        key_curve("brow", [0.0, 0.5], [1.0, 0.0], interp="RCIM_Constant"),  # 1 until 0.5 s, then 0
    )
    replay = replayed_aus(CurveSet(4.0, 5, curves), hand_table())
    got = {name: replay.values[:, j] for j, name in enumerate(replay.names)}
    assert set(got) == {"AU12L", "AU12R", "AU6L", "AU4", "AU9"}  # AU10's curve has no keys: not replayed
    np.testing.assert_allclose(got["AU12L"], 0.4 * t, atol=1e-9)
    np.testing.assert_allclose(got["AU12R"], np.minimum((0.2 + 0.4 * t) / 0.5, 1.0), atol=1e-9)
    np.testing.assert_allclose(got["AU6L"], 0.8 * t, atol=1e-9)
    np.testing.assert_allclose(got["AU4"], [0.5, 0.5, 0.0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(got["AU9"], np.maximum(0.4 * t, [1, 1, 0, 0, 0]), atol=1e-9)
    assert replay.top(4) == [("AU12R", 1.0), ("AU6L", pytest.approx(0.8)), ("AU12L", pytest.approx(0.4))]


def test_replay_follows_unreals_cubic_between_two_keys() -> None:
    # two auto-tangent keys have flat tangents: a cubic Hermite step, 3 s^2 - 2 s^3
    table = RigTable((RigRow("AU12_L", "AU12", "smileL", 1.0, "L"),))
    replay = replayed_aus(CurveSet(4.0, 5, (key_curve("smileL", [0.0, 1.0], [0.0, 1.0]),)), table)
    s = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(replay.values[:, 0], 3 * s**2 - 2 * s**3, atol=1e-9)


def test_replayed_names_fold_onto_the_faces_motions() -> None:
    got = drive_intensities({"AU12L": 0.6, "AU12": 0.3, "AU4L": 0.4, "AU4R": 0.2, "AU16L": 0.9, "AU1": 0.0})
    assert got == {"AU12L": 0.6, "AU12R": 0.3, "AU4": pytest.approx(0.3)}


def test_curves_missing_from_the_table_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    cs = CurveSet(30.0, 3, (key_curve("jawOpen", [0.0], [0.5]), key_curve("smileL", [0.0], [0.1])))
    with pytest.raises(UserError, match=r"jawOpen are not in the rig table hand\.csv.*pass that rig"):
        replayed_aus(cs, hand_table())
    with pytest.raises(UserError, match="not in the rig table"):
        write_preview_video(tmp_path / "out", smile_keys(30.0, 3), hand_table())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("fps", "n", "peak", "video", "gif"),
    [
        (30.0, 31, 0, (1, 31), (3, range(0, 31, 3))),
        (200.0, 400, 200, (4, 100), (20, range(0, 400, 20))),  # CASME II: 50 fps video, 10 fps GIF
        (30.0, 900, 600, (1, 900), (3, range(450, 750, 3))),  # 30 s: ten seconds around the peak
        (240.0, 4800, 0, (4, 1200), (20, range(0, 2400, 20))),
    ],
)
def test_plan_caps_rates_and_the_gifs_length(
    fps: float, n: int, peak: int, video: tuple[int, int], gif: tuple[int, range]
) -> None:
    plan = plan_preview(n, fps, peak)
    assert (plan.video_stride, len(plan.video_frames)) == video
    assert plan.gif_stride == gif[0] and plan.gif_frames == tuple(gif[1])
    assert plan.video_fps <= 60.0 and plan.gif_fps <= 12.0
    assert len(plan.gif_frames) / plan.gif_fps <= 10.0 + 1e-9
    assert set(plan.gif_frames) <= set(plan.video_frames)


def test_lip_corner_puller_moves_the_mouth_corners_not_the_forehead(clip_track: FaceTrack) -> None:
    face = track_neutral_face(clip_track, 0, PANEL)
    (still,) = preview_frames(face, replayed_aus(smile_keys(30.0, 2, 0.0), "metahuman"), [0])
    (smile,) = preview_frames(face, replayed_aus(smile_keys(30.0, 2, 1.0), "metahuman"), [0], clip_track)
    assert smile.top == [("AU12L", 1.0), ("AU12R", 1.0)]
    np.testing.assert_array_equal(still.driven, face.rgb)  # nothing replayed: the neutral frame itself

    def change(centre: np.ndarray) -> float:
        x, y = np.round(centre).astype(int)
        r = max(3, round(face.iod * 0.12))
        box = (slice(y - r, y + r), slice(x - r, x + r))
        return float(np.abs(smile.driven[box].astype(float) - face.rgb[box].astype(float)).mean())

    corners = [face.points[61, :2], face.points[291, :2]]
    forehead = face.points[151, :2] - 0.3 * face.iod * face.axes[1]
    assert min(change(c) for c in corners) > 8.0
    assert change(forehead) < 0.5
    assert smile.clip is not None and smile.clip.shape == (PANEL, PANEL, 3)


def test_neutral_frame_is_the_least_expressive_frame_with_a_face(clip_track: FaceTrack) -> None:
    assert clip_track.num_frames == 6 and not clip_track.present[5]
    # keys strongest at the start, falling to 0 at 0.5 s (frame 5 has no face, frame 4 is the least)
    fps = clip_track.fps
    cs = CurveSet(fps, 6, (key_curve(SMILE_L, [0.0, 5 / fps], [1.0, 0.0], interp="RCIM_Linear"),))
    assert least_expressive_frame(clip_track, replayed_aus(cs, "metahuman")) == 4


def test_video_and_gif_of_a_clip_have_both_panels(tmp_path: Path, clip_track: FaceTrack) -> None:
    written = write_preview_video(tmp_path, smile_keys(clip_track.fps, 6), "metahuman", face_track=clip_track)
    assert written == [tmp_path / "preview.mp4", tmp_path / "preview.gif"]
    video = cv2.VideoCapture(str(written[0]))
    assert video.get(cv2.CAP_PROP_FRAME_COUNT) == 6
    assert video.get(cv2.CAP_PROP_FPS) == pytest.approx(clip_track.fps)
    assert video.get(cv2.CAP_PROP_FRAME_WIDTH) == 2 * PANEL
    video.release()
    with Image.open(written[1]) as gif:
        frames = list(ImageSequence.Iterator(gif))
        assert len(frames) == 6  # 10 fps: every frame
        assert gif.size[0] <= 2 * 256


def test_without_a_clip_the_stock_face_is_driven_at_the_keys_rate(
    tmp_path: Path, stock: NeutralFace, landmarker: Landmarker
) -> None:
    keys = smile_keys(200.0, 41, 0.0)  # a 200 fps clip: one frame in four, 50 fps
    written = write_preview_video(tmp_path, keys, "metahuman", landmarker=landmarker)
    video = cv2.VideoCapture(str(written[0]))
    assert video.get(cv2.CAP_PROP_FRAME_COUNT) == 11
    assert video.get(cv2.CAP_PROP_FPS) == pytest.approx(50.0)
    assert video.get(cv2.CAP_PROP_FRAME_WIDTH) == PANEL  # one panel: no clip
    ok, bgr = video.read()
    video.release()
    assert ok
    face = cv2.cvtColor(bgr[:PANEL], cv2.COLOR_BGR2RGB).astype(float)
    inner = (slice(40, PANEL - 40), slice(40, PANEL - 40))  # below the panel's title
    assert np.abs(face[inner] - stock.rgb[inner].astype(float)).mean() < 6.0
    with Image.open(written[1]) as gif:
        assert sum(1 for _ in ImageSequence.Iterator(gif)) == 3  # 10 fps: frames 0, 20, 40
        assert gif.info["duration"] == 100


def test_existing_previews_are_kept_and_bad_neutral_frames_refused(
    tmp_path: Path, clip_track: FaceTrack
) -> None:
    keys = smile_keys(clip_track.fps, 6)
    mine = tmp_path / "preview.mp4"
    mine.write_bytes(b"the user's own video")
    with pytest.raises(UserError, match=r"preview\.mp4 already exists; pass --overwrite"):
        write_preview_video(tmp_path, keys, "metahuman", face_track=clip_track)
    assert mine.read_bytes() == b"the user's own video"
    assert not (tmp_path / "preview.gif").exists()
    with pytest.raises(UserError, match="needs a clip"):
        write_preview_video(tmp_path / "a", keys, "metahuman", neutral_frame=2)
    with pytest.raises(
        UserError, match=r"Neutral frame 9 is outside the clip .* give a frame index from 0 to 5"
    ):
        write_preview_video(tmp_path / "b", keys, "metahuman", face_track=clip_track, neutral_frame=9)
    with pytest.raises(NoFaceError, match="has no face; choose a neutral frame"):
        write_preview_video(tmp_path / "c", keys, "metahuman", face_track=clip_track, neutral_frame=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.mp4"]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="microexpr")
    preview_video.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def args_list(curves: Path, clip: Path, rig: str = "metahuman") -> list[str]:
    return ["preview-video", str(curves), "--rig", rig, "--clip", str(clip)]


def test_command_writes_both_files_beside_the_users_own(
    tmp_path: Path, clip_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    curves = smile_keys(10.0, 6).save(tmp_path / "curves.json")
    args = parse([*args_list(curves, clip_path), "--out", str(tmp_path)])
    assert run_command(args.func, args) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.json", "preview.gif", "preview.mp4"]
    assert capsys.readouterr().out.split() == [str(tmp_path / "preview.mp4"), str(tmp_path / "preview.gif")]


def test_command_names_the_curves_missing_from_the_rig(
    tmp_path: Path, clip_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    curves = smile_keys(10.0, 6).save(tmp_path / "curves.json")
    args = parse([*args_list(curves, clip_path, rig="arkit"), "--out", str(tmp_path / "out")])
    assert run_command(args.func, args) == 2
    assert (
        "mouthCornerPullL, CTRL_expressions_mouthCornerPullR are not in the rig table"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "out").exists()


def test_an_au_without_a_motion_is_listed_but_leaves_the_face_still(stock: NeutralFace) -> None:
    keys = CurveSet(30.0, 2, (key_curve("CTRL_expressions_mouthLowerLipDepressL", [0.0], [0.7]),))
    (panels,) = preview_frames(stock, replayed_aus(keys, "metahuman"), [0])
    assert panels.top == [("AU16L", pytest.approx(0.7))]
    np.testing.assert_array_equal(panels.driven, stock.rgb)


def test_the_stock_face_is_the_astronaut_and_grace_hopper_without_scikit_image(
    monkeypatch: pytest.MonkeyPatch, stock: NeutralFace, landmarker: Landmarker
) -> None:
    assert stock.name.startswith("astronaut")
    missing = dataclasses.replace(PHOTOS["astronaut"], package="a_package_that_is_not_installed")
    monkeypatch.setitem(PHOTOS, "astronaut", missing)
    assert stock_face(64, landmarker).name.startswith("grace_hopper")
