"""Label sampling from CASME II's own coding (2014 sheet): emotions, AU sets, clips per subject."""

from __future__ import annotations

import numpy as np

__all__ = [
    "CASME2_AU_COMBOS",
    "CASME2_EMOTION_COUNTS",
    "CASME2_SUBJECT_CLIP_COUNTS",
    "EMOTIONS",
    "sample_labels",
    "subject_allocation",
]


#: CASME II (CASME2-coding-20140508.xlsx, 246 clips): clips per estimated emotion.
CASME2_EMOTION_COUNTS: dict[str, int] = {
    "others": 99,
    "disgust": 63,
    "happiness": 32,
    "repression": 27,
    "surprise": 25,
}
EMOTIONS: tuple[str, ...] = tuple(CASME2_EMOTION_COUNTS)

#: CASME II (2014 sheet): clips per (emotion, set of the 11 modelled AUs, sides folded). The sets that
#: contain none of the 11 AUs (others 8, surprise 1: AU18, AU24, AU25... only) are left out, since they
#: have no motion the generator renders. Their pairwise counts reproduce casme2_au_cooccurrence.json.
CASME2_AU_COMBOS: dict[str, tuple[tuple[tuple[str, ...], int], ...]] = {
    "disgust": (
        (("AU4", "AU7"), 20),
        (("AU4",), 12),
        (("AU4", "AU10"), 10),
        (("AU4", "AU9"), 4),
        (("AU4", "AU7", "AU9"), 4),
        (("AU4", "AU6", "AU7"), 2),
        (("AU10",), 2),
        (("AU4", "AU9", "AU10"), 2),
        (("AU4", "AU7", "AU10"), 2),
        (("AU4", "AU9", "AU14"), 1),
        (("AU2", "AU15"), 1),
        (("AU4", "AU6", "AU7", "AU9"), 1),
        (("AU4", "AU9", "AU17"), 1),
        (("AU7", "AU10"), 1),
    ),
    "happiness": (
        (("AU12",), 15),
        (("AU6", "AU12"), 6),
        (("AU14",), 3),
        (("AU1", "AU12"), 1),
        (("AU14", "AU15"), 1),
        (("AU12", "AU15"), 1),
        (("AU15",), 1),
        (("AU4", "AU12"), 1),
        (("AU12", "AU14"), 1),
        (("AU6", "AU7", "AU12"), 1),
        (("AU6", "AU12", "AU17"), 1),
    ),
    "others": (
        (("AU4",), 61),
        (("AU14",), 15),
        (("AU17",), 4),
        (("AU4", "AU7"), 3),
        (("AU15",), 1),
        (("AU7",), 1),
        (("AU4", "AU14"), 1),
        (("AU4", "AU12"), 1),
        (("AU6", "AU7", "AU12"), 1),
        (("AU12",), 1),
        (("AU6", "AU7"), 1),
        (("AU4", "AU7", "AU12"), 1),
    ),
    "repression": (
        (("AU17",), 13),
        (("AU15",), 4),
        (("AU15", "AU17"), 4),
        (("AU14",), 2),
        (("AU12", "AU15"), 1),
        (("AU12", "AU14", "AU17"), 1),
        (("AU14", "AU15"), 1),
        (("AU4", "AU15", "AU17"), 1),
    ),
    "surprise": (
        (("AU1", "AU2"), 14),
        (("AU1",), 4),
        (("AU2",), 4),
        (("AU2", "AU12"), 1),
        (("AU2", "AU14"), 1),
    ),
}

#: CASME II (2014 sheet): clips per subject 01..26, used to spread clips over 26 subjects like the corpus.
CASME2_SUBJECT_CLIP_COUNTS: tuple[int, ...] = (
    9,
    13,
    7,
    5,
    19,
    5,
    9,
    3,
    13,
    13,
    10,
    12,
    8,
    4,
    3,
    4,
    34,
    3,
    15,
    11,
    2,
    2,
    12,
    7,
    7,
    16,
)


def subject_allocation(subjects: int, clips: int) -> np.ndarray:
    if subjects < 1 or clips < 1:
        raise ValueError(f"need at least one subject and one clip, got subjects={subjects}, clips={clips}")
    if subjects == len(CASME2_SUBJECT_CLIP_COUNTS):
        weights = np.asarray(CASME2_SUBJECT_CLIP_COUNTS, np.float64)
    else:
        weights = np.ones(subjects)
    base = np.ones(subjects, int) if clips >= subjects else np.zeros(subjects, int)
    remaining = clips - int(base.sum())
    share = weights / weights.sum() * remaining
    counts = base + np.floor(share).astype(int)
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    for i in order[: clips - int(counts.sum())]:
        counts[i] += 1
    return np.repeat(np.arange(1, subjects + 1), counts)


def sample_labels(rng: np.random.Generator, emotion: str | None) -> tuple[str, tuple[str, ...]]:
    if emotion is None:
        names = list(CASME2_EMOTION_COUNTS)
        p = np.asarray([CASME2_EMOTION_COUNTS[e] for e in names], np.float64)
        emotion = names[int(rng.choice(len(names), p=p / p.sum()))]
    elif emotion not in CASME2_AU_COMBOS:
        raise ValueError(f"unknown emotion {emotion!r}; known: {', '.join(EMOTIONS)}")
    combos = CASME2_AU_COMBOS[emotion]
    w = np.asarray([c for _, c in combos], np.float64)
    aus = combos[int(rng.choice(len(combos), p=w / w.sum()))][0]
    return emotion, aus
