"""Label sampling from CASME II's own coding (2014 sheet): emotions, AU sets, clips per subject."""

from __future__ import annotations

import numpy as np

from curves.generate import synthetic_casme2_table

__all__ = [
    "CASME2_AU_COMBOS",
    "CASME2_EMOTION_COUNTS",
    "CASME2_SUBJECT_CLIP_COUNTS",
    "EMOTIONS",
    "sample_labels",
    "subject_allocation",
]


_TABLE = synthetic_casme2_table()  # curves/data/au_statistics.json, the one copy of these facts

#: CASME II (CASME2-coding-20140508.xlsx, 246 clips): clips per estimated emotion.
CASME2_EMOTION_COUNTS: dict[str, int] = {str(k): int(v) for k, v in _TABLE["emotion_counts"].items()}
EMOTIONS: tuple[str, ...] = tuple(CASME2_EMOTION_COUNTS)

#: CASME II (2014 sheet): clips per (emotion, set of the 11 modelled AUs, sides folded). The sets that
#: contain none of the 11 AUs (others 8, surprise 1: AU18, AU24, AU25... only) are left out, since they
#: have no motion the generator renders. Their pairwise counts reproduce casme2_au_cooccurrence.json.
CASME2_AU_COMBOS: dict[str, tuple[tuple[tuple[str, ...], int], ...]] = {
    str(emotion): tuple((tuple(str(a) for a in aus), int(n)) for aus, n in rows)
    for emotion, rows in _TABLE["au_combos"].items()
}

#: CASME II (2014 sheet): clips per subject 01..26, used to spread clips over 26 subjects like the corpus.
CASME2_SUBJECT_CLIP_COUNTS: tuple[int, ...] = tuple(int(n) for n in _TABLE["subject_clip_counts"])


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
