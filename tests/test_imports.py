"""No import cycle inside autograd_core: module-level and function-level imports both count."""

import ast
from pathlib import Path

import autograd_core

PACKAGE = Path(autograd_core.__file__).parent


def _module_name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node):
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path, modules):
    """The package modules ``path`` imports anywhere in its body (TYPE_CHECKING blocks aside)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()

    def visit(node):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level \
                else node.module
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return {m for m in found if m in modules and m != name}


def import_graph():
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path, files) for name, path in files.items()}


def find_cycle(graph, skip_package_inits=True):
    """One cycle as a list of modules, or None. A package's __init__ re-exporting its own
    submodules is not a cycle: importing a submodule runs the __init__ first, by design."""
    def edges(m):
        out = graph[m]
        if skip_package_inits:
            out = {t for t in out if not m.startswith(t + ".") and not t.startswith(m + ".")
                   or not _is_package(m) and not _is_package(t)}
        return sorted(out)

    color, stack = {}, []

    def dfs(m):
        color[m] = "grey"
        stack.append(m)
        for t in edges(m):
            if color.get(t) == "grey":
                return stack[stack.index(t):] + [t]
            if t not in color:
                cycle = dfs(t)
                if cycle:
                    return cycle
        stack.pop()
        color[m] = "black"
        return None

    for m in sorted(graph):
        if m not in color:
            cycle = dfs(m)
            if cycle:
                return cycle
    return None


def _is_package(name):
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def test_autograd_core_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checker_sees_function_level_imports():
    graph = {"a": {"b"}, "b": {"a"}}
    assert find_cycle(graph, skip_package_inits=False) == ["a", "b", "a"]
    src = PACKAGE / "tensor.py"
    assert "autograd_core.modes" in _imports(src, {"autograd_core.modes", "autograd_core.engine"})
