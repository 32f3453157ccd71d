"""Optimizers: ten steps on a quadratic against each published update rule (written out in
NumPy below), state, clipping, errors, dtype, and gradient accumulation. Argument spellings,
binding and configs are in test_nn_optim_api.py."""

import json
import math

import numpy as np
import pytest

from nn import MLP, Parameter, losses, optim
from nn.optim import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    RMSprop,
    clip_grad_norm,
    clip_grad_value,
)

A = np.array([1.0, 3.0, 0.5, 2.0])
B = np.array([0.5, -1.0, 2.0, 0.0])
W0 = np.array([1.0, -2.0, 0.5, 3.0])


def quadratic_grad(w):
    """The gradient of 0.5 * sum(A w^2) + sum(B w)."""
    return A * w + B


def run(opt_cls, steps=10, dtype=np.float64, **kw):
    w = Parameter(W0.astype(dtype))
    opt = opt_cls([w], **kw)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * (w * w * A.astype(dtype)).sum() + (w * B.astype(dtype)).sum()
        loss.backward()
        opt.step()
        out.append(w.data.copy())
    return out


# ---- each documented formula, written out independently in NumPy ----


def ref_sgd(lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0, steps=10):
    w, b, out = W0.copy(), None, []
    for _ in range(steps):
        g = quadratic_grad(w) + weight_decay * w
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        w = w - lr * g
        out.append(w)
    return out


def ref_rmsprop(lr, alpha=0.99, eps=1e-8, momentum=0.0, centered=False, weight_decay=0.0,
                steps=10):
    w, v, avg, buf, out = W0.copy(), 0.0, 0.0, 0.0, []
    for _ in range(steps):
        g = quadratic_grad(w) + weight_decay * w
        v = alpha * v + (1 - alpha) * g**2
        vt = v
        if centered:
            avg = alpha * avg + (1 - alpha) * g
            vt = v - avg**2
        if momentum:
            buf = momentum * buf + g / (np.sqrt(vt) + eps)
            w = w - lr * buf
        else:
            w = w - lr * g / (np.sqrt(vt) + eps)
        out.append(w)
    return out


def ref_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False,
             amsgrad=False, steps=10):
    w, m, v, v_max, out = W0.copy(), 0.0, 0.0, 0.0, []
    b1, b2 = betas
    for t in range(1, steps + 1):
        g = quadratic_grad(w)
        if decoupled:
            w = w - lr * weight_decay * w
        else:
            g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        v_max = np.maximum(v_max, v)
        m_hat, v_hat = m / (1 - b1**t), (v_max if amsgrad else v) / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


def ref_adagrad(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                steps=10):
    w, s, out = W0.copy(), initial_accumulator_value, []
    for t in range(1, steps + 1):
        clr = lr / (1 + (t - 1) * lr_decay)
        g = quadratic_grad(w) + weight_decay * w
        s = s + g**2
        w = w - clr * g / (np.sqrt(s) + eps)
        out.append(w)
    return out


def ref_nadam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
              decoupled_weight_decay=False, steps=10):
    """Dozat's NAdam with PyTorch's momentum schedule mu_t = b1 (1 - 0.96^(t psi) / 2)."""
    w, m, v, prod, out = W0.copy(), 0.0, 0.0, 1.0, []
    b1, b2 = betas
    for t in range(1, steps + 1):
        g = quadratic_grad(w)
        if decoupled_weight_decay:
            w = w * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * w
        mu, mu_next = (b1 * (1 - 0.5 * 0.96 ** (k * momentum_decay)) for k in (t, t + 1))
        prod = prod * mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = mu_next * m / (1 - prod * mu_next) + (1 - mu) * g / (1 - prod)
        w = w - lr * m_hat / (np.sqrt(v / (1 - b2**t)) + eps)
        out.append(w)
    return out


def ref_adamax(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, steps=10):
    w, m, u, out = W0.copy(), 0.0, 0.0, []
    b1, b2 = betas
    for t in range(1, steps + 1):
        g = quadratic_grad(w) + weight_decay * w
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        w = w - lr / (1 - b1**t) * m / u
        out.append(w)
    return out


def ref_adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, steps=10):
    w, v, u, out = W0.copy(), 0.0, 0.0, []
    for _ in range(steps):
        g = quadratic_grad(w) + weight_decay * w
        v = rho * v + (1 - rho) * g**2
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        w = w - lr * delta
        out.append(w)
    return out


CASES = [
    (SGD, ref_sgd, dict(lr=0.1)),
    (SGD, ref_sgd, dict(lr=0.1, momentum=0.9)),
    (SGD, ref_sgd, dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    (SGD, ref_sgd, dict(lr=0.05, momentum=0.8, nesterov=True)),
    (RMSprop, ref_rmsprop, dict(lr=0.01)),
    (RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                weight_decay=0.1)),
    (Adam, ref_adam, dict(lr=0.1)),
    (Adam, ref_adam, dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    (Adam, ref_adam, dict(lr=0.1, amsgrad=True)),
    (Adam, ref_adam, dict(lr=0.1, betas=(0.5, 0.9), amsgrad=True, weight_decay=0.1)),
    (AdamW, lambda **kw: ref_adam(decoupled=True, **kw), dict(lr=0.1, weight_decay=0.1)),
    (AdamW, lambda **kw: ref_adam(decoupled=True, **kw),
     dict(lr=0.1, weight_decay=0.1, amsgrad=True, betas=(0.5, 0.9))),
    (Adagrad, ref_adagrad, dict(lr=0.1)),
    (Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.5, weight_decay=0.1,
                                initial_accumulator_value=0.2)),
    (Nadam, ref_nadam, dict(lr=0.1)),
    (Nadam, ref_nadam, dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1,
                            momentum_decay=0.05)),
    (Nadam, ref_nadam, dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
    (Adamax, ref_adamax, dict(lr=0.1)),
    (Adamax, ref_adamax, dict(lr=0.1, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.1)),
    (Adadelta, ref_adadelta, dict()),
    (Adadelta, ref_adadelta, dict(lr=0.5, rho=0.8, eps=1e-3, weight_decay=0.1)),
]


@pytest.mark.parametrize("opt_cls,ref,kw", CASES,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_ten_steps_follow_the_published_update_rule(opt_cls, ref, kw):
    got = run(opt_cls, **kw)
    for t, (g, r) in enumerate(zip(got, ref(**kw)), 1):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-14, err_msg=f"step {t}")


def test_adamw_default_decay_is_pytorchs():
    assert AdamW([Parameter([1.0])]).weight_decay == 0.01
    assert SGD([Parameter([1.0])]).lr == 0.01


@pytest.mark.parametrize("opt_cls", [SGD, RMSprop, Adam, AdamW, Adagrad, Nadam, Adamax,
                                     Adadelta])
def test_float32_kept_and_grad_never_written(opt_cls):
    w = Parameter(W0.astype(np.float32))
    kw = {"momentum": 0.9} if opt_cls in (SGD, RMSprop) else {}
    opt = opt_cls([w], lr=0.1, **kw)
    data = w.data
    for _ in range(2):
        w.grad = None
        (0.5 * (w * w * A.astype(np.float32)).sum() + (w * B.astype(np.float32)).sum()).backward()
        grad, snapshot = w.grad, w.grad.copy()
        opt.step()
        assert w.grad is grad
        np.testing.assert_array_equal(w.grad, snapshot)
    assert w.data is data and w.dtype == np.float32  # updated in place
    assert all(v.dtype == np.float32 for s in opt.state for v in s.values()
               if isinstance(v, np.ndarray))
    np.testing.assert_allclose(w.data, run(opt_cls, 2, np.float64, lr=0.1, **kw)[-1], rtol=1e-5)


def test_zero_grad_and_parameters_without_grad_are_skipped():
    a, b = Parameter([1.0]), Parameter([2.0])
    opt = SGD([a, b], lr=0.5)
    (a * 3).sum().backward()
    opt.step()
    assert a.data[0] == -0.5 and b.data[0] == 2.0
    opt.zero_grad()
    assert a.grad is None and b.grad is None


RESUMABLE = [(SGD, {"momentum": 0.9}), (RMSprop, {"centered": True, "momentum": 0.5}),
             (Adam, {}), (Adam, {"amsgrad": True}), (AdamW, {"amsgrad": True}),
             (Adagrad, {"lr_decay": 0.1}), (Nadam, {}), (Adamax, {}), (Adadelta, {})]


@pytest.mark.parametrize("opt_cls,kw", RESUMABLE,
                         ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(RESUMABLE)])
def test_state_dict_resumes_the_same_trajectory_exactly(opt_cls, kw):
    def step(w, opt):
        opt.zero_grad()
        w.grad = quadratic_grad(w.data)
        opt.step()

    w1 = Parameter(W0.copy())
    o1 = opt_cls([w1], lr=0.05, **kw)
    for _ in range(5):
        step(w1, o1)
    w2 = Parameter(W0.copy())
    o2 = opt_cls([w2], lr=0.05, **kw)
    for _ in range(2):
        step(w2, o2)
    saved = o2.state_dict()
    # what a model file holds: the config as JSON, every state entry as an array
    config = json.loads(json.dumps(saved["config"]))
    arrays = {str(i): {k: np.array(v) for k, v in s.items()} for i, s in saved["state"].items()}
    assert all(isinstance(v, np.ndarray) for s in arrays.values() for v in s.values())
    assert arrays["0"]["step"].dtype == np.int64 and arrays["0"]["step"] == 2
    w3 = Parameter(w2.data.copy())
    o3 = opt_cls.from_config(config)
    o3.set_parameters([w3])
    o3.load_state_dict({"config": config, "iterations": saved["iterations"], "state": arrays})
    for _ in range(3):
        step(w3, o3)
    np.testing.assert_array_equal(w3.data, w1.data)
    assert o3.iterations == 5
    with pytest.raises(ValueError, match=r"state for parameter 0, the optimizer has 0"):
        opt_cls.from_config(config).load_state_dict(saved)
    with pytest.raises(ValueError, match=r"of parameter 0 \(w\) has shape \(4,\), the parameter"):
        opt_cls([Parameter([1.0], name="w")], lr=0.1).load_state_dict(saved)


def test_load_state_dict_restores_hyperparameters_and_lr():
    w = Parameter(W0.copy())
    src = Adam([w], lr=0.05, betas=(0.5, 0.6), amsgrad=True)
    src.lr = 0.01  # as a schedule would
    dst = Adam([Parameter(W0.copy())])
    dst.load_state_dict(src.state_dict())
    assert (dst.lr, dst.betas, dst.amsgrad) == (0.01, (0.5, 0.6), True)
    assert dst.params[0] is not w


def test_bad_arguments_are_named():
    w = Parameter([1.0])
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match=r"Adam: learning rate must be > 0, got 0.0"):
        Adam([w], lr=0)
    with pytest.raises(ValueError, match=r"RMSprop: learning rate must be > 0, got -1.0"):
        RMSprop([w], lr=-1)
    with pytest.raises(TypeError, match="parameter 0 is a ndarray, not a Tensor"):
        SGD([np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="wrap one in a list"):
        SGD(w, lr=0.1)
    with pytest.raises(ValueError, match=r"beta_1 must be in \[0, 1\)"):
        Adam([w], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="unknown optimizer 'adabelief'; known: sgd, rmsprop"):
        optim.get_optimizer("adabelief", [w])
    assert isinstance(optim.get_optimizer("AdamW", [w], lr=0.5), AdamW)
    opt = SGD([w], lr=0.1)
    assert optim.get_optimizer(opt) is opt
    with pytest.raises(ValueError, match="learning rate must be >= 0"):
        opt.lr = -0.1


def test_an_optimizer_accepts_a_module():
    model = MLP([2, 3, 1])
    assert SGD(model, lr=0.1).params == model.parameters()


# ---- clipping ----


def test_clip_grad_norm_scales_all_gradients_together():
    a, b = Parameter([3.0, 0.0]), Parameter([[4.0]])
    a.grad, b.grad = np.array([3.0, 0.0]), np.array([[4.0]])
    original = a.grad
    total = clip_grad_norm([a, b], max_norm=1.0)
    assert total == pytest.approx(5.0)
    assert math.hypot(*a.grad, *b.grad.ravel()) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_array_equal(original, [3.0, 0.0])  # replaced, not written in place
    assert clip_grad_norm([a, b], max_norm=10.0) == pytest.approx(1.0, rel=1e-5)
    a.grad = np.array([-7.0, 2.0])
    assert clip_grad_norm([a], max_norm=1.0, norm_type=math.inf) == 7.0


def test_clip_grad_value_and_optimizer_clipping_arguments():
    a = Parameter([0.0, 0.0, 0.0])
    a.grad = np.array([-5.0, 0.5, 5.0])
    clip_grad_value([a], 1.0)
    np.testing.assert_array_equal(a.grad, [-1.0, 0.5, 1.0])

    def one_step(**clip):
        w = Parameter([0.0, 0.0])
        w.grad = np.array([3.0, -4.0])
        SGD([w], lr=1.0, **clip).step()
        return -w.data

    np.testing.assert_allclose(one_step(clipvalue=2.0), [2.0, -2.0])
    np.testing.assert_allclose(one_step(clipnorm=1.0), [0.6, -0.8])
    np.testing.assert_allclose(one_step(global_clipnorm=2.5), [1.5, -2.0])
    with pytest.raises(ValueError, match="clipnorm must be > 0"):
        SGD([a], clipnorm=0)


# ---- gradient accumulation ----


def test_four_micro_batches_of_8_equal_one_batch_of_32():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 5)), rng.integers(0, 3, 32)

    def model_and_opt():
        model = MLP([5, 16, 3], activation="relu", seed=0, dtype=np.float64)
        return model, Adam(model.parameters(), lr=0.01)

    big, big_opt = model_and_opt()
    big_opt.zero_grad()
    losses.sparse_categorical_crossentropy(y, big(x), from_logits=True).backward()
    big_opt.step()

    small, small_opt = model_and_opt()
    small_opt.zero_grad()
    for i in range(4):
        part = slice(8 * i, 8 * i + 8)
        loss = losses.sparse_categorical_crossentropy(y[part], small(x[part]), from_logits=True)
        (loss / 4).backward()  # .grad adds up across the four backward passes
    small_opt.step()

    for p, q in zip(big.parameters(), small.parameters()):
        np.testing.assert_allclose(q.grad, p.grad, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(q.data, p.data, rtol=1e-10, atol=1e-14)
