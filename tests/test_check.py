"""The gradient checker: it passes correct functions, catches a wrong rule and names it, and
tells a kink from a bug."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import (
    OPS,
    GradcheckError,
    NotDifferentiableError,
    Tensor,
    check_op_table,
    check_rules,
    format_op_table,
    gradcheck,
)
from autograd_core.ops import primitive
from autograd_core.testing import OP_INPUTS

RNG = np.random.default_rng(0)


# ---- correct functions pass ----


def mlp_loss(w1, b1, w2, b2, x, labels):
    """A two-layer perceptron with softmax cross-entropy, as nn will build it."""
    hidden = ag.tanh(x @ w1 + b1)
    logits = ag.linear(hidden, w2, b2)
    return -ag.log_softmax(logits, axis=-1)[np.arange(len(labels)), labels].mean()


def test_gradcheck_passes_an_mlp_loss_built_from_tensors():
    x, labels = RNG.standard_normal((6, 3)), np.array([0, 2, 1, 1, 0, 2])
    params = [Tensor(RNG.standard_normal(s) * 0.5) for s in [(3, 5), (5,), (5, 3), (3,)]]
    assert gradcheck(mlp_loss, *params, x, labels) is True  # integer labels pass as constants


def test_gradcheck_passes_softmax_cross_entropy_and_non_scalar_outputs():
    def cross_entropy(logits, targets):
        return -(targets * ag.log(ag.softmax(logits, axis=-1))).sum(axis=-1).mean()

    targets = np.eye(4)[[0, 3, 1]]
    assert gradcheck(cross_entropy, RNG.standard_normal((3, 4)), targets)
    assert gradcheck(lambda x, y: ag.maximum(x, y) * ag.sigmoid(x - y),
                     RNG.standard_normal((2, 3)), RNG.standard_normal(3))
    assert gradcheck(lambda x: ag.std(x, axis=0) + ag.logsumexp(x), RNG.standard_normal((4, 2)))


def test_gradcheck_leaves_other_tensors_grad_alone():
    w = Tensor([1.0, 2.0], requires_grad=True)
    w.grad = np.array([7.0, 7.0])
    assert gradcheck(lambda x: (w * x).sum(), np.array([0.5, 0.1]))
    np.testing.assert_array_equal(w.grad, [7.0, 7.0])


def test_gradcheck_input_errors():
    with pytest.raises(ValueError, match="no floating-point input"):
        gradcheck(lambda i: Tensor(1.0), np.array([1, 2]))
    with pytest.raises(TypeError, match=r"failed on dual numbers.*input 0 \(shape \(2,\)\)"):
        gradcheck(lambda x: x * Tensor(np.sin(x.data)), np.ones(2))


# ---- a wrong rule is caught and named ----


@pytest.fixture
def broken_ops():
    """Two versions of sin with wrong rules, removed from the op table afterwards."""
    wrong_vjp = primitive(
        "sin_wrong_vjp", np.sin,
        vjp=(lambda g, out, x: 2 * g * ag.cos(x),),  # twice the derivative
        jvp=(lambda dx, out, x: ag.cos(x) * dx,),
    )
    wrong_both = primitive(
        "sin_wrong_both", np.sin,
        vjp=(lambda g, out, x: -g * ag.cos(x),),  # wrong sign, the same in both rules
        jvp=(lambda dx, out, x: -ag.cos(x) * dx,),
    )
    yield wrong_vjp, wrong_both
    del OPS["sin_wrong_vjp"], OPS["sin_wrong_both"]


def test_gradcheck_names_the_primitive_whose_rules_disagree(broken_ops):
    wrong_vjp, _ = broken_ops
    x = np.array([0.3, -0.7, 1.1])
    with pytest.raises(GradcheckError, match="reverse mode and forward mode disagree") as info:
        gradcheck(lambda x: ag.exp(wrong_vjp(x * 2)).sum() + x.sum(), x)
    err = info.value
    assert "first primitive at fault: node 1 sin_wrong_vjp" in str(err)
    assert "input shapes (3,)" in str(err) and err.input_index == 0
    assert err.culprit.op == "sin_wrong_vjp" and err.culprit.position == 1  # after multiply
    assert err.culprit.reverse == pytest.approx(2 * err.culprit.forward)
    assert err.forward == pytest.approx(err.finite_difference, rel=1e-6)
    assert not isinstance(err, NotDifferentiableError)


def test_gradcheck_catches_consistent_but_wrong_rules_by_finite_differences(broken_ops):
    _, wrong_both = broken_ops
    y = np.array([0.2, 0.4])
    with pytest.raises(GradcheckError, match="disagree with finite differences") as info:
        gradcheck(lambda x, y: (wrong_both(x) * y).sum(), np.array([0.3, 1.0]), y)
    assert info.value.culprit.op == "sin_wrong_both"
    assert info.value.reverse == pytest.approx(info.value.forward, rel=1e-12)
    assert info.value.reverse == pytest.approx(-info.value.finite_difference, rel=1e-6)


def test_check_rules_on_one_primitive(broken_ops):
    wrong_vjp, _ = broken_ops
    (bad,) = check_rules(wrong_vjp, np.array([0.1, 0.2]))
    assert bad.status == "reverse != forward" and bad.err_forward > 0.1
    rows = check_rules("matmul", RNG.standard_normal((2, 3)), RNG.standard_normal(3))
    assert [r.input_index for r in rows] == [0, 1]
    assert all(r.status == "ok" and r.err_forward < 1e-12 for r in rows)
    (row,) = check_rules("sum", RNG.standard_normal((2, 3)), axis=1, keepdims=True)
    assert row.out_shape == (2, 1) and row.status == "ok"
    with pytest.raises(KeyError, match="no primitive named 'nope'"):
        check_rules("nope", 1.0)


# ---- kinks are reported as such, not as wrong rules ----


@pytest.mark.parametrize("f, x, op", [
    (ag.relu, [0.0, 1.0], "relu"),
    (ag.abs, [1.0, 0.0], "abs"),
    (lambda x: x.max(), [1.0, 3.0, 3.0], "max"),
    (lambda x: ag.maximum(x, 2.0), [2.0, 1.0], "maximum"),
    (lambda x: ag.abs(x - 1e-7).sum(), [0.0, 2.0], "abs"),  # a kink within eps
])
def test_non_differentiable_points_are_recognised(f, x, op):
    with pytest.raises(NotDifferentiableError, match="not differentiable at this point") as info:
        gradcheck(f, np.array(x))
    assert info.value.culprit.op == op and info.value.culprit.status == "not differentiable"


def test_smooth_functions_with_large_curvature_are_not_kinks():
    assert gradcheck(lambda x: (1e3 * x * x).sum(), np.zeros(2))
    assert gradcheck(lambda x: ag.exp(10 * x * x).sum(), np.zeros(2))
    assert gradcheck(ag.relu, np.array([-1.0, 1.0]))  # away from its kink, relu is smooth


# ---- the whole op table ----


def test_check_op_table_passes_every_primitive_deterministically():
    rows = check_op_table(seed=0, cases=2)
    assert [r.op for r in rows] == sorted(OPS)
    assert {r.status for r in rows} == {"ok"}
    assert max(r.err_forward for r in rows) < 1e-10
    assert max(r.err_fd for r in rows) < 1e-5
    assert check_op_table(seed=0, cases=2) == rows
    table = format_op_table(rows)
    assert table.splitlines()[0].split() == ["op", "cases", "rev", "vs", "fwd", "rev", "vs",
                                             "FD", "status"]
    assert len(table.splitlines()) == len(OPS) + 1


def test_check_op_table_flags_a_wrong_rule_and_a_missing_recipe(broken_ops, monkeypatch):
    rows = {r.op: r for r in check_op_table(names=["sin", "sin_wrong_vjp", "sin_wrong_both"])}
    assert rows["sin"].status == "ok"
    assert rows["sin_wrong_vjp"].status == "no input recipe"
    monkeypatch.setitem(OP_INPUTS, "sin_wrong_vjp", OP_INPUTS["sin"])
    monkeypatch.setitem(OP_INPUTS, "sin_wrong_both", OP_INPUTS["sin"])
    rows = {r.op: r for r in check_op_table(names=["sin_wrong_vjp", "sin_wrong_both"])}
    assert rows["sin_wrong_vjp"].status == "reverse != forward"
    assert rows["sin_wrong_vjp"].err_forward > 0.1
    assert rows["sin_wrong_both"].status == "rules != finite differences"
    assert rows["sin_wrong_both"].err_forward < 1e-12 < 0.1 < rows["sin_wrong_both"].err_fd


# ---- a point that cannot be checked is reported, never passed ----

twice_square = ag.ops.Op(  # both rules twice too large: only finite differences can tell
    "twice_square", lambda x: x * x,
    vjp=(lambda g, out, x: 4 * g * x,),
    jvp=(lambda dx, out, x: 4 * dx * x,),
)
wrong_log = ag.ops.Op(  # d log(x) / dx written as 1/x**2 in both rules
    "wrong_log", np.log,
    vjp=(lambda g, out, x: g / (x * x),),
    jvp=(lambda dx, out, x: dx / (x * x),),
)


def test_a_wrong_rule_is_caught_where_the_point_is_fine():
    with pytest.raises(GradcheckError, match="disagree with finite differences"):
        gradcheck(lambda x: twice_square(x).sum(), np.array([0.5, 1.0]))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_point_holding_nan_or_inf_is_not_a_pass(bad):
    with pytest.raises(GradcheckError, match=r"cannot check input 0 .*nan or inf"):
        gradcheck(lambda x: twice_square(x).sum(), np.array([bad, 1.0]))


def test_a_point_outside_the_domain_is_not_a_pass():
    with np.errstate(all="ignore"), pytest.raises(
            GradcheckError, match=r"cannot check input 0 .*finite differences are not finite"):
        gradcheck(lambda x: wrong_log(x).sum(), np.array([-1.0, 3.0]))


def test_a_correct_function_outside_its_domain_is_not_a_pass_either():
    with np.errstate(all="ignore"), pytest.raises(GradcheckError, match="cannot check"):
        gradcheck(lambda x: ag.log(x).sum(), np.array([-1.0, 3.0]))
