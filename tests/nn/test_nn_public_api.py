"""nn is built only on autograd_core's public names, and exports what it documents."""

import ast
from pathlib import Path

import pytest

import autograd_core
import nn

NN_DIR = Path(nn.__file__).parent
PUBLIC = set(autograd_core.__all__)


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    aliases = set()  # local names bound to the autograd_core package itself
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "autograd_core":
                    aliases.add(a.asname or a.name)
                elif a.name.startswith("autograd_core."):
                    found.append(f"line {node.lineno}: import {a.name} (a submodule)")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("autograd_core."):
                found.append(f"line {node.lineno}: from {node.module} import ... (a submodule)")
            elif node.module == "autograd_core":
                for a in node.names:
                    if a.name not in PUBLIC:
                        found.append(f"line {node.lineno}: from autograd_core import {a.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr not in PUBLIC):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", sorted(NN_DIR.rglob("*.py")), ids=lambda p: p.name)
def test_nn_uses_only_public_autograd_core_names(path):
    assert _violations(path) == [], f"{path.name} uses non-public autograd_core names"


def test_the_checker_catches_private_uses(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import autograd_core as ag\n"
        "import autograd_core.ops\n"
        "from autograd_core.tensor import Tensor\n"
        "from autograd_core import linear, _apply\n"
        "y = ag.linear(1, 2, 3) + ag._constant(1)\n"
    )
    assert len(_violations(bad)) == 4


def test_exports():
    for name in nn.__all__:
        assert hasattr(nn, name), name
    assert nn.optim.Adam is nn.Adam and nn.initializers is nn.init
    for name in ("mse", "mae", "sse", "binary_crossentropy", "categorical_crossentropy",
                 "sparse_categorical_crossentropy", "hinge", "perceptron"):
        assert callable(getattr(nn.losses, name))
    for name in ("zeros", "ones", "uniform", "normal", "glorot_uniform", "glorot_normal",
                 "he_uniform", "he_normal"):
        assert callable(nn.init.get_initializer(name))
