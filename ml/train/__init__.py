"""Training and honest evaluation of any registered model (LOSO or k-fold by subject).

Public entry points::

    from ml.train import TrainConfig, load_config, run_protocol
    report = run_protocol(records, load_config("configs/au_gcn.yaml"), out="runs/casme2")

See :mod:`ml.train.folds` for what is reported and :mod:`ml.train.data` for the crop cache.
"""

from ml.train.config import TrainConfig, load_config, merge_overrides
from ml.train.folds import build_model, evaluate_weights, pooled_metrics, run_protocol, train_full

__all__ = [
    "TrainConfig",
    "build_model",
    "evaluate_weights",
    "load_config",
    "merge_overrides",
    "pooled_metrics",
    "run_protocol",
    "train_full",
]
