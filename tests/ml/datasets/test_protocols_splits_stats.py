"""Class protocols, subject-independent splits and AU statistics on hand-made record lists."""

from __future__ import annotations

import numpy as np
import pytest

from ml.datasets import ClipRecord
from ml.datasets.label_sets import apply_protocol, labels
from ml.datasets.splits import kfold_folds, loso_folds, subject_ids, validation_split
from ml.datasets.stats import au_clip_counts, au_cooccurrence, summary


def rec(
    subject: str, emotion: str, aus: tuple[str, ...] = (), dataset: str = "casme2", clip: str = "c"
) -> ClipRecord:
    return ClipRecord(dataset=dataset, subject=subject, clip=clip, emotion=emotion, aus=aus)


CASME = [
    rec("sub01", "happiness"),
    rec("sub01", "fear"),
    rec("sub02", "disgust"),
    rec("sub02", "sadness"),
    rec("sub03", "others"),
    rec("sub03", "repression"),
    rec("sub04", "surprise"),
]


def test_casme2_5_and_7():
    kept, classes = apply_protocol(CASME, "casme2_5")
    assert classes == ("happiness", "disgust", "repression", "surprise", "others")
    assert [r.emotion for r in kept] == ["happiness", "disgust", "others", "repression", "surprise"]
    assert labels(kept, classes).tolist() == [0, 1, 4, 2, 3]
    kept7, classes7 = apply_protocol(CASME, "casme2_7")
    assert classes7[-2:] == ("fear", "sadness") and len(kept7) == 7


def test_composite3_mapping():
    records = [
        rec("sub01", "disgust"),
        rec("sub01", "repression"),
        rec("sub01", "happiness"),
        rec("sub01", "others"),
        rec("006", "contempt", dataset="samm"),
        rec("006", "other", dataset="samm"),
        rec("006", "surprise", dataset="samm"),
        rec("s01", "positive", dataset="smic"),
    ]
    kept, classes = apply_protocol(records, "composite3")
    assert classes == ("negative", "positive", "surprise")
    assert [(r.dataset, r.emotion) for r in kept] == [
        ("casme2", "negative"),
        ("casme2", "negative"),
        ("casme2", "positive"),
        ("samm", "negative"),
        ("samm", "surprise"),
        ("smic", "positive"),
    ]
    assert kept[0].extra["original_emotion"] == "disgust"
    other, _ = apply_protocol(
        [
            rec("sp1", "happy", dataset="casme3"),
            rec("S01", "fear", dataset="mmew"),
            rec("S01", "others", dataset="mmew"),
        ],
        "composite3",
    )
    assert [r.emotion for r in other] == ["positive", "negative"]


def test_protocol_errors():
    with pytest.raises(ValueError, match="unknown protocol 'casme2_9'"):
        apply_protocol(CASME, "casme2_9")
    with pytest.raises(ValueError, match="keeps no clip of the 1 given \\(labels found: anger"):
        apply_protocol([rec("006", "anger", dataset="samm")], "casme2_5")
    with pytest.raises(ValueError, match="keeps no clip of the 0 given"):
        apply_protocol([], "as_is")
    with pytest.raises(ValueError, match="emotion 'fear', not one of"):
        labels(CASME[:2], ("happiness",))


def _records(per_subject: dict[str, int], dataset: str = "casme2") -> list[ClipRecord]:
    return [rec(s, "others", dataset=dataset, clip=f"c{i}") for s, n in per_subject.items() for i in range(n)]


def test_loso_folds_hold_out_one_subject_each():
    records = _records({"sub10": 2, "sub2": 3, "sub1": 1})
    folds = loso_folds(records)
    assert [f.test_subjects for f in folds] == [("sub1",), ("sub2",), ("sub10",)]  # natural order
    ids = subject_ids(records)
    for fold in folds:
        assert {ids[i] for i in fold.test} == set(fold.test_subjects)
        assert not {ids[i] for i in fold.train} & {ids[i] for i in fold.test}
        assert sorted(fold.train + fold.test) == list(range(len(records)))
    assert folds[1].test == (2, 3, 4)


def test_mixed_datasets_keep_subjects_apart():
    records = [rec("01", "negative", dataset="samm"), rec("01", "negative", dataset="smic")]
    folds = loso_folds(records)
    assert [f.test for f in folds] == [(0,), (1,)]
    assert folds[0].test_subjects == ("samm/01",)


def test_kfold_by_subject_balanced_and_seeded():
    sizes = {f"sub{i:02d}": n for i, n in enumerate([9, 1, 5, 5, 3, 2, 8, 4, 6, 7], start=1)}
    records = _records(sizes)
    ids = subject_ids(records)
    folds = kfold_folds(records, k=3, seed=4)
    assert len(folds) == 3
    all_test = [i for f in folds for i in f.test]
    assert sorted(all_test) == list(range(len(records)))  # every clip tested exactly once
    for fold in folds:
        assert not {ids[i] for i in fold.train} & {ids[i] for i in fold.test}
    # Largest-first greedy fill by hand: 9|8|7 -> +6 on 7 (13) -> +5 on 8 (13) -> +5 on 9 (14)
    # -> +4 on 13 -> +3 on 13 (16) -> +2 on 14 (16) -> +1 on 16: clip counts 17, 17, 16.
    assert sorted(len(f.test) for f in folds) == [16, 17, 17]
    assert kfold_folds(records, k=3, seed=4) == folds
    with pytest.raises(ValueError, match="needs at least 11 subjects; these 50 clips have 10"):
        kfold_folds(records, k=11)
    with pytest.raises(ValueError, match="k >= 2"):
        kfold_folds(records, k=1)


def test_empty_and_single_subject_splits():
    with pytest.raises(ValueError, match="no clips given"):
        loso_folds([])
    with pytest.raises(ValueError, match="at least 2 subjects; these 2 clips have 1"):
        loso_folds(_records({"sub01": 2}))


def test_validation_split_uses_training_subjects_only():
    records = _records({f"sub{i:02d}": 2 for i in range(1, 11)})
    fold = loso_folds(records)[0]
    ids = subject_ids(records)
    train, val = validation_split(records, fold.train, fraction=0.25, seed=3)
    assert len({ids[i] for i in val}) == 2  # round(0.25 * 9 subjects)
    assert not {ids[i] for i in val} & set(fold.test_subjects)
    assert not {ids[i] for i in val} & {ids[i] for i in train}
    assert sorted(train + val) == sorted(fold.train)
    with pytest.raises(ValueError, match="training split is empty"):
        validation_split(records, (), 0.2)
    with pytest.raises(ValueError, match="between 0 and 1"):
        validation_split(records, fold.train, 1.0)
    with pytest.raises(ValueError, match="at least 2 training subjects"):
        validation_split(records, (0, 1), 0.5)


def test_au_cooccurrence_by_hand():
    records = [
        rec("a", "x", ("AU1", "AU2R")),  # 1, 2
        rec("a", "x", ("AU1L", "AU1R", "AU4")),  # 1 (once), 4
        rec("b", "x", ("AU4", "AU7")),  # 4, 7
        rec("b", "x", ()),
    ]
    n = au_cooccurrence(records, ["AU1", "AU2", "4", "AU7"])
    expected = np.array(
        [
            [2, 1, 1, 0],
            [1, 1, 0, 0],
            [1, 0, 2, 1],
            [0, 0, 1, 1],
        ]
    )
    np.testing.assert_array_equal(n, expected)
    assert n.dtype == np.int64
    assert au_clip_counts(records) == {"AU1": 2, "AU4": 2, "AU2": 1, "AU7": 1}
    info = summary(records)
    assert info["aus_per_clip"] == {0: 1, 2: 3}
    with pytest.raises(ValueError, match="duplicates once sides are folded"):
        au_cooccurrence(records, ["AU12L", "AU12R"])
