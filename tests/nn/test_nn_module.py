"""Module: parameter discovery and names, modes, state dicts, summary, regularization."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from nn import L1, L1L2, L2, MLP, Dense, Dropout, Module, Parameter, Sequential

F64 = np.float64


class Block(Module):
    def __init__(self):
        super().__init__()
        self.scale = Parameter(np.ones(3))
        self.dense = Dense(3, input_dim=3, dtype=F64, seed=0)

    def forward(self, x):
        return self.dense(x) * self.scale


class Net(Module):
    """Attributes, a list and a dict of submodules, a list of parameters, a shared parameter."""

    def __init__(self):  # no super().__init__(): optional
        self.stem = Dense(3, input_dim=2, dtype=F64, seed=1)
        self.blocks = [Block(), Block()]
        self.heads = {"a": Dense(1, input_dim=3, dtype=F64), "b": Dense(2, input_dim=3, dtype=F64)}
        self.extra = [Parameter(np.zeros(2)), "not a parameter", 3]
        self.tied = self.stem.kernel  # the same Parameter twice: listed once
        self.rate = 0.5

    def forward(self, x):
        h = self.stem(x)
        for block in self.blocks:
            h = block(h)
        return self.heads["a"](h) + self.heads["b"](h).sum(axis=-1, keepdims=True)


NET_NAMES = [
    "stem.kernel", "stem.bias",
    "blocks.0.scale", "blocks.0.dense.kernel", "blocks.0.dense.bias",
    "blocks.1.scale", "blocks.1.dense.kernel", "blocks.1.dense.bias",
    "heads.a.kernel", "heads.a.bias", "heads.b.kernel", "heads.b.bias",
    "extra.0",
]


def test_parameters_found_in_attributes_lists_and_dicts():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == NET_NAMES
    assert len(net.parameters()) == len(NET_NAMES)
    assert all(isinstance(p, Parameter) and p.requires_grad for p in net.parameters())
    assert [type(m).__name__ for m in net.children()] == ["Dense", "Block", "Block", "Dense",
                                                          "Dense"]
    assert net.count_params() == sum(p.size for p in net.parameters())


def test_calling_the_model_names_every_parameter_by_its_path():
    net = Net()
    out = net(np.ones((4, 2)))
    assert [p.name for _, p in net.named_parameters()] == NET_NAMES
    assert out.shape == (4, 1)
    # a layer built during the call is named too, with its path
    model = Sequential(Dense(4), Dense(2))
    model(np.ones((1, 3)))
    assert model[0].kernel.name == "layers.0.kernel"
    # calling a sublayer alone does not rename (only the outermost call names)
    model[1](np.ones((1, 4)))
    model(np.ones((1, 3)))
    assert model[1].bias.name == "layers.1.bias"


def test_parameter_is_a_tensor_requiring_grad():
    p = Parameter([1.0, 2.0])
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert not Parameter([1.0], requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter(")
    assert (p * 2).op == "multiply"


def test_train_eval_propagate_and_zero_grad():
    model = Sequential(Dense(4, input_dim=3), Dropout(0.5), Dense(1))
    assert all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model(np.ones((2, 3))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_round_trip_and_copies():
    a, b = MLP([3, 5, 2], seed=0), MLP([3, 5, 2], seed=1)
    state = a.state_dict()
    assert list(state) == ["layers.0.kernel", "layers.0.bias", "layers.1.kernel", "layers.1.bias"]
    state["layers.0.bias"] += 1  # a copy: the model is untouched
    assert np.all(a.layers[0].bias.data == 0)
    kernel = b.layers[0].kernel
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.layers[0].kernel is kernel  # the same Parameter, new values
    x = np.ones((2, 3))
    np.testing.assert_array_equal(a(x).data, b(x).data)
    b.load_state_dict({k: v.astype(np.float64) for k, v in a.state_dict().items()})
    assert b.layers[0].kernel.dtype == np.float32  # values take the parameter's dtype


def test_load_state_dict_is_strict_and_changes_nothing_on_error():
    model = MLP([3, 5, 2], seed=0)
    before = model.state_dict()
    bad = model.state_dict()
    bad["layers.0.kernel"] = bad["layers.0.kernel"] + 1  # fine, but must not be applied...
    bad["layers.1.kernel"] = np.zeros((4, 2))  # ...because this one does not fit
    with pytest.raises(ValueError, match=r"parameter 'layers.1.kernel' has shape \(5, 2\) in the "
                                         r"model but \(4, 2\) in the state dict"):
        model.load_state_dict(bad)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    missing = model.state_dict()
    del missing["layers.1.bias"]
    missing["layers.9.kernel"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"missing from the state dict: layers.1.bias; "
                                       r"not in the model: layers.9.kernel"):
        model.load_state_dict(missing)
    result = model.load_state_dict(missing, strict=False)
    assert result.missing_keys == ["layers.1.bias"]
    assert result.unexpected_keys == ["layers.9.kernel"]


def test_load_state_dict_into_an_unbuilt_model_says_why():
    with pytest.raises(ValueError, match=r"layer 'layers.0' \(Dense\) is not built"):
        Sequential(Dense(4), Dense(2)).load_state_dict({})


def test_summary_lists_layers_shapes_and_counts():
    model = Sequential(Dense(16, "relu", input_dim=4), Dropout(0.2), Dense(3))
    lines = []
    assert model.summary(print_fn=lines.append) is None  # printed once, not echoed
    text = model.summary(print_fn=None)
    assert lines == [text]
    assert "layers.0 (Dense)" in text and "(None, 16)" in text and "80" in text
    assert "layers.1 (Dropout)" in text and "layers.2 (Dense)" in text and "(None, 3)" in text
    assert "Total params: 131" in text and "Trainable params: 131" in text
    assert all(m.training for m in model.modules())  # the shape probe restored train mode
    lazy = Sequential(Dense(8), Dense(1))
    assert "unbuilt" in lazy.summary(print_fn=None)
    text = lazy.summary(input_shape=(None, 5), print_fn=None)
    assert "(None, 8)" in text and "Total params: 57" in text
    assert "Total params: 4" in Dense(2, input_dim=1).summary(print_fn=None)


def test_regularization_loss_follows_keras():
    layer = Dense(3, input_dim=2, kernel_regularizer=L2(0.001), bias_regularizer=L1(0.1),
                  bias_initializer="ones", dtype=F64, seed=0)
    model = Sequential(layer, Dense(1, kernel_regularizer=L1L2(0.01, 0.02), dtype=F64))
    k0, b0, k1 = layer.kernel.data, layer.bias.data, model[1].kernel.data
    expected = (0.001 * np.sum(k0**2) + 0.1 * np.sum(np.abs(b0))
                + 0.01 * np.sum(np.abs(k1)) + 0.02 * np.sum(k1**2))
    reg = model.regularization_loss()
    np.testing.assert_allclose(reg.item(), expected, rtol=1e-12)
    reg.backward()
    np.testing.assert_allclose(layer.kernel.grad, 2 * 0.001 * k0, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, 0.1 * np.sign(b0))
    assert MLP([2, 2]).regularization_loss().item() == 0.0
    reg32 = Dense(2, input_dim=2, kernel_regularizer="l2").regularization_loss()
    assert reg32.dtype == np.float32


def test_astype_keeps_parameter_objects():
    model = MLP([2, 3, 1], seed=0)
    params = model.parameters()
    model.astype(np.float64)
    assert all(p is q and p.dtype == np.float64 for p, q in zip(params, model.parameters()))
    assert model(np.ones((1, 2))).dtype == np.float64


def test_repr_shows_the_tree():
    text = repr(Sequential(Dense(2, "relu", input_dim=3), Dropout(0.1)))
    assert "(layers.0): Dense(units=2, activation='relu', input_dim=3)" in text
    assert "(layers.1): Dropout(rate=0.1)" in text


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        Module()(1)
    assert ag.is_grad_enabled()
