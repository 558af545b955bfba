"""Blinks alone read no expression: what the closing lids move is bridged over.

The still-skin fit the brows, the nose wings and the chin against the head are read against is made on
skin that includes the lids, so a blink moves it; those AUs are replaced by a straight line across each
blink (a blink on the astronaut's portrait read the nose wrinkled, AU9 0.026, before AU9 was bridged).
The astronaut photograph blinks twice, fully, by the benchmark's own warp, and does nothing else.
"""

from __future__ import annotations

import numpy as np

from ml.datasets.photo_clips import NeutralFace, Scenario
from ml.datasets.photo_clips.scenarios import Envelope, ScriptedEvent

from .conftest import expressive_peak, tracks_of_rendered


def test_two_blinks_read_as_blinks_and_nothing_else(astronaut_face: NeutralFace) -> None:
    blinks = tuple(
        ScriptedEvent(
            "blink", {"AU45": 1.0}, 1.0, Envelope(((t, 0.0), (t + 0.1, 1.0), (t + 0.23, 0.0))), "blink"
        )
        for t in (0.6, 1.3)
    )
    tracks = tracks_of_rendered(astronaut_face, Scenario(7, "micro", 2.0, (), blinks, ()), "blinks.avi")
    assert len(tracks.blinks) == 2
    assert np.nanmax(tracks.track("AU9")) < 0.01
    assert np.nanmax(tracks.track("AU17")) < 0.01
    assert expressive_peak(tracks) < 0.02
