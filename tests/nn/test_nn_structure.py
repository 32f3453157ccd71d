"""The shape of the nn package: no import cycle, no file over ~600 lines, and training sets
only declared attributes on a model."""

import ast
from pathlib import Path

import numpy as np
import pytest

import nn

NN_DIR = Path(nn.__file__).parent
MAX_LINES = 600


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, root: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports, at the top or inside functions. Not
    counted: ``if TYPE_CHECKING:`` blocks and a module ``__getattr__`` (PEP 562's lazy
    re-export of a moved name, which runs only after both modules are loaded)."""
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):
        lazy = isinstance(node, ast.FunctionDef) and node.name == "__getattr__" \
            and node in tree.body
        typing_only = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        if lazy or typing_only:
            skip.update(id(n) for n in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = ".".join(base[:len(base) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    resolved = set()
    for target in found:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        # a submodule imports its parent packages too, unless they are its own (loaded
        # before it)
        while target and not (name == target or name.startswith(target + ".")):
            resolved.add(target)
            target = target.rpartition(".")[0]
    return resolved


def import_graph(root: Path) -> dict[str, set[str]]:
    files = sorted(root.rglob("*.py"))
    modules = {_module_name(f, root) for f in files}
    return {_module_name(f, root): _imported(f, root, modules) for f in files}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    for start in graph:
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, edges = stack[-1]
            nxt = next(edges, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(sorted(graph.get(nxt, ())))))
                path.append(nxt)
    return None


def test_nn_has_no_import_cycle():
    cycle = find_cycle(import_graph(NN_DIR))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_checker_finds_cycles_through_function_level_imports(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import a\n")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..a import g\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
        "def __getattr__(name):\n    from . import a\n")
    graph = import_graph(pkg)
    assert find_cycle(graph) == ["pkg.a", "pkg.sub.b", "pkg.a"]
    assert graph["pkg.c"] == set()


@pytest.mark.parametrize("path", sorted(NN_DIR.rglob("*.py")), ids=lambda p: p.name)
def test_no_file_is_over_600_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(NN_DIR)} has {lines} lines"


def test_training_sets_only_declared_attributes():
    X = np.random.default_rng(0).standard_normal((32, 3)).astype(np.float32)
    y = X.sum(axis=1, keepdims=True)
    model = nn.Sequential(nn.Dense(4, "relu", input_dim=3, seed=0), nn.Dropout(0.1, seed=1),
                          nn.Dense(1, seed=2))
    before = set(vars(model))
    model.compile("adam", "mse", metrics=["mae"])
    model.fit(X, y, epochs=2, validation_split=0.25, verbose=0)
    model.evaluate(X, y)
    model.predict(X)
    nn.lr_find(model, X, y, num_steps=5)
    added = set(vars(model)) - before
    undeclared = sorted(a for a in added if not hasattr(type(model), a))
    assert undeclared == [], f"undeclared attributes set on the model: {undeclared}"
    assert model.compiled and model.optimizer is not None and model.history is not None
