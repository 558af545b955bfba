"""The import graph of ``curves`` and ``ml``, read from the source (imports inside functions included).

Layers, lowest first; a module may import its own layer and the layers below it, never one above:

    curves                          pure numpy/scipy: MicroExpression or AU tracks -> CurveSet
    ml, ml.errors, ml.rules,        version, error types, shared rules and constants, the model
      ml.model_cfg                  configuration
    ml.stages                       clip file -> frames -> face track -> aligned crops -> TIM/flow -> input
    ml.timing                       onset/apex/offset: keyframe selection, envelope, motion fit
    ml.tracks                       per-frame AU intensities measured on the face, expression events
    ml.models                       networks and their registry (builds models, never loads weights)
    ml.runtime, ml.checkpoint       device/autocast/predict; weights files
    ml.analyze                      clip -> MicroExpression (the product's analysis)
    ml.datasets                     coding sheets, splits, synthetic data
    ml.train                        folds, fitting, evaluation, reports
    ml.cli                          the ``microexpr`` command line

and there is no cycle among modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

LAYERS: tuple[tuple[str, ...], ...] = (
    ("curves",),
    ("ml", "ml.errors", "ml.rules", "ml.model_cfg"),
    ("ml.stages",),
    ("ml.timing",),
    ("ml.tracks",),
    ("ml.models",),
    ("ml.runtime", "ml.checkpoint"),
    ("ml.analyze",),
    ("ml.datasets",),
    ("ml.train",),
    ("ml.cli", "ml.__main__"),
)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in ("curves", "ml"):
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _layer(module: str) -> int:
    best, best_len = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} belongs to no layer: add it to LAYERS (and the README's layout)")
    return best


def _imports(module: str, path: Path) -> set[str]:
    """Project modules that ``module`` imports anywhere in its source (TYPE_CHECKING and functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            # the longest project module that the name refers to
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        _layer(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_higher_layer(module: str) -> None:
    mine = _layer(module)
    upward = sorted(f"{dep} (layer {_layer(dep)})" for dep in GRAPH[module] if _layer(dep) > mine)
    assert not upward, f"{module} (layer {mine}) imports a higher layer: {upward}"


def test_no_import_cycle() -> None:
    # A package's own __init__ importing its submodules is how a package is built, not a cycle.
    def edges(module: str) -> set[str]:
        return {dep for dep in GRAPH[module] if not module.startswith(dep + ".")}

    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for dep in sorted(edges(module)):
            if state.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[module] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module)


def test_curves_never_imports_ml_torch_or_unreal() -> None:
    for module, path in MODULES.items():
        if not (module == "curves" or module.startswith("curves.")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & {"ml", "torch", "unreal"}, f"{module} imports {sorted(roots)}"
