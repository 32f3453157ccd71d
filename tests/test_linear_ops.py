"""Linear primitives declare jvp=LINEAR once: their JVP is the op applied to the tangent."""

import numpy as np
import pytest

from autograd_core import OPS, Dual
from autograd_core.op_inputs import sample_op_inputs
from autograd_core.ops.core import LINEAR, primitive

LINEAR_OPS = ["reshape", "transpose", "broadcast_to", "getitem", "scatter_add", "sum", "mean",
              "negative", "astype"]


@pytest.mark.parametrize("name", LINEAR_OPS)
def test_linear_primitives_use_the_op_itself_as_their_jvp(name):
    op = OPS[name]
    assert op.jvps[0].__qualname__ == f"linear {name}: {name}(dx)"
    for seed in range(5):
        args, params = sample_op_inputs(name, seed)
        dx = np.random.default_rng(seed).standard_normal(np.shape(args[0]))
        out = Dual(args[0], dx)
        got = op(out, **params)
        np.testing.assert_allclose(got.tangent, op.forward(dx, **params))


def test_linear_is_a_declaration_not_a_rule():
    assert repr(LINEAR) == "LINEAR"
    with pytest.raises(ValueError, match="already in the op table"):
        primitive("sum", np.sum, vjp=(None,), jvp=LINEAR)
