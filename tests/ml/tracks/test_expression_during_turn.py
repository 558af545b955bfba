"""A smile held while the head is turned stays a smile, and the turn around it reads no AU.

What a turn leaves in the region flow is fitted on the frames where the face is at rest
(:mod:`ml.tracks.crosstalk`). Frames of an expression must stay out of that fit even while the head is
turned: taking every turned frame for rest (which clears a face whose brows read a turn as a raise) fits
the smile as the turn's effect: it is taken off (AU12 0.46 -> 0.01 here, AU6 0.18 -> 0) and the turned
frames around it read the fit's error (AU15 0.24). The astronaut photograph is
animated by the benchmark's own warp: turned 6 degrees from 0.5 s to 3.7 s, smiling at half strength (AU6
0.4, AU12 0.5) from 1.5 s to 2.8 s within the turn.
"""

from __future__ import annotations

import numpy as np
import pytest

from ml.datasets.photo_clips import EMOTION_PROTOTYPES, NeutralFace, Scenario
from ml.datasets.photo_clips.scenarios import Envelope, HeadTurn, ScriptedEvent
from ml.tracks import AUTracks

from .conftest import FPS, expressive_peak, tracks_of_rendered

TURN = HeadTurn(-6.0, Envelope(((0.5, 0.0), (1.0, 1.0), (3.2, 1.0), (3.7, 0.0))))
SMILE = ScriptedEvent(
    "happiness",
    EMOTION_PROTOTYPES["happiness"],
    0.5,
    Envelope(((1.5, 0.0), (1.8, 1.0), (2.5, 1.0), (2.8, 0.0))),
    "hold",
)
#: Frames inside the smile's hold, and the turned frames before and after the smile.
HOLD = slice(round(1.9 * FPS), round(2.4 * FPS))
TURNED_ONLY = np.r_[round(1.0 * FPS) : round(1.4 * FPS), round(2.9 * FPS) : round(3.2 * FPS)]


@pytest.fixture(scope="module")
def smile_in_turn(astronaut_face: NeutralFace) -> AUTracks:
    scenario = Scenario(5, "macro", 4.2, (SMILE,), (), (TURN,))
    return tracks_of_rendered(astronaut_face, scenario, "smile_in_turn.avi")


def test_a_smile_held_during_a_turn_keeps_its_reading(smile_in_turn: AUTracks) -> None:
    assert np.nanmean(smile_in_turn.track("AU12")[HOLD]) > 0.3
    assert np.nanmean(smile_in_turn.track("AU6")[HOLD]) > 0.1


def test_the_turn_around_the_smile_reads_no_action(smile_in_turn: AUTracks) -> None:
    assert expressive_peak(smile_in_turn, TURNED_ONLY) < 0.05
