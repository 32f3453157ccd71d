"""An array changed in place after an op recorded it: the gradient is right or the edit is
refused. The rule: while a graph that can still be backpropagated holds an array, NumPy
refuses to write to it; backward (or dropping the graph) gives the flag back."""

import gc

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

READ_ONLY = r"read-only"


def exp_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = ag.exp(x)
    return x, y, (y * y).sum()


# ---- every way an array can be captured, edited before backward ----

def edit_constant():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = np.array([1.0, 2.0, 3.0])
    y = (x * a).sum()
    a[:] = 100  # the example: x.grad silently became [100, 100, 100]
    return y


def edit_leaf_in_place():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.data -= 1  # a hand-written optimizer step before backward
    return y


def edit_leaf_through_an_old_reference():
    w = Tensor([1.0, 2.0], requires_grad=True)
    raw = w.data
    y = (w * w).sum()
    raw[0] = 5.0
    return y


def edit_input_tensor():
    x = Tensor([1.0, 2.0])  # needs no gradient, but w's gradient reads it
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = (w * x).sum()
    x.data[:] = 0
    return y


def edit_output_data():
    _, y, z = exp_graph()
    y.data[:] = 0
    return z


def edit_output_numpy():
    _, y, z = exp_graph()
    y.numpy()[0] = 0
    return z


def edit_output_detached():
    _, y, z = exp_graph()
    y.detach().data[:] = 0
    return z


def edit_reused_buffer():
    w = Tensor([1.0, 1.0], requires_grad=True)
    buf = np.zeros(2)
    total = 0.0
    for batch in ([1.0, 2.0], [3.0, 4.0]):
        buf[:] = batch  # the second micro-batch would overwrite the first one's input
        total = total + (w * buf).sum()
    return total


EDITS = [edit_constant, edit_leaf_in_place, edit_leaf_through_an_old_reference,
         edit_input_tensor, edit_output_data, edit_output_numpy, edit_output_detached,
         edit_reused_buffer]


@pytest.mark.parametrize("edit", EDITS, ids=lambda f: f.__name__)
def test_an_edit_of_a_recorded_array_is_refused_where_it_is_made(edit):
    with pytest.raises(ValueError, match=READ_ONLY):
        edit()


def test_assigning_data_of_an_output_the_graph_still_reads_is_refused_with_the_fix():
    # a leaf's .data assignment is a sanctioned update instead: see test_stale.py
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 2
    y = (h * h).sum()
    with pytest.raises(RuntimeError, match=r"cannot assign \.data .* backward"):
        h.data = np.zeros(2)
    y.backward()
    np.testing.assert_allclose(w.grad, 8 * np.array([1.0, 2.0]))


# ---- what stays allowed ----


def test_an_optimizer_step_after_backward_edits_in_place():
    w = Tensor([1.0, 2.0], requires_grad=True)
    raw = w.data
    for _ in range(3):
        loss = (w * w).sum()
        w.grad = None
        loss.backward()
        w.data -= 0.25 * w.grad  # in place, after backward
        raw[0] += 0.0  # an old reference is writeable again too
    np.testing.assert_allclose(w.data, np.array([1.0, 2.0]) * 0.5 ** 3)


def test_constants_and_outputs_are_writeable_again_after_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    a = np.array([3.0, 4.0])
    y = ag.exp(x * a)
    out = y.numpy()
    y.sum().backward()
    a[:] = 0
    out[:] = 0
    np.testing.assert_allclose(x.grad, [3 * np.exp(3.0), 4 * np.exp(8.0)])


def test_a_dropped_graph_gives_the_arrays_back():
    w = Tensor([1.0, 2.0], requires_grad=True)
    a = np.array([1.0, 1.0])
    y = (w * a).sum()
    del y
    gc.collect()
    a[:] = 3
    w.data -= 1
    np.testing.assert_array_equal(w.data, [0.0, 1.0])


def test_another_live_graph_keeps_the_leaf_read_only():
    w = Tensor([1.0, 2.0], requires_grad=True)
    first, second = (w * w).sum(), (w * 3).sum()
    first.backward()
    with pytest.raises(ValueError, match=READ_ONLY):
        w.data -= 1
    second.backward()
    w.data -= 1
    np.testing.assert_allclose(w.grad, 2 * np.array([1.0, 2.0]) + 3)


def test_retain_graph_keeps_arrays_read_only_until_the_last_backward():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    with pytest.raises(ValueError, match=READ_ONLY):
        w.data[0] = 7
    y.backward()
    np.testing.assert_allclose(w.grad, 4 * np.array([1.0, 2.0]))
    w.data[0] = 7


def test_no_grad_records_nothing_and_guards_nothing():
    w = Tensor([1.0, 2.0], requires_grad=True)
    a = np.array([1.0, 2.0])
    with ag.no_grad():
        y = w * a
    a[:] = 0
    w.data[:] = 0
    y.data[:] = 1


def test_grad_accumulates_and_stays_writeable():
    w = Tensor([1.0, 2.0], requires_grad=True)
    for _ in range(2):
        (w * 3).sum().backward()
    w.grad *= 0.5
    np.testing.assert_allclose(w.grad, [3.0, 3.0])


def test_a_user_read_only_array_stays_read_only():
    a = np.array([1.0, 2.0])
    a.flags.writeable = False
    w = Tensor([1.0, 1.0], requires_grad=True)
    (w * a).sum().backward()
    assert not a.flags.writeable


def test_forward_passes_without_backward_do_not_pile_up_holders():
    w = Tensor([1.0, 2.0], requires_grad=True)
    for _ in range(5_000):
        (w * 2).sum()  # dropped at once: evaluation with grad mode on
    assert len(w._guard.holders) < 200  # dead holders are pruned as the list grows
    w.data -= 1  # and the leaf is writeable: no live graph holds it


def test_forward_passes_on_fresh_inputs_without_backward_keep_no_arrays_alive():
    import autograd_core.guard as guard

    w = Tensor(np.ones(3), requires_grad=True)
    for _ in range(3_000):  # evaluation with grad mode on, a new input each time
        (w * Tensor(np.ones(3))).sum()
    assert len(guard.ACTIVE) < 1_000  # swept as the set grows: not one entry per input
