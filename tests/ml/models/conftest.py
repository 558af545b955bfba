"""Model tests: one thread (CI has two cores shared by several test folders), and a tiny configuration of
every registered model, so each one can be built and trained in a fraction of a second."""

from collections.abc import Callable
from typing import Any

import pytest
import torch

from ml.models import MicroExprModel, create_model

#: Keyword arguments that make each registered model tiny. A newly registered model needs an entry here.
TINY_KWARGS: dict[str, dict[str, Any]] = {
    "au_gcn": {"width": 0.125, "image_size": 32, "num_frames": 8},
    "au_gcn_small": {"width": 0.125, "image_size": 16, "num_frames": 8},
    "ms3d_resnet50": {
        "width": 0.0625,
        "image_size": 32,
        "num_frames": 4,
        "upsample": "deconv",
        "dropout": 0.0,
    },
    "ms3d_resnet50_small": {"width": 0.0625, "image_size": 32, "num_frames": 4, "dropout": 0.0},
    "gamdss": {"width": 0.125, "image_size": 32, "context_frames": 4, "drop_path": 0.0},
    "gamdss_small": {"width": 0.125, "image_size": 32, "context_frames": 4, "drop_path": 0.0},
    "madv": {"width": 0.125, "image_size": 32, "num_frames": 4, "depths": [1, 1, 1]},
    "madv_small": {"width": 0.125, "image_size": 32, "num_frames": 4, "depths": [1, 1, 1]},
}

#: Models the test suite registers for itself (tests/ml/conftest.py); they are not part of the product.
TEST_ONLY_MODELS = frozenset({"tiny_test_model"})


def make_tiny_model(name: str, **kw: Any) -> MicroExprModel:
    """``name`` built with its :data:`TINY_KWARGS` (``kw`` on top), seeded; fails if it has none."""
    if name not in TINY_KWARGS:
        pytest.fail(
            f"registered model {name!r} has no tiny configuration: add an entry for it to TINY_KWARGS "
            "in tests/ml/models/conftest.py"
        )
    torch.manual_seed(0)
    return create_model(name, **{**TINY_KWARGS[name], **kw})


@pytest.fixture
def tiny_model() -> Callable[..., MicroExprModel]:
    """:func:`make_tiny_model`: ``tiny_model(name, **overrides)``."""
    return make_tiny_model


@pytest.fixture
def tiny_kwargs() -> dict[str, dict[str, Any]]:
    """:data:`TINY_KWARGS`."""
    return TINY_KWARGS


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
