"""Every Tensor method that means something for a dual number works on Dual."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Dual, GradcheckError, Tensor, gradcheck

# Tensor names a Dual leaves out on purpose, each with the reason. A new Tensor method that is
# neither here nor on Dual fails test_dual_has_every_tensor_method: decide which it is.
NOT_FOR_DUALS = {
    # reverse mode: a Dual carries its derivative forward, it records no graph
    "backward", "grad", "zero_grad", "retain_grad", "requires_grad", "requires_grad_",
    "is_leaf", "op", "parents", "params",
    # the raw array: leaving the op table drops the tangent, so Dual spells it .primal/.numpy()
    "data",
    # sanctioned in-place updates of a leaf, which make older graphs stale; a Dual has no
    # graph, and d += x rebinds d to d + x as for any value without __iadd__
    "assign_", "writable_data", "__iadd__", "__isub__", "__imul__", "__itruediv__",
    # a Tensor's label in rendered graphs; Duals are not drawn
    "name",
    # NumPy's conversion protocol belongs to the NumPy-interop work (ops/methods.py)
    "__array__",
    # copying protocol of graph nodes; a Dual is a plain value and copies as one
    "__copy__", "__deepcopy__", "__reduce_ex__",
    # a Tensor hashes by identity to be a graph node; a Dual's == compares values, so it is
    # unhashable, like a NumPy array
    "__hash__",
}


def public_surface(cls):
    """Names a user can call or read: public ones and the Python protocol methods."""
    return {n for n in dir(cls) if not n.startswith("_") or (
        n.startswith("__") and n.endswith("__") and callable(getattr(cls, n, None)))}


def test_dual_has_every_tensor_method():
    missing = public_surface(Tensor) - public_surface(Dual) - NOT_FOR_DUALS
    assert not missing, f"Tensor methods with no Dual counterpart: {sorted(missing)}"


def test_every_exclusion_is_still_a_tensor_name():
    assert NOT_FOR_DUALS <= public_surface(Tensor) | {"__array__"}


def test_detach_drops_the_tangent():
    d = Dual(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    c = d.detach()
    np.testing.assert_array_equal(c.primal, d.primal)
    np.testing.assert_array_equal(c.tangent, [0.0, 0.0])
    out = (d.detach() * d).sum()
    assert out.tangent == pytest.approx(3.0)  # d/dt sum(c * (x + t)) = sum(c)


def test_gradcheck_reports_a_function_that_detaches():
    # the derivative of (stop_gradient(x) * x).sum() is x in both modes: gradcheck sees it
    # disagree with finite differences (2x) instead of failing with an AttributeError
    with pytest.raises(GradcheckError, match="disagree with finite differences"):
        gradcheck(lambda x: (x.detach() * x).sum(), np.array([0.5, 1.5]))


def test_conversions_use_the_primal():
    d = Dual(np.array([[1.5, 2.0]]), np.array([[1.0, 0.0]]))
    assert d.tolist() == [[1.5, 2.0]]
    np.testing.assert_array_equal(d.numpy(), [[1.5, 2.0]])
    s = Dual(2.5, 1.0)
    assert s.item() == 2.5 and float(s) == 2.5 and int(s) == 2
    with pytest.raises(ValueError, match="item: Dual of shape"):
        d.item()


def test_reductions_and_shape_methods_carry_the_tangent():
    x0, t0 = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    d = Dual(x0, t0)
    assert d.sum(axis=-1).tangent.tolist() == [3.0, 3.0]
    assert d.mean().tangent == pytest.approx(1.0)
    assert d.T.shape == (3, 2) and d.transpose(-1, 0).shape == (3, 2)
    assert d.reshape(3, 2).shape == (3, 2) and d.flatten().shape == (6,)
    assert d.swapaxes(0, -1).shape == (3, 2) and d.expand_dims(-1).shape == (2, 3, 1)
    assert d.max(axis=0).tangent.tolist() == [1.0, 1.0, 1.0]


def test_truth_value_and_bad_input_are_clear_errors():
    with pytest.raises(TypeError, match="truth value of a Dual is ambiguous"):
        bool(Dual(1.0, 1.0))
    with pytest.raises(TypeError, match="Dual: the primal must be numeric"):
        Dual("a", 1)
    with pytest.raises(TypeError, match="Dual: the tangent must be numeric"):
        Dual(1.0, "b")
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d Dual"):
        len(Dual(1.0))
    with pytest.raises(TypeError, match="item assignment"):
        Dual(np.ones(2))[0] = 1.0


def test_forward_over_reverse_detach():
    x = Tensor([1.0, 2.0], requires_grad=True)
    d = Dual(x, np.ones(2)).detach()
    assert isinstance(d.primal, Tensor) and not d.primal.requires_grad
    assert float(np.asarray(ag.sum(d).tangent)) == 0.0
