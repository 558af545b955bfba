"""The pure parts of AU measurement against hand-worked cases: direction splits, robust motion fits,
head-motion inversion, blink/closure rules, neutral spans and the calibration table."""

from __future__ import annotations

import numpy as np
import pytest

from ml.stages.landmarks import BLENDSHAPE_NAMES
from ml.tracks.blinks import eye_closure, interpolate_over
from ml.tracks.calibration import (
    AU_NAMES,
    INNER_BROW_AUS,
    INWARD,
    IOD_MM,
    LIP_CORNER_AUS,
    RAISED,
    SCALE_MM,
    scale_iod,
)
from ml.tracks.flow import REGION_NAMES, FlowRegions, above_mouth_line, robust_affine
from ml.tracks.geometry import MouthShape, inter_ocular
from ml.tracks.measure import direction_parts, one_sided_dimplers, split_inner_brows, split_on_directions
from ml.tracks.neutral import neutral_scores, quietest_span
from ml.tracks.rigid import fit_head_motion, to_neutral_frame, turn_from_neutral

DIRECTIONS = (("up_out", (0.6, 0.8)), ("out", (1.0, 0.0)), ("down", (0.0, -1.0)), ("in", (-1.0, 0.0)))


def test_a_vector_between_two_directions_is_their_non_negative_sum() -> None:
    # (1.6, 0.8) = 1 * (0.6, 0.8) + 1 * (1, 0); (0, 0.8) lies between up_out and in: 1 * up_out + 0.6 * in.
    parts = split_on_directions(np.array([[1.6, 0.8], [0.0, 0.8], [0.0, -2.0], [np.nan, 0.0]]), DIRECTIONS)
    assert parts["up_out"][:3] == pytest.approx([1.0, 1.0, 0.0])
    assert parts["out"][:3] == pytest.approx([1.0, 0.0, 0.0])
    assert parts["in"][:3] == pytest.approx([0.0, 0.6, 0.0])
    assert parts["down"][:3] == pytest.approx([0.0, 0.0, 2.0])
    assert all(np.isnan(parts[k][3]) for k, _ in DIRECTIONS)


def test_the_parts_of_a_vector_add_up_to_it() -> None:
    parts = direction_parts(np.array([[1.6, 0.8], [0.0, 0.8]]), DIRECTIONS)
    np.testing.assert_allclose(parts["up_out"], [[0.6, 0.8], [0.6, 0.8]])
    np.testing.assert_allclose(parts["out"], [[1.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(parts["in"], [[0.0, 0.0], [-0.6, 0.0]])


def test_a_name_on_two_directions_gets_the_length_of_its_parts() -> None:
    fan = (("up", (0.0, 1.0)), ("up", (1.0, 0.0)), ("in", (-1.0, 0.0)), ("down", (0.0, -1.0)))
    parts = split_on_directions(np.array([[3.0, 4.0], [-1.0, 2.0]]), fan)
    assert parts["up"] == pytest.approx([5.0, 2.0])  # (3, 4) lies between the two "up" directions
    assert parts["in"] == pytest.approx([0.0, 1.0])


def _corner(angle_deg: float, length: float = 1.0) -> np.ndarray:
    a = np.radians(angle_deg)
    return np.array([[length * np.cos(a), length * np.sin(a)]])


def test_lip_corner_directions_follow_facs() -> None:
    # Up and out towards the cheekbone (45 degrees): all of it AU12, none of it a stretch.
    smile = split_on_directions(_corner(45.0), LIP_CORNER_AUS)
    assert smile["AU12"] == pytest.approx([1.0]) and smile["AU20"] == pytest.approx([0.0])
    # The dimpler has no direction of its own (it is read from a one-sided pull): a level outward pull
    # lies between a smile's lowest direction (25 degrees) and the stretch (-8.5): solved by hand,
    # 0.268 of the first and 0.766 of the second.
    level = split_on_directions(_corner(0.0), LIP_CORNER_AUS)
    assert "AU14" not in level
    assert level["AU12"][0] == pytest.approx(0.268, abs=2e-3) and level["AU20"][0] == pytest.approx(
        0.766, abs=2e-3
    )
    # Sideways and a little down (-8.5 degrees): AU20; straight down: AU15 and AU20, no AU12.
    assert split_on_directions(_corner(-8.5), LIP_CORNER_AUS)["AU20"] == pytest.approx([1.0], abs=1e-3)
    down = split_on_directions(_corner(-90.0), LIP_CORNER_AUS)
    assert down["AU15"][0] > 0.9 and down["AU12"][0] == 0.0
    # Straight up: the upper lip raiser lifting the corner with the lip, no AU of the corner's own; a
    # smile's steepest pull (80 degrees) is still all AU12.
    raised = split_on_directions(_corner(90.0), LIP_CORNER_AUS)
    assert raised[RAISED] == pytest.approx([1.0]) and raised["AU12"] == pytest.approx([0.0])
    assert split_on_directions(_corner(80.0), LIP_CORNER_AUS)["AU12"] == pytest.approx([1.0], abs=5e-3)
    # Towards the midline: the lips tightening or puckering, no lip-corner AU.
    inward = split_on_directions(_corner(180.0, 2.0), LIP_CORNER_AUS)
    assert inward[INWARD] == pytest.approx([2.0])
    assert all(inward[name][0] == pytest.approx(0.0) for name in inward if name != INWARD)


def test_lip_and_chin_drops_are_distances_below_the_eyes_along_up() -> None:
    points = np.zeros((2, 478, 2))
    points[:, [33, 133, 263, 362]] = (50.0, 40.0)  # the eyes' corners (image y grows downwards)
    points[:, [17, 84, 314]] = (50.0, 80.0)  # the lower lip's lower edge, 40 px below them
    points[:, 152] = (50.0, 100.0)  # the chin, 60 px below
    points[1, [17, 84, 314]] = (52.0, 84.0)  # the lip 4 px lower (and 2 px sideways, which is not lower)
    points[1, 152] = (50.0, 103.0)  # the chin 3 px lower
    mouth = MouthShape(points, np.array([0.0, -1.0]))
    assert mouth.lower_lip_drop == pytest.approx([40.0, 44.0])
    assert mouth.chin_drop == pytest.approx([60.0, 63.0])


def test_above_the_mouth_line_is_above_the_middle_of_the_opening_and_level_beyond_its_corners() -> None:
    points = np.zeros((478, 2))
    points[[78, 308]] = (20.0, 60.0), (60.0, 60.0)  # the opening's corners
    xs = np.linspace(24.0, 56.0, 9)
    points[[191, 80, 81, 82, 13, 312, 311, 310, 415]] = np.column_stack([xs, np.full(9, 56.0)])
    points[[95, 88, 178, 87, 14, 317, 402, 318, 324]] = np.column_stack([xs, np.full(9, 68.0)])
    above = above_mouth_line(points, 80)
    # the line runs midway between the lips (y = 62 between x = 24 and 56), to y = 60 at the corners
    assert above[61, 40] and not above[63, 40]
    assert above[59, 10] and not above[61, 10]  # level beyond the corner: y = 60
    assert above[59, 75] and not above[61, 75]


def test_robust_affine_ignores_a_local_movement() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 112, (400, 2))
    design = np.column_stack([xy, np.ones(len(xy))])
    truth = np.array([[0.02, 0.01], [-0.01, 0.03], [1.5, -0.7]])
    flow = design @ truth
    local = np.linalg.norm(xy - (80, 90), axis=1) < 20  # a lip corner pulled by 3 px
    flow[local] += (3.0, -3.0)
    assert local.sum() > 20
    assert robust_affine(design, flow) == pytest.approx(truth, abs=1e-9)


def test_head_motion_is_inverted_exactly_for_a_rotation_in_depth() -> None:
    rng = np.random.default_rng(1)
    neutral = np.column_stack([rng.uniform(20, 90, (478, 2)), rng.uniform(-10, 10, 478)])
    a = np.radians(10.0)
    # Orthographic yaw of 10 degrees about the vertical axis, then a shift: x' = cos a x + sin a z + 4.
    moved = neutral.copy()
    moved[:, 0] = np.cos(a) * neutral[:, 0] + np.sin(a) * neutral[:, 2] + 4.0
    moved[:, 1] = neutral[:, 1] - 2.0
    maps = fit_head_motion(neutral, moved[None])
    back = to_neutral_frame(maps, moved[None, :, :2], neutral[:, 2])
    assert back[0] == pytest.approx(neutral[:, :2], abs=1e-9)
    nan_maps = fit_head_motion(neutral, np.full((1, 478, 3), np.nan))
    assert np.isnan(to_neutral_frame(nan_maps, moved[None, :, :2], neutral[:, 2])).all()


def test_short_closure_is_a_blink_and_long_closure_is_au43() -> None:
    fps = 30.0
    n = 60
    closure = np.zeros(n)
    closure[10:15] = [0.3, 0.9, 0.95, 0.9, 0.3]  # 3 frames half-closed or more: 0.1 s
    closure[30:52] = 0.95  # 22 frames: 0.73 s
    closure[55] = 0.4  # a squint-like narrowing: neither
    eyes = eye_closure({"R": closure, "L": closure}, fps)
    assert eyes.blinks == ((10, 15),) and eyes.closed == ((30, 52),)
    assert eyes.au45["R"][11:14] == pytest.approx([1.0, 1.0, 1.0])
    assert eyes.au45["L"][10] == pytest.approx(0.3 / 0.9)
    assert eyes.au43[30:52] == pytest.approx(np.full(22, 1.0))
    assert eyes.au45["R"][30:52].max() == 0.0 and eyes.au43[10:15].max() == 0.0
    assert eyes.au43[55] == 0.0 and eyes.au45["R"][55] == 0.0


def test_interpolate_over_bridges_a_span_with_a_line() -> None:
    track = np.array([0.0, 0.1, 0.2, 0.9, 0.9, 0.9, 0.6, 0.7])
    out = interpolate_over(track, ((3, 6),), margin=0)
    assert out == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])


def test_quietest_span_is_the_lowest_mean_window_inside_face_runs() -> None:
    scores = np.array([5, 5, 1, 1, 1, 0, 0, 5, 5, 5], float)
    present = np.ones(10, bool)
    present[5] = False  # the zeros at 5-6 are split by a frame without a face
    assert quietest_span(scores, present, fps=10.0) == (2, 5)  # 0.3 s at 10 fps = 3 frames


def test_calibration_scales_are_in_iod_and_every_au_is_named_once() -> None:
    assert scale_iod("AU12") == pytest.approx(SCALE_MM["AU12"] / IOD_MM)
    assert len(set(AU_NAMES)) == len(AU_NAMES)
    assert {"AU12L", "AU12R", "AU45L", "AU45R", "AU43"} <= set(AU_NAMES)


def _rotation(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    y, p = np.radians(yaw_deg), np.radians(pitch_deg)
    yaw = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    pitch = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    return yaw @ pitch


def test_turn_from_neutral_reads_the_parallax_of_a_rigid_fit() -> None:
    # p = s R [c, z] + t: a 10 degree yaw moves a point at depth z by s z sin(10 deg) across the image,
    # whatever the scale s (the head nearer or further)
    maps = np.zeros((3, 2, 4))
    maps[0, :, :3] = np.eye(3)[:2]
    maps[1, :, :3] = 1.3 * _rotation(10.0, 0.0)[:2]
    # yaw 3 and pitch 4 degrees: a turn of arccos(cos 3 cos 4) degrees away from the camera's axis
    maps[2, :, :3] = 0.8 * _rotation(3.0, 4.0)[:2]
    turn = turn_from_neutral(maps)
    both = np.degrees(np.arccos(np.cos(np.radians(3.0)) * np.cos(np.radians(4.0))))
    assert turn == pytest.approx([0.0, 10.0, both], abs=1e-9)
    nan_map = np.full((1, 2, 4), np.nan)
    assert np.isnan(turn_from_neutral(nan_map)).all()


def test_head_fit_is_rigid_a_stretched_mesh_is_not_a_stretched_head() -> None:
    # a head turned 12 degrees and nodded 5, 1.1 times nearer and shifted, is fitted exactly (a rigid
    # motion); the same points stretched 6 % top to bottom (the landmark model's mesh when the brows rise
    # over a dropped jaw) give a map with orthogonal rows of one length: a scaled rotation, no stretch
    rng = np.random.default_rng(2)
    neutral = np.column_stack([rng.uniform(20, 90, (478, 2)), rng.uniform(-10, 10, 478)])
    linear = 1.1 * _rotation(12.0, 5.0)[:2]
    moved = np.column_stack([neutral @ linear.T + (3.0, -2.0), neutral[:, 2]])
    maps = fit_head_motion(neutral, moved[None])
    assert maps[0, :, :3] == pytest.approx(linear, abs=1e-9)
    back = to_neutral_frame(maps, moved[None, :, :2], neutral[:, 2])
    assert back[0] == pytest.approx(neutral[:, :2], abs=1e-9)
    stretched = moved.copy()
    stretched[:, 1] = 55.0 + 1.06 * (moved[:, 1] - 55.0)
    rows = fit_head_motion(neutral, stretched[None])[0, :, :3]
    assert rows[0] @ rows[1] == pytest.approx(0.0, abs=1e-9)
    assert np.linalg.norm(rows[0]) == pytest.approx(np.linalg.norm(rows[1]), rel=1e-9)


def test_inner_brow_is_shared_between_au1_and_au4_by_direction() -> None:
    # (out, up) in IODs: straight up, 10 degrees inwards of up (within AU1's sector), straight knit-and-
    # lower along AU4, and sadness's raise-and-knit (in 0.06, up 0.05)
    vectors = np.array(
        [
            [0.0, 0.05],
            [-0.05 * np.sin(np.radians(10)), 0.05 * np.cos(np.radians(10))],
            [-0.0651, -0.0759],
            [-0.06, 0.05],
        ]
    )
    parts = split_on_directions(vectors, INNER_BROW_AUS)
    assert parts["AU1"][:2] == pytest.approx([0.05, 0.05], abs=1e-6)
    assert parts["AU4"][:2] == pytest.approx([0.0, 0.0], abs=1e-6)
    assert parts["AU1"][2] == pytest.approx(0.0, abs=1e-6) and parts["AU4"][2] == pytest.approx(0.1, abs=1e-3)
    # by hand: a (-0.208, 0.978) + b (-0.651, -0.759) = (-0.06, 0.05), determinant 0.7946
    assert parts["AU1"][3] == pytest.approx(0.0983, abs=5e-4)
    assert parts["AU4"][3] == pytest.approx(0.0608, abs=5e-4)


def test_the_dimpler_is_a_corner_pull_beyond_twice_the_other_sides() -> None:
    # frame 0: the right corner pulled 0.6, the left 0.2 (a one-sided pull over a small smile): AU14R
    # 0.6 - 2 x 0.2 = 0.2. Frame 1: an uneven smile (0.9 and 0.7): no dimpler. Frame 2: a smile alike on
    # both sides: none. Frame 3: no face on the left: NaN, not a guess.
    pulls = {"L": np.array([0.2, 0.7, 0.5, np.nan]), "R": np.array([0.6, 0.9, 0.5, 0.1])}
    dimplers = one_sided_dimplers(pulls)
    assert dimplers["AU14R"][:3] == pytest.approx([0.2, 0.0, 0.0])
    assert dimplers["AU14L"][:3] == pytest.approx([0.0, 0.0, 0.0])
    assert np.isnan(dimplers["AU14L"][3]) and np.isnan(dimplers["AU14R"][3])


def test_au4_is_what_both_inner_brows_show() -> None:
    # frame 0: both brows raised, the left one's flow reading 40 degrees inwards (the aperture problem on
    # one brow): no AU4. Frame 1: both knit and lowered along AU4's direction, the right by 0.1 IOD and the
    # left by 0.06: AU4 0.06 on both sides. Frame 2: sadness's raise-and-knit on both sides (as above).
    up_in_40 = [-0.05 * np.sin(np.radians(40)), 0.05 * np.cos(np.radians(40))]
    brows = {
        "L": np.array([up_in_40, [-0.0391, -0.0455], [-0.06, 0.05]]),
        "R": np.array([[0.0, 0.05], [-0.0651, -0.0759], [-0.06, 0.05]]),
    }
    aus = split_inner_brows(brows)
    assert aus["AU4L"] == pytest.approx([0.0, 0.06, 0.0608], abs=5e-4)
    assert aus["AU4R"] == pytest.approx(aus["AU4L"])
    assert aus["AU1R"][0] == pytest.approx(0.05) and aus["AU1L"][0] > 0.04  # the raise stays AU1
    assert aus["AU1L"][2] == pytest.approx(0.0983, abs=5e-4)


def test_the_still_skin_fit_has_samples_or_falls_back_to_the_whole_face(still: np.ndarray) -> None:
    centred = still - still[:, :].mean(axis=0) * np.array([1.0, 1.0, 0.0])
    span = float(np.ptp(centred[:, :2], axis=0).max())
    face = centred * np.array([90.0 / span, 90.0 / span, 90.0 / span]) + np.array([56.0, 56.0, 0.0])
    regions = FlowRegions(face, 112)  # a face filling the crop: the still skin has plenty of samples
    assert len(regions.still_samples) >= 24 and len(regions.still_samples) < len(regions.samples)
    assert regions.still_fit[REGION_NAMES.index("inner_brow_left")]
    assert not regions.still_fit[REGION_NAMES.index("lip_corner_left")]
    tiny = centred * np.array([12.0 / span, 12.0 / span, 12.0 / span]) + np.array([56.0, 56.0, 0.0])
    small = FlowRegions(tiny, 112)  # 12 px: too few still samples, the whole face's are used
    assert np.array_equal(small.still_samples, small.samples)


def _still_face(n: int) -> np.ndarray:
    """``(n, 478, 3)`` landmarks of a face that never moves (any fixed shape)."""
    face = np.zeros((478, 3))
    face[:, 0] = np.linspace(0.0, 100.0, 478)
    face[:, 1] = np.linspace(0.0, 50.0, 478) ** 1.5 / 10
    return np.repeat(face[None], n, axis=0)


def test_neutral_is_in_the_subjects_usual_pose_not_the_one_facing_the_camera() -> None:
    """A still, expressionless face filmed from a camera off to one side: turned 25 degrees most of the
    take, turned 15 degrees (towards the camera) for frames 30-44. Only the pose changes, so only the turn
    term scores, as 0.02 per degree from the usual pose: 0 in the usual pose, 0.2 while turned towards
    the camera (scoring from straight ahead would make that stretch the neutral)."""
    n, fps = 60, 30.0
    landmarks = _still_face(n)
    blendshapes = np.full((n, 52), 0.1)
    pose = np.zeros((n, 3))
    pose[:, 0] = -25.0
    pose[30:45, 0] = -15.0
    present = np.ones(n, bool)
    scores = neutral_scores(landmarks, blendshapes, pose, present, fps)
    assert scores[:30] == pytest.approx(0.0, abs=1e-9)
    assert scores[30:45] == pytest.approx(0.2)
    start, stop = quietest_span(scores, present, fps)
    assert stop <= 30 or start >= 45


def test_a_rest_the_blendshapes_read_as_an_expression_is_still_the_neutral() -> None:
    """A closed mouth the blendshape model reads as dimpled (0.1) at rest; a sadness (frames 40-54, a
    quarter of the take) relaxes that reading to 0 while moving a tenth of the landmarks by 0.015
    inter-ocular distances. The dimple's 20th percentile is then the sadness's 0, so the rest scores 0.1
    of activity and the sadness SHAPE_WEIGHT x 0.015 = 0.225 of shape (0.075 at the weight of 5 this
    replaced): the sadness must not be taken for the neutral face."""
    n, fps = 60, 30.0
    landmarks = _still_face(n)
    iod = float(np.linalg.norm(inter_ocular(landmarks[0])))
    moved = np.arange(0, 478, 10)
    landmarks[40:55, moved, 1] += 0.015 * iod
    blendshapes = np.zeros((n, 52))
    dimple = BLENDSHAPE_NAMES.index("mouthDimpleLeft")
    blendshapes[:, dimple] = 0.1
    blendshapes[40:55, dimple] = 0.0
    present = np.ones(n, bool)
    _, stop = quietest_span(
        neutral_scores(landmarks, blendshapes, np.zeros((n, 3)), present, fps), present, fps
    )
    assert stop <= 40


def test_a_blink_is_not_part_of_the_neutral_span() -> None:
    # a still face whose only change is a blink (eyeBlink blendshapes up for frames 20-25 of 40)
    n, fps = 40, 30.0
    blendshapes = np.zeros((n, 52))
    for side in ("eyeBlinkLeft", "eyeBlinkRight"):
        blendshapes[20:25, BLENDSHAPE_NAMES.index(side)] = 0.9
    present = np.ones(n, bool)
    scores = neutral_scores(_still_face(n), blendshapes, np.zeros((n, 3)), present, fps)
    assert scores[20:25] == pytest.approx(1.8) and scores[:20] == pytest.approx(0.0, abs=1e-9)
