"""A cotangent or tangent whose shape broadcasting cannot explain is refused, never reshaped."""

import numpy as np
import pytest

from autograd_core import Dual, Tensor
from autograd_core.engine import unbroadcast
from autograd_core.ops import Op

# transpose with its reverse rule forgetting to transpose: the same size, the wrong shape
bad_transpose = Op(
    "bad_transpose", lambda x: np.transpose(x),
    vjp=(lambda g, out, x: g.reshape(x.shape[::-1]),),  # (2, 3) cotangent for a (2, 3) input
    jvp=(lambda dx, out, x: dx,),  # the tangent keeps the input's shape (2, 3), not (3, 2)
)


def test_backward_refuses_a_cotangent_of_the_wrong_shape():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(ValueError) as info:
        bad_transpose(x).sum().backward()
    message = str(info.value)
    assert "bad_transpose for input 0" in message
    assert "(3, 2)" in message and "(2, 3)" in message
    assert x.grad is None


def test_forward_mode_refuses_a_tangent_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"forward rule of bad_transpose for input 0 gave a "
                                         r"tangent of shape \(2, 3\).*\(3, 2\)"):
        bad_transpose(Dual(np.ones((2, 3)), np.ones((2, 3))))


@pytest.mark.parametrize("c_shape, shape", [((3, 2), (2, 3)), ((6,), (2, 3)), ((2, 3), (6,)),
                                            ((2,), (2, 1)), ((4, 3), (2, 3)), ((3,), (2, 3))])
def test_unbroadcast_refuses_shapes_broadcasting_cannot_make(c_shape, shape):
    with pytest.raises(ValueError, match="broadcasting cannot have made"):
        unbroadcast(np.ones(c_shape), shape, "op", 1)


@pytest.mark.parametrize("c_shape, shape", [((2, 3), (3,)), ((2, 3), (1, 3)), ((4, 2, 3), (2, 1)),
                                            ((2, 3), ()), ((1, 3), (1, 3)), ((5, 1), (1,))])
def test_unbroadcast_sums_what_broadcasting_made(c_shape, shape):
    c = np.arange(np.prod(c_shape), dtype=float).reshape(c_shape)
    got = unbroadcast(c, shape)
    assert got.shape == shape
    assert np.isclose(got.sum(), c.sum())
