"""The loaders on the real, published coding sheets (skipped where the shared annotations folder is absent).

Expected figures are the ones stated in the annotations README and the protocol literature (MEGC2019
composite make-up: CASME II 24 subjects / 145 clips, SAMM 28 / 133, SMIC 16 / 164), not re-derived here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ml.datasets import load_dataset
from ml.datasets.label_sets import apply_protocol
from ml.datasets.splits import loso_folds
from ml.datasets.stats import au_clip_counts, au_cooccurrence, emotion_counts

ANNOTATIONS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "annotations"
COOCCURRENCE = Path(__file__).resolve().parents[3] / "ml" / "data" / "casme2_au_cooccurrence.json"

pytestmark = pytest.mark.skipif(
    not ANNOTATIONS.is_dir(), reason=f"real coding sheets not present ({ANNOTATIONS})"
)


def _subjects(records):
    return {(r.dataset, r.subject) for r in records}


@pytest.fixture(scope="module")
def casme2_2014():
    return load_dataset("casme2", ANNOTATIONS / "CASME2-coding-20140508.xlsx")


def test_casme2_2014_counts(casme2_2014):
    assert len(casme2_2014) == 246
    assert len(_subjects(casme2_2014)) == 26
    assert emotion_counts(casme2_2014) == {
        "others": 99,
        "disgust": 63,
        "happiness": 32,
        "repression": 27,
        "surprise": 25,
    }
    kept, classes = apply_protocol(casme2_2014, "casme2_5")
    assert len(kept) == 246 and len(classes) == 5
    assert len(loso_folds(kept)) == 26
    # MEGC mapping on this sheet gives 147 clips; the composite's CASME II part has 145 (it lacks
    # sub04/EP12_01f and sub05/EP09_05f).
    composite, _ = apply_protocol(casme2_2014, "composite3")
    assert len(composite) == 147


def test_casme2_2014_au_counts_match_readme(casme2_2014):
    readme = {
        "AU4": 128,
        "AU7": 38,
        "AU12": 34,
        "AU14": 27,
        "AU17": 25,
        "AU2": 21,
        "AU1": 19,
        "AU10": 17,
        "AU15": 16,
        "AU9": 13,
        "AU6": 13,
    }
    names = list(readme)
    n = au_cooccurrence(casme2_2014, names)
    assert dict(zip(names, np.diag(n).tolist(), strict=True)) == readme
    counts = au_clip_counts(casme2_2014)
    assert {k: counts[k] for k in readme} == readme


def test_casme2_2014_cooccurrence_matches_shipped_json(casme2_2014):
    data = json.loads(COOCCURRENCE.read_text(encoding="utf-8"))
    n = au_cooccurrence(casme2_2014, data["aus"])
    np.testing.assert_array_equal(n, np.asarray(data["counts"]))
    assert data["clips"] == len(casme2_2014)


def test_casme2_2019_sheet():
    records = load_dataset("casme2", ANNOTATIONS / "CASME2-coding-20190701_mouath.xlsx")
    assert len(records) == 255
    slash = [r for r in records if r.apex is None]
    assert [(r.subject, r.clip) for r in slash] == [("sub04", "EP12_01f")]
    assert slash[0].extra["apex_raw"] == "/"
    kept7, _ = apply_protocol(records, "casme2_7")
    kept5, _ = apply_protocol(records, "casme2_5")
    assert len(kept7) == 255 and len(kept5) == 255 - 6  # 4 sadness + 2 fear dropped


def test_samm():
    records = load_dataset("samm", ANNOTATIONS / "SAMM_Micro_FACS_Codes_v2.xlsx")
    assert len(records) == 159
    assert len(_subjects(records)) == 29
    assert records[0].extra["row"] == 15  # header on Excel row 14
    assert emotion_counts(records)["anger"] == 57
    composite, _ = apply_protocol(records, "composite3")
    assert len(composite) == 133 and len(_subjects(composite)) == 28  # MEGC2019's SAMM part


def test_smic_hs():
    records = load_dataset("smic", ANNOTATIONS / "HS_cropped.csv")
    assert len(records) == 164
    assert len(_subjects(records)) == 16
    assert all(r.apex is None for r in records)
    assert emotion_counts(records) == {"negative": 70, "positive": 51, "surprise": 43}


def test_mmew():
    records = load_dataset("mmew", ANNOTATIONS / "MMEW_Micro_Exp.csv")
    assert len(records) == 300
    assert len(_subjects(records)) == 30


def test_composite():
    records = load_dataset(
        "composite",
        ANNOTATIONS / "htnet_composite.csv",
        sources={
            "casme2": ANNOTATIONS / "CASME2-coding-20190701_mouath.xlsx",
            "samm": ANNOTATIONS / "SAMM_Micro_FACS_Codes_v2.xlsx",
            "smic": ANNOTATIONS / "HS_cropped.csv",
        },
    )
    assert len(records) == 442
    assert len(_subjects(records)) == 68
    by_part = {name: [r for r in records if r.dataset == name] for name in ("casme2", "samm", "smic")}
    assert {k: (len(v), len(_subjects(v))) for k, v in by_part.items()} == {
        "casme2": (145, 24),
        "samm": (133, 28),
        "smic": (164, 16),
    }
    assert emotion_counts(records) == {"negative": 250, "positive": 109, "surprise": 83}
    assert all(r.extra["source_matched"] for r in records)  # every clip found in its own sheet
    kept, classes = apply_protocol(records, "composite3")
    assert len(kept) == 442 and classes == ("negative", "positive", "surprise")
    assert len(loso_folds(kept)) == 68
