"""Training and honest evaluation of any registered model (LOSO or k-fold by subject).

Public entry points::

    from ml.train import load_config, run_protocol
    from ml.train.report import write_outputs

    cfg = load_config("configs/au_gcn.yaml")
    report = run_protocol(records, cfg, cache_dir="runs/casme2/cache")
    write_outputs(report, cfg.to_dict(), "runs/casme2", overwrite=False)

See :mod:`ml.train.folds` for how folds run, :mod:`ml.train.pooled` for what is reported and
:mod:`ml.train.data` for the crop cache.
"""

from ml.train.config import TrainConfig, load_config, merge_overrides
from ml.train.folds import build_model, evaluate_weights, run_protocol, train_full
from ml.train.pooled import pooled_metrics

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
