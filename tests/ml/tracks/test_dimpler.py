"""A lip corner pulled on one side (contempt) reads as that side's dimpler; a smile on both sides reads none.

The dimpler's own movement cannot be told from a smile's by the corner's movement seen from the front
(:func:`ml.tracks.measure.one_sided_dimplers`), so a pull on one side beyond twice the other side's
is what names it. The astronaut photograph is animated by the benchmark's own warp: contempt (the right
corner's AU12 at 0.6 with AU14 at E), happiness (AU12 and AU6 on both sides) and the lip corners'
stretch (AU20) alone, each held.
"""

from __future__ import annotations

import numpy as np
import pytest

from ml.datasets.photo_clips import NeutralFace, Scenario, load_photo, measure_neutral
from ml.datasets.photo_clips.scenarios import EMOTION_PROTOTYPES, Envelope, ScriptedEvent
from ml.stages.landmarks import Landmarker
from ml.tracks import AUTracks

from .conftest import FPS, pcc, tracks_of_rendered

#: Rising over 0.4-0.7 s, held to 1.2 s, gone by 1.5 s; 1.7 s in all.
ENVELOPE = Envelope(((0.4, 0.0), (0.7, 1.0), (1.2, 1.0), (1.5, 0.0)))
HELD = slice(int(0.75 * FPS), int(1.15 * FPS))


def measured(face: NeutralFace, emotion: str, units: dict[str, float]) -> AUTracks:
    event = ScriptedEvent(emotion, units, 1.0, ENVELOPE, "hold")
    return tracks_of_rendered(face, Scenario(3, "macro", 1.7, (event,), (), ()), f"{emotion}.avi")


@pytest.fixture(scope="module")
def readings() -> dict[str, AUTracks]:
    face = measure_neutral("astronaut", load_photo("astronaut"), Landmarker(num_threads=1))
    readings = {
        emotion: measured(face, emotion, EMOTION_PROTOTYPES[emotion]) for emotion in ("contempt", "happiness")
    }
    readings["stretch"] = measured(face, "others", {"AU20": 1.0})
    return readings


def held(tracks: AUTracks, au: str) -> float:
    return float(np.nanmean(tracks.track(au)[HELD]))


def test_a_one_sided_corner_pull_is_that_sides_dimpler(readings: dict[str, AUTracks]) -> None:
    contempt = readings["contempt"]
    # measured: AU14R 0.68 held (AU12R 0.69), AU14L 0.00; PCC 1.00
    assert held(contempt, "AU14R") > 0.4
    assert held(contempt, "AU14L") < 0.05
    truth = ENVELOPE(np.arange(len(contempt.values)) / FPS)
    assert pcc(contempt.track("AU14R"), truth) > 0.9


def test_a_smile_on_both_sides_is_no_dimpler(readings: dict[str, AUTracks]) -> None:
    happiness = readings["happiness"]
    assert held(happiness, "AU12") > 0.5
    # measured: AU14 0.00 held (AU12L 0.88 and AU12R 0.82; 0.05 where any excess counted)
    assert held(happiness, "AU14") < 0.1


def test_the_stretch_of_the_lip_corners_is_no_dimpler(readings: dict[str, AUTracks]) -> None:
    stretch = readings["stretch"]
    assert held(stretch, "AU20") > 0.5
    # measured: AU14 0.01 (over 0.05 on the left when the dimpler had a sector of directions of its own)
    assert held(stretch, "AU14") < 0.05
