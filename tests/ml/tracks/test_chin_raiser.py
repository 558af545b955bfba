"""The chin raiser (AU17) is the chin pushed up, not the flow beside a lower lip that comes down.

Where the lower lip moves down (the lips parting, a jaw drop, the stretch of fear), the optical flow's
window at the chin's upper edge follows the lip's moving edge and reads the chin going *up*: a lips-apart
on the astronaut read AU17 0.56 before the chin's rise was taken less the lower lip's descent
(:mod:`ml.tracks.measure`). The astronaut photograph is animated by the
benchmark's own warp, each action at E and held.
"""

from __future__ import annotations

import pytest

from ml.datasets.photo_clips import NeutralFace
from ml.tracks import AUTracks

from .conftest import held, held_expression

ACTIONS = {"chin raised": {"AU17": 1.0}, "lips apart": {"AU25": 1.0}, "jaw dropped": {"AU26": 1.0}}


@pytest.fixture(scope="module")
def readings(astronaut_face: NeutralFace) -> dict[str, AUTracks]:
    return {name: held_expression(astronaut_face, "others", units, name) for name, units in ACTIONS.items()}


def test_a_raised_chin_reads_au17(readings: dict[str, AUTracks]) -> None:
    assert held(readings["chin raised"], "AU17") > 0.15


@pytest.mark.parametrize("name", ["lips apart", "jaw dropped"])
def test_a_lower_lip_coming_down_is_not_the_chin_raised(readings: dict[str, AUTracks], name: str) -> None:
    assert held(readings[name], "AU17") < 0.3 * held(readings["chin raised"], "AU17")
