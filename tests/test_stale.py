"""Sanctioned updates of a leaf never fail because another graph holds it; they make every
live graph that recorded the old values stale, and a backward pass through a stale graph
raises naming the op and the leaf (PyTorch's version-counter semantics, on the guard)."""

import threading

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

STALE = r"backward: multiply recorded tensor 'w' before it was updated in place"


def assign_data(w):
    w.data = w.data - 0.5


def assign_(w):
    w.assign_(w.data - 0.5)


def in_place_under_no_grad(w):
    with ag.no_grad():
        w -= 0.5


def writable_data(w):
    w.writable_data()[...] -= 0.5  # what every nn optimizer's step does


UPDATES = [assign_data, assign_, in_place_under_no_grad, writable_data]


@pytest.mark.parametrize("update", UPDATES, ids=lambda f: f.__name__)
def test_an_update_while_a_graph_holds_the_leaf_works_and_makes_that_graph_stale(update):
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    kept = (w * w).sum()  # never backpropagated before the update
    update(w)
    np.testing.assert_array_equal(w.data, [0.5, 1.5])
    with pytest.raises(RuntimeError, match=STALE + r".*recompute the forward pass"):
        kept.backward()
    fresh = (w * w).sum()  # a new forward pass sees the new values
    fresh.backward()
    np.testing.assert_allclose(w.grad, [1.0, 3.0])


@pytest.mark.parametrize("update", UPDATES, ids=lambda f: f.__name__)
def test_an_update_after_backward_leaves_nothing_stale(update):
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    for _ in range(3):
        loss = (w * w).sum()
        w.grad = None
        loss.backward()
        update(w)
    np.testing.assert_allclose(w.data, [-0.5, 0.5])
    np.testing.assert_allclose(w.grad, [0.0, 2.0])  # 2 w before the last update


@pytest.mark.parametrize("update", UPDATES, ids=lambda f: f.__name__)
def test_a_stale_graph_is_refused_through_every_entry(update):
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    h = w * w  # the node that recorded w
    kept = (h * 2.0).sum()
    update(w)
    with pytest.raises(RuntimeError, match=STALE):
        kept.backward()
    with pytest.raises(RuntimeError, match=STALE):
        kept.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match=STALE):  # a new graph built on a stale node
        ag.grad(lambda v: (v * h).sum())(np.ones(2))
    assert w.grad is None  # the refused passes accumulated nothing
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [1.0, 3.0])


def test_a_hand_written_loop_that_keeps_an_old_graph():
    w = Tensor([1.0, -1.0], requires_grad=True, name="w")
    history = []
    for _ in range(4):
        loss = ((w - 3.0) ** 2).sum()
        history.append(loss)  # kept for plotting: the old graphs stay alive
        w.grad = None
        loss.backward()
        with ag.no_grad():
            w -= 0.25 * w.grad  # in place: w is the same tensor
    np.testing.assert_allclose(w.data, 3.0 + np.array([-2.0, -4.0]) * 0.5 ** 4)
    assert [float(h.data) for h in history][0] == 20.0


def test_kept_predictions_are_stale_after_a_step_but_their_values_stay():
    w = Tensor([2.0], requires_grad=True, name="w")
    pred = w * 3.0  # kept: its graph is never backpropagated
    (w * w).sum().backward()
    w.assign_(w.data - 1.0)
    np.testing.assert_array_equal(pred.data, [6.0])
    with pytest.raises(RuntimeError, match=r"multiply recorded tensor 'w'"):
        pred.sum().backward()


def test_outside_no_grad_augmented_assignment_still_rebinds():
    w = Tensor([1.0, 2.0], requires_grad=True)
    v = w
    v += 1
    assert v is not w and v.op == "add"
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    with ag.no_grad():
        x = w * 2  # computed under no_grad: a leaf, updated in place
        before = x
        x *= 3
    assert x is before
    np.testing.assert_array_equal(x.data, [6.0, 12.0])


def test_in_place_updates_refuse_what_they_cannot_do():
    w = Tensor([1.0, 2.0], requires_grad=True, name="layer.kernel")
    h = w * 2
    with pytest.raises(RuntimeError, match=r"cannot update in place a tensor made by multiply"):
        h.writable_data()
    with pytest.raises(ValueError, match=r"assign_: cannot write a value of shape \(3,\) into "
                                         r"kernel 'layer.kernel'"):
        w.assign_(np.zeros(3))
    with ag.no_grad(), pytest.raises(ValueError, match=r"shape \(2, 2\) into kernel"):
        w += np.ones((2, 2))
    np.testing.assert_array_equal(w.data, [1.0, 2.0])  # nothing was written


def test_raw_numpy_writes_stay_refused_while_a_graph_holds_the_array():
    w = Tensor([1.0, 2.0], requires_grad=True)
    a = np.array([1.0, 1.0])
    y = (w * a).sum()
    for edit in (lambda: a.__setitem__(slice(None), 100), lambda: w.data.__setitem__(0, 0.0)):
        with pytest.raises(ValueError, match="read-only"):
            edit()
    w.assign_([3.0, 4.0])  # the sanctioned way works; the constant a is released with it
    a[:] = 100
    with pytest.raises(RuntimeError, match=r"multiply recorded a tensor of shape \(2,\)"):
        y.backward()


def test_updates_in_one_thread_while_another_keeps_graphs():
    errors = []

    def train(seed):
        try:
            rng = np.random.default_rng(seed)
            w = Tensor(rng.standard_normal(4), requires_grad=True, name="w")
            for _ in range(200):
                kept = (w * w).sum()  # a graph kept across the step
                loss = ((w - 1.0) ** 2).sum()
                w.grad = None
                loss.backward()
                with ag.no_grad():
                    w -= 0.1 * w.grad
                with pytest.raises(RuntimeError, match=STALE):
                    kept.backward()
            np.testing.assert_allclose(w.data, np.ones(4), atol=1e-6)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=train, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
