"""Grad mode and anomaly mode are per thread: one thread's no_grad never reaches another."""

import threading

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


def run_threads(*targets):
    """Run each target in its own thread; re-raise the first exception any of them raised."""
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - handed back to the test
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_does_not_stop_another_from_recording():
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def quiet():
        with ag.no_grad():
            inside.set()
            done.wait(5)

    def records():
        inside.wait(5)
        x = Tensor([1.0, 2.0], requires_grad=True)
        seen["enabled"] = ag.is_grad_enabled()
        seen["requires_grad"] = (x * 2).requires_grad
        done.set()

    run_threads(quiet, records)
    assert seen == {"enabled": True, "requires_grad": True}


def test_leaving_no_grad_in_the_wrong_order_leaves_every_thread_as_it_was():
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a():
        with ag.no_grad():
            a_in.set()
            b_in.wait(5)
        a_out.set()  # a leaves first, while b is still inside

    def b():
        a_in.wait(5)
        with ag.no_grad():
            b_in.set()
            a_out.wait(5)
            assert not ag.is_grad_enabled()
        assert ag.is_grad_enabled()

    run_threads(a, b)
    assert ag.is_grad_enabled()


def test_a_shared_decorated_function_restores_each_threads_mode():
    barrier = threading.Barrier(2)

    @ag.no_grad()
    def predict():
        barrier.wait(5)  # both threads inside the same no_grad instance at once
        return ag.is_grad_enabled()

    results = []

    def worker():
        results.append(predict())
        results.append(ag.is_grad_enabled())

    run_threads(worker, worker)
    assert results.count(False) == 2 and results.count(True) == 2


def train(seed, out):
    """Plain gradient descent on least squares; the answer is known in closed form."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 3))
    w_true = rng.standard_normal(3)
    y = X @ w_true
    w = Tensor(np.zeros(3), requires_grad=True)
    for _ in range(300):
        loss = ((ag.matmul(Tensor(X), w) - Tensor(y)) ** 2).mean()
        w.grad = None
        loss.backward()  # its internal no_grad must stay in this thread
        with ag.no_grad():
            w.data = w.data - 0.1 * w.grad
    out[seed] = (w.data, w_true)


def test_two_threads_train_at_once_and_both_converge():
    out = {}
    run_threads(lambda: train(1, out), lambda: train(2, out))
    for got, want in out.values():
        np.testing.assert_allclose(got, want, atol=1e-6)
    assert ag.is_grad_enabled()


def test_anomaly_mode_is_per_thread():
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def checking():
        with ag.detect_anomaly():
            inside.set()
            done.wait(5)

    def plain():
        inside.wait(5)
        with np.errstate(all="ignore"):
            y = ag.log(Tensor([-1.0], requires_grad=True))  # nan, but no anomaly mode here
        seen["nan"] = bool(np.isnan(y.data).all())
        seen["origin"] = ag.engine.origin(y)
        done.set()

    run_threads(checking, plain)
    assert seen == {"nan": True, "origin": None}
