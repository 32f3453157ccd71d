"""Jupyter's rich display of Tensors and Duals: an HTML table, abbreviated, escaped."""

import html
import re

import numpy as np
import pytest

import autograd_core as ag


def cells(table):
    """{header: cell text} of a two-column display table (tags stripped, unescaped)."""
    rows = re.findall(r"<tr><th[^>]*>([^<]*)</th><td[^>]*>(.*?)</td></tr>", table, flags=re.S)
    return {k: html.unescape(re.sub(r"<[^>]+>", "", v)) for k, v in rows}


def test_a_leaf_shows_value_shape_dtype_origin_and_gradient():
    x = ag.Tensor(np.array([[1.0, -2.0], [3.0, 0.5]], dtype=np.float32), requires_grad=True)
    (x * x).sum().backward()
    shown = cells(x._repr_html_())
    assert shown["value"] == np.array2string(x.data, separator=", ")
    assert shown["shape"] == "(2, 2)" and shown["dtype"] == "float32"
    assert shown["op"] == "leaf (requires grad)"
    assert shown["grad"] == np.array2string(2 * x.data, separator=", ")


def test_an_op_result_and_a_constant():
    y = ag.tanh(ag.Tensor([0.5], requires_grad=True))
    assert cells(y._repr_html_())["op"] == "tanh" and cells(y._repr_html_())["grad"] == "None"
    assert cells(ag.Tensor(3.0)._repr_html_())["op"] == "constant (no gradient)"


def test_a_gradient_that_is_a_tensor_shows_its_values():
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    (x * x * x).sum().backward(create_graph=True)
    assert isinstance(x.grad, ag.Tensor)
    assert cells(x._repr_html_())["grad"] == "[ 3., 12.]"


@pytest.mark.parametrize("shape", [(1000,), (40, 40), (3, 200, 2)])
def test_large_values_are_abbreviated_as_numpy_does(shape):
    t = ag.Tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))
    value = cells(t._repr_html_())["value"]
    assert "..." in value and len(value) < 2000
    assert value == np.array2string(t.data, separator=", ", threshold=100, edgeitems=3)


def test_names_and_everything_else_are_escaped():
    name = "<script>alert('x')</script> & \"y\""
    t = ag.Tensor([1.0], requires_grad=True, name=name)
    table = t._repr_html_()
    assert "<script>" not in table and "&lt;script&gt;" in table
    title = re.search(r"<thead><tr><th[^>]*>(.*?)</th>", table).group(1)
    assert html.unescape(title) == f"Tensor {name!r}"


def test_a_dual_shows_primal_and_tangent():
    d = ag.Dual(np.array([1.0, 2.0]), np.array([0.5, 0.0]))
    shown = cells(d._repr_html_())
    assert shown["primal"] == "[1., 2.]" and shown["tangent"] == "[0.5, 0. ]"
    assert shown["shape"] == "(2,)" and shown["dtype"] == "float64"
