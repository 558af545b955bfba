"""ml.tracks.crosstalk: the head's turn as the maps see it, and what a turn leaves in the region flow taken
off while a held expression stays."""

import math
from dataclasses import replace

import numpy as np
import pytest

from ml.tracks.calibration import AU_NAMES
from ml.tracks.crosstalk import (
    FACE_PARTS,
    MIN_REST_FRAMES,
    remove_lip_red_turn_crosstalk,
    remove_turn_crosstalk,
    turn_parallax,
)
from ml.tracks.flow import REGION_NAMES
from ml.tracks.types import AUTracks

FPS = 30.0


def _maps(
    yaw_deg: np.ndarray, pitch_deg: np.ndarray, roll_deg: float = 0.0, scale: float = 1.0
) -> np.ndarray:
    """(N, 2, 4) maps of an orthographic head turned by yaw then pitch, rolled, scaled (no translation)."""
    out = np.zeros((len(yaw_deg), 2, 4))
    roll = math.radians(roll_deg)
    rolled = np.array([[math.cos(roll), -math.sin(roll)], [math.sin(roll), math.cos(roll)]])
    for n, (yd, pd) in enumerate(zip(yaw_deg, pitch_deg, strict=True)):
        y, p = math.radians(yd), math.radians(pd)
        # x' = x cos y - z sin y;  y' = y cos p + (x sin y + z cos y) sin p
        linear = np.array(
            [
                [math.cos(y), 0.0, -math.sin(y)],
                [math.sin(y) * math.sin(p), math.cos(p), math.cos(y) * math.sin(p)],
            ]
        )
        out[n, :, :3] = scale * rolled @ linear
    return out


def test_turn_parallax_of_a_yaw_is_minus_its_tangent_whatever_the_roll_and_scale():
    for roll, scale in ((0.0, 1.0), (12.0, 0.7), (-30.0, 1.6)):
        turn = turn_parallax(_maps(np.array([0.0, 10.0, -4.0]), np.zeros(3), roll, scale))
        np.testing.assert_allclose(
            turn[:, 0], [0.0, -math.tan(math.radians(10.0)), math.tan(math.radians(4.0))], atol=1e-12
        )
        np.testing.assert_allclose(turn[:, 1], 0.0, atol=1e-12)


def test_turn_parallax_of_a_nod_points_along_the_face():
    turn = turn_parallax(_maps(np.zeros(1), np.array([6.0])))
    np.testing.assert_allclose(turn[0], [0.0, math.tan(math.radians(6.0))], atol=1e-12)


def test_a_frame_without_a_map_has_no_turn():
    maps = _maps(np.zeros(3), np.zeros(3))
    maps[1] = np.nan
    turn = turn_parallax(maps)
    assert np.isnan(turn[1]).all() and np.isfinite(turn[[0, 2]]).all()


def test_every_region_is_in_exactly_one_part_of_the_face():
    listed = [name for _, regions in FACE_PARTS.values() for name in regions]
    assert sorted(listed) == sorted(REGION_NAMES)
    assert all(au in AU_NAMES for aus, _ in FACE_PARTS.values() for au in aus)


def _take(n: int = 300):
    """A slow head drift with a turn, each region moved in proportion to it, and a held smile (frames
    150-219) in the mouth's regions during the turn."""
    t = np.arange(n) / FPS
    yaw = 1.5 * np.sin(2 * np.pi * t / 4.0) + np.where((t > 4.5) & (t < 7.5), 5.0, 0.0)
    pitch = 0.8 * np.sin(2 * np.pi * t / 5.0 + 1.0)
    yaw[:20] = pitch[:20] = 0.0  # the neutral span
    maps = _maps(yaw, pitch)
    rng = np.random.default_rng(0)
    leak = rng.normal(0.0, 3.0, (len(REGION_NAMES), 2, 2))  # each region's flow per unit of turn
    turn = turn_parallax(maps)
    crosstalk = np.einsum("nk,rkc->nrc", turn, leak)
    smile = np.zeros((n, len(REGION_NAMES), 2))
    smiling = np.zeros(n, bool)
    smiling[150:220] = True
    for name in FACE_PARTS["mouth and jaw"][1]:
        smile[smiling, REGION_NAMES.index(name)] = (0.4, -0.3)
    values = np.zeros((n, len(AU_NAMES)))
    for au in ("AU12", "AU12L", "AU12R"):
        values[smiling, AU_NAMES.index(au)] = 0.6
    first = AUTracks(
        names=AU_NAMES, values=values, neutral=(0, 20), present=np.ones(n, bool), blinks=(), source="face"
    )
    return maps, crosstalk, smile, first


def test_the_turn_is_taken_off_and_a_held_smile_during_it_stays():
    maps, crosstalk, smile, first = _take()
    out = remove_turn_crosstalk(crosstalk + smile, maps, list(range(20)), first, FPS)
    np.testing.assert_allclose(out, smile, atol=1e-9)


def test_a_fit_over_the_smile_would_have_eaten_part_of_it():
    """The check above can fail: read without the smile marked, the smile bends the fit."""
    maps, crosstalk, smile, first = _take()
    unmarked = replace(first, values=np.zeros_like(first.values))
    out = remove_turn_crosstalk(crosstalk + smile, maps, list(range(20)), unmarked, FPS)
    mouth = REGION_NAMES.index("lip_corner_left")
    assert np.abs(out[150:220, mouth] - smile[150:220, mouth]).max() > 0.05


def test_a_part_never_at_rest_is_left_as_measured():
    maps, crosstalk, smile, first = _take()
    values = first.values.copy()
    values[:, AU_NAMES.index("AU1")] = 0.8  # the brows raised all through
    busy = replace(first, values=values)
    measured = crosstalk + smile
    out = remove_turn_crosstalk(measured, maps, list(range(20)), busy, FPS)
    brows = [REGION_NAMES.index(name) for name in FACE_PARTS["brows and upper lids"][1]]
    np.testing.assert_array_equal(out[:, brows], measured[:, brows])
    cheeks = [REGION_NAMES.index(name) for name in FACE_PARTS["lower lids, cheeks and nose"][1]]
    np.testing.assert_allclose(out[:, cheeks], smile[:, cheeks], atol=1e-9)


@pytest.mark.parametrize("rest", [MIN_REST_FRAMES - 1, MIN_REST_FRAMES])
def test_too_few_frames_at_rest_leave_the_flow_alone(rest):
    maps, crosstalk, smile, first = _take()
    values = first.values.copy()
    column = AU_NAMES.index("AU26")
    values[:, column] = 0.5
    # rest frames far from any busy frame (the margin widens busy frames by 3 at 30 fps)
    values[100 : 100 + rest, column] = 0.0
    values[97:100, column] = values[100 + rest : 103 + rest, column] = 0.0
    tracks = replace(first, values=values)
    measured = crosstalk + smile
    out = remove_turn_crosstalk(measured, maps, list(range(20)), tracks, FPS)
    jaw = REGION_NAMES.index("jaw")
    if rest < MIN_REST_FRAMES:
        np.testing.assert_array_equal(out[:, jaw], measured[:, jaw])
    else:
        assert not np.array_equal(out[:, jaw], measured[:, jaw])


def test_frames_without_a_face_stay_empty():
    maps, crosstalk, smile, first = _take()
    measured = crosstalk + smile
    measured[40:45] = np.nan
    maps[60] = np.nan
    out = remove_turn_crosstalk(measured, maps, list(range(20)), first, FPS)
    assert np.isnan(out[40:45]).all()
    np.testing.assert_array_equal(out[60], measured[60])  # no turn known: left as measured
    keep = np.ones(len(out), bool)
    keep[40:45] = keep[60] = False
    np.testing.assert_allclose(out[keep], smile[keep], atol=1e-9)


def test_a_turn_in_the_lip_red_is_taken_off_and_a_press_during_it_stays():
    """The lip red's thickness thinned in proportion to the turn is put back; a lip press while the head
    is turned, marked busy by the first reading, stays."""
    maps, _, _, first = _take()
    turn = turn_parallax(maps)
    press = np.zeros(len(turn))
    press[160:210] = 1.5  # pixels thinner, during the turn
    values = np.zeros_like(first.values)
    values[160:210, AU_NAMES.index("AU24")] = 0.4
    pressed = replace(first, values=values)
    lip_red = 9.0 + turn @ np.array([14.0, -6.0]) - press
    out = remove_lip_red_turn_crosstalk(lip_red, maps, list(range(20)), pressed, FPS)
    np.testing.assert_allclose(out, 9.0 - press, atol=1e-9)
    unmarked = remove_lip_red_turn_crosstalk(
        lip_red, maps, list(range(20)), replace(first, values=np.zeros_like(values)), FPS
    )
    assert np.abs(unmarked[160:210] - (9.0 - press[160:210])).max() > 0.1  # the press bends a fit over it
