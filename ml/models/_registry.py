"""The model registry: ``@register_model`` entrypoints and ``create_model``, the only public constructor."""

from __future__ import annotations

import fnmatch
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from ml.models._base import MicroExprModel

__all__ = ["create_model", "is_model", "list_models", "register_model"]

_ModelFn = Callable[..., MicroExprModel]
F = TypeVar("F", bound=_ModelFn)
_ENTRYPOINTS: dict[str, _ModelFn] = {}


def register_model(fn: F) -> F:
    """Register ``fn`` under its function name; it must accept ``**kwargs`` overriding its cfg."""
    name = fn.__name__
    if name in _ENTRYPOINTS and _ENTRYPOINTS[name] is not fn:
        warnings.warn(f"model {name!r} registered twice; the later one wins", stacklevel=2)
    _ENTRYPOINTS[name] = fn
    return fn


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching a shell-style pattern, sorted."""
    return sorted(n for n in _ENTRYPOINTS if fnmatch.fnmatch(n, pattern))


def is_model(name: str) -> bool:
    return name in _ENTRYPOINTS


def create_model(name: str, **kwargs: Any) -> MicroExprModel:
    """Build a registered model; ``None``-valued kwargs are dropped so CLI defaults never override.

    Args:
        name: a name from :func:`list_models`.
        **kwargs: overrides of the family's defaults.

    Raises:
        ValueError: unknown model name (the message lists the known ones).
    """
    if name not in _ENTRYPOINTS:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(_ENTRYPOINTS)}")
    return _ENTRYPOINTS[name](**{k: v for k, v in kwargs.items() if v is not None})
