"""The categorical losses from logits on the fused ``softmax_cross_entropy`` node: the same
values as the five-op form they replaced, bit for bit, and gradients checked three ways."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core.engine import topological_order
from nn import losses


def _old_loss(onehot, z, sample_weight=None, class_w=None):
    """The composition the losses used before: log_softmax, multiply, sum, negative, then the
    weighted sum over the batch divided by its size."""
    per_sample = -(ag.log_softmax(z, axis=-1) * onehot).sum(axis=-1)
    w = class_w
    if sample_weight is not None:
        sw = sample_weight.reshape(sample_weight.shape + (1,) * (per_sample.ndim
                                                                 - sample_weight.ndim))
        w = sw if w is None else w * sw
    if w is not None:
        per_sample = per_sample * np.asarray(w, dtype=per_sample.dtype)
    return per_sample.sum() / per_sample.size


def _case(data):
    """Random logits (batch[, time], classes), labels, and optional weights."""
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = tuple(data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=2))) + (
        data.draw(st.integers(2, 6)),)
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    z = (rng.standard_normal(shape) * data.draw(st.sampled_from([0.1, 3.0, 30.0]))).astype(dtype)
    labels = rng.integers(0, shape[-1], shape[:-1])
    weighting = data.draw(st.sampled_from(["none", "sample", "class", "both"]))
    sw = rng.random(shape[:1]) if weighting in ("sample", "both") else None
    cw = {0: 2.0, 1: 0.25} if weighting in ("class", "both") else None
    return z, labels, sw, cw


@pytest.mark.parametrize("name", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
@given(data=st.data())
def test_values_bit_for_bit_and_gradients_as_before(name, data):
    z, labels, sw, cw = _case(data)
    onehot = np.eye(z.shape[-1], dtype=z.dtype)[labels]
    y_true = onehot if name == "categorical_crossentropy" else labels
    new_z, old_z = ag.Tensor(z, requires_grad=True), ag.Tensor(z, requires_grad=True)
    new = getattr(losses, name)(y_true, new_z, sample_weight=sw, class_weight=cw,
                                from_logits=True)
    class_w = None if cw is None else losses._class_weights(cw, labels)
    old = _old_loss(onehot, old_z, sw, class_w)
    assert new.dtype == old.dtype == z.dtype
    assert new.item() == old.item()  # the same floats in the same order
    new.backward()
    old.backward()
    tol = 1e-5 if z.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(new_z.grad, old_z.grad, rtol=tol, atol=tol * 1e-2)
    assert new_z.grad.dtype == z.dtype


@pytest.mark.parametrize("name", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
@given(data=st.data())
def test_gradients_three_ways_and_second_derivative(name, data):
    z, labels, sw, cw = _case(data)
    z = z.astype(np.float64) / 10  # finite differences want moderate float64 logits
    onehot = np.eye(z.shape[-1])[labels]
    y_true = onehot if name == "categorical_crossentropy" else labels

    def f(logits):
        return getattr(losses, name)(y_true, logits, sample_weight=sw, class_weight=cw,
                                     from_logits=True)

    # reverse mode, dual numbers and central differences
    assert ag.gradcheck(f, z)
    # and the gradient itself, differentiated again: the Hessian-vector product of the old form
    v = np.random.default_rng(0).standard_normal(z.shape)
    class_w = None if cw is None else losses._class_weights(cw, labels)
    new = ag.grad(lambda t: (ag.grad(f)(t) * v).sum())(z)
    old = ag.grad(lambda t: (ag.grad(lambda u: _old_loss(onehot, u, sw, class_w))(t)
                             * v).sum())(z)
    np.testing.assert_allclose(new, old, rtol=1e-9, atol=1e-12)


def test_from_logits_is_one_node_and_the_mean():
    z = ag.Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    for loss in (losses.categorical_crossentropy(np.eye(3)[[0, 1, 2, 0]], z, from_logits=True),
                 losses.sparse_categorical_crossentropy([0, 1, 2, 0], z, from_logits=True)):
        ops = [t.op for t in topological_order(loss) if t.op is not None]
        assert ops == ["mean", "softmax_cross_entropy"]


def test_probabilities_keep_their_clipped_form():
    p = ag.Tensor(np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]]), requires_grad=True)
    loss = losses.categorical_crossentropy(np.eye(3)[[1, 2]], p)
    # the 0 is clipped to 1e-7 before the log: -log(1e-7) for the first sample
    expected = (-np.log(1e-7) - np.log(0.5)) / 2
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12)
    ops = {t.op for t in topological_order(loss)}
    assert "clip" in ops and "softmax_cross_entropy" not in ops
