"""Real photographs animated with known actions: the warp, the action motions, scenarios and files."""

from __future__ import annotations

import io
import itertools
import json
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from ml.datasets.photo_clips import (
    EMOTION_PROTOTYPES,
    PHOTOS,
    TRUTH_AUS,
    NeutralFace,
    Scenario,
    clip_truth,
    face_height,
    in_shot,
    iter_frames,
    load_photo,
    make_scenario,
    measure_neutral,
    photo_names,
    pose_expression,
    write_clip,
)
from ml.datasets.photo_clips.actions import MOTIONS, drive_units
from ml.datasets.photo_clips.photos import ARCHIVE_ENV, PhotoSource
from ml.datasets.photo_clips.scenarios import Envelope, ScriptedEvent, frame_times
from ml.datasets.photo_clips.warp import MESH_LANDMARKS, backward_map, border_anchors, warp_photo
from ml.stages.landmarks import FaceLandmarks, Landmarker


@pytest.fixture(scope="module")
def landmarker() -> Landmarker:
    return Landmarker(num_threads=1)


@pytest.fixture(scope="module")
def astronaut(landmarker: Landmarker) -> NeutralFace:
    return measure_neutral("astronaut", load_photo("astronaut"), landmarker)


def read(landmarker: Landmarker, rgb: np.ndarray) -> FaceLandmarks:
    first = landmarker.landmarks(rgb, landmarker.detect_faces(rgb)[0])
    return landmarker.landmarks(rgb, first)


def in_face_frame(face: NeutralFace, shift_px: np.ndarray) -> np.ndarray:
    """A pixel displacement in the face's frame, IOD units (x to the subject's left, y to the chin)."""
    return shift_px @ face.axes.T / face.iod


def quiet(seed: int, events: tuple[ScriptedEvent, ...], duration_s: float = 1.0) -> Scenario:
    """A scenario without head motion, lighting change or noise."""
    return Scenario(seed, "micro", duration_s, events, (), (), {}, (1.0, 1.0), (0.0, 0.0), 0.0)


# -- photographs --------------------------------------------------------------------------------------------


@pytest.fixture
def archives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder of photo source archives."""
    folder = tmp_path / "archives"
    folder.mkdir()
    monkeypatch.setenv(ARCHIVE_ENV, str(folder))
    return folder


def write_sdist(folder: Path, members: dict[str, bytes]) -> Path:
    """A stand-in for face_recognition's source archive holding ``members`` under its test images."""
    path = folder / "face_recognition-1.3.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(f"face_recognition-1.3.0/tests/test_images/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_registry_has_development_faces_and_held_out_ones(archives: Path) -> None:
    # the White House portraits come from a source archive that is not here: left out, not an error
    assert photo_names("development") == ("astronaut", "luispedro")
    assert photo_names("held_out") == ("grace_hopper",)
    roles = {name: source.role for name, source in PHOTOS.items()}
    assert [name for name, role in roles.items() if role == "development"] == [
        "astronaut",
        "luispedro",
        "biden",
    ]
    assert [name for name, role in roles.items() if role == "held_out"] == ["grace_hopper", "obama"]
    for name, size, licence in (
        ("astronaut", (512, 512), "public domain"),
        ("luispedro", (377, 300), "MIT"),
        ("grace_hopper", (600, 512), "public domain"),
    ):
        rgb = load_photo(name)
        assert rgb.dtype == np.uint8 and rgb.shape == (*size, 3)
        assert PHOTOS[name].licence.startswith(licence)
    assert PHOTOS["obama"].licence.startswith("public domain")
    assert PHOTOS["biden"].licence.startswith("public domain")


def test_archived_photograph_is_read_from_the_source_archive_and_cut_to_its_box(archives: Path) -> None:
    ys, xs = np.mgrid[0:1137, 0:910]
    bgr = np.stack([xs % 256, ys % 256, (xs // 256) * 64 + ys // 256], axis=-1).astype(np.uint8)
    ok, png = cv2.imencode(".png", bgr)  # lossless, whatever the member's name says
    assert ok
    write_sdist(archives, {"obama.jpg": png.tobytes()})
    assert photo_names("held_out") == ("grace_hopper", "obama")  # the archive holds both portraits
    assert photo_names("development") == ("astronaut", "luispedro", "biden")
    rgb = load_photo("obama")
    # the box (185, 0, 805, 730): the head and shoulders, at full resolution, RGB
    assert rgb.shape == (730, 620, 3)
    assert rgb[0, 0].tolist() == [0, 0, 185]  # (x 185, y 0): B = 185 % 256, G = 0, R = 0
    assert rgb[729, 619].tolist() == [64 * 3 + 2, 729 % 256, 804 % 256]


def test_missing_or_broken_source_archive_says_how_to_get_it(archives: Path) -> None:
    with pytest.raises(
        ModuleNotFoundError, match=r"source archive face_recognition-1\.3\.0\.tar\.gz is not in"
    ) as info:
        load_photo("biden")
    assert "pip download --no-deps --no-binary :all: face_recognition==1.3.0" in str(info.value)
    broken = archives / "face_recognition-1.3.0.tar.gz"
    broken.write_bytes(b"not an archive")
    with pytest.raises(
        OSError, match=r"Could not read face_recognition-1\.3\.0/tests/test_images/biden\.jpg"
    ):
        load_photo("biden")
    assert broken.read_bytes() == b"not an archive"  # left as it was
    write_sdist(archives, {"biden.jpg": b"not an image"})
    with pytest.raises(OSError, match=r"biden\.jpg in .* is not a readable image"):
        load_photo("biden")


def test_unknown_or_uninstalled_photograph_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    known = "astronaut, luispedro, grace_hopper, obama, biden"
    with pytest.raises(KeyError, match=f"Unknown face photograph 'lena'; registered: {known}"):
        load_photo("lena")
    absent = PhotoSource(
        "absent", "no_such_package_here", "-", "CC0", "held_out", lambda: np.zeros((1, 1, 3))
    )
    monkeypatch.setitem(PHOTOS, "absent", absent)
    assert "absent" not in photo_names()
    with pytest.raises(ModuleNotFoundError, match="package 'no_such_package_here', which is not installed"):
        load_photo("absent")


def test_photograph_without_a_face_is_refused(landmarker: Landmarker) -> None:
    with pytest.raises(ValueError, match="No face found in the photograph 'grey'"):
        measure_neutral("grey", np.full((256, 256, 3), 128, np.uint8), landmarker)


def test_neutral_face_axes_and_scale(astronaut: NeutralFace) -> None:
    # eye centres picked by eye on the photograph: about (201, 101) and (246, 103.5)
    assert astronaut.iod == pytest.approx(45.0, abs=4.0)
    assert astronaut.axes[0] @ np.array([1.0, 0.0]) > 0.99  # upright: x along the image's rows
    assert np.allclose(astronaut.axes @ astronaut.axes.T, np.eye(2))


# -- warp ----------------------------------------------------------------------------------------------------


def test_backward_map_of_a_translated_mesh_is_the_inverse_translation() -> None:
    # every mesh point, border anchors included, moved by (3, -2): each pixel reads 3 px left, 2 px down
    rng = np.random.default_rng(0)
    src = np.concatenate([rng.uniform(40, 160, (60, 2)), border_anchors(200, 200)])
    map_x, map_y = backward_map(src, src + np.array([3.0, -2.0]), 200, 200, step=2)
    inner = (slice(60, 140), slice(60, 140))
    assert np.allclose(map_x[inner], np.arange(200)[None, 60:140] - 3.0, atol=1e-3)
    assert np.allclose(map_y[inner], np.arange(200)[60:140, None] + 2.0, atol=1e-3)


def test_a_mesh_that_does_not_move_returns_the_photograph(astronaut: NeutralFace) -> None:
    points = astronaut.points[MESH_LANDMARKS, :2]
    assert np.array_equal(warp_photo(astronaut.rgb, points, points), astronaut.rgb)
    # forcing the warp itself with a negligible motion changes pixels by interpolation only
    nudged = warp_photo(astronaut.rgb, points, points + 1e-4)
    assert np.abs(nudged.astype(int) - astronaut.rgb).mean() < 0.5
    assert np.array_equal(pose_expression(astronaut, {}), astronaut.rgb)


# -- actions -------------------------------------------------------------------------------------------------


def test_every_action_of_the_list_has_a_motion() -> None:
    for au in ("AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9", "AU10", "AU12", "AU14", "AU15", "AU17"):
        assert drive_units({au: 1.0})
    for au in ("AU20", "AU23", "AU24", "AU25", "AU26", "AU45", "AU12L", "AU12R", "AU14L", "AU14R"):
        assert drive_units({au: 1.0})
    assert drive_units({"AU12": 0.5, "AU12R": 0.25}) == {"AU12L": 0.5, "AU12R": 0.75}
    assert set(TRUTH_AUS) >= {"AU12", "AU12L", "AU12R", "AU45"}
    with pytest.raises(KeyError, match="No motion for action unit 'AU43'; animatable units: AU1, AU2"):
        drive_units({"AU43": 1.0})
    assert len(MOTIONS["AU4"]) == 4  # both brows, inner and middle, mirrored


def test_lip_corner_puller_moves_the_corners_out_and_up(
    landmarker: Landmarker, astronaut: NeutralFace
) -> None:
    before = read(landmarker, astronaut.rgb)
    after = read(landmarker, pose_expression(astronaut, {"AU12": 1.0}))
    # documented: corner out 0.14 and up 0.10 IOD; "out" is -x on the subject's right, +x on the left
    for corner, expected in ((61, np.array([-0.14, -0.10])), (291, np.array([0.14, -0.10]))):
        moved = in_face_frame(astronaut, after.points[corner, :2] - before.points[corner, :2])
        cosine = moved @ expected / (np.linalg.norm(moved) * np.linalg.norm(expected))
        assert cosine > 0.9, f"corner {corner} moved {moved} IOD, expected along {expected}"
        assert 0.5 < np.linalg.norm(moved) / np.linalg.norm(expected) < 1.3
    assert after.blendshape("mouthSmileLeft") > before.blendshape("mouthSmileLeft")


def test_one_sided_pull_moves_one_corner(landmarker: Landmarker, astronaut: NeutralFace) -> None:
    before = read(landmarker, astronaut.rgb)
    after = read(landmarker, pose_expression(astronaut, {"AU12R": 1.0}))
    right = np.linalg.norm(after.points[61, :2] - before.points[61, :2])
    left = np.linalg.norm(after.points[291, :2] - before.points[291, :2])
    assert right > 0.07 * astronaut.iod and left < 0.3 * right


def test_blink_closes_the_eyes_and_jaw_drop_opens_the_mouth(
    landmarker: Landmarker, astronaut: NeutralFace
) -> None:
    before = read(landmarker, astronaut.rgb)
    blink = read(landmarker, pose_expression(astronaut, {"AU45": 1.0}))
    for upper, lower in ((159, 145), (386, 374)):
        gap_before = np.linalg.norm(before.points[upper, :2] - before.points[lower, :2])
        gap_after = np.linalg.norm(blink.points[upper, :2] - blink.points[lower, :2])
        assert gap_after < 0.5 * gap_before
    jaw = read(landmarker, pose_expression(astronaut, {"AU26": 1.0}))
    assert jaw.blendshape("jawOpen") > before.blendshape("jawOpen") + 0.15
    chin_drop = in_face_frame(astronaut, jaw.points[152, :2] - before.points[152, :2])[1]
    # documented 0.16 IOD; the landmark model reads the open mouth as a larger drop (about 0.29 here)
    assert 0.08 < chin_drop < 0.4


def test_head_turn_alone_turns_the_measured_pose(landmarker: Landmarker, astronaut: NeutralFace) -> None:
    before = read(landmarker, astronaut.rgb)
    turned = read(landmarker, pose_expression(astronaut, {}, yaw=6.0))
    rolled = read(landmarker, pose_expression(astronaut, {}, roll=5.0))
    assert turned.pose.yaw - before.pose.yaw > 2.0  # nose towards the image's right edge
    assert rolled.pose.roll - before.pose.roll == pytest.approx(5.0, abs=1.5)


# -- scenarios -----------------------------------------------------------------------------------------------


def test_envelope_is_a_smooth_step_between_keys() -> None:
    rise_fall = Envelope(((0.0, 0.0), (1.0, 1.0), (2.0, 0.0)))
    t = np.array([-0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5])
    # smoothstep 3u^2 - 2u^3: 0.15625 at u = 1/4, 0.5 at u = 1/2
    assert np.allclose(rise_fall(t), [0, 0, 0.15625, 0.5, 1, 0.5, 0, 0])
    hold = Envelope(((0.0, 0.0), (0.5, 1.0), (1.5, 1.0), (2.0, 0.0)))
    assert np.allclose(hold(np.array([0.5, 1.0, 1.5])), 1.0) and hold.peak_time == 0.5


@pytest.mark.parametrize("family", ["micro", "macro"])
@pytest.mark.parametrize("seed", [1, 7, 1000])
def test_scenarios_keep_their_promises(family: str, seed: int) -> None:
    scenario = make_scenario(seed, family, 8.0)
    assert scenario == make_scenario(seed, family, 8.0)  # deterministic
    assert scenario.held_out == (seed >= 1000)
    spans = sorted(
        [(e.envelope.start, e.envelope.end) for e in (*scenario.events, *scenario.blinks)]
        + [(h.envelope.start, h.envelope.end) for h in scenario.head_turns]
    )
    assert spans[0][0] >= 0.4 and spans[-1][1] <= 8.0
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))  # nothing overlaps
    assert len(scenario.events) >= 3
    for event in scenario.events:
        duration = event.envelope.end - event.envelope.start
        assert set(event.weights) == set(EMOTION_PROTOTYPES[event.emotion])
        if family == "micro":
            assert duration <= 0.5 and 0.1 <= event.amplitude <= 0.4
        else:
            assert 0.5 < duration <= 4.0 and 0.4 <= event.amplitude <= 1.0
    if family == "macro":
        assert scenario.events[0].shape == "hold" and scenario.events[0].emotion == "happiness"
        assert {e.shape for e in scenario.events} >= {"hold", "double"}
    for blink in scenario.blinks:
        assert 0.1 <= blink.envelope.end - blink.envelope.start <= 0.3


def test_truth_of_a_contempt_event_and_a_blink(astronaut: NeutralFace) -> None:
    contempt = ScriptedEvent(
        "contempt", {"AU12R": 0.6, "AU14R": 1.0}, 0.5, Envelope(((0.2, 0.0), (0.4, 1.0), (0.6, 0.0))), "micro"
    )
    blink = ScriptedEvent(
        "blink", {"AU45": 1.0}, 1.0, Envelope(((0.8, 0.0), (0.85, 1.0), (0.95, 0.0))), "blink"
    )
    scenario = Scenario(3, "micro", 1.0, (contempt,), (blink,), (), {}, (1.0, 1.0), (0.0, 0.0), 0.0)
    truth = clip_truth(astronaut, scenario, 30.0)
    column = {name: j for j, name in enumerate(truth.aus)}
    apex = truth.intensities[12]  # 0.4 s at 30 fps
    assert apex[column["AU14R"]] == pytest.approx(0.5) and apex[column["AU12R"]] == pytest.approx(0.3)
    assert apex[column["AU12L"]] == 0.0 and apex[column["AU12"]] == pytest.approx(0.3)  # the stronger side
    assert truth.events == [
        {
            "onset": 6,
            "apex": 12,
            "offset": 18,
            "peak": 0.5,
            "duration_s": 0.4,
            "kind": "micro",
            "emotion": "contempt",
            "aus": ["AU12R", "AU14R"],
            "shape": "micro",
        }
    ]
    assert truth.blinks[0]["onset"] == 24 and truth.intensities[:, column["AU45"]].max() > 0.9
    assert np.all(truth.intensities[:, column["AU6"]] == 0.0)


def test_bad_scenario_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="Unknown scenario family 'huge'; use one of: micro, macro"):
        make_scenario(1, "huge")
    with pytest.raises(ValueError, match=r"duration must be between 1\.5 and 60 s, got 0\.5"):
        make_scenario(1, "micro", 0.5)
    with pytest.raises(ValueError, match="Frame rate must be positive, got 0"):
        frame_times(make_scenario(1, "micro", 2.0), 0)


# -- rendering and files -------------------------------------------------------------------------------------


def test_rendering_is_deterministic_and_streams(astronaut: NeutralFace) -> None:
    scenario = make_scenario(5, "micro", 2.0)
    first = list(itertools.islice(iter_frames(astronaut, scenario, 30.0), 3))
    again = list(itertools.islice(iter_frames(astronaut, scenario, 30.0), 3))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert first[0].shape == astronaut.rgb.shape and first[0].dtype == np.uint8
    other = next(iter_frames(astronaut, make_scenario(6, "micro", 2.0), 30.0))
    assert not np.array_equal(first[0], other)  # another seed: other drift, lighting and noise


def test_rendered_smile_follows_its_truth(landmarker: Landmarker, astronaut: NeutralFace) -> None:
    smile = ScriptedEvent(
        "happiness", {"AU12": 1.0}, 1.0, Envelope(((0.1, 0.0), (0.5, 1.0), (0.9, 0.0))), "single"
    )
    scenario = quiet(2, (smile,))
    truth = clip_truth(astronaut, scenario, 10.0)
    frames = list(iter_frames(astronaut, scenario, 10.0))
    start = read(landmarker, frames[0]).points[61, :2]
    travel = [float(np.linalg.norm(read(landmarker, f).points[61, :2] - start)) for f in frames]
    au12 = truth.intensities[:, truth.aus.index("AU12")]
    assert np.corrcoef(travel, au12)[0, 1] > 0.95


@pytest.mark.parametrize("height", [0.5, 0.17])
def test_a_wider_shot_frames_the_face_at_the_asked_height(
    landmarker: Landmarker, astronaut: NeutralFace, height: float
) -> None:
    shot = in_shot(astronaut.rgb, astronaut, height)
    assert shot.shape == (360, 640, 3) and shot.dtype == np.uint8
    (found,) = landmarker.detect_faces(shot, closer=True)
    points = landmarker.landmarks(shot, landmarker.landmarks(shot, found)).points
    # forehead (10) to chin (152), and the mesh's centre, read again on the framed image
    assert abs(np.linalg.norm(points[152, :2] - points[10, :2]) / 360 - height) < 0.08 * height
    assert np.linalg.norm(points[:, :2].mean(axis=0) - (320, 180)) < 0.05 * height * 360


def test_a_shot_is_framed_before_the_lighting_and_the_sensor_noise(astronaut: NeutralFace) -> None:
    scenario = make_scenario(5, "micro", 2.0)
    frame = next(iter_frames(astronaut, scenario, 30.0, shot=0.17))
    truth = clip_truth(astronaut, scenario, 30.0)
    corner = frame[:40, :40].astype(np.float64)  # mid grey under the clip's lighting, then noise
    assert abs(corner.mean() - (128 * truth.gain[0] + truth.offset[0])) < 1.5
    assert abs(corner.std() - scenario.noise_sigma) < 0.25 * scenario.noise_sigma


@pytest.mark.parametrize("height", [0.0, -0.2, 1.5])
def test_a_face_height_outside_the_frame_is_refused(astronaut: NeutralFace, height: float) -> None:
    with pytest.raises(ValueError, match=r"fraction of the frame's height in \(0, 1\]"):
        in_shot(astronaut.rgb, astronaut, height)


def test_face_height_is_forehead_to_chin(astronaut: NeutralFace) -> None:
    points = astronaut.points
    assert face_height(astronaut) == pytest.approx(np.linalg.norm(points[152, :2] - points[10, :2]), rel=0.02)


def test_write_clip_streams_a_video_with_its_truth(tmp_path: Path, astronaut: NeutralFace) -> None:
    scenario = make_scenario(4, "micro", 1.5)
    video, truth_path = write_clip(tmp_path / "clip", astronaut, scenario, 20.0)
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    assert truth["num_frames"] == 30 and truth["aus"] == list(TRUTH_AUS) and truth["fps"] == 20.0
    assert len(truth["intensities"]) == 30 and len(truth["pose"]["yaw_deg"]) == 30
    capture = cv2.VideoCapture(str(video))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    assert count == 30
    assert sorted(p.name for p in (tmp_path / "clip").iterdir()) == [
        "clip.avi",
        "truth.json",
    ]  # no temp files


def test_write_clip_never_replaces_a_users_file(tmp_path: Path, astronaut: NeutralFace) -> None:
    mine = tmp_path / "truth.json"
    mine.write_text("my notes", encoding="utf-8")
    scenario = make_scenario(4, "micro", 1.5)
    with pytest.raises(FileExistsError, match=r"Not overwriting .*truth.json; choose another folder"):
        write_clip(tmp_path, astronaut, scenario, 20.0)
    with pytest.raises(ValueError, match=r"Unsupported video type '.mov'"):
        write_clip(tmp_path / "new", astronaut, scenario, 20.0, video_name="clip.mov")
    assert mine.read_text(encoding="utf-8") == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["truth.json"]
