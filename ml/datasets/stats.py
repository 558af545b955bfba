"""Dataset statistics: AU co-occurrence (the graph prior of the AU-GCN), AU and emotion counts.

All AU counts fold sides (``AU10R`` counts as ``AU10``) and count a clip once per AU.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from curves.au import canonical_au
from ml.datasets.schema import ClipRecord

__all__ = ["au_clip_counts", "au_cooccurrence", "emotion_counts", "summary"]


def _bilateral(name: str) -> str:
    code = canonical_au(name)
    return code[:-1] if code[-1] in "LR" else code


def au_cooccurrence(records: Sequence[ClipRecord], au_names: Sequence[str]) -> np.ndarray:
    """Clip co-occurrence counts ``N`` of AUs, sides folded.

    Args:
        records: clips.
        au_names: the AUs, ``A`` names (``"AU4"``, ``"4"`` or ``"AU12R"``: sides are folded here too).

    Returns:
        ``(A, A)`` int64: ``N[i, j]`` = number of clips coding both AU i and AU j; the diagonal is each AU's
        clip count. ``P(AU_i | AU_j) = N[i, j] / N[j, j]``.

    Raises:
        ValueError: an AU name is not an AU code, or appears twice after folding.
    """
    names = [_bilateral(name) for name in au_names]
    if len(set(names)) != len(names):
        raise ValueError(f"au_names has duplicates once sides are folded: {names}")
    index = {name: i for i, name in enumerate(names)}
    counts = np.zeros((len(names), len(names)), dtype=np.int64)
    for rec in records:
        present = sorted({index[a] for a in (_bilateral(n) for n in rec.aus) if a in index})
        if present:
            counts[np.ix_(present, present)] += 1
    return counts


def au_clip_counts(records: Sequence[ClipRecord]) -> dict[str, int]:
    """Clips per AU (sides folded), most frequent first."""
    counter: Counter[str] = Counter()
    for rec in records:
        counter.update({_bilateral(name) for name in rec.aus})
    return dict(counter.most_common())


def emotion_counts(records: Sequence[ClipRecord]) -> dict[str, int]:
    """Clips per emotion label, most frequent first."""
    return dict(Counter(rec.emotion for rec in records).most_common())


def summary(records: Sequence[ClipRecord]) -> dict[str, object]:
    """Clips, subjects, emotions, AU counts and AUs-per-clip histogram of a record list."""
    per_clip = Counter(len({_bilateral(n) for n in rec.aus}) for rec in records)
    return {
        "clips": len(records),
        "subjects": len({(rec.dataset, rec.subject) for rec in records}),
        "datasets": dict(Counter(rec.dataset for rec in records)),
        "emotions": emotion_counts(records),
        "au_clip_counts": au_clip_counts(records),
        "aus_per_clip": dict(sorted(per_clip.items())),
        "missing_apex": sum(1 for rec in records if rec.apex is None),
    }
