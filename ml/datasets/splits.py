"""Subject-independent splits: leave-one-subject-out, k-fold by subject, and a validation split taken from
the training subjects only (so no model selection ever looks at the test fold).

Subjects are told apart by ``record.subject`` within one corpus and by ``"<dataset>/<subject>"`` when the
records come from several corpora (the MEGC2019 composite: CASME II ``sub01`` and SMIC ``s01`` are
different people). Subjects are ordered naturally (``sub2`` before ``sub10``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ml.datasets.schema import ClipRecord

__all__ = ["Fold", "kfold_folds", "loso_folds", "subject_ids", "validation_split"]


@dataclass(frozen=True)
class Fold:
    """One train/test split: indices into the record list, and the held-out subjects."""

    name: str
    train: tuple[int, ...]
    test: tuple[int, ...]
    test_subjects: tuple[str, ...]


def _natural(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def subject_ids(records: Sequence[ClipRecord]) -> list[str]:
    """The subject id of every record (``dataset/subject`` when several datasets are mixed)."""
    mixed = len({rec.dataset for rec in records}) > 1
    return [f"{rec.dataset}/{rec.subject}" if mixed else rec.subject for rec in records]


def _check(records: Sequence[ClipRecord], needed: int, what: str) -> list[str]:
    if not records:
        raise ValueError(f"{what}: no clips given (the dataset or protocol left an empty list)")
    ids = subject_ids(records)
    count = len(set(ids))
    if count < needed:
        raise ValueError(f"{what} needs at least {needed} subjects; these {len(records)} clips have {count}")
    return ids


def loso_folds(records: Sequence[ClipRecord]) -> list[Fold]:
    """Leave-one-subject-out: one fold per subject, that subject's clips as the test set.

    Raises:
        ValueError: no records, or fewer than two subjects.
    """
    ids = _check(records, 2, "leave-one-subject-out")
    folds: list[Fold] = []
    for subject in sorted(set(ids), key=_natural):
        test = tuple(i for i, s in enumerate(ids) if s == subject)
        train = tuple(i for i, s in enumerate(ids) if s != subject)
        folds.append(
            Fold(name=f"loso-{subject.replace('/', '-')}", train=train, test=test, test_subjects=(subject,))
        )
    return folds


def kfold_folds(records: Sequence[ClipRecord], k: int = 5, seed: int = 0) -> list[Fold]:
    """k folds by subject, balanced by clip count: subjects are shuffled (seeded) and each in turn goes to
    the fold with the fewest clips so far.

    Raises:
        ValueError: ``k < 2``, no records, or fewer subjects than ``k``.
    """
    if k < 2:
        raise ValueError(f"k-fold needs k >= 2, got {k}")
    ids = _check(records, k, f"{k}-fold cross-validation")
    counts = Counter(ids)
    subjects = sorted(counts, key=_natural)
    order = np.random.default_rng(seed).permutation(len(subjects))
    shuffled = [subjects[i] for i in order]
    # Largest subjects first (stable on the shuffled order) so the greedy fill stays balanced.
    shuffled.sort(key=lambda s: -counts[s])
    groups: list[list[str]] = [[] for _ in range(k)]
    sizes = [0] * k
    for subject in shuffled:
        target = min(range(k), key=lambda g: (sizes[g], len(groups[g]), g))
        groups[target].append(subject)
        sizes[target] += counts[subject]
    folds: list[Fold] = []
    for g, group in enumerate(groups):
        held = set(group)
        test = tuple(i for i, s in enumerate(ids) if s in held)
        train = tuple(i for i, s in enumerate(ids) if s not in held)
        folds.append(
            Fold(
                name=f"fold{g + 1}of{k}",
                train=train,
                test=test,
                test_subjects=tuple(sorted(held, key=_natural)),
            )
        )
    return folds


def validation_split(
    records: Sequence[ClipRecord],
    train_idx: Sequence[int],
    fraction: float = 0.15,
    seed: int = 0,
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Split a fold's training indices by subject into (train, validation).

    ``max(1, round(fraction * n_subjects))`` training subjects (seeded choice) become validation subjects;
    at least one subject stays for training.

    Args:
        records: all records (the indices point into this list).
        train_idx: the fold's training indices.
        fraction: share of training *subjects* held out, in (0, 1).
        seed: random seed.

    Returns:
        ``(train, val)`` index tuples, each in increasing order, with no subject in both.

    Raises:
        ValueError: ``fraction`` outside (0, 1), an empty ``train_idx``, an index out of range, or fewer
            than two training subjects.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation fraction must be between 0 and 1 (exclusive), got {fraction}")
    if len(train_idx) == 0:
        raise ValueError("validation split: the training split is empty")
    if min(train_idx) < 0 or max(train_idx) >= len(records):
        raise ValueError(f"validation split: training indices must lie in 0..{len(records) - 1}")
    ids = subject_ids(records)
    subjects = sorted({ids[i] for i in train_idx}, key=_natural)
    if len(subjects) < 2:
        raise ValueError(
            f"validation split needs at least 2 training subjects to hold one out; got {len(subjects)}"
        )
    n_val = min(len(subjects) - 1, max(1, round(fraction * len(subjects))))
    rng = np.random.default_rng(seed)
    chosen = {subjects[i] for i in rng.choice(len(subjects), size=n_val, replace=False)}
    ordered = sorted(train_idx)
    train = tuple(i for i in ordered if ids[i] not in chosen)
    val = tuple(i for i in ordered if ids[i] in chosen)
    return train, val
