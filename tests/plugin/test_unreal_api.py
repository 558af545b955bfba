"""Every ``unreal`` name the fake provides, and every name of the plugin's typing stub, exists in
unreal-stub (the generated stub of the UE 5.6 Python API) with the same parameter names.

unreal-stub cannot be imported (some generated default values are not valid Python), so it is read as
text: each top-level class or function block is parsed on its own with ``ast``.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import inspect
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
PYI = HERE.parents[1] / "Plugin" / "Content" / "Python" / "unreal.pyi"


@lru_cache(maxsize=1)
def _stub_text() -> list[str]:
    # PathFinder: the installed stub, never a fake registered in sys.modules
    spec = importlib.machinery.PathFinder.find_spec("unreal")
    if spec is None or spec.origin is None:
        pytest.skip("unreal-stub is not installed")
    path = Path(spec.origin).parent / "unreal.py"
    if not path.is_file():
        pytest.skip(f"{path} not found (unreal-stub layout changed?)")
    return path.read_text(encoding="utf-8-sig").split("\n")


class _LazyBlocks(dict):  # name -> parsed node, parsed on first use (the stub has ~500k lines)
    def __init__(self, spans: dict[str, tuple[int, int]], kind: str) -> None:
        super().__init__()
        self.spans = spans
        self.kind = kind

    def __contains__(self, name: object) -> bool:
        return self._get(str(name)) is not None

    def __getitem__(self, name: str) -> Any:
        value = self._get(name)
        if value is None:
            raise KeyError(name)
        return value

    def _get(self, name: str) -> Any:
        if name in self.spans and not dict.__contains__(self, name):
            start, end = self.spans[name]
            try:
                node = ast.parse("\n".join(_stub_text()[start:end])).body[0]
            except SyntaxError:
                node = None
            dict.__setitem__(
                self, name, _describe(node) if self.kind == "class" and node is not None else node
            )
        return dict.get(self, name)


def _describe(node: ast.AST) -> tuple[list[str], dict[str, ast.AST]]:
    assert isinstance(node, ast.ClassDef)
    members: dict[str, ast.AST] = {}
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            members.setdefault(item.name, item)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            members[item.target.id] = item
    return [b.id for b in node.bases if isinstance(b, ast.Name)], members


@lru_cache(maxsize=1)
def _stub_index() -> tuple[Any, Any]:
    """``classes[name] = (bases, members)``, ``functions[name] = FunctionDef`` of the stub (lazy)."""
    lines = _stub_text()
    starts = [
        (i, m.group(1), m.group(2))
        for i, line in enumerate(lines)
        if (m := re.match(r"(class|def) (\w+)", line))
    ]
    spans: dict[str, dict[str, tuple[int, int]]] = {"class": {}, "def": {}}
    for k, (start, kind, name) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        spans[kind].setdefault(name, (start, end))
    return _LazyBlocks(spans["class"], "class"), _LazyBlocks(spans["def"], "def")


def _stub_member(cls: str, name: str) -> ast.AST | None:
    classes, _ = _stub_index()
    seen: set[str] = set()
    todo = [cls]
    while todo:
        current = todo.pop(0)
        if current in seen or current not in classes:
            continue
        seen.add(current)
        bases, members = classes[current]
        if name in members:
            return members[name]
        todo.extend(bases)
    if name in ("__init__", "cast", "static_class", "get_name", "get_path_name") and cls in classes:
        return _stub_member("_ObjectBase", name) or _stub_member("StructBase", name)
    return None


def _stub_params(node: ast.AST) -> list[str]:
    assert isinstance(node, ast.FunctionDef)
    names = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
    return [n for n in names if n not in ("self", "cls")]


def _stub_required(node: ast.AST) -> set[str]:
    assert isinstance(node, ast.FunctionDef)
    args = [a.arg for a in node.args.args if a.arg not in ("self", "cls")]
    return set(args[: len(args) - len(node.args.defaults)])


def _check_params(where: str, ours: list[str], node: ast.AST) -> list[str]:
    theirs = _stub_params(node)
    problems = []
    if theirs[: len(ours)] != ours:
        problems.append(f"{where}: parameters {ours} but unreal-stub has {theirs}")
    missing_required = _stub_required(node) - set(ours)
    if missing_required:
        problems.append(f"{where}: leaves out required parameters {sorted(missing_required)}")
    return problems


def _fake_module() -> Any:
    spec = importlib.util.spec_from_file_location("fake_unreal_for_api_check", HERE / "fake_unreal.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def _callable_params(obj: Any) -> list[str]:
    sig = inspect.signature(obj)
    return [p for p in sig.parameters if p not in ("self", "cls")]


def _public(name: str) -> bool:
    return not name.startswith("_") or name in ("__init__", "__enter__", "__exit__")


def test_fake_matches_unreal_stub() -> None:
    classes, functions = _stub_index()
    fake = _fake_module()
    problems: list[str] = []
    checked = 0
    for name, obj in vars(fake).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != fake.__name__:
            continue
        if inspect.isfunction(obj):
            if name not in functions:
                problems.append(f"unreal.{name} does not exist in unreal-stub")
            else:
                problems += _check_params(f"unreal.{name}", _callable_params(obj), functions[name])
            checked += 1
            continue
        if not inspect.isclass(obj):
            continue
        if name not in classes:
            problems.append(f"unreal.{name} does not exist in unreal-stub")
            continue
        for member, value in vars(obj).items():
            if not _public(member):
                continue
            node = _stub_member(name, member)
            checked += 1
            if node is None:
                problems.append(f"unreal.{name}.{member} does not exist in unreal-stub")
                continue
            func = value.__func__ if isinstance(value, classmethod | staticmethod) else value
            if inspect.isfunction(func) and isinstance(node, ast.FunctionDef):
                is_property = any(isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list)
                if not is_property:
                    problems += _check_params(f"unreal.{name}.{member}", _callable_params(func), node)
        try:
            instance = obj()
        except TypeError:
            continue
        for attr in vars(instance):
            if not attr.startswith("_"):
                checked += 1
                if _stub_member(name, attr) is None:
                    problems.append(f"unreal.{name}().{attr} does not exist in unreal-stub")
    assert checked > 80
    assert not problems, "\n".join(problems)


def test_typing_stub_matches_unreal_stub() -> None:
    classes, functions = _stub_index()
    tree = ast.parse(PYI.read_text(encoding="utf-8"))
    problems: list[str] = []
    allowed_extra_classes = {"Array"}  # generic container, typed loosely on purpose
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            if node.name not in functions:
                problems.append(f"unreal.{node.name} does not exist in unreal-stub")
            else:
                problems += _check_params(f"unreal.{node.name}", _stub_params(node), functions[node.name])
        elif isinstance(node, ast.ClassDef) and node.name not in allowed_extra_classes:
            if node.name not in classes and node.name not in ("EnumBase", "StructBase"):
                problems.append(f"unreal.{node.name} does not exist in unreal-stub")
                continue
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    member = _stub_member(node.name, item.name)
                    if member is None:
                        problems.append(f"unreal.{node.name}.{item.name} does not exist in unreal-stub")
                    elif isinstance(member, ast.FunctionDef) and not any(
                        isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list
                    ):
                        problems += _check_params(
                            f"unreal.{node.name}.{item.name}", _stub_params(item), member
                        )
                elif (
                    isinstance(item, ast.AnnAssign)
                    and isinstance(item.target, ast.Name)
                    and _stub_member(node.name, item.target.id) is None
                ):
                    problems.append(f"unreal.{node.name}.{item.target.id} does not exist in unreal-stub")
    assert not problems, "\n".join(problems)


def test_checker_catches_a_wrong_parameter_name() -> None:
    _, functions = _stub_index()
    assert _check_params("unreal.log", ["message"], functions["log"])
    assert _stub_member("AnimSequence", "controller") is not None  # inherited from AnimSequenceBase
    assert _stub_member("AnimSequence", "no_such_member") is None
