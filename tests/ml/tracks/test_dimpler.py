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

from ml.datasets.photo_clips import NeutralFace
from ml.datasets.photo_clips.scenarios import EMOTION_PROTOTYPES
from ml.tracks import AUTracks

from .conftest import FPS, HELD_ENVELOPE, held, held_expression, pcc


@pytest.fixture(scope="module")
def readings(astronaut_face: NeutralFace) -> dict[str, AUTracks]:
    readings = {
        emotion: held_expression(astronaut_face, emotion, EMOTION_PROTOTYPES[emotion])
        for emotion in ("contempt", "happiness")
    }
    readings["stretch"] = held_expression(astronaut_face, "others", {"AU20": 1.0}, "stretch")
    return readings


def test_a_one_sided_corner_pull_is_that_sides_dimpler(readings: dict[str, AUTracks]) -> None:
    contempt = readings["contempt"]
    # measured: AU14R 0.68 held (AU12R 0.69), AU14L 0.00; PCC 1.00
    assert held(contempt, "AU14R") > 0.4
    assert held(contempt, "AU14L") < 0.05
    truth = HELD_ENVELOPE(np.arange(len(contempt.values)) / FPS)
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
