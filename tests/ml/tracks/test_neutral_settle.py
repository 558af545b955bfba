"""A span the landmarks and blendshapes call neutral, but where the flow sees the skin moving, is not.

Some expressions barely move the landmark model's points (disgust on a face turned from the camera)
while the blendshape model reads the subject's rest as an expression that the movement relaxes, so the
least active span by those readings lies inside the expression. Here the astronaut's brows and lip
corners rise and fall (frames 15-40, no hold); the landmarks given are the still face's in every frame,
and one blendshape reads the rest as 0.3 and the expression's middle (frames 18-38) as 0, so those
frames look the least active. The flow from that provisional neutral sees the skin moving, and the
neutral settles where it is still."""

from __future__ import annotations

import numpy as np
import pytest

from ml.stages.landmarks import BLENDSHAPE_NAMES, Landmarker
from ml.tracks import AUTracks
from ml.tracks.neutral import flow_speed, neutral_scores, quietest_span

from .conftest import FPS, Measured, brow_raise, measure_frames, pcc, ramp, smile, tracks_of, warp

N = 60
RISE_AND_FALL = (15, 25, 25, 40)
DIPPED = slice(18, 38)


@pytest.fixture(scope="module")
def misleading(
    landmarker: Landmarker, astronaut: np.ndarray, still: np.ndarray
) -> tuple[Measured, np.ndarray]:
    truth = ramp(N, *RISE_AND_FALL)
    bumps = brow_raise(still, 0.06) + smile(still, 0.12)
    measured = measure_frames(landmarker, [warp(astronaut, bumps, s) for s in truth])
    landmarks = np.repeat(measured.landmarks[:1], N, axis=0)
    blendshapes = np.repeat(measured.blendshapes[:1], N, axis=0)
    blendshapes[:, BLENDSHAPE_NAMES.index("mouthPressLeft")] = 0.3
    blendshapes[DIPPED, BLENDSHAPE_NAMES.index("mouthPressLeft")] = 0.0
    return Measured(measured.crops, landmarks, blendshapes, measured.pose, measured.present), truth


def test_without_the_flow_the_neutral_would_be_inside_the_expression(
    misleading: tuple[Measured, np.ndarray],
) -> None:
    m, _ = misleading
    scores = neutral_scores(m.landmarks, m.blendshapes, m.pose, m.present, FPS)
    start, stop = quietest_span(scores, m.present, FPS)
    assert DIPPED.start <= start and stop <= DIPPED.stop


def test_the_neutral_settles_where_the_skin_is_still(misleading: tuple[Measured, np.ndarray]) -> None:
    m, truth = misleading
    tracks: AUTracks = tracks_of(m)
    start, stop = tracks.neutral
    onset, _, _, offset = RISE_AND_FALL
    assert stop <= onset or start >= offset, f"neutral {start}-{stop} inside the expression"
    # measured: AU1 and AU12 follow the brows and the lip corners at PCC 1.00 from the settled neutral
    # (0.91 and 0.93 from the one inside the expression)
    assert pcc(tracks.track("AU1"), truth) > 0.95 and pcc(tracks.track("AU12"), truth) > 0.95


def test_flow_speed_is_the_mean_frame_to_frame_movement_in_iods_per_second() -> None:
    # two regions; frame 1 moves the first region 3 px right and the second 4 px down (mean 3.5 px), frame
    # 2 has no reading in the second region (only the first, still, counts); IOD 70 px at 10 fps
    displacement = np.array(
        [[[0.0, 0.0], [0.0, 0.0]], [[3.0, 0.0], [0.0, 4.0]], [[3.0, 0.0], [np.nan, np.nan]]]
    )
    assert flow_speed(displacement, 70.0, 10.0) == pytest.approx([0.5, 0.5, 0.0])
