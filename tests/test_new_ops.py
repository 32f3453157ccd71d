"""The composites of issue 13 (sort, tile, repeat, take_along_axis, diagonal, trace, tril, triu,
dot, outer, tensordot, norm, einsum's notations), checked against NumPy with negative axes and
three-way gradients; and, for every new op, float32 kept, plain arrays in and out, clear errors.

The new primitives are covered by the op-table tests (tests/test_ops.py, tests/test_dual.py).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Dual, Tensor
from autograd_core.testing import assert_gradients_correct


@st.composite
def matrix_like(draw, min_dims=1, max_dims=3):
    shape = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(min_dims, max_dims))))
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal(shape)


def axis_of(draw, ndim):
    return draw(st.integers(-ndim, ndim - 1))


# name -> draw(data) -> (function of x, the same through NumPy, x)
def _sort(data):
    x = data.draw(matrix_like())
    axis = data.draw(st.sampled_from([None, axis_of(data.draw, x.ndim)]))
    return lambda a: ag.sort(a, axis), lambda a: np.sort(a, axis), x


def _tile(data):
    x = data.draw(matrix_like(0))
    reps = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=4)))
    return lambda a: ag.tile(a, reps), lambda a: np.tile(a, reps), x


def _repeat(data):
    x = data.draw(matrix_like())
    axis = data.draw(st.sampled_from([None, axis_of(data.draw, x.ndim)]))
    n = x.size if axis is None else x.shape[axis]
    reps = data.draw(st.sampled_from([2, [data.draw(st.integers(0, 2)) for _ in range(n)]]))
    return lambda a: ag.repeat(a, reps, axis), lambda a: np.repeat(a, reps, axis), x


def _take_along_axis(data):
    x = data.draw(matrix_like())
    axis = axis_of(data.draw, x.ndim)
    shape = list(x.shape)
    shape[axis] = data.draw(st.integers(1, 5))
    idx = np.random.default_rng(data.draw(st.integers(0, 99))).integers(
        -x.shape[axis], x.shape[axis], size=shape)
    return (lambda a: ag.take_along_axis(a, idx, axis),
            lambda a: np.take_along_axis(a, idx, axis), x)


def _diagonal(data):
    x = data.draw(matrix_like(2))
    a1, a2 = data.draw(st.permutations(range(-x.ndim, 0)))[:2]
    off = data.draw(st.integers(-2, 2))
    return (lambda a: ag.diagonal(a, off, a1, a2), lambda a: np.diagonal(a, off, a1, a2), x)


def _trace(data):
    x = data.draw(matrix_like(2))
    a1, a2 = data.draw(st.permutations(range(x.ndim)))[:2]
    off = data.draw(st.integers(-1, 1))
    return lambda a: ag.trace(a, off, a1, a2), lambda a: np.trace(a, off, a1, a2), x


def _triangles(data):
    x = data.draw(matrix_like(2))
    k = data.draw(st.integers(-2, 2))
    return lambda a: ag.tril(a, k) + 2 * ag.triu(a, k), lambda a: np.tril(a, k) + 2 * np.triu(
        a, k), x


def _products(data):
    x = data.draw(matrix_like())
    kind = data.draw(st.sampled_from(["dot", "outer", "tensordot", "vdot"]))
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    if kind == "outer":
        y = rng.standard_normal(data.draw(st.integers(1, 4)))
        return lambda a: ag.outer(a, y), lambda a: np.outer(a, y), x
    if kind == "tensordot":
        n = data.draw(st.integers(0, x.ndim))
        y = rng.standard_normal(x.shape[x.ndim - n:] + (2,))
        return lambda a: ag.tensordot(a, y, n), lambda a: np.tensordot(a, y, n), x
    if kind == "vdot":
        return lambda a: ag.dot(a, 2.5), lambda a: np.dot(a, 2.5), x
    # y is 1-d, 2-d or 3-d: dot sums x's last axis with y's only or second-to-last axis
    y = rng.standard_normal(((x.shape[-1],), (x.shape[-1], 3), (2, x.shape[-1], 3))[
        data.draw(st.integers(0, 2))])
    return lambda a: ag.dot(a, y), lambda a: np.dot(a, y), x


def _norm(data):
    x = data.draw(matrix_like()) + 0.1  # away from 0, where the 2-norm has no gradient
    ord_ = data.draw(st.sampled_from([None, 1, 2, 3, np.inf, -np.inf]))
    axis = data.draw(st.sampled_from([None, axis_of(data.draw, x.ndim)]))
    if axis is None and x.ndim > 1:  # a matrix norm: only Frobenius is provided
        ord_ = None
    return (lambda a: ag.norm(a, ord_, axis), lambda a: np.linalg.norm(a, ord_, axis), x)


def _einsum_notations(data):
    x = data.draw(matrix_like(2, 2))
    y = np.random.default_rng(0).standard_normal((3, 2, x.shape[1]))
    spec = data.draw(st.sampled_from(["ij,...j", "...j,ij->...i", "ij", "ji", "ii", "ij->"]))
    if spec == "ii":
        x = x[:, :1].repeat(x.shape[0], 1) + np.eye(x.shape[0])
    args = (y,) if "," in spec else ()
    if spec.startswith("..."):
        return (lambda a: ag.einsum(spec, *args, a), lambda a: np.einsum(spec, *args, a), x)
    return lambda a: ag.einsum(spec, a, *args), lambda a: np.einsum(spec, a, *args), x


def _cumsum_prod(data):
    x = data.draw(matrix_like())
    axis = data.draw(st.sampled_from([None, axis_of(data.draw, x.ndim)]))
    return (lambda a: ag.cumsum(a, axis) * ag.prod(a, axis, keepdims=True),
            lambda a: np.cumsum(a, axis) * np.prod(a, axis, keepdims=True), x)


COMPOSITES = {f.__name__.lstrip("_"): f for f in [
    _sort, _tile, _repeat, _take_along_axis, _diagonal, _trace, _triangles, _products, _norm,
    _einsum_notations, _cumsum_prod]}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
@given(data=st.data())
def test_composite_matches_numpy_and_its_gradients_agree(name, data):
    ours, numpy_fn, x = COMPOSITES[name](data)
    expected = numpy_fn(x)
    got = ours(x)
    assert isinstance(got, np.ndarray) or np.isscalar(got)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    out = ours(Tensor(x))
    assert isinstance(out, Tensor) and out.shape == np.shape(expected)
    if np.size(expected):
        assert_gradients_correct(ours, x)


# ---- every new op: float32 in, float32 out, in both modes ----

F32 = {
    "tan": ag.tan, "arcsin": lambda a: ag.arcsin(a / 4), "arccos": lambda a: ag.arccos(a / 4),
    "arctan": ag.arctan, "sinh": ag.sinh, "cosh": ag.cosh, "square": ag.square,
    "reciprocal": ag.reciprocal, "log2": lambda a: ag.log2(a * a),
    "log10": lambda a: ag.log10(a * a), "erf": ag.erf,
    "sign": ag.sign, "floor": ag.floor, "ceil": ag.ceil, "round": ag.round,
    "gelu": ag.gelu, "gelu tanh": lambda a: ag.gelu(a, approximate=True), "silu": ag.silu,
    "swish": ag.swish, "selu": ag.selu, "softsign": ag.softsign,
    "hard_sigmoid": ag.hard_sigmoid, "prod": lambda a: ag.prod(a, -1),
    "cumsum": lambda a: ag.cumsum(a, -2), "sort": ag.sort, "flip": lambda a: ag.flip(a, -1),
    "tile": lambda a: ag.tile(a, 2), "repeat": lambda a: ag.repeat(a, 2, -1),
    "take_along_axis": lambda a: ag.take_along_axis(a, np.zeros((2, 1), int), -1),
    "pad": lambda a: ag.pad(a, 1, constant_values=-np.inf), "dot": lambda a: ag.dot(a, a.T),
    "outer": lambda a: ag.outer(a, a), "tensordot": lambda a: ag.tensordot(a, a, 2),
    "einsum": lambda a: ag.einsum("ij,kj->ik", a, a), "norm": ag.norm, "trace": ag.trace,
    "diagonal": ag.diagonal, "tril": ag.tril, "triu": lambda a: ag.triu(a, 1),
}


@pytest.mark.parametrize("name", sorted(F32))
def test_float32_stays_float32(name):
    fn = F32[name]
    x = np.array([[0.3, 1.2, -0.7], [2.1, -1.4, 0.6]], dtype=np.float32)
    assert np.asarray(fn(x)).dtype == np.float32
    t = Tensor(x, requires_grad=True)
    out = fn(t)
    assert out.dtype == np.float32
    ag.sum(ag.where(np.isfinite(out.data), out, 0)).backward()
    assert t.grad.dtype == np.float32
    d = fn(Dual(x, np.ones_like(x)))
    assert d.primal.dtype == np.float32 and d.tangent.dtype == np.float32


def test_zero_gradient_ops_give_zeros_not_none():
    x = Tensor([0.3, 1.7, -2.2], requires_grad=True)
    (ag.sign(x) + ag.floor(x) + ag.ceil(x) + ag.round(x) + x.round(1)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])
    assert np.round(Tensor([2.5, 3.5]).data).tolist() == ag.round([2.5, 3.5]).tolist()


def test_argmax_and_argmin_give_integers_and_no_gradient():
    x = np.array([[1.0, 5.0, 3.0], [4.0, 0.0, 6.0]])
    for arg in (ag.argmax, ag.argmin):
        ref = getattr(np, arg.__name__)
        for axis in (None, 0, -1):
            np.testing.assert_array_equal(arg(x, axis), ref(x, axis))
            assert arg(Tensor(x, requires_grad=True), axis).dtype.kind == "i"
    d = ag.argmax(Dual(x, np.ones_like(x)), -1)
    assert isinstance(d, np.ndarray) and d.tolist() == [1, 2]
    t = Tensor(x, requires_grad=True)
    assert t.argmax(axis=-1, keepdims=True).shape == (2, 1)
    (t[np.arange(2), t.argmax(-1)]).sum().backward()  # the usual use: pick the maxima
    np.testing.assert_array_equal(t.grad, [[0, 1, 0], [0, 0, 1]])


def test_prod_with_zeros_has_the_right_gradient():
    x = Tensor([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0]], requires_grad=True)
    x.prod(axis=-1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])
    assert_gradients_correct(lambda a: ag.prod(a, axis=(0, -1)), x.data)


def test_einsum_reverse_rule_covers_diagonals_and_lonely_indices():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 3, 2)), rng.standard_normal((2, 4))
    for spec in ("iij,jk->ik", "ijk,kl->", "iij->j", "ijk->ki", "abc,cd", "...j,jk->...k"):
        assert_gradients_correct(lambda x, y, spec=spec: ag.einsum(spec, x, y) if "," in spec
                                 else ag.einsum(spec, x) * ag.sum(y), a, b)


def test_tensor_methods_follow_numpy():
    x = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]])
    t = Tensor(x)
    np.testing.assert_allclose(t.prod(-1).data, x.prod(-1))
    np.testing.assert_allclose(t.cumsum(-1).data, x.cumsum(-1))
    np.testing.assert_allclose(t.cumsum().data, x.cumsum())
    np.testing.assert_allclose(t.flatten().data, x.flatten())
    np.testing.assert_allclose(t.sort(0).data, np.sort(x, 0))
    np.testing.assert_allclose(t.repeat(2, axis=-1).data, x.repeat(2, axis=-1))
    np.testing.assert_allclose(t.trace().data, x.trace())
    np.testing.assert_allclose(t.diagonal(1).data, x.diagonal(1))
    np.testing.assert_allclose(t.dot(x.T).data, x.dot(x.T))
    np.testing.assert_allclose(t.round().data, x.round())
    np.testing.assert_allclose(t.clip(0, 2).data, x.clip(0, 2))
    assert t.argmin() == x.argmin() and t.argmax(0).tolist() == x.argmax(0).tolist()


ERRORS = [
    (lambda: ag.dot(np.ones((2, 3)), np.ones((4, 2))), r"dot: shapes \(2, 3\) and \(4, 2\)"),
    (lambda: ag.tensordot(np.ones((2, 3)), np.ones((4, 2)), 1),
     r"tensordot: shapes \(2, 3\) and \(4, 2\) do not match"),
    (lambda: ag.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 2))),
     r"einsum: axis 'j' has size 3 in operand 0 but 4 in operand 1 \(subscripts 'ij,jk->ik', "
     r"shapes \(2, 3\), \(4, 2\)\)"),
    (lambda: ag.einsum("ij->k", np.ones((2, 3))), r"einsum: output axes \['k'\] appear in no"),
    (lambda: ag.einsum("ij,jk", np.ones((2, 3))), r"einsum: subscripts 'ij,jk' name 2"),
    (lambda: ag.einsum("ijk", np.ones((2, 3))), r"einsum: operand 0 has shape \(2, 3\)"),
    (lambda: ag.diagonal(np.ones(3)), r"diagonal: needs at least 2 dimensions"),
    (lambda: ag.tril(np.ones(3)), r"tril: needs at least 2 dimensions"),
    (lambda: ag.flip(np.ones((2, 3)), 2), r"flip: axis 2 is out of range"),
    (lambda: ag.repeat(np.ones((2, 3)), [1, 2], axis=1), r"repeat: repeats \[1, 2\]"),
    (lambda: ag.take_along_axis(np.ones((2, 3)), np.zeros(2, int), 1),
     r"take_along_axis: indices of shape \(2,\)"),
    (lambda: ag.pad(np.ones((2, 3)), ((1, 1), (1, 1), (1, 1))), r"pad: pad_width"),
    (lambda: ag.pad(np.ones((2, 3)), 1, mode="reflect"), r"pad: only mode='constant'"),
    (lambda: ag.norm(np.ones((2, 3)), 2), r"norm: matrix norm ord=2 is not supported"),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_bad_arguments_raise_errors_naming_the_op(index):
    call, message = ERRORS[index]
    with pytest.raises(ValueError, match=message):
        call()


def test_erf_without_scipy_gives_the_same_values(monkeypatch):
    from autograd_core.ops import elementwise

    x = np.linspace(-3, 3, 13)
    with_scipy = ag.erf(x)
    monkeypatch.setattr(elementwise, "_scipy_erf", None)
    np.testing.assert_allclose(ag.erf(x), with_scipy, rtol=1e-15, atol=1e-15)
    assert ag.erf(x.astype(np.float32)).dtype == np.float32 and np.ndim(ag.erf(0.5)) == 0
