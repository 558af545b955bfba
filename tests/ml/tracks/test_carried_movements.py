"""One action carries the skin of another's region a little; that carriage is not the other action.

The astronaut photograph is animated by the benchmark's own warp, each expression at E and held:
- the upper lip raiser (AU10) lifts its whole upper lip, the corners with it, straight up: that is not a
  smile, which pulls the corners outwards as they rise (a corner's rise read as AU12 0.34 on AU10 alone);
- a smile lifts the upper lip and the nose wings a little: that is neither AU10 nor AU9;
- the widened eyes of fear lift the lower lid's window at the eye's opening: that is not the lower lid
  tightening (AU7 0.12 in fear before the upper lid's carriage was taken off);
- the lips parting in fear make the chin's flow read a rise: that is not the chin raiser;
- a dropped jaw stretches the skin the nose wings are read against: that is not the nose wrinkled (AU9
  0.11 on a jaw drop alone before the jaw's carriage was taken off).
"""

from __future__ import annotations

import pytest

from ml.datasets.photo_clips import EMOTION_PROTOTYPES, NeutralFace
from ml.tracks import AUTracks

from .conftest import held, held_expression

ACTIONS = {
    "upper lip raised": ("others", {"AU10": 1.0}),
    "disgust": ("disgust", EMOTION_PROTOTYPES["disgust"]),
    "happiness": ("happiness", EMOTION_PROTOTYPES["happiness"]),
    "fear": ("fear", EMOTION_PROTOTYPES["fear"]),
    "jaw drop": ("others", {"AU26": 1.0}),
}


@pytest.fixture(scope="module")
def readings(astronaut_face: NeutralFace) -> dict[str, AUTracks]:
    return {
        name: held_expression(astronaut_face, emotion, units, name.replace(" ", "_"))
        for name, (emotion, units) in ACTIONS.items()
    }


def test_a_raised_upper_lip_is_au10_and_not_a_smile(readings: dict[str, AUTracks]) -> None:
    assert held(readings["upper lip raised"], "AU10") > 0.3
    assert held(readings["upper lip raised"], "AU12") < 0.05


def test_disgust_raises_the_upper_lip_without_a_smile(readings: dict[str, AUTracks]) -> None:
    assert held(readings["disgust"], "AU10") > 0.25
    assert held(readings["disgust"], "AU12") < 0.08


def test_a_smile_is_neither_the_upper_lip_nor_the_nose_raised(readings: dict[str, AUTracks]) -> None:
    assert held(readings["happiness"], "AU12") > 0.5
    assert held(readings["happiness"], "AU10") < 0.05
    assert held(readings["happiness"], "AU9") < 0.05


def test_the_wide_eyes_of_fear_do_not_tighten_the_lower_lids(readings: dict[str, AUTracks]) -> None:
    assert held(readings["fear"], "AU5") > 0.3
    assert held(readings["fear"], "AU7") < 0.05


def test_lips_parted_in_fear_are_not_the_chin_raised(readings: dict[str, AUTracks]) -> None:
    assert held(readings["fear"], "AU25") > 0.2
    assert held(readings["fear"], "AU17") < 0.05


def test_a_jaw_drop_does_not_wrinkle_the_nose(readings: dict[str, AUTracks]) -> None:
    assert held(readings["jaw drop"], "AU26") > 0.5
    assert held(readings["jaw drop"], "AU9") < 0.03
