"""Class protocols: which clips take part in an experiment and which class each one is.

=============  ===============================================================  ===========================
protocol       classes (label order)                                            dropped
=============  ===============================================================  ===========================
``casme2_5``   happiness, disgust, repression, surprise, others                 fear, sadness (and others)
``casme2_7``   happiness, disgust, repression, surprise, others, fear, sadness  any other label
``composite3`` negative, positive, surprise (MEGC2019)                          see below
``samm5``      anger, contempt, happiness, surprise, other                      disgust, fear, sadness
``as_is``      every emotion present, sorted                                    nothing
=============  ===============================================================  ===========================

``composite3`` maps each corpus as MEGC2019 does: CASME II disgust/repression -> negative, happiness ->
positive, surprise -> surprise (others, fear, sadness dropped); SAMM anger/contempt/disgust/fear/sadness ->
negative, happiness -> positive, surprise -> surprise (other dropped); SMIC and records already labelled
negative/positive/surprise (the composite sheet, CAS(ME)^2) keep their label. Other corpora (MMEW,
CAS(ME)^3) use the same grouping of basic emotions: anger/contempt/disgust/fear/sadness -> negative,
happiness -> positive, surprise -> surprise, anything else (others) dropped. Mapped records keep the
coded label in ``extra["original_emotion"]``. The 2014 CASME II sheet holds no fear/sadness clip, so
``casme2_7`` on it yields five non-empty classes (the class tuple still lists seven).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ml.datasets.schema import ClipRecord
from ml.rules import CASME2_EMOTIONS_5, COMPOSITE_EMOTIONS_3

__all__ = ["PROTOCOLS", "apply_protocol", "labels"]

_CASME2_7 = (*CASME2_EMOTIONS_5, "fear", "sadness")
_SAMM5 = ("anger", "contempt", "happiness", "surprise", "other")

_TO_COMPOSITE = {
    "casme2": {
        "disgust": "negative",
        "repression": "negative",
        "happiness": "positive",
        "surprise": "surprise",
    },
    "samm": {
        "anger": "negative",
        "contempt": "negative",
        "disgust": "negative",
        "fear": "negative",
        "sadness": "negative",
        "happiness": "positive",
        "surprise": "surprise",
    },
}

# Corpora outside MEGC2019 (MMEW, CAS(ME)^2/^3): the usual 3-class grouping of their basic emotions.
_TO_THREE = {
    "anger": "negative",
    "contempt": "negative",
    "disgust": "negative",
    "fear": "negative",
    "sadness": "negative",
    "sad": "negative",
    "repression": "negative",
    "happiness": "positive",
    "happy": "positive",
    "surprise": "surprise",
}

#: Protocol names accepted by :func:`apply_protocol`.
PROTOCOLS = ("casme2_5", "casme2_7", "composite3", "samm5", "as_is")


def _composite_label(record: ClipRecord) -> str | None:
    """MEGC2019 class of a record, or None when the protocol drops it."""
    if "composite_label" in record.extra or record.emotion in ("negative", "positive"):
        return record.emotion if record.emotion in COMPOSITE_EMOTIONS_3 else None
    if record.dataset == "smic":
        return record.emotion if record.emotion in COMPOSITE_EMOTIONS_3 else None
    table = _TO_COMPOSITE.get("casme2" if record.dataset == "synthetic" else record.dataset, _TO_THREE)
    return table.get(record.emotion)


def apply_protocol(records: Sequence[ClipRecord], protocol: str) -> tuple[list[ClipRecord], tuple[str, ...]]:
    """Keep the clips a protocol uses and give the class order.

    Args:
        records: clips from any loader.
        protocol: one of :data:`PROTOCOLS`.

    Returns:
        ``(kept, classes)``: the kept records in input order (``composite3`` relabels ``emotion``), and the
        class names; a record's label is ``classes.index(record.emotion)``.

    Raises:
        ValueError: unknown protocol, or no clip left (names the labels that were found).
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    kept: list[ClipRecord] = []
    if protocol == "as_is":
        kept = list(records)
        classes = tuple(sorted({rec.emotion for rec in kept}))
    elif protocol == "composite3":
        classes = COMPOSITE_EMOTIONS_3
        for rec in records:
            label = _composite_label(rec)
            if label is None:
                continue
            if label != rec.emotion:
                rec = replace(rec, emotion=label, extra={**rec.extra, "original_emotion": rec.emotion})
            kept.append(rec)
    else:
        classes = {"casme2_5": CASME2_EMOTIONS_5, "casme2_7": _CASME2_7, "samm5": _SAMM5}[protocol]
        kept = [rec for rec in records if rec.emotion in classes]
    if not kept:
        found = sorted({rec.emotion for rec in records})
        raise ValueError(
            f"protocol {protocol!r} keeps no clip of the {len(records)} given (labels found: "
            f"{', '.join(found) if found else 'none'}; it uses {', '.join(classes) if classes else 'any'})"
        )
    return kept, classes


def labels(records: Sequence[ClipRecord], classes: Sequence[str]) -> np.ndarray:
    """Integer class labels ``(N,)`` int64 of records under a class order from :func:`apply_protocol`.

    Raises:
        ValueError: a record's emotion is not in ``classes`` (names the clip).
    """
    index = {name: i for i, name in enumerate(classes)}
    out = np.empty(len(records), dtype=np.int64)
    for i, rec in enumerate(records):
        if rec.emotion not in index:
            raise ValueError(f"clip {rec.key} has emotion {rec.emotion!r}, not one of {', '.join(classes)}")
        out[i] = index[rec.emotion]
    return out
