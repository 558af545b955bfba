"""Emotion modulation, profiles YAML, seeded variants within physiological limits."""

import numpy as np
import pytest

from curves.emotion import (
    MAX_MICRO_SECONDS,
    apply_timing,
    load_profiles,
    modulate,
    resolve_emotion,
    sample_variants,
)

REQUIRED = {
    "happiness",
    "sadness",
    "surprise",
    "fear",
    "anger",
    "disgust",
    "contempt",
    "others",
    "repression",
    "negative",
    "positive",
}


def test_shipped_profiles_cover_basic_and_casme_emotions():
    assert set(load_profiles()) >= REQUIRED


def test_modulation_by_hand():
    profiles = load_profiles()
    happy = resolve_emotion("happy", profiles)
    act = np.array([[0.4, 0.4, 0.4]])
    out = modulate(act, ["AU12", "AU12R", "AU25"], happy, intensity=0.5)
    # AU12 gain 1.15 (AU12R falls back to AU12), AU25 the profile's default gain 1.0.
    np.testing.assert_allclose(out, [[0.4 * 1.15 * 0.5, 0.4 * 1.15 * 0.5, 0.4 * 1.0 * 0.5]])
    assert modulate(np.ones((2, 1)), ["AU12"], happy, 1.0).max() == 1.0  # clamped


def test_unknown_emotion_lists_known_ones():
    with pytest.raises(ValueError, match=r"unknown emotion 'joyful'; known emotions: anger, contempt"):
        resolve_emotion("joyful", load_profiles())


def test_user_profiles_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("emotions:\n  smug:\n    gain: 0.5\n    aus: {AU14: 2.0}\n    aliases: [smirk]\n")
    prof = resolve_emotion("smirk", load_profiles(path))
    assert prof.gain_for("AU14L") == 2.0 and prof.gain_for("AU1") == 0.5


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("emotions: [1, 2]\n", "emotions"),
        ("emotions:\n  x:\n    gain: lots\n", "gain must be a number"),
        ("emotions:\n  x:\n    intensity: [0.9, 0.2]\n", "intensity"),
        ("emotions:\n  x: {aus: {AUx: 1}}\n", "bad AU gain"),
        ("emotions: {x: [\n", "not valid YAML"),
    ],
)
def test_bad_profiles_file(tmp_path, text, match):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_profiles(path)


def test_bad_intensity():
    with pytest.raises(ValueError, match="intensity"):
        modulate(np.zeros((2, 1)), ["AU1"], None, 1.5)


def test_variants_are_seeded_and_stay_micro():
    prof = load_profiles()["surprise"]
    a = sample_variants(20, 7, profile=prof, intensity=0.6, fps=200.0, onset=10, offset=90)
    b = sample_variants(20, 7, profile=prof, intensity=0.6, fps=200.0, onset=10, offset=90)
    assert a == b
    assert a[0].intensity == 0.6 and a[0].time_scale == 1.0 and a[0].shift_s == 0.0
    assert len({v.intensity for v in a}) > 10
    for v in a:
        assert 0.0 <= v.intensity <= 1.0
        assert (90 - 10) / 200.0 * v.time_scale < MAX_MICRO_SECONDS
    long = sample_variants(10, 1, profile=prof, intensity=None, fps=30.0, onset=0, offset=29)
    assert all(v.time_scale <= 1.0 for v in long)  # a 0.97 s source is never lengthened


def test_timing_identity_and_one_frame_shift():
    act = np.random.default_rng(0).uniform(0, 1, (20, 2))
    np.testing.assert_allclose(apply_timing(act, 10.0, 5, time_scale=1.0, shift_s=0.0), act)
    shifted = apply_timing(act, 10.0, 5, time_scale=1.0, shift_s=0.1)
    np.testing.assert_allclose(shifted[1:], act[:-1])
