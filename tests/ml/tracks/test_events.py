"""Event spotting on hand-made AU tracks: thresholds, dips, gaps, timing and labels worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ml.tracks import AUTracks, spot_events
from ml.tracks.calibration import NOISE_MM, REST_DEADZONE
from ml.tracks.events import (
    DIP,
    HIGH_MM,
    LOW_MM,
    NEUTRAL_SPREAD,
    TURN_LEAK_MM,
    expression_strength,
    noise_mm,
)

NAMES = ("AU1", "AU2", "AU6", "AU12", "AU15", "AU45", "AU12L", "AU12R")


def left_noise(au: str) -> float:
    """The noise an event must clear on a measured track: what the measurement's rest deadzone left."""
    return (1.0 - REST_DEADZONE) * NOISE_MM[au]


def tracks(n: int, **columns: np.ndarray) -> AUTracks:
    values = np.zeros((n, len(NAMES)))
    for name, track in columns.items():
        values[:, NAMES.index(name)] = track
    return AUTracks(names=NAMES, values=values, neutral=(0, 5), present=np.ones(n, bool))


def bump(n: int, onset: int, apex: int, offset: int, peak: float) -> np.ndarray:
    """0 outside [onset, offset], linear up to ``peak`` at ``apex`` and down again."""
    t = np.arange(n, dtype=float)
    up = np.clip((t - onset) / (apex - onset), 0, 1)
    down = np.clip((offset - t) / (offset - apex), 0, 1)
    return peak * np.minimum(up, down)


def test_one_bump_is_one_event_with_its_hand_worked_timing() -> None:
    smile = bump(40, 10, 15, 22, 0.6)
    # at the apex AU12 moves 6 mm (5.93 beyond noise), AU6 0.48 x 5 = 2.4 mm (2.13 beyond its 0.28):
    # above a quarter of the apex's largest movement, so it is listed
    assert 0.48 * 5.0 - left_noise("AU6") > 0.25 * (0.6 * 10.0 - left_noise("AU12"))
    (event,) = spot_events(
        tracks(40, AU12=smile, AU12L=smile, AU12R=smile, AU6=0.8 * smile), 30.0, np.ones(40, bool)
    )
    # The rise starts after frame 10 and the fall ends before 22: frames 11..21 are above 0.
    assert (event.onset, event.apex, event.offset) == (11, 15, 21)
    assert event.peak == pytest.approx(0.6)
    assert event.duration_s == pytest.approx(11 / 30.0)
    assert event.kind == "micro"
    assert event.aus == ("AU12", "AU6")
    assert event.emotion == "happiness"


def test_a_wavering_hold_stays_one_event_and_a_deep_dip_splits_it() -> None:
    n = 60
    hold = bump(n, 5, 10, 50, 0.5)
    hold = np.minimum(hold, 0.5)
    hold[10:45] = 0.5
    waver = hold.copy()
    waver[25:28] = 0.35  # 70 % of the peak: the expression wavers but does not end
    assert len(spot_events(tracks(n, AU1=waver), 30.0, np.ones(n, bool))) == 1
    dip = hold.copy()
    dip[25:28] = 0.1  # 20 % of the peak, still above LOW_MM (0.8 mm of AU1): two expressions
    assert LOW_MM < 0.1 * 8.0
    events = spot_events(tracks(n, AU1=dip), 30.0, np.ones(n, bool))
    assert len(events) == 2
    first, second = sorted(events, key=lambda e: e.onset)
    assert first.offset < 27 and second.onset > 25


def test_a_flat_deep_valley_still_splits_two_expressions() -> None:
    n = 60
    two = np.minimum(bump(n, 5, 10, 50, 0.8), 0.8)
    two[10:45] = 0.8  # 6.1 mm of AU1 beyond noise
    two[25:30] = 0.15  # a flat valley of 0.9 mm: above HIGH_MM, under DIP of either side
    assert HIGH_MM < 0.15 * 8.0 - left_noise("AU1") < DIP * (0.8 * 8.0 - left_noise("AU1"))
    events = sorted(spot_events(tracks(n, AU1=two), 30.0, np.ones(n, bool)), key=lambda e: e.onset)
    assert len(events) == 2
    assert 24 <= events[0].offset < events[1].onset <= 30  # they part inside the valley


def test_strongest_first_micro_and_macro_and_blinks_are_not_expressions() -> None:
    n = 90
    weak_long = bump(n, 5, 20, 35, 0.3)  # 29 frames above 0 at 30 fps: macro
    strong_short = bump(n, 50, 54, 58, 0.8)  # 7 frames: micro
    blink = bump(n, 70, 73, 76, 1.0)
    events = spot_events(tracks(n, AU15=weak_long, AU2=strong_short, AU45=blink), 30.0, np.ones(n, bool))
    assert [e.aus[0] for e in events] == ["AU2", "AU15"]
    assert [e.kind for e in events] == ["micro", "macro"]
    assert all(e.offset < 70 for e in events)


def test_events_start_at_a_movement_beyond_noise_not_an_intensity() -> None:
    n = 40
    # An event starts HIGH_MM beyond the AU's own noise: just below that on AU12 (10 mm at E), just
    # above it on AU2 (9 mm at E).
    below = bump(n, 10, 15, 20, (HIGH_MM + left_noise("AU12") - 0.05) / 10.0)
    above = bump(n, 10, 15, 20, (HIGH_MM + left_noise("AU2") + 0.05) / 9.0)
    assert spot_events(tracks(n, AU12=below), 30.0, np.ones(n, bool)) == []
    (event,) = spot_events(tracks(n, AU2=above), 30.0, np.ones(n, bool))
    assert event.peak == pytest.approx(above.max()) and event.aus == ("AU2",)


def test_a_noisy_neutral_raises_the_bar_for_its_own_take() -> None:
    n = 60
    smile = bump(n, 30, 35, 40, 0.1)  # 1 mm of AU12: an event on a clean take
    clean = tracks(n, AU12=smile)
    assert len(spot_events(clean, 30.0, np.ones(n, bool))) == 1
    jitter = 0.03 * np.where(np.arange(n) % 2 == 0, 1.0, -1.0)  # +-0.3 mm on the neutral frames
    noisy = tracks(n, AU12=smile + np.where(np.arange(n) < 5, 0.03 + jitter, 0.0))
    # values 0.06, 0, 0.06, 0, 0.06 over the neutral frames: spread 0.0294, noise 4 x 0.294 = 1.18 mm,
    # beyond the smile's 1 mm
    assert noise_mm(noisy)["AU12"] == pytest.approx(NEUTRAL_SPREAD * np.std([0.06, 0, 0.06, 0, 0.06]) * 10.0)
    assert spot_events(noisy, 30.0, np.ones(n, bool)) == []


def test_a_head_turn_raises_the_bar_while_it_lasts() -> None:
    n = 60
    smile = bump(n, 30, 35, 40, 0.1)  # 1 mm of AU12: 0.93 beyond its noise
    turned = np.where((np.arange(n) > 25) & (np.arange(n) < 45), 12.0, 0.0)  # degrees
    assert 0.1 * 10.0 - left_noise("AU12") - HIGH_MM < TURN_LEAK_MM * 12.0
    base = tracks(n, AU12=smile)
    moving = AUTracks(names=NAMES, values=base.values, neutral=(0, 5), present=base.present, head_turn=turned)
    assert len(spot_events(base, 30.0, np.ones(n, bool))) == 1
    assert spot_events(moving, 30.0, np.ones(n, bool)) == []


def test_frames_without_a_face_split_an_event_and_are_never_inside_one() -> None:
    n = 50
    smile = bump(n, 5, 25, 45, 0.6)
    present = np.ones(n, bool)
    present[24:27] = False
    t = tracks(n, AU12=smile)
    values = t.values.copy()
    values[~present] = np.nan
    t = AUTracks(names=NAMES, values=values, neutral=(0, 5), present=present)
    events = spot_events(t, 30.0, present)
    assert len(events) == 2
    assert all(e.offset < 24 or e.onset > 26 for e in events)
    assert np.isnan(expression_strength(t)[24:27]).all()


def test_one_sided_smile_is_contempt() -> None:
    n = 30
    right = bump(n, 5, 10, 15, 0.5)
    events = spot_events(tracks(n, AU12=right, AU12R=right, AU12L=0.1 * right), 30.0, np.ones(n, bool))
    assert events[0].emotion == "contempt"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: spot_events(t, 0.0, np.ones(10, bool)), "fps must be a positive number"),
        (lambda t: spot_events(t, 30.0, np.ones(9, bool)), r"present must be a bool array of shape \(10,\)"),
        (lambda t: spot_events(t, 30.0, np.ones(10, int)), "present must be a bool array"),
    ],
)
def test_bad_arguments_are_refused(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(tracks(10))
