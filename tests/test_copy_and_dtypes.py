"""Smaller promises: clip with one bound, scalars never upcast float32, empty batches, copying."""

import copy
import pickle

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Dual, Tensor, gradcheck

# ---- clip with one bound ----


@pytest.mark.parametrize("a_min, a_max", [(None, 0.7), (-1, None), (-1, 0.7)])
def test_clip_accepts_one_bound_as_numpy_does(a_min, a_max):
    x0 = np.linspace(-2, 2, 7)
    x = Tensor(x0, requires_grad=True)
    y = ag.clip(x, a_min, a_max)
    np.testing.assert_array_equal(y.data, np.clip(x0, a_min, a_max))
    y.sum().backward()
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    np.testing.assert_array_equal(x.grad, ((x0 >= lo) & (x0 <= hi)).astype(float))
    np.testing.assert_array_equal(x.clip(a_min, a_max).data, y.data)
    assert gradcheck(lambda x: ag.clip(x, a_min, a_max), np.array([-1.5, 0.3, 1.2]))


def test_clip_without_bounds_is_refused():
    with pytest.raises(ValueError, match="clip: give a_min, a_max or both"):
        ag.clip(Tensor([1.0]), None, None)


# ---- NumPy scalars and 0-d arrays beside float32 take its dtype ----

SCALARS = [2, 2.0, np.float64(2), np.array(2.0), np.int64(2), np.float32(2), np.array(2)]


@pytest.mark.parametrize("scalar", SCALARS, ids=lambda s: f"{type(s).__name__}")
@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "divide", "power", "maximum"])
def test_a_scalar_beside_float32_keeps_float32(scalar, op):
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    f = getattr(ag, op)
    for y in (f(x, scalar), f(scalar, x)):
        assert y.dtype == np.float32, (op, type(scalar))
    f(x, scalar).sum().backward()
    assert x.grad.dtype == np.float32
    d = f(Dual(np.ones(2, np.float32), np.ones(2, np.float32)), scalar)
    assert d.primal.dtype == np.float32 and d.tangent.dtype == np.float32


def test_operators_and_clip_bounds_keep_float32_too():
    x = Tensor(np.ones(3, dtype=np.float32))
    assert (x * np.float64(2)).dtype == np.float32 and (np.float64(2) * x).dtype == np.float32
    assert (x + np.array(1.0)).dtype == np.float32 and (x ** np.int64(2)).dtype == np.float32
    assert ag.clip(x, np.float64(0), np.array(0.5)).dtype == np.float32


def test_arrays_still_promote_as_numpy_says():
    x = Tensor(np.ones(3, dtype=np.float32))
    assert (x * np.ones(3)).dtype == np.float64  # a float64 array is data, not a scalar


# ---- empty batches ----


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
@pytest.mark.parametrize("axis", [-1, 0, 1, -2])
def test_an_empty_batch_gives_an_empty_result(name, axis):
    x0 = np.ones((0, 3))
    x = Tensor(x0, requires_grad=True)
    with np.errstate(all="raise"):
        y = getattr(ag, name)(x, axis=axis)
        y.sum().backward()
    expected_shape = np.sum(x0, axis=axis).shape if name == "logsumexp" else x0.shape
    assert y.shape == expected_shape and x.grad.shape == x0.shape
    if name == "logsumexp":
        assert np.all(y.data == -np.inf)  # log of an empty sum, as scipy.special.logsumexp


# ---- copying and pickling ----


def test_leaves_deepcopy_and_pickle_with_their_grad():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    w.grad = np.array([0.5, 0.5])
    for c in (copy.deepcopy(w), pickle.loads(pickle.dumps(w)), copy.copy(w)):
        assert c is not w and c.requires_grad and c.name == "w" and c.is_leaf
        np.testing.assert_array_equal(c.data, w.data)
        np.testing.assert_array_equal(c.grad, w.grad)
    assert copy.deepcopy(w).data is not w.data


def test_containers_of_leaves_deepcopy():
    params = {"w": Tensor([1.0], requires_grad=True)}
    params["same"] = params["w"]
    c = copy.deepcopy(params)
    assert c["w"] is c["same"] and c["w"] is not params["w"]


@pytest.mark.parametrize("how", [copy.deepcopy, copy.copy, pickle.dumps])
def test_a_large_graph_is_refused_clearly_without_recursion(how):
    y = x = Tensor([1.0], requires_grad=True)
    for _ in range(20_000):
        y = y * 1.0
    with pytest.raises(RuntimeError, match=r"only leaf tensors .* made by multiply; use "
                                           r"t.detach\(\)"):
        how(y)
    c = how(y.detach())
    assert c is not None
    y.backward()
    assert x.grad[0] == 1.0
