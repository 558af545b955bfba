"""ml.timing.motion_fit: the envelope fitted to a clip's motion lands on the true keyframes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml.timing.motion_fit import fit_envelope, motion_signal, refine_fractions, refine_timing


def _bump(n: int, onset: int, apex: int, offset: int) -> np.ndarray:
    """Raised-cosine rise onset -> apex and fall apex -> offset, written out independently."""
    out = np.zeros(n)
    for t in range(n):
        if onset <= t <= apex:
            out[t] = 0.5 - 0.5 * math.cos(math.pi * (t - onset) / (apex - onset))
        elif apex < t <= offset:
            out[t] = 0.5 + 0.5 * math.cos(math.pi * (t - apex) / (offset - apex))
    return out


@pytest.mark.parametrize(("onset", "apex", "offset"), [(10, 30, 55), (0, 12, 40), (20, 45, 79), (5, 6, 9)])
def test_exact_envelope_is_recovered_exactly(onset, apex, offset):
    signal = 3.0 * _bump(80, onset, apex, offset) + 7.0  # any amplitude > 0, any baseline
    assert fit_envelope(signal) == (onset, apex, offset)


def test_noisy_envelope_is_recovered_within_a_frame_or_two():
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(20):
        onset = int(rng.integers(5, 30))
        apex = onset + int(rng.integers(10, 30))
        offset = apex + int(rng.integers(10, 30))
        signal = _bump(110, onset, apex, offset) + rng.normal(0, 0.03, 110)
        errors.append(np.abs(np.subtract(fit_envelope(signal), (onset, apex, offset))).mean())
    assert np.mean(errors) < 1.5


def test_prior_window_limits_how_far_keyframes_move():
    # two bumps; the prior points at the second, so the fit must stay there
    signal = 2.0 * _bump(120, 5, 20, 35) + _bump(120, 70, 85, 100)
    assert np.abs(np.subtract(fit_envelope(signal), (5, 20, 35))).max() <= 1  # the stronger one
    near_second = fit_envelope(signal, prior=(72, 83, 98), window=6)
    assert np.abs(np.subtract(near_second, (70, 85, 100))).max() <= 1
    # the window binds: the truth is 10 frames away, the fit may move 3
    onset, apex, offset = fit_envelope(_bump(120, 70, 85, 100), prior=(60, 75, 90), window=3)
    assert (onset, apex, offset) == (63, 78, 93)


def test_no_motion_gives_none_and_refine_keeps_the_prior():
    assert fit_envelope(np.full(40, 3.0)) is None  # no bump of positive amplitude fits better than none
    still = np.full((12, 32, 32, 3), 128, np.uint8)
    assert refine_timing(still, (2, 5, 9)) == (2, 5, 9)


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least 4"):
        fit_envelope(np.zeros(3))
    with pytest.raises(ValueError, match="window"):
        fit_envelope(np.zeros(10), prior=(1, 2, 3), window=-1)
    with pytest.raises(ValueError, match="N >= 4"):
        motion_signal(np.zeros((3, 16, 16, 3), np.uint8))


def _face(size: int = 64) -> np.ndarray:
    rng = np.random.default_rng(1)
    import cv2

    base = rng.uniform(60, 200, (size, size)).astype(np.float32)
    return cv2.GaussianBlur(base, (0, 0), 2.0)


def _clip_with_expression(n, onset, apex, offset, *, blink=None, flicker=0.0):
    """Grey crops (as RGB) of a textured face whose mouth region slides down 2 px along the envelope."""
    import cv2

    face = _face()
    env = _bump(n, onset, apex, offset)
    frames = []
    for t in range(n):
        img = face.copy()
        shifted = cv2.warpAffine(face, np.float32([[1, 0, 0], [0, 1, 2.0 * env[t]]]), (64, 64))
        img[40:56, 16:48] = shifted[40:56, 16:48]  # mouth region moves
        if blink is not None and blink[0] <= t < blink[1]:  # both eyes shut: dark lids over the openings
            for cx in (0.32, 0.68):
                cv2.ellipse(img, (round(cx * 64), round(0.38 * 64)), (5, 3), 0, 0, 360, 30.0, -1)
        img = img * (1.0 + flicker * math.sin(2 * math.pi * t / 9))
        frames.append(np.repeat(np.clip(img, 0, 255)[..., None], 3, axis=2))
    return np.rint(np.stack(frames)).astype(np.uint8)


def test_refine_finds_the_expression_in_crops_despite_a_blink_and_flicker():
    truth = (12, 34, 60)
    crops = _clip_with_expression(80, *truth, blink=(30, 40), flicker=0.01)  # blink at the apex
    prior = (18, 28, 66)  # a network's guess, 6 frames off
    refined = refine_timing(crops, prior, window=10)
    assert np.abs(np.subtract(refined, truth)).max() <= 2
    # the eye mask keeps the blink out of the signal: it follows the expression alone
    signal = motion_signal(crops, apex=28)
    without_blink = motion_signal(_clip_with_expression(80, *truth, flicker=0.01), apex=28)
    assert np.abs(signal - without_blink).max() < 0.05 * signal.max()
    unmasked = motion_signal(crops, apex=28, mask_eyes=False)
    unmasked_clean = motion_signal(_clip_with_expression(80, *truth, flicker=0.01), apex=28, mask_eyes=False)
    assert np.abs(unmasked - unmasked_clean).max() > 0.2 * unmasked.max()


def test_refine_fractions_is_refine_timing_on_frames():
    truth = (12, 34, 60)
    crops = _clip_with_expression(80, *truth)
    prior = np.array([18, 28, 66]) / 79  # frames 18, 28, 66 of an 80-frame clip
    fractions = refine_fractions(crops, prior, window=10)
    np.testing.assert_allclose(fractions * 79, refine_timing(crops, (18, 28, 66), window=10))
    # a fraction beyond 1 is clipped to the last frame first; results always sit on whole frames
    np.testing.assert_allclose(refine_fractions(crops, [18 / 79, 28 / 79, 1.2], window=10) * 79 % 1, 0.0)
