"""Optimizers as Keras users write them: Keras's and PyTorch's argument names, optimizers
built without parameters and bound later, frozen parameters, lookups by name, configs."""

import json

import numpy as np
import pytest

import nn.optimizers
from autograd_core import Tensor
from nn import Parameter, optim
from nn.optim import (
    OPTIMIZERS,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    Optimizer,
    RMSprop,
)

W0 = np.array([1.0, -2.0, 0.5, 3.0])


def trajectory(opt: Optimizer, steps: int = 5) -> np.ndarray:
    """Bind ``opt`` to a fresh parameter and run a few steps on a fixed non-quadratic loss."""
    w = Parameter(W0.copy())
    if not opt.params:
        opt.set_parameters([w])
    else:
        w = opt.params[0]
    for _ in range(steps):
        w.grad = 2.0 * w.data + np.sin(w.data) - 1.0
        opt.step()
    return w.data.copy()


# ---- the two spellings ----

# (class, PyTorch's spelling, the same settings in Keras's spelling)
SPELLINGS = [
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True), dict(learning_rate=0.1, momentum=0.9,
                                                          nesterov=True)),
    (RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-7, centered=True),
     dict(learning_rate=0.01, rho=0.9, epsilon=1e-7, centered=True)),
    (Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-7, amsgrad=True),
     dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-7, amsgrad=True)),
    (AdamW, dict(lr=0.01, betas=(0.9, 0.99), weight_decay=0.004),
     dict(learning_rate=0.01, beta_2=0.99, weight_decay=0.004)),
    (Adagrad, dict(lr=0.1, eps=1e-7, initial_accumulator_value=0.1),
     dict(learning_rate=0.1, epsilon=1e-7, initial_accumulator_value=0.1)),
    (Nadam, dict(lr=0.01, betas=(0.9, 0.99), eps=1e-7),
     dict(learning_rate=0.01, beta_1=0.9, beta_2=0.99, epsilon=1e-7)),
    (Adamax, dict(lr=0.01, betas=(0.7, 0.999), eps=1e-7),
     dict(learning_rate=0.01, beta_1=0.7, epsilon=1e-7)),
    (Adadelta, dict(lr=0.5, rho=0.95, eps=1e-7), dict(learning_rate=0.5, rho=0.95,
                                                       epsilon=1e-7)),
]
IDS = [c.__name__ for c, _, _ in SPELLINGS]


@pytest.mark.parametrize("cls,torch_kw,keras_kw", SPELLINGS, ids=IDS)
def test_keras_and_pytorch_spellings_take_the_same_steps(cls, torch_kw, keras_kw):
    by_torch, by_keras = cls(**torch_kw), cls(**keras_kw)
    assert by_torch.get_config() == by_keras.get_config()
    np.testing.assert_array_equal(trajectory(by_torch), trajectory(by_keras))
    assert not np.array_equal(trajectory(by_torch.from_config(by_torch.get_config())), W0)


@pytest.mark.parametrize("cls,torch_name,keras_name,value", [
    (SGD, "lr", "learning_rate", 0.1),
    (RMSprop, "alpha", "rho", 0.9),
    (RMSprop, "eps", "epsilon", 1e-7),
    (Adam, "betas", "beta_1", (0.9, 0.99)),
    (AdamW, "betas", "beta_2", (0.9, 0.99)),
    (Nadam, "eps", "epsilon", 1e-7),
    (Adamax, "lr", "learning_rate", 0.1),
    (Adagrad, "eps", "epsilon", 1e-7),
    (Adadelta, "eps", "epsilon", 1e-7),
])
def test_both_spellings_of_one_argument_is_an_error(cls, torch_name, keras_name, value):
    scalar = value[0] if isinstance(value, tuple) else value
    with pytest.raises(TypeError, match=rf"{cls.__name__}: got both {torch_name}=.* and "
                                        rf"{keras_name}=.*two spellings of one argument"):
        cls(**{torch_name: value, keras_name: scalar})


def test_an_unknown_argument_is_named():
    with pytest.raises(TypeError, match=r"Adam: unknown argument\(s\) rhoo, use_ema; it takes "
                                        r"Keras's or PyTorch's names, see help\(nn.optim.Adam\)"):
        Adam(learning_rate=0.1, use_ema=True, rhoo=0.9)


def test_the_learning_rate_may_come_first_as_in_keras():
    opt = Adam(0.01)
    assert opt.lr == opt.learning_rate == 0.01 and opt.params == []
    opt.learning_rate = 0.5  # Keras's name is settable too
    assert opt.lr == 0.5
    with pytest.raises(TypeError, match="taken as the learning rate, but a learning rate"):
        SGD(0.1, learning_rate=0.2)
    w = Parameter([1.0])
    assert SGD([w], 0.3).lr == 0.3  # PyTorch's positional order still works


def test_defaults_are_pytorchs_whichever_spelling():
    cases = [(SGD, "learning_rate", 0.01), (RMSprop, "rho", 0.99), (RMSprop, "epsilon", 1e-8),
             (Adam, "epsilon", 1e-8), (AdamW, "weight_decay", 0.01), (Nadam, "learning_rate",
             2e-3), (Adamax, "learning_rate", 2e-3), (Adadelta, "learning_rate", 1.0),
             (Adadelta, "epsilon", 1e-6), (Adagrad, "initial_accumulator_value", 0.0)]
    for cls, key, default in cases:
        assert cls(learning_rate=0.5).get_config()[key] == (0.5 if key == "learning_rate"
                                                            else default), (cls, key)
        assert cls().get_config()[key] == default, (cls, key)
    assert Adam(weight_decay=None).weight_decay == 0.0  # Keras's default None is no decay


# ---- binding parameters later ----


def test_step_before_binding_says_what_to_do():
    opt = Adam(learning_rate=1e-3)
    with pytest.raises(RuntimeError, match=r"Adam.step\(\): the optimizer has no parameters "
                                           r"yet; pass them .*set_parameters.*compile"):
        opt.step()
    opt.zero_grad()  # nothing to clear, and no error


@pytest.mark.parametrize("cls", list(OPTIMIZERS.values()))
def test_binding_later_equals_binding_at_construction(cls):
    w = Parameter(W0.copy())
    now = cls([w], lr=0.05)
    later = cls(learning_rate=0.05)
    np.testing.assert_array_equal(trajectory(now), trajectory(later))
    assert repr(later).endswith("1 parameters)")


def test_rebinding_keeps_the_state_of_parameters_kept():
    a, b = Parameter(W0.copy()), Parameter([1.0, 2.0])
    opt = Adam([a], lr=0.1)
    a.grad = np.ones(4)
    opt.step()
    m = opt.state[0]["exp_avg"]
    opt.set_parameters([b, a])  # e.g. a layer unfrozen after compile
    assert opt.state[1]["exp_avg"] is m and opt.state[0] == {}
    b.grad = np.ones(2)
    opt.step()
    assert opt.state[1]["step"] == 2 and opt.state[0]["step"] == 1
    with pytest.raises(ValueError, match="Adam: got an empty parameter list"):
        opt.set_parameters([])


# ---- frozen parameters ----


@pytest.mark.parametrize("cls", list(OPTIMIZERS.values()))
def test_frozen_parameters_and_missing_gradients_are_skipped(cls):
    live, frozen, unused = Parameter(W0.copy()), Parameter(W0.copy()), Parameter(W0.copy())
    frozen.requires_grad = False
    frozen.grad = np.ones(4)  # a stale gradient from before freezing must not move it
    opt = cls([live, frozen, unused], lr=0.1)
    for _ in range(3):
        live.grad = np.ones(4)
        opt.step()
    np.testing.assert_array_equal(frozen.data, W0)
    np.testing.assert_array_equal(unused.data, W0)
    assert opt.state[1] == {} and opt.state[2] == {} and opt.state[0]["step"] == 3
    assert not np.array_equal(live.data, W0)
    frozen.requires_grad = True  # unfreezing: it starts its own step count
    opt.step()
    assert opt.state[1]["step"] == 1


def test_a_frozen_gradient_does_not_count_in_the_global_norm():
    live, frozen = Parameter([0.0, 0.0]), Tensor([0.0])
    live.grad, frozen.grad = np.array([3.0, 4.0]), np.array([100.0])
    SGD([live, frozen], lr=1.0, global_clipnorm=10.0).step()
    np.testing.assert_allclose(live.data, [-3.0, -4.0])  # norm 5 < 10: not clipped


# ---- lookups by name, configs, the alias ----


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw", "adagrad", "nadam",
                                  "adamax", "adadelta"])
def test_every_keras_optimizer_name_is_known(name):
    opt = optim.get(name, learning_rate=0.01)
    assert type(opt).__name__.lower() == name and opt.lr == 0.01 and opt.params == []
    assert optim.get(name.upper()).name == name
    w = Parameter([1.0])
    assert optim.get_optimizer(name, [w]).params == [w]


def test_get_accepts_configs_and_instances():
    opt = Adam(learning_rate=0.02, beta_1=0.5, amsgrad=True)
    same = optim.get(json.loads(json.dumps(opt.get_config())))
    assert type(same) is Adam and same.get_config() == opt.get_config()
    keras_style = optim.get({"class_name": "Adamax", "config": {"learning_rate": 0.3}})
    assert type(keras_style) is Adamax and keras_style.lr == 0.3
    assert optim.get(opt) is opt
    with pytest.raises(TypeError, match="already built"):
        optim.get(opt, learning_rate=0.1)
    with pytest.raises(ValueError, match="unknown optimizer 'adabelief'; known: sgd, rmsprop"):
        optim.get("adabelief")
    with pytest.raises(TypeError, match="an optimizer must be a name"):
        optim.get(3)


@pytest.mark.parametrize("cls", list(OPTIMIZERS.values()))
def test_config_round_trips_with_keras_keys(cls):
    opt = cls(learning_rate=0.05, clipnorm=1.0, name="mine")
    config = opt.get_config()
    assert json.loads(json.dumps(config)) == config
    assert {"name", "learning_rate", "clipnorm", "global_clipnorm", "clipvalue"} <= set(config)
    assert not {"lr", "eps", "betas", "alpha"} & set(config)  # PyTorch's spellings stay out
    assert config["name"] == "mine" and config["clipnorm"] == 1.0
    rebuilt = cls.from_config(config)
    assert rebuilt.get_config() == config


def test_nn_optimizers_is_the_keras_alias():
    assert nn.optimizers.Adam is optim.Adam and nn.optimizers.get is optim.get
    assert set(optim.__all__) <= set(nn.optimizers.__all__)
    assert nn.optimizers.schedules.CosineDecay is nn.schedules.CosineDecay


def test_a_new_optimizer_needs_only_public_names():
    from nn.optim.base import lr_of

    class SignSGD(Optimizer):
        def __init__(self, params=None, lr=None, *, learning_rate=None, **common):
            params, lr = lr_of("SignSGD", params, lr, learning_rate, 0.01)
            super().__init__(params, lr, **common)

        def update_step(self, w, g, state):
            w -= self.lr * np.sign(g)

    w = Parameter([1.0, -1.0, 0.0])
    opt = SignSGD(learning_rate=0.5, clipvalue=1.0)
    opt.set_parameters([w])
    w.grad = np.array([3.0, -0.1, 0.0])
    opt.step()
    np.testing.assert_array_equal(w.data, [0.5, -0.5, 0.0])
    assert SignSGD.from_config(opt.get_config()).get_config()["clipvalue"] == 1.0
    assert opt.state_dict()["state"][0]["step"] == 1
