"""Fixtures: the fake ``unreal`` module injected through sys.modules, the plugin's Python on sys.path."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN_PYTHON = REPO / "Plugin" / "Content" / "Python"
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # plugin_testkit (helpers shared by these tests)
    sys.path.insert(0, str(HERE))


def _purge() -> None:
    for name in list(sys.modules):
        if name == "microexpr_anim" or name.startswith("microexpr_anim.") or name == "unreal":
            del sys.modules[name]


@pytest.fixture()
def fake(tmp_path: Path) -> Iterator[ModuleType]:
    """The fake ``unreal`` module, reset, with ``Paths.project_saved_dir()`` in a temp folder."""
    _purge()
    spec = importlib.util.spec_from_file_location("unreal", HERE / "fake_unreal.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["unreal"] = module
    spec.loader.exec_module(module)
    module._reset(str(tmp_path / "Saved"))
    added = str(PLUGIN_PYTHON) not in sys.path
    if added:
        sys.path.insert(0, str(PLUGIN_PYTHON))
    yield module
    _purge()
    if added:
        sys.path.remove(str(PLUGIN_PYTHON))


@pytest.fixture()
def mx(fake: ModuleType) -> ModuleType:
    """The plugin package, imported against the fake."""
    return importlib.import_module("microexpr_anim")


@pytest.fixture()
def stand_in(mx: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the curve fitting by :func:`stand_in_make_curvesets` (keeps these tests about the plugin)."""
    from plugin_testkit import stand_in_make_curvesets

    project = importlib.import_module("microexpr_anim._project")
    monkeypatch.setattr(project, "make_curvesets", lambda me, **kw: stand_in_make_curvesets(me, **kw))
