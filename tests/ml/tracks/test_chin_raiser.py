"""The chin raiser (AU17) is the chin pushed up, not the flow beside a lower lip that comes down.

Where the lower lip moves down (the lips parting, a jaw drop, the stretch of fear), the optical flow's
window at the chin's upper edge follows the lip's moving edge and reads the chin going *up*: a lips-apart
on the astronaut read AU17 0.56 before the chin's rise was taken less the lower lip's descent
(:mod:`ml.tracks.measure`). The astronaut photograph is animated by the
benchmark's own warp, each action at E and held.
"""

from __future__ import annotations

import numpy as np
import pytest

from ml.datasets.photo_clips import NeutralFace, Scenario, load_photo, measure_neutral
from ml.datasets.photo_clips.scenarios import Envelope, ScriptedEvent
from ml.stages.landmarks import Landmarker
from ml.tracks import AUTracks

from .conftest import FPS, tracks_of_rendered

#: Rising over 0.4-0.7 s, held to 1.2 s, gone by 1.5 s; 1.7 s in all.
ENVELOPE = Envelope(((0.4, 0.0), (0.7, 1.0), (1.2, 1.0), (1.5, 0.0)))
HELD = slice(int(0.75 * FPS), int(1.15 * FPS))
ACTIONS = {"chin raised": {"AU17": 1.0}, "lips apart": {"AU25": 1.0}, "jaw dropped": {"AU26": 1.0}}


def measured(face: NeutralFace, name: str) -> AUTracks:
    event = ScriptedEvent("others", ACTIONS[name], 1.0, ENVELOPE, "hold")
    return tracks_of_rendered(face, Scenario(3, "macro", 1.7, (event,), (), ()), f"{name}.avi")


@pytest.fixture(scope="module")
def readings() -> dict[str, AUTracks]:
    face = measure_neutral("astronaut", load_photo("astronaut"), Landmarker(num_threads=1))
    return {name: measured(face, name) for name in ACTIONS}


def held(tracks: AUTracks, au: str) -> float:
    return float(np.nanmean(tracks.track(au)[HELD]))


def test_a_raised_chin_reads_au17(readings: dict[str, AUTracks]) -> None:
    assert held(readings["chin raised"], "AU17") > 0.15


@pytest.mark.parametrize("name", ["lips apart", "jaw dropped"])
def test_a_lower_lip_coming_down_is_not_the_chin_raised(readings: dict[str, AUTracks], name: str) -> None:
    assert held(readings[name], "AU17") < 0.3 * held(readings["chin raised"], "AU17")
