"""getitem's cotangent added into its input's buffer (the op's add= rule), as a family.

A plain backward pass adds each slice's cotangent into one buffer of the sliced array; the
recorded pass (create_graph=True) and forward mode use the dense rule (scatter_add). Every
index kind must give the same gradient both ways, and NumPy's ``np.add.at`` semantics.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import OPS, Tensor
from autograd_core.op_inputs import sample_op_inputs
from autograd_core.ops.core import primitive
from autograd_core.testing import arrays, indices

INDEX_KINDS = {
    "basic slices": (slice(1, None), slice(None, 3)),
    "negative steps": (slice(None, None, -1), slice(3, 0, -2)),
    "integer and slice": (-1, slice(None, None, 2)),
    "integer arrays with repeats": (np.array([0, 2, 2, -1, 0]),),
    "two integer arrays": (np.array([0, 0, 1]), np.array([3, 3, -4])),
    "array and slice": (slice(None), np.array([1, 1, 3])),
    "boolean mask": (np.array([True, False, True]),),
    "2-d boolean mask": np.arange(12).reshape(3, 4) % 3 == 0,
    "Ellipsis": (Ellipsis, 1),
    "newaxis": (None, slice(None), None, slice(1, 3)),
    "Ellipsis and newaxis": (Ellipsis, None, slice(None, None, -1)),
    "empty selection": (slice(2, 2),),
}


def _reference(x, uses, w):
    """d/dx of sum_k sum(w_k * x[index_k]) with NumPy: np.add.at for each use."""
    grad = np.zeros_like(x)
    for index, wk in zip(uses, w):
        np.add.at(grad, index, np.broadcast_to(wk, x[index].shape))
    return grad


@pytest.mark.parametrize("kind", sorted(INDEX_KINDS))
@pytest.mark.parametrize("create_graph", [False, True])
def test_each_index_kind_used_several_times_sums_into_one_gradient(kind, create_graph):
    index = INDEX_KINDS[kind]
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((3, 4))
    uses = [index, index, (slice(None), 0)]  # the same slice twice, and another one
    w = [rng.standard_normal(x0[i].shape) for i in uses]
    x = Tensor(x0, requires_grad=True)
    loss = sum(((x[i] * wk).sum() for i, wk in zip(uses, w)), Tensor(0.0))
    loss.backward(create_graph=create_graph)
    grad = x.grad.data if create_graph else x.grad
    np.testing.assert_allclose(grad, _reference(x0, uses, w), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dense_first", [False, True])
def test_slices_mix_with_dense_cotangents_and_broadcasting(dense_first):
    """The buffer starts from, or is followed by, ordinary cotangents of the same array."""
    x0 = np.arange(12.0).reshape(3, 4)
    x = Tensor(x0, requires_grad=True)
    b = Tensor(np.ones((1, 4)), requires_grad=True)
    dense = (x * b).sum()  # b broadcasts; x gets a dense cotangent
    sliced = (x[:, 1:3] * np.ones((2, 3, 2))).sum() + (x[::-1][0] ** 2).sum()
    loss = dense + sliced if dense_first else sliced + dense
    loss.backward()
    expected = np.ones((3, 4))
    expected[:, 1:3] += 2
    expected[2] += 2 * x0[2]
    np.testing.assert_allclose(x.grad, expected)
    np.testing.assert_allclose(b.grad, x0.sum(0, keepdims=True))


def test_a_slice_of_an_intermediate_flows_on_as_one_buffer():
    """An LSTM's pattern: T slices of one product, each used once; the product's rule sees
    one cotangent (the buffer), and the leaves get the right gradient."""
    rng = np.random.default_rng(1)
    X, W0 = rng.standard_normal((4, 5, 3)), rng.standard_normal((3, 6))
    W = Tensor(W0, requires_grad=True)
    xw = X @ W  # (4, 5, 6)
    h = Tensor(np.zeros((4, 6)))
    for t in range(5):
        h = ag.tanh(xw[:, t] + h * 0.5)
    h.sum().backward()

    def f(W):
        h = np.zeros((4, 6))
        for t in range(5):
            h = np.tanh((X @ W)[:, t] + h * 0.5)
        return h.sum()

    eps, fd = 1e-6, np.zeros_like(W0)
    for j in np.ndindex(W0.shape):
        hi, lo = W0.copy(), W0.copy()
        hi[j] += eps
        lo[j] -= eps
        fd[j] = (f(hi) - f(lo)) / (2 * eps)
    np.testing.assert_allclose(W.grad, fd, rtol=1e-6, atol=1e-8)


@given(data=st.data())
def test_random_indices_agree_with_the_dense_rule_and_numpy(data):
    x0 = data.draw(arrays((3, 4)))
    uses = [data.draw(indices((3, 4))) for _ in range(data.draw(st.integers(1, 3)))]
    w = [data.draw(arrays(x0[i].shape)) for i in uses]
    grads = []
    for create_graph in (False, True):
        x = Tensor(x0, requires_grad=True)
        sum(((x[i] * wk).sum() for i, wk in zip(uses, w)), Tensor(0.0)).backward(
            create_graph=create_graph)
        grads.append(x.grad.data if create_graph else x.grad)
    expected = _reference(x0, uses, w)
    np.testing.assert_allclose(grads[0], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads[1], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_buffer_keeps_the_input_dtype_and_is_the_leaf_gradient(dtype):
    x = Tensor(np.ones((2, 3), dtype), requires_grad=True)
    (x[0] * 2.0).sum().backward()
    assert x.grad.dtype == dtype
    np.testing.assert_array_equal(x.grad, [[2, 2, 2], [0, 0, 0]])
    x.grad[0, 0] = 7  # the buffer handed over as .grad belongs to x alone
    (x[0] * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [[9, 4, 4], [0, 0, 0]])


def test_retained_graph_and_pullback_give_the_same_cotangent_twice():
    x = Tensor(np.arange(5.0), requires_grad=True)
    y = x * 1.0
    loss = (y[1:] * 3).sum() + y[[0, 0]].sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [4, 6, 6, 6, 6])
    z = x * 2.0
    out = z[::2].sum()
    for _ in range(2):
        (gz,) = ag.engine.pullback(out, [z], np.array(1.0))
        np.testing.assert_array_equal(gz, [1, 0, 1, 0, 1])


def test_anomaly_mode_still_names_the_rule_that_made_inf_through_a_slice():
    x = Tensor(np.array([1.0, 0.0, 2.0]), requires_grad=True)
    with ag.detect_anomaly(), np.errstate(divide="ignore"), pytest.raises(
            ag.AnomalyError, match="the backward rule of sqrt produced inf"):
        ag.sqrt(x[0:2]).sum().backward()


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.adds is not None))
def test_add_rules_agree_with_the_vjp_rules(name):
    """add(buffer, g, ...) == buffer + vjp(g, ...) for every op that declares add= rules."""
    op = OPS[name]
    for seed in range(20):
        args, params = sample_op_inputs(name, seed)
        rng = np.random.default_rng(seed)
        out = op.forward(*args, **params)
        g = rng.standard_normal(np.shape(out))
        for i, add in enumerate(op.adds):
            if add is None:
                continue
            start = rng.standard_normal(np.shape(args[i]))
            buffer = start.copy()
            add(buffer, g, out, *args, **params)
            dense = op.vjps[i](g, out, *args, **params)
            np.testing.assert_allclose(buffer, start + np.asarray(dense), rtol=1e-12, atol=1e-12,
                                       err_msg=f"{name} input {i}, seed {seed}")


def test_add_rules_are_refused_on_variadic_ops():
    with pytest.raises(ValueError, match="not for variadic ops"):
        primitive("variadic_with_add", np.add, vjp=None, jvp=None, variadic=True,
                     add=(None,))
