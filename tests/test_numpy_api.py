"""NumPy's functions on Tensors and Duals run the op table: values, gradients, errors."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Dual, Tensor, gradcheck
from autograd_core.numpy_api import lookup
from autograd_core.op_inputs import OP_INPUTS, RngSource

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))
P = np.abs(rng.standard_normal((3, 4))) + 0.5  # positive: log, sqrt, power's base
M = rng.standard_normal((4, 2))
ROW = rng.standard_normal(4)

# id, the NumPy call, the same computation written with autograd_core, the inputs
CASES = [
    ("exp", lambda x: np.exp(x), lambda x: ag.exp(x), [A]),
    ("log", lambda x: np.log(x), lambda x: ag.log(x), [P]),
    ("log1p", lambda x: np.log1p(x), lambda x: ag.log1p(x), [P]),
    ("sqrt", lambda x: np.sqrt(x), lambda x: ag.sqrt(x), [P]),
    ("sin", lambda x: np.sin(x), lambda x: ag.sin(x), [A]),
    ("cos", lambda x: np.cos(x), lambda x: ag.cos(x), [A]),
    ("tanh", lambda x: np.tanh(x), lambda x: ag.tanh(x), [A]),
    ("absolute", lambda x: np.absolute(x), lambda x: ag.abs(x), [P]),
    ("abs", lambda x: np.abs(-x), lambda x: ag.abs(-x), [P]),
    ("negative", lambda x: np.negative(x), lambda x: ag.negative(x), [A]),
    ("add", lambda x, y: np.add(x, y), lambda x, y: ag.add(x, y), [A, B]),
    ("add-broadcast", lambda x, y: np.add(x, y), lambda x, y: ag.add(x, y), [A, ROW]),
    ("add-number", lambda x: np.add(x, 2.0), lambda x: ag.add(x, 2.0), [A]),
    ("subtract", lambda x, y: np.subtract(x, y), lambda x, y: ag.subtract(x, y), [A, B]),
    ("multiply", lambda x, y: np.multiply(x, y), lambda x, y: ag.multiply(x, y), [A, B]),
    ("divide", lambda x, y: np.divide(x, y), lambda x, y: ag.divide(x, y), [A, P]),
    ("true_divide", lambda x, y: np.true_divide(x, y), lambda x, y: ag.divide(x, y), [A, P]),
    ("power", lambda x, y: np.power(x, y), lambda x, y: ag.power(x, y), [P, B]),
    ("maximum", lambda x, y: np.maximum(x, y), lambda x, y: ag.maximum(x, y), [A, B]),
    ("minimum", lambda x, y: np.minimum(x, y), lambda x, y: ag.minimum(x, y), [A, B]),
    ("matmul", lambda x, y: np.matmul(x, y), lambda x, y: ag.matmul(x, y), [A, M]),
    ("sum", lambda x: np.sum(x), lambda x: ag.sum(x), [A]),
    ("sum-axis", lambda x: np.sum(x, axis=-1), lambda x: ag.sum(x, axis=-1), [A]),
    ("sum-positional", lambda x: np.sum(x, 0, None, None, True),
     lambda x: ag.sum(x, axis=0, keepdims=True), [A]),
    ("mean", lambda x: np.mean(x, axis=(0, 1)), lambda x: ag.mean(x, axis=(0, 1)), [A]),
    ("mean-keepdims", lambda x: np.mean(x, 1, keepdims=True),
     lambda x: ag.mean(x, axis=1, keepdims=True), [A]),
    ("max", lambda x: np.max(x, axis=0), lambda x: ag.max(x, axis=0), [A]),
    ("amax", lambda x: np.amax(x, axis=1), lambda x: ag.max(x, axis=1), [A]),
    ("min", lambda x: np.min(x, axis=-2), lambda x: ag.min(x, axis=-2), [A]),
    ("amin", lambda x: np.amin(x), lambda x: ag.min(x), [A]),
    ("var", lambda x: np.var(x, 0, None, None, 1), lambda x: ag.var(x, axis=0, ddof=1), [A]),
    ("std", lambda x: np.std(x, axis=1), lambda x: ag.std(x, axis=1), [A]),
    ("reshape", lambda x: np.reshape(x, (2, 6)), lambda x: ag.reshape(x, 2, 6), [A]),
    ("reshape-keyword", lambda x: np.reshape(x, shape=-1), lambda x: ag.reshape(x, -1), [A]),
    ("transpose", lambda x: np.transpose(x), lambda x: ag.transpose(x), [A]),
    ("transpose-axes", lambda x: np.transpose(x[None], axes=(2, 0, 1)),
     lambda x: ag.transpose(x[None], (2, 0, 1)), [A]),
    ("swapaxes", lambda x: np.swapaxes(x, 0, -1), lambda x: ag.swapaxes(x, 0, -1), [A]),
    ("expand_dims", lambda x: np.expand_dims(x, -1), lambda x: ag.expand_dims(x, -1), [A]),
    ("squeeze", lambda x: np.squeeze(x[None], 0), lambda x: ag.squeeze(x[None], 0), [A]),
    ("broadcast_to", lambda x: np.broadcast_to(x, (3, 4)),
     lambda x: ag.broadcast_to(x, (3, 4)), [ROW]),
    ("concatenate", lambda x, y: np.concatenate([x, y, A], axis=1),
     lambda x, y: ag.concatenate([x, y, A], axis=1), [A, B]),
    ("stack", lambda x, y: np.stack((x, y), axis=-1), lambda x, y: ag.stack((x, y), axis=-1),
     [A, B]),
    ("split", lambda x: np.split(x, 2, axis=1)[1], lambda x: ag.split(x, 2, axis=1)[1], [A]),
    ("where", lambda x, y: np.where(A > 0, x, y), lambda x, y: ag.where(A > 0, x, y), [A, B]),
    ("clip", lambda x: np.clip(x, -0.5, 0.5), lambda x: ag.clip(x, a_min=-0.5, a_max=0.5), [A]),
    ("clip-one-sided", lambda x: np.clip(x, None, 0.5), lambda x: ag.clip(x, a_max=0.5), [A]),
    ("clip-min-max", lambda x: np.clip(x, min=-0.5, max=0.5),
     lambda x: ag.clip(x, a_min=-0.5, a_max=0.5), [A]),
    ("add.reduce", lambda x: np.add.reduce(x), lambda x: ag.sum(x, axis=0), [A]),
    ("maximum.reduce", lambda x: np.maximum.reduce(x, axis=1, keepdims=True),
     lambda x: ag.max(x, axis=1, keepdims=True), [A]),
    # ndarray <op> Tensor reaches NumPy first, which routes it back to the reflected operator
    ("ndarray+", lambda x: B + x, lambda x: ag.add(B, x), [A]),
    ("ndarray-", lambda x: B - x, lambda x: ag.subtract(B, x), [A]),
    ("ndarray*", lambda x: B * x, lambda x: ag.multiply(B, x), [A]),
    ("ndarray/", lambda x: B / x, lambda x: ag.divide(B, x), [P]),
    ("ndarray**", lambda x: P ** x, lambda x: ag.power(P, x), [A]),
    ("ndarray@", lambda x: M.T @ x, lambda x: ag.matmul(M.T, x), [M]),
    ("float64*", lambda x: np.float64(3.0) * x, lambda x: ag.multiply(3.0, x), [A]),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("name", "np_f", "ag_f", "inputs"), CASES, ids=IDS)
def test_numpy_function_on_tensors_records_the_op_with_its_gradients(name, np_f, ag_f, inputs):
    ours = [Tensor(x, requires_grad=True) for x in inputs]
    theirs = [Tensor(x, requires_grad=True) for x in inputs]
    got, want = np_f(*ours), ag_f(*theirs)
    assert isinstance(got, Tensor) and got.requires_grad
    assert got.op == want.op and got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got.data, want.data, rtol=1e-12)
    w = np.random.default_rng(1).standard_normal(got.shape)
    got.backward(w)
    want.backward(w)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("name", "np_f", "ag_f", "inputs"), CASES, ids=IDS)
def test_numpy_function_gradients_pass_gradcheck(name, np_f, ag_f, inputs):
    # reverse mode on Tensors, forward mode on Duals, finite differences: all through NumPy
    assert gradcheck(np_f, *inputs)


@pytest.mark.parametrize(("name", "np_f", "ag_f", "inputs"), CASES, ids=IDS)
def test_numpy_function_on_duals_carries_the_tangent(name, np_f, ag_f, inputs):
    tangents = [np.random.default_rng(2).standard_normal(np.shape(x)) for x in inputs]
    got = np_f(*[Dual(x, t) for x, t in zip(inputs, tangents)])
    want = ag_f(*[Dual(x, t) for x, t in zip(inputs, tangents)])
    assert isinstance(got, Dual)
    np.testing.assert_allclose(ag.ops._raw(got.primal), ag.ops._raw(want.primal), rtol=1e-12)
    np.testing.assert_allclose(ag.ops._raw(got.tangent), ag.ops._raw(want.tangent),
                               rtol=1e-12, atol=1e-15)


def _routed_ufuncs() -> list[str]:
    """Every NumPy ufunc whose name (or alias) is a primitive with no parameters: ops added to
    the table later are covered here as soon as they are exported."""
    names = []
    for name in sorted(dir(np)):
        u = getattr(np, name)
        if isinstance(u, np.ufunc) and u.__name__ == name and u.nout == 1:
            fn = lookup(name)
            if isinstance(fn, ag.ops.Op) and fn.name in OP_INPUTS:
                names.append(name)
    return names


ROUTED = _routed_ufuncs()


def test_the_ufunc_sweep_finds_the_table():
    assert {"exp", "absolute", "add", "matmul", "maximum", "tanh"} <= set(ROUTED)


@pytest.mark.parametrize("name", ROUTED)
def test_every_routed_ufunc_matches_its_primitive(name):
    op = lookup(name)
    for case in range(3):
        args, params = OP_INPUTS[op.name](RngSource(case))
        if params or len(args) != getattr(np, name).nin:
            continue  # an op with parameters is reached through its function, not the ufunc
        ts = [Tensor(a, requires_grad=True) for a in args]
        out = getattr(np, name)(*ts)
        assert out.op == op.name
        np.testing.assert_allclose(out.data, op(*args), rtol=1e-12)
        assert gradcheck(lambda *xs: getattr(np, name)(*xs), *args)


# ---- what stays as it was ----


def test_asarray_gives_the_data_and_operators_keep_their_types():
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    a = np.array([3.0, 4.0])
    assert type(a + t) is Tensor and type(a * Dual(a, a)) is Dual
    assert type(np.float32(2) * Tensor(np.ones(2, np.float32))) is Tensor
    assert (a * Tensor(np.ones(2, np.float32))).dtype == np.float64  # as NumPy promotes


def test_comparisons_and_inspection_give_no_gradient():
    t = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    for out in (np.greater(t, 0), np.isfinite(t), np.equal(t, 0)):
        assert type(out) is Tensor and out.dtype == bool and not out.requires_grad
    assert np.greater(t, 0).tolist() == (t > 0).tolist() == [False, False, True]
    assert np.shape(t) == (3,) and np.ndim(t) == 1 and np.size(t) == 3
    assert np.allclose(t, [-1, 0, 2]) and not np.array_equal(t, [1, 2, 3])
    assert np.count_nonzero(t) == 2
    assert isinstance(np.greater(Dual(np.ones(2)), 0), np.ndarray)


def test_float32_stays_float32():
    t = Tensor(np.ones(3, np.float32), requires_grad=True)
    for out in (np.exp(t), np.sum(t, axis=0), np.add(t, 1.0), np.mean(t), np.clip(t, 0, 1)):
        assert out.dtype == np.float32


# ---- errors ----


def test_a_function_the_table_does_not_cover_is_named():
    t = Tensor(np.eye(2), requires_grad=True)
    with pytest.raises(TypeError, match=r"np\.linalg\.det is not supported on Tensor: "
                                        r"autograd_core has no op named 'det'"):
        np.linalg.det(t)
    with pytest.raises(TypeError, match=r"np\.expm1 is not supported on Dual"):
        np.expm1(Dual(np.ones(2)))
    with pytest.raises(TypeError, match=r"np\.copy is not supported on Tensor"):
        np.copy(t)
    with pytest.raises(TypeError, match=r"np\.add\.outer is not supported on Tensor"):
        np.add.outer(t, t)
    if lookup("cumsum") is None:
        with pytest.raises(TypeError, match=r"np\.add\.accumulate .* no op named 'cumsum'"):
            np.add.accumulate(t)


def test_out_is_refused_with_the_reason():
    t = Tensor(np.ones(3), requires_grad=True)
    buf = np.empty(3)
    reason = "out= is not supported on Tensor: a gradient cannot flow into a preallocated"
    with pytest.raises(TypeError, match=rf"np\.exp: {reason}"):
        np.exp(t, out=buf)
    with pytest.raises(TypeError, match=rf"np\.sum: {reason}"):
        np.sum(t, out=np.empty(()))
    with pytest.raises(TypeError, match=rf"np\.add: {reason}"):
        buf += t  # in-place on a NumPy array passes out=
    with pytest.raises(TypeError, match=r"np\.concatenate: out= is not supported on Dual"):
        np.concatenate([Dual(np.ones(2)), Dual(np.ones(2))], out=np.empty(4))
    assert np.sum(t, out=None).op == "sum"  # None is NumPy's default, not a request


def test_arguments_the_op_does_not_take_are_named():
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match=r"np\.sum: argument dtype=.*float32.* is not supported "
                                        r"on Tensor \(autograd_core\.sum takes axis, keepdims\)"):
        np.sum(t, dtype=np.float32)
    with pytest.raises(TypeError, match=r"np\.exp: argument where=.* is not supported"):
        np.exp(t, where=np.ones((2, 3), bool))
    assert np.mean(t, dtype=None).op == "mean"  # NumPy's default passes quietly
    assert np.reshape(t, (3, 2), order="C").shape == (3, 2)


def test_other_array_libraries_are_left_to_numpy():
    class Other:
        def __array_function__(self, func, types, args, kwargs):
            return "other"

    t = Tensor(np.ones(2))
    assert np.concatenate([t, Other()]) == "other"
