"""The quietest window of a score track, worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from curves.quiet import quietest_window, true_runs


def test_the_lowest_sum_wins_and_the_earliest_on_a_tie() -> None:
    scores = np.array([5.0, 1.0, 1.0, 4.0, 0.0, 2.0, 1.0, 1.0])
    # windows of 2: sums 6, 2, 5, 4, 2, 3, 2 -> the first 2, at frame 1
    assert quietest_window(scores, 2) == (1, 3)
    # windows of 3: sums 7, 6, 5, 6, 3, 4 -> frame 4
    assert quietest_window(scores, 3) == (4, 7)


def test_only_valid_frames_count_and_a_short_take_shortens_the_window() -> None:
    scores = np.array([0.0, 0.0, 9.0, 9.0, 1.0, 1.0, 1.0])
    valid = np.array([True, False, True, True, True, True, True])
    # the zeros at 0-1 are split by an invalid frame: the best full window of 2 is 4-6 (sum 2)
    assert quietest_window(scores, 2, valid) == (4, 6)
    # no valid run of 9 frames: the window is the longest run, 5 frames from frame 2
    assert quietest_window(scores, 9, valid) == (2, 7)


@pytest.mark.parametrize(
    ("length", "valid", "message"),
    [(0, None, "at least one frame"), (2, np.zeros(3, bool), "No valid frame")],
)
def test_bad_requests_are_refused(length: int, valid: np.ndarray | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        quietest_window(np.zeros(3), length, valid)


def test_true_runs_are_the_half_open_spans_of_true() -> None:
    assert true_runs(np.array([0, 1, 1, 0, 1], bool)) == [(1, 3), (4, 5)]
    assert true_runs(np.array([1, 1], bool)) == [(0, 2)]
    assert true_runs(np.zeros(3, bool)) == []
