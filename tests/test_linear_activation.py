"""``linear(x, w, b, activation=...)``: the dense layer and its activation as one node whose
rules read the output, never the pre-activation. The op-table tests (test_ops, test_dual)
check its rules three ways and to second order over random shapes; here, that the fused node
computes exactly what the two-node form computes, keeps no pre-activation, and refuses what
its rules cannot do."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core.engine import topological_order

ACTS = ["relu", "leaky_relu", "elu", "sigmoid", "tanh"]


def _two_nodes(activation, alpha):
    """The unfused form: linear, then the activation's own primitive."""
    if activation in ("elu", "leaky_relu"):
        return lambda z: getattr(ag, activation)(z, alpha=alpha)
    return getattr(ag, activation)


@st.composite
def _inputs(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    lead = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    n, m = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in (lead + (n,), (n, m), (m,)))
    if draw(st.booleans()):  # a zero row meets zero biases: z exactly 0, relu's boundary
        x.reshape(-1, n)[0] = 0
        b[rng.random(m) < 0.5] = 0
    return x, w, b


@pytest.mark.parametrize("activation", ACTS)
@given(data=_inputs(), alpha=st.sampled_from([0.0, 0.2, 1.0]))
def test_fused_equals_two_nodes_bit_for_bit(activation, data, alpha):
    alpha = alpha if activation in ("elu", "leaky_relu") else None
    fused = [ag.Tensor(a, requires_grad=True) for a in data]
    plain = [ag.Tensor(a, requires_grad=True) for a in data]
    out = ag.linear(*fused, activation=activation, alpha=alpha)
    ref = _two_nodes(activation, alpha)(ag.linear(*plain))
    assert out.dtype == ref.dtype == data[0].dtype
    np.testing.assert_array_equal(out.data, ref.data)
    g = np.random.default_rng(0).standard_normal(out.shape).astype(out.dtype)
    out.backward(g)
    ref.backward(g)
    for a, b in zip(fused, plain):
        assert a.grad.dtype == b.grad.dtype
        np.testing.assert_array_equal(a.grad, b.grad)


@pytest.mark.parametrize("activation", ACTS)
def test_three_ways_and_second_derivative_against_two_nodes(activation):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    alpha = 0.3 if activation in ("elu", "leaky_relu") else None

    def fused(x, w, b):
        return ag.linear(x, w, b, activation=activation, alpha=alpha)

    def plain(x, w, b):
        return _two_nodes(activation, alpha)(ag.linear(x, w, b))

    assert ag.gradcheck(fused, x, w, b)  # reverse mode, dual numbers, finite differences
    v = rng.standard_normal((4, 2))
    for i in range(3):  # d/d(input i) of a gradient: the rules recorded with create_graph
        def second(f, i=i):
            return ag.grad(lambda *a: (ag.grad(lambda *c: (f(*c) * v).sum(), argnums=0)(*a)
                                       ** 2).sum(), argnums=i)(x, w, b)
        np.testing.assert_allclose(second(fused), second(plain), rtol=1e-10, atol=1e-12)


def test_one_node_that_keeps_no_pre_activation():
    x = ag.Tensor(np.ones((2, 3)), name="x")
    w = ag.Tensor(np.ones((3, 4)), requires_grad=True, name="w")
    b = ag.Tensor(np.zeros(4), requires_grad=True, name="b")
    out = ag.linear(x, w, b, activation="relu")
    assert out.op == "linear" and out.params == {"activation": "relu"}
    assert [p.name for p in out.parents] == ["x", "w", "b"]  # x, w, b and the output: no z
    assert [t.op for t in topological_order(out) if t.op] == ["linear"]
    assert ag.linear(x, w, b, activation="elu").params == {"activation": "elu", "alpha": 1.0}
    assert ag.linear(x, w, b).params == {}  # without an activation: the node as before


def test_without_bias_two_nodes():
    x, w = ag.Tensor(np.ones((2, 3))), ag.Tensor(-np.ones((3, 4)), requires_grad=True)
    out = ag.linear(x, w, activation="leaky_relu", alpha=0.2)
    assert [t.op for t in topological_order(out) if t.op] == ["leaky_relu", "matmul"]
    np.testing.assert_allclose(out.data, np.full((2, 4), -0.6))


def test_refused_with_the_reason():
    x, w, b = np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)
    with pytest.raises(ValueError, match="activation must be None or one of"):
        ag.linear(x, w, b, activation="softmax")
    with pytest.raises(ValueError, match="alpha is for elu and leaky_relu, not 'relu'"):
        ag.linear(x, w, b, activation="relu", alpha=0.1)
    with pytest.raises(ValueError, match="needs alpha >= 0"):
        ag.linear(x, w, b, activation="elu", alpha=-1.0)
    with pytest.raises(ValueError, match=r"linear: x of shape \(2, 3\) and weight of shape"):
        ag.linear(x, np.ones((4, 4)), b, activation="relu")


def test_plain_arrays_give_arrays():
    out = ag.linear(np.array([[1.0, -2.0]]), np.eye(2), np.zeros(2), activation="relu")
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, [[1.0, 0.0]])


@pytest.mark.parametrize("create_graph", [False, True])
def test_the_activation_slope_is_taken_once_per_node(monkeypatch, create_graph):
    """linear's rules share ``pre`` (g times the slope): the engine runs it once per node,
    whatever the number of inputs that need a gradient, and the gradients stay exact."""
    op = ag.OPS["linear"]
    calls = []
    real = op.pre

    def counted(*args, **params):
        calls.append(params.get("activation"))
        return real(*args, **params)

    monkeypatch.setattr(op, "pre", counted)
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = ag.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = ag.tensor(rng.standard_normal(2), requires_grad=True)
    ag.linear(x, w, b, activation="tanh").sum().backward(create_graph=create_graph)
    assert calls == ["tanh"]
    z = x.data @ w.data + b.data
    slope = 1 - np.tanh(z) ** 2
    grads = [x.grad, w.grad, b.grad]
    if create_graph:
        grads = [g.data for g in grads]
    np.testing.assert_allclose(grads[0], slope @ w.data.T, rtol=1e-12)
    np.testing.assert_allclose(grads[1], x.data.T @ slope, rtol=1e-12)
    np.testing.assert_allclose(grads[2], slope.sum(0), rtol=1e-12)


def test_vjp_rule_includes_pre():
    """``Op.vjp_rule(i)`` is the whole rule (gradcheck and the op-table tests call it)."""
    op = ag.OPS["linear"]
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((3, 2)), rng.standard_normal((2, 4)), rng.standard_normal(4)
    out = op.forward(x, w, b, activation="relu")
    g = rng.standard_normal(out.shape)
    expected = (g * (out > 0)).sum(0)
    np.testing.assert_array_equal(op.vjp_rule(2)(g, out, x, w, b, activation="relu"), expected)


def test_pre_is_refused_where_it_cannot_apply():
    from autograd_core.ops.core import primitive

    with pytest.raises(ValueError, match="pre= is for fixed-arity ops"):
        primitive("_pre_variadic_probe", lambda *xs: xs[0], vjp=lambda *a, **k: a[0],
                  jvp=lambda *a, **k: a[0], variadic=True, pre=lambda g, *a, **k: g)
    assert "_pre_variadic_probe" not in ag.OPS


@pytest.mark.parametrize("activation", ACTS)
def test_slope_written_into_an_owned_cotangent_gives_the_same_floats(monkeypatch, activation):
    """When backward owns the cotangent arriving at a fused node (here: made by the next
    layer's rule), ``pre`` multiplies the slope into it in place; the gradients are the
    two-node form's, bit for bit."""
    op = ag.OPS["linear"]
    real, seen = op.pre, []

    def watched(*args, **params):
        seen.append(params.get("into") is not None)
        return real(*args, **params)

    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s).astype(np.float32)
              for s in [(5, 4), (4, 3), (3,), (3, 2), (2,)]]
    alpha = {"elu": 1.0, "leaky_relu": 0.2}.get(activation)

    def grads(fused):
        x, w1, b1, w2, b2 = [ag.tensor(a, requires_grad=True) for a in arrays]
        if fused:
            h = ag.linear(x, w1, b1, activation=activation, alpha=alpha)
        else:
            h = _two_nodes(activation, alpha)(ag.linear(x, w1, b1))
        (ag.linear(h, w2, b2) ** 2).sum().backward()
        return [t.grad for t in (x, w1, b1, w2, b2)]

    expected = grads(fused=False)
    monkeypatch.setattr(op, "pre", watched)
    got = grads(fused=True)
    assert True in seen  # the first layer's cotangent was the engine's own buffer
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
