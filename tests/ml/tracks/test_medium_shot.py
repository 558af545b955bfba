"""A face a sixth of a 640x360 frame high (a medium shot) is measured on the same scale as a close-up.

The astronaut photograph is animated with a known, held smile and framed two ways: as photographed (a
face of about 110 px) and as a camera three times further away would see it (``in_shot``: 61 px, with
the sensor noise of the same camera). Intensities are in inter-ocular distances, so the two readings of
the same performance must agree, and both must follow the truth.
"""

from __future__ import annotations

import numpy as np
import pytest

from ml.datasets.photo_clips import (
    NeutralFace,
    Scenario,
    clip_truth,
    load_photo,
    measure_neutral,
)
from ml.datasets.photo_clips.scenarios import Envelope, ScriptedEvent
from ml.stages.landmarks import Landmarker
from ml.tracks import AUTracks

from .conftest import FPS, tracks_of_rendered

#: A smile at 0.6 of E rising over 0.4-0.7 s, held to 1.5 s, gone by 1.8 s; 2.2 s in all.
SMILE = ScriptedEvent(
    "happiness",
    {"AU12": 0.6},
    1.0,
    Envelope(((0.4, 0.0), (0.7, 1.0), (1.5, 1.0), (1.8, 0.0))),
    "hold",
)
#: Still head, steady light, the renderer's usual sensor noise.
SCENARIO = Scenario(7, "macro", 2.2, (SMILE,), (), ())


@pytest.fixture(scope="module")
def astronaut() -> NeutralFace:
    return measure_neutral("astronaut", load_photo("astronaut"), Landmarker(num_threads=1))


@pytest.fixture(scope="module")
def readings(astronaut: NeutralFace) -> dict[str, AUTracks]:
    return {
        "close-up": tracks_of_rendered(astronaut, SCENARIO, "smile.avi"),
        "medium shot": tracks_of_rendered(astronaut, SCENARIO, "smile.avi", shot=1 / 6),
    }


def test_a_held_smile_in_a_medium_shot_follows_its_truth(
    astronaut: NeutralFace, readings: dict[str, AUTracks]
) -> None:
    truth = clip_truth(astronaut, SCENARIO, FPS)
    au12 = truth.intensities[:, truth.aus.index("AU12")]
    far = readings["medium shot"].track("AU12")
    assert np.corrcoef(far, au12)[0, 1] > 0.95
    held = slice(round(0.75 * FPS), round(1.45 * FPS))
    assert far[held].min() > 0.8 * far.max()  # the hold stays up
    others = {
        n: float(np.nanmax(readings["medium shot"].track(n))) for n in readings["medium shot"].bilateral_names
    }
    del others["AU12"]
    assert max(others.values()) < 0.1, others  # the smaller face's noise reads no other action


def test_a_medium_shot_reads_the_smile_as_strong_as_a_close_up(readings: dict[str, AUTracks]) -> None:
    near, far = (readings[name].track("AU12") for name in ("close-up", "medium shot"))
    held = slice(round(0.75 * FPS), round(1.45 * FPS))
    assert abs(np.mean(far[held]) / np.mean(near[held]) - 1.0) < 0.1
