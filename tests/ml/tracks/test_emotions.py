"""Emotion prototypes on apex AU patterns written down from FACS/EMFACS descriptions."""

from __future__ import annotations

import pytest
import yaml

from curves.emotion import DEFAULT_PROFILES_PATH
from ml.tracks.emotions import emotion_of

CASES = [
    ({"AU6": 0.5, "AU12": 0.7}, "happiness"),
    ({"AU12": 0.3}, "happiness"),
    ({"AU1": 0.6, "AU4": 0.4, "AU15": 0.5}, "sadness"),
    ({"AU1": 0.5, "AU2": 0.6, "AU5": 0.4, "AU26": 0.5}, "surprise"),
    ({"AU1": 0.5, "AU2": 0.5, "AU4": 0.4, "AU5": 0.5, "AU20": 0.6}, "fear"),
    ({"AU4": 0.6, "AU7": 0.5, "AU23": 0.5}, "anger"),
    ({"AU9": 0.6, "AU10": 0.5}, "disgust"),
    ({"AU12": 0.4, "AU12R": 0.4, "AU12L": 0.0}, "contempt"),
    # disgust whose raised upper lip lifts one corner more than the other: the nose and the upper lip are
    # not contempt's, and hold against it as any prototype's unexplained AUs hold against that prototype
    ({"AU9": 0.4, "AU10": 0.4, "AU12": 0.15, "AU12R": 0.15, "AU12L": 0.0}, "disgust"),
    ({"AU17": 0.5}, "others"),
    ({"AU14": 0.3, "AU14L": 0.3, "AU14R": 0.3}, "others"),
    ({}, "others"),
]


@pytest.mark.parametrize(("values", "expected"), CASES)
def test_prototype_patterns_are_named(values: dict[str, float], expected: str) -> None:
    name, scores = emotion_of(values)
    assert name == expected, scores
    assert all(0.0 <= v <= 1.0 for v in scores.values())


def test_scores_depend_on_the_pattern_not_the_intensity() -> None:
    weak = emotion_of({"AU6": 0.05, "AU12": 0.1})
    strong = emotion_of({"AU6": 0.5, "AU12": 1.0})
    assert weak == strong


def test_names_are_those_of_the_emotion_profiles() -> None:
    known = set(yaml.safe_load(DEFAULT_PROFILES_PATH.read_text(encoding="utf-8"))["emotions"])
    _, scores = emotion_of({"AU12": 0.5})
    assert set(scores) | {"others"} <= known
