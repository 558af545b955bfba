"""GAMDSS keyframe selection on hand-made sequences whose onset, apex and offset are known."""

import numpy as np
import pytest

from ml.timing.keyframes import gamdss_reselect, global_keyframes, select_keyframes


def _sequence(n=40, onset=10, apex=20, offset=30, size=24, noise=0.0, seed=0, base_level=100.0):
    """Frames = base + amp(t) * pattern; amp is 0 outside [onset, offset], rises linearly to 1 at the apex
    and falls linearly back. The pattern brightens half the face and darkens the other half."""
    rng = np.random.default_rng(seed)
    base = base_level + 20.0 * rng.random((size, size, 3))
    pattern = np.zeros((size, size, 3))
    pattern[: size // 2] = 60.0
    pattern[size // 2 :] = -60.0
    amp = np.zeros(n)
    amp[onset : apex + 1] = np.linspace(0.0, 1.0, apex - onset + 1)
    amp[apex : offset + 1] = np.linspace(1.0, 0.0, offset - apex + 1)
    frames = base[None] + amp[:, None, None, None] * pattern[None]
    frames = frames + noise * rng.standard_normal(frames.shape)
    return np.clip(np.round(frames), 0, 255).astype(np.uint8)


def test_whole_sequence_selection_finds_the_true_keyframes():
    crops = _sequence()
    assert select_keyframes(crops, "gamdss") == (10, 20, 30)
    assert select_keyframes(crops, "global") == (10, 20, 30)


def test_selection_is_robust_to_small_noise_and_other_positions():
    crops = _sequence(n=60, onset=7, apex=31, offset=50, noise=1.0, seed=3)
    on, ap, off = select_keyframes(crops, "gamdss")
    assert abs(on - 7) <= 1 and ap == 31 and abs(off - 50) <= 1


def test_uint8_and_float_inputs_agree():
    crops = _sequence(noise=2.0, seed=1)
    as_float = crops.astype(np.float32)
    assert select_keyframes(crops, "gamdss") == select_keyframes(as_float, "gamdss")
    assert select_keyframes(crops, "gamdss", size=None) == select_keyframes(
        as_float.astype(np.float64), size=None
    )


def test_uint8_wraparound_would_change_the_distance():
    # a frame darker than the reference by 1 level: the float distance is small, the wrapped one is huge
    a = np.full((1, 4, 4, 3), 100, np.uint8)
    b = np.full((1, 4, 4, 3), 99, np.uint8)
    seq = np.concatenate([a, b])
    from ml.timing.keyframes import _dist, _prepare

    assert _dist(_prepare(seq, None, False), 1, 0) == pytest.approx(np.sqrt(48.0))
    assert _dist(_prepare(seq, None, True), 1, 0) == pytest.approx(np.sqrt(48.0) * 255)


def test_reselection_around_annotations_moves_towards_the_true_frames():
    # true keyframes 10/20/30; annotations off by a few frames inside the search windows
    crops = _sequence(n=80, onset=10, apex=40, offset=70)
    flat = crops.reshape(80, -1).astype(np.float32)
    # onset annotated 2 frames early (at rest: all rest frames tie, the annotated one is kept),
    # apex annotated 2 frames late: R = floor(0.1 * 32) = 3 -> the backward apex search finds 40
    assert gamdss_reselect(flat, (8, 42, 70)) == (8, 40, 70)
    # offset annotated 2 frames late, at rest: all rest frames tie with the true offset; the first
    # candidate (the annotation) wins the tie
    assert gamdss_reselect(flat, (10, 40, 72)) == (10, 40, 72)
    # an offset annotated 3 frames early inside the fall: the forward window finds a farther frame
    assert gamdss_reselect(flat, (10, 40, 66), offset_window="forward")[2] > 66


def test_annotated_pair_is_kept_on_ties_and_order_holds():
    crops = _sequence()
    on, ap, off = select_keyframes(crops, "gamdss", annotated=(10, 20, 30))
    assert (on, ap, off) == (10, 20, 30)
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 255, (20, 8, 8, 3), dtype=np.uint8)
    on, ap, off = select_keyframes(noisy, "gamdss")
    assert 0 <= on <= ap <= off <= 19


def test_static_clip_gives_a_neutral_guess():
    crops = np.full((9, 8, 8, 3), 50, np.uint8)
    assert global_keyframes(crops.reshape(9, -1).astype(np.float32)) == (0, 4, 8)
    assert select_keyframes(crops, "uniform") == (0, 4, 8)


def test_bad_inputs_are_explained():
    crops = _sequence(n=10, onset=2, apex=5, offset=8)
    with pytest.raises(ValueError, match="unknown keyframe method"):
        select_keyframes(crops, "spotting")
    with pytest.raises(ValueError, match="at least 2 frames"):
        select_keyframes(crops[:1])
    with pytest.raises(ValueError, match="onset <= apex <= offset"):
        select_keyframes(crops, annotated=(5, 2, 8))
    with pytest.raises(ValueError, match="apex_window"):
        select_keyframes(crops, apex_window="forward")
    with pytest.raises(ValueError, match="needs uint8"):
        select_keyframes(crops.astype(np.float32), legacy_uint8_wrap=True)
    with pytest.raises(ValueError, match="shape"):
        select_keyframes(np.zeros((5, 3), np.uint8))
