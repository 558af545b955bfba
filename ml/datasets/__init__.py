"""Micro-expression datasets: real corpora (CASME II, SAMM, SMIC, MMEW, CAS(ME)^2/^3, MEGC2019 composite)
and the seeded synthetic generator, all mapped onto one schema, :class:`ml.datasets.schema.ClipRecord`.

``open_dataset(folder)`` detects the corpus from its coding sheet; ``load_dataset(name, sheet)`` names it.
Protocols (:mod:`ml.datasets.label_sets`), subject-independent splits (:mod:`ml.datasets.splits`),
statistics (:mod:`ml.datasets.stats`) and frame reading (:mod:`ml.datasets.frames`) work on record lists.
"""

from ml.datasets._common import SheetError
from ml.datasets.label_sets import PROTOCOLS, apply_protocol
from ml.datasets.registry import DATASET_NAMES, detect_dataset, load_dataset, open_dataset
from ml.datasets.schema import ClipRecord
from ml.datasets.splits import Fold, kfold_folds, loso_folds, validation_split
from ml.datasets.stats import au_cooccurrence

__all__ = [
    "DATASET_NAMES",
    "PROTOCOLS",
    "ClipRecord",
    "Fold",
    "SheetError",
    "apply_protocol",
    "au_cooccurrence",
    "detect_dataset",
    "kfold_folds",
    "load_dataset",
    "loso_folds",
    "open_dataset",
    "validation_split",
]
