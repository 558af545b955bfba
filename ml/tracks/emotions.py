"""The emotion an AU pattern shows: FACS/EMFACS prototypes, scored on the AUs at an event's apex.

The apex values are divided by the strongest AU, so the pattern counts, not the intensity. A prototype's
score is the weighted share of its AUs that are present, times a penalty for strong AUs it does not
explain (lips parting and jaw drop go with every emotion and are never held against one); a prototype
whose key AUs are all absent scores 0. Contempt is the one-sided lip corner (AU12 or AU14 on one side
only), penalised in the same way for the strongest AU other than those two (a disgust whose raised upper
lip lifts one corner more than the other is not contempt). The best score wins if it reaches
:data:`MIN_SCORE`; otherwise the event is ``"others"`` (CASME II's label for AU combinations outside the
basic emotions). Names follow ``curves/data/emotion_profiles.yaml``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

__all__ = ["MIN_SCORE", "PROTOTYPES", "Prototype", "emotion_of", "emotion_scores"]

#: The lowest score that names an emotion.
MIN_SCORE = 0.45
#: An AU counts as present at this share of the strongest AU.
_PRESENT = 0.35
_ALWAYS_ALLOWED = frozenset({"AU25", "AU26"})
_CONTEMPT_AUS = ("AU12", "AU14")


@dataclass(frozen=True)
class Prototype:
    """AU weights of an emotion and its key AUs (at least one must be present)."""

    weights: Mapping[str, float]
    keys: tuple[str, ...]


PROTOTYPES: dict[str, Prototype] = {
    "happiness": Prototype({"AU12": 1.0, "AU6": 0.5, "AU25": 0.2}, ("AU12",)),
    "sadness": Prototype({"AU1": 1.0, "AU4": 0.7, "AU15": 1.0, "AU17": 0.5}, ("AU15", "AU1")),
    "surprise": Prototype(
        {"AU1": 1.0, "AU2": 1.0, "AU5": 0.7, "AU26": 0.7, "AU25": 0.3}, ("AU1", "AU2", "AU5")
    ),
    "fear": Prototype(
        {"AU1": 1.0, "AU2": 1.0, "AU4": 1.0, "AU5": 0.7, "AU20": 1.0, "AU25": 0.3, "AU26": 0.3},
        ("AU20", "AU4"),
    ),
    "anger": Prototype({"AU4": 1.0, "AU5": 0.5, "AU7": 0.7, "AU23": 0.7, "AU24": 0.5}, ("AU4",)),
    "disgust": Prototype({"AU9": 1.0, "AU10": 1.0, "AU15": 0.3, "AU17": 0.3, "AU4": 0.3}, ("AU9", "AU10")),
}


def _contempt(values: Mapping[str, float], top: float) -> float:
    best = 0.0
    for au in _CONTEMPT_AUS:
        left, right = values.get(f"{au}L", 0.0), values.get(f"{au}R", 0.0)
        strong = max(left, right)
        if strong / top >= _PRESENT:
            best = max(best, (strong - min(left, right)) / strong)
    return best


def _unexplained_penalty(share: Mapping[str, float], explained: Collection[str]) -> float:
    """Factor for the strongest AU (as a ``share`` of the strongest of all) an emotion does not explain."""
    unexplained = max(
        (v for k, v in share.items() if k not in explained and k not in _ALWAYS_ALLOWED), default=0.0
    )
    return 1.0 - 0.6 * unexplained


def emotion_scores(values: Mapping[str, float]) -> dict[str, float]:
    """Score in [0, 1] of every prototype and of contempt, for apex AU ``values`` (bilateral and sided)."""
    bilateral = {k: max(v, 0.0) for k, v in values.items() if k[-1] not in "LR" and k not in ("AU43", "AU45")}
    top = max(bilateral.values(), default=0.0)
    if top <= 0.0:
        return {name: 0.0 for name in (*PROTOTYPES, "contempt")}
    share = {k: v / top for k, v in bilateral.items()}
    scores: dict[str, float] = {}
    for name, proto in PROTOTYPES.items():
        if max((share.get(k, 0.0) for k in proto.keys), default=0.0) < _PRESENT:
            scores[name] = 0.0
            continue
        cover = sum(w * min(share.get(au, 0.0) / 0.7, 1.0) for au, w in proto.weights.items())
        scores[name] = cover / sum(proto.weights.values()) * _unexplained_penalty(share, proto.weights)
    scores["contempt"] = _contempt(values, top) * _unexplained_penalty(share, _CONTEMPT_AUS)
    return {k: round(float(v), 4) for k, v in scores.items()}


def emotion_of(values: Mapping[str, float]) -> tuple[str, dict[str, float]]:
    """The best prototype's name (``"others"`` below :data:`MIN_SCORE`) and every score."""
    scores = emotion_scores(values)
    best = max(scores, key=lambda k: scores[k])
    return (best if scores[best] >= MIN_SCORE else "others"), scores
