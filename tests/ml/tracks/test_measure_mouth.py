"""The mouth's AUs on a real photograph under known deformations: each reads its own movement only.

The lips parting (AU25), the jaw dropping (AU26), the lips tightening (AU23) and the chin raised (AU17)
move overlapping skin; each deformation below moves one of them and the others must stay quiet.
"""

from __future__ import annotations

import numpy as np
import pytest

from ml.stages.landmarks import LOWER_LIP_INNER, UPPER_LIP_INNER, Landmarker
from ml.tracks import AUTracks
from ml.tracks.calibration import IOD_MM, SCALE_MM
from ml.tracks.geometry import LIP_RED_PAIRS, FaceAxes, MouthShape
from ml.tracks.measure import _geometry_aus

from .conftest import Bump, iod, measure_frames, pcc, ramp, smile, tracks_of, warp

#: Frames of each clip: still for 10, a movement rising to frame 16, held to 24, gone at 30, still to 40.
TRUTH = ramp(40, 10, 16, 24, 30)


def animate(landmarker: Landmarker, image: np.ndarray, bumps: list[Bump]) -> AUTracks:
    """Tracks of the photograph moved by ``bumps`` along :data:`TRUTH`, the first 8 frames marked as
    the neutral face (as a user may)."""
    return tracks_of(measure_frames(landmarker, [warp(image, bumps, s) for s in TRUTH]), neutral=(0, 8))


def lower_lip_down(points: np.ndarray, amount_iod: float) -> list[Bump]:
    """The lower lip drawn down off the teeth, the chin left in place (lips parting, AU25)."""
    scale = iod(points)
    centre = points[[14, 17], :2].mean(axis=0)
    return [Bump((centre[0], centre[1]), (0.0, amount_iod * scale), 0.07 * scale)]


def jaw_down(points: np.ndarray, amount_iod: float) -> list[Bump]:
    """The chin and the lower lip lowered together, the lower lip a little less (a jaw drop, AU26)."""
    scale = iod(points)
    chin, lip = points[152, :2], points[17, :2]
    return [
        Bump((chin[0], chin[1]), (0.0, amount_iod * scale), 0.25 * scale),
        Bump((lip[0], lip[1]), (0.0, 0.6 * amount_iod * scale), 0.12 * scale),
    ]


def corners_in(points: np.ndarray, amount_iod: float) -> list[Bump]:
    """Both lip corners drawn towards the midline (the lips tightening, AU23)."""
    scale = iod(points)
    right, left = points[61, :2], points[291, :2]
    d = amount_iod * scale
    return [
        Bump((right[0], right[1]), (d, 0.0), 0.08 * scale),
        Bump((left[0], left[1]), (-d, 0.0), 0.08 * scale),
    ]


def chin_up(points: np.ndarray, amount_iod: float) -> list[Bump]:
    """The chin boss pushed up, the lower lip with it a little (the chin raiser, AU17)."""
    scale = iod(points)
    boss = points[[199, 175], :2].mean(axis=0)
    return [Bump((boss[0], boss[1]), (0.0, -amount_iod * scale), 0.12 * scale)]


def _quiet_flow(**readings: float) -> dict[str, np.ndarray]:
    """The flow readings :func:`_geometry_aus` checks the landmarks against, for a still frame and a moved
    one: zero in both, except ``readings`` (IODs) in the moved frame."""
    keys = ("corners_in", "lip_beyond_chin", "lower_lip_down", "chin_rise", "lid_drop_L", "lid_drop_R")
    return {key: np.array([0.0, readings.get(key, 0.0)]) for key in keys}


def peaks(tracks: AUTracks, names: tuple[str, ...]) -> dict[str, float]:
    return {name: float(np.nanmax(tracks.track(name))) for name in names}


def test_lips_parting_is_au25_not_a_jaw_drop(
    landmarker: Landmarker, astronaut: np.ndarray, still: np.ndarray
) -> None:
    tracks = animate(landmarker, astronaut, lower_lip_down(still, 0.06))  # 3.8 mm of a 5 mm E
    assert pcc(tracks.track("AU25"), TRUTH) > 0.9
    assert tracks.track("AU25").max() > 0.08
    assert max(peaks(tracks, ("AU26", "AU17", "AU23", "AU15", "AU20")).values()) < 0.05


def test_a_jaw_drop_is_au26_and_does_not_also_part_the_lips(
    landmarker: Landmarker, astronaut: np.ndarray, still: np.ndarray
) -> None:
    tracks = animate(landmarker, astronaut, jaw_down(still, 0.12))
    assert pcc(tracks.track("AU26"), TRUTH) > 0.9
    assert tracks.track("AU26").max() > 0.15
    # the lower lip rides down on the jaw: that is not the lips parting, nor the chin raised
    assert max(peaks(tracks, ("AU25", "AU17", "AU23", "AU15", "AU20")).values()) < 0.05


@pytest.fixture(scope="module")
def smiling(landmarker: Landmarker, astronaut: np.ndarray, still: np.ndarray) -> AUTracks:
    """A smile of half the lip-corner pull of E: it stretches the lower face and lifts the lower lip."""
    return animate(landmarker, astronaut, smile(still, 0.08))


def test_tightened_lips_are_au23_and_a_smile_is_not(
    landmarker: Landmarker, astronaut: np.ndarray, still: np.ndarray, smiling: AUTracks
) -> None:
    tracks = animate(landmarker, astronaut, corners_in(still, 0.05))  # 3.2 mm a side of a 4 mm E
    assert pcc(tracks.track("AU23"), TRUTH) > 0.9
    assert tracks.track("AU23").max() > 0.15
    # a corner drawn in is none of the corner pulls (the bump drags the lower lip's side a little down)
    assert max(peaks(tracks, ("AU12", "AU14", "AU20")).values()) < 0.05
    assert tracks.track("AU15").max() < 0.1
    assert smiling.track("AU23").max() < 0.05


def test_a_chin_raise_is_au17_and_a_smile_is_not(
    landmarker: Landmarker, astronaut: np.ndarray, still: np.ndarray, smiling: AUTracks
) -> None:
    tracks = animate(landmarker, astronaut, chin_up(still, 0.05))
    assert pcc(tracks.track("AU17"), TRUTH) > 0.9
    assert tracks.track("AU17").max() > 0.05
    assert max(peaks(tracks, ("AU25", "AU26", "AU23", "AU15", "AU20")).values()) < 0.05
    assert smiling.track("AU17").max() < 0.05


def _lips_of_thickness(points: np.ndarray, factor: float) -> np.ndarray:
    """The portrait's (478, 2) landmarks with each lip's red ``factor`` times as thick (the outer contour
    moved along the face's vertical, the inner one kept)."""
    out = points[:, :2].copy()
    up = FaceAxes(out).up
    inner = {*UPPER_LIP_INNER, *LOWER_LIP_INNER}
    for upper, lower in LIP_RED_PAIRS:
        shift = (factor - 1.0) * float((out[upper] - out[lower]) @ up) * up
        if upper in inner:  # the lower lip: its outer contour is the lower point
            out[lower] -= shift
        else:
            out[upper] += shift
    return out


@pytest.mark.parametrize("factor", [0.5, 1.0, 1.6])
def test_a_lip_press_reads_its_thinning_in_millimetres_however_thick_the_lips(
    still: np.ndarray, factor: float
) -> None:
    """The lip red thinned by 0.03 IOD (1.9 mm) is the same press on thin lips and on full ones: AU24 =
    1.89 / 4.0 mm = 0.47 each time (as a share of the lip red it was 3.2 times as large on the thinnest
    lips as on the fullest, and a thin lip's landmark jitter read as a press)."""
    base = _lips_of_thickness(still, factor)
    axes = FaceAxes(base)
    pressed = base.copy()
    for upper, lower in LIP_RED_PAIRS:  # each contour moves half of it towards the other
        pressed[upper] -= 0.015 * axes.iod * axes.up
        pressed[lower] += 0.015 * axes.iod * axes.up
    frames = np.stack([base, pressed])
    lip_red = MouthShape(frames, axes.up).lip_red
    values, _, _ = _geometry_aus(frames, lip_red, base, axes, _quiet_flow(), 30.0)
    np.testing.assert_allclose(values["AU24"], [0.0, 0.03 * IOD_MM / SCALE_MM["AU24"]], atol=1e-9)


@pytest.mark.parametrize(
    ("lip_rise", "expected"),
    [
        # the lower lip rising with the chin (0.01 of its 0.02 IOD, at least a third): the landmarks'
        # 0.03 IOD descent is not the lip's, and the chin's rise is the chin raiser: 0.02 * 63 / 5 mm
        (0.01, 0.02 * IOD_MM / SCALE_MM["AU17"]),
        # the lower lip barely rising (0.005 IOD, under a third of the chin's rise) while the landmarks
        # see it come down: the lips are parting, and the chin's rise, 0.02 less the 0.03 descent, is none
        (0.005, 0.0),
    ],
)
def test_a_lower_lip_rising_with_the_chin_is_not_taken_off_the_chin_raiser(
    still: np.ndarray, lip_rise: float, expected: float
) -> None:
    base = still[:, :2].copy()
    axes = FaceAxes(base)
    moved = base.copy()
    moved[[17, 84, 314]] -= 0.03 * axes.iod * axes.up  # the lower lip's lower edge, as the landmarks see it
    frames = np.stack([base, moved])
    flow = _quiet_flow(chin_rise=0.02, lower_lip_down=-lip_rise)
    values, _, _ = _geometry_aus(frames, MouthShape(frames, axes.up).lip_red, base, axes, flow, 30.0)
    np.testing.assert_allclose(values["AU17"], [0.0, expected], atol=1e-9)
