"""Layers: values and gradients by hand, finite differences, building, seeding, errors."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from nn import (
    MLP,
    Activation,
    Dense,
    Dropout,
    Maxout,
    Neuron,
    Perceptron,
    Sequential,
    set_seed,
)

F64 = np.float64


def _x(shape=(5, 4), seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---- Dense ----


def test_dense_value_and_gradients_match_numpy():
    layer = Dense(3, activation="tanh", input_dim=4, seed=0, dtype=F64)
    k, b = layer.kernel.data.copy(), layer.bias.data.copy()
    b += 0.1  # a non-zero bias, so that its role is checked
    layer.bias.data[...] = b
    x = Tensor(_x(), requires_grad=True)
    w = _x((5, 3), seed=1)
    out = layer(x)
    z = x.data @ k + b
    np.testing.assert_allclose(out.data, np.tanh(z), rtol=1e-12)
    (out * w).sum().backward()
    gz = w * (1 - np.tanh(z) ** 2)
    np.testing.assert_allclose(layer.kernel.grad, x.data.T @ gz, rtol=1e-10)
    np.testing.assert_allclose(layer.bias.grad, gz.sum(0), rtol=1e-10)
    np.testing.assert_allclose(x.grad, gz @ k.T, rtol=1e-10)


@pytest.mark.parametrize("activation", [None, "sigmoid", "relu", "elu", "softmax"])
def test_dense_gradients_match_finite_differences(activation, fd_check, check_grad):
    layer = Dense(3, activation=activation, input_dim=4, seed=1, dtype=F64,
                  bias_initializer="normal")
    x = Tensor(_x((2, 4), seed=2), requires_grad=True)
    w = _x((2, 3), seed=3)
    fd_check(lambda: (layer(x) * w).sum(), [x, layer.kernel, layer.bias])
    check_grad(lambda a: layer(a), x.data, dual=True)


def test_dense_is_one_fused_linear_node():
    layer = Dense(2, input_dim=3)
    out = layer(Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True))
    assert out.op == "linear"
    # relu, sigmoid, tanh, elu and leaky_relu go inside the node too; softmax comes after it
    relu = Dense(2, activation="relu", input_dim=3)(np.ones((1, 3)))
    assert relu.op == "linear" and relu.params == {"activation": "relu"}
    leaky = Dense(2, activation="leaky_relu", input_dim=3)(np.ones((1, 3)))
    assert leaky.params == {"activation": "leaky_relu", "alpha": 0.2}  # Keras's slope
    assert Dense(2, activation="softmax", input_dim=3)(np.ones((1, 3))).parents[0].op == "linear"
    no_bias = Dense(2, activation="tanh", use_bias=False, input_dim=3)(np.ones((1, 3)))
    assert no_bias.op == "tanh" and no_bias.parents[0].op == "matmul"


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "elu", "leaky_relu"])
def test_dense_fused_activation_is_the_two_node_form_bit_for_bit(activation):
    layer = Dense(5, activation=activation, input_dim=3, seed=0, bias_initializer="normal")
    x = Tensor(_x((4, 3), seed=1).astype(np.float32), requires_grad=True)
    out = layer(x)
    g = _x((4, 5), seed=2).astype(np.float32)
    out.backward(g)
    fused = [x.grad, layer.kernel.grad, layer.bias.grad]
    for t in (x, layer.kernel, layer.bias):
        t.grad = None
    ref = layer.activation(layer._affine(x))  # the layer's own function after a plain linear
    np.testing.assert_array_equal(out.data, ref.data)
    ref.backward(g)
    for a, b in zip(fused, [x.grad, layer.kernel.grad, layer.bias.grad]):
        np.testing.assert_array_equal(a, b)


def test_dense_without_bias_and_leading_axes():
    layer = Dense(2, input_dim=3, use_bias=False, seed=0, dtype=F64)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["kernel"]
    x = _x((2, 5, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.kernel.data, rtol=1e-12)


def test_dense_builds_from_input_dim_previous_layer_or_first_call():
    assert Dense(3, input_dim=4).kernel.shape == (4, 3)
    model = Sequential(Dense(8, input_dim=4), Dropout(0.5), Dense(2))
    assert model[2].built and model[2].kernel.shape == (8, 2)
    lazy = Dense(3)
    assert not lazy.built and lazy.parameters() == []
    out = lazy(np.ones((2, 7)))
    assert lazy.kernel.shape == (7, 3) and out.shape == (2, 3)


def test_width_mismatch_errors_name_both_widths():
    layer = Dense(3, input_dim=4)
    with pytest.raises(ValueError, match=r"Dense: expected input width 4, got width 5"):
        layer(np.ones((2, 5)))
    model = Sequential(Dense(8, input_dim=4), Dense(2))
    with pytest.raises(ValueError, match=r"Dense 'layers.0': expected input width 4, got width 6"):
        model(np.ones((1, 6)))
    with pytest.raises(ValueError, match=r"layer 1 \(Dense\) expects input width 5, but the "
                                         r"layers before it output width 8"):
        Sequential(Dense(8, input_dim=4), Dense(2, input_dim=5))
    with pytest.raises(ValueError, match="got a scalar"):
        layer(Tensor(1.0))


def test_dense_argument_errors():
    with pytest.raises(ValueError, match="units must be a positive integer, got 0"):
        Dense(0)
    with pytest.raises(ValueError, match="input_dim must be a positive integer"):
        Dense(2, input_dim=-1)
    with pytest.raises(ValueError, match="unknown activation 'rellu'"):
        Dense(2, activation="rellu")
    with pytest.raises(ValueError, match="unknown initializer 'glorot'.*glorot_uniform"):
        Dense(2, kernel_initializer="glorot")
    with pytest.raises(TypeError, match="dtype must be a floating-point type"):
        Dense(2, dtype=np.int32)


def test_float32_in_float32_out_and_inputs_cast_to_the_layer_dtype():
    layer = Dense(3, activation="relu", input_dim=4)
    assert layer.kernel.dtype == np.float32 and layer.bias.dtype == np.float32
    x64 = Tensor(_x(), requires_grad=True)
    out = layer(x64)
    assert out.dtype == np.float32
    out.sum().backward()
    assert layer.kernel.grad.dtype == np.float32 and x64.grad.dtype == np.float64
    assert layer(_x()).dtype == np.float32
    assert Dense(2, input_dim=4, dtype=F64)(np.ones((1, 4), dtype=np.float32)).dtype == F64


# ---- seeding ----


def test_seeded_layers_are_reproducible_and_seeds_differ():
    a, b, c = (Dense(5, input_dim=4, seed=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(a.kernel.data, b.kernel.data)
    assert not np.array_equal(a.kernel.data, c.kernel.data)
    set_seed(123)
    first = MLP([4, 8, 2]).state_dict()
    set_seed(123)
    second = MLP([4, 8, 2]).state_dict()
    for k in first:
        np.testing.assert_array_equal(first[k], second[k])
    one, two = MLP([4, 8, 8, 2], seed=3), MLP([4, 8, 8, 2], seed=3)
    for p, q in zip(one.parameters(), two.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    square = MLP([4, 4, 4], seed=3)  # each layer gets its own stream: same shape, other values
    assert not np.array_equal(square[0].kernel.data, square[1].kernel.data)
    gen = np.random.default_rng(0)
    shared = [Dense(3, input_dim=3, seed=gen) for _ in range(2)]
    assert not np.array_equal(shared[0].kernel.data, shared[1].kernel.data)


# ---- Neuron, Maxout, Activation ----


def test_neuron_is_one_sigmoid_unit():
    n = Neuron(input_dim=3, seed=0, dtype=F64)
    x = _x((4, 3))
    out = n(x)
    assert out.shape == (4, 1)
    z = x @ n.kernel.data + n.bias.data
    np.testing.assert_allclose(out.data, 1 / (1 + np.exp(-z)), rtol=1e-12)


def test_maxout_value_and_gradient(fd_check):
    layer = Maxout(2, pieces=3, input_dim=4, seed=0, dtype=F64, bias_initializer="normal")
    x = Tensor(_x((5, 4)), requires_grad=True)
    out = layer(x)
    z = (x.data @ layer.kernel.data + layer.bias.data).reshape(5, 2, 3)
    np.testing.assert_allclose(out.data, z.max(-1), rtol=1e-12)
    w = _x((5, 2), seed=4)
    (out * w).sum().backward()
    # the gradient flows only into the winning piece of each unit
    gz = (z == z.max(-1, keepdims=True)) * w[..., None]
    np.testing.assert_allclose(layer.bias.grad, gz.reshape(5, 6).sum(0), rtol=1e-12)
    np.testing.assert_allclose(x.grad, gz.reshape(5, 6) @ layer.kernel.data.T, rtol=1e-12)
    fd_check(lambda: (layer(x) * w).sum(), [x, layer.kernel, layer.bias])


def test_activation_layer_with_arguments():
    x = Tensor(np.array([[-1.0, 2.0]]))
    np.testing.assert_allclose(Activation("leaky_relu", alpha=0.5)(x).data, [[-0.5, 2.0]])
    np.testing.assert_allclose(Activation(ag.tanh)(x).data, np.tanh(x.data))


# ---- Dropout ----


def test_dropout_is_inverted_and_identity_in_eval_mode():
    layer = Dropout(0.25, seed=0)
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    out = layer(x)
    kept = out.data != 0
    assert abs(1 - kept.mean() - 0.25) < 0.01
    np.testing.assert_allclose(out.data[kept], 1 / 0.75)
    assert abs(out.data.mean() - 1.0) < 0.02  # the expectation is preserved
    w = _x((200, 50))
    (out * w).sum().backward()
    np.testing.assert_allclose(x.grad, w * kept / 0.75, rtol=1e-12)
    layer.eval()
    assert layer(x) is x
    layer.train()
    assert layer(x) is not x


def test_dropout_is_seeded_and_keeps_dtype():
    a, b = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    x = Tensor(np.ones((4, 6), dtype=np.float32))
    first, second = a(x), b(x)
    np.testing.assert_array_equal(first.data, second.data)
    assert first.dtype == np.float32
    assert not np.array_equal(a(x).data, first.data)  # a new mask on every call
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\), got 1"):
        Dropout(1)
    assert Dropout(0.0)(x) is x


# ---- Sequential and MLP ----


def test_sequential_add_index_and_list_form():
    model = Sequential()
    model.add(Dense(4, "relu", input_dim=3)).add(Dense(1))
    assert len(model) == 2 and isinstance(model[1], Dense)
    same = Sequential([Dense(4, "relu", input_dim=3), Dense(1)])
    assert [n for n, _ in same.named_parameters()] == [
        "layers.0.kernel", "layers.0.bias", "layers.1.kernel", "layers.1.bias"]
    with pytest.raises(TypeError, match="expected a Module, got int"):
        model.add(3)


def test_sequential_build_and_lazy_widths():
    model = Sequential(Dense(5, "relu"), Dropout(0.1), Dense(2))
    assert model[2].built  # its input width is Dense(5)'s units, known already
    assert not model[0].built
    model.build(7)
    assert model[0].kernel.shape == (7, 5)
    assert model(np.zeros((3, 7))).shape == (3, 2)


def test_mlp_structure_and_values():
    mlp = MLP([4, 8, 8, 3], activation="relu", output_activation="softmax", seed=0, dtype=F64)
    assert [layer.units for layer in mlp] == [8, 8, 3]
    x = _x((6, 4))
    h = x
    for i, layer in enumerate(mlp):
        h = h @ layer.kernel.data + layer.bias.data
        if i < 2:
            h = np.maximum(h, 0)
    e = np.exp(h - h.max(-1, keepdims=True))
    np.testing.assert_allclose(mlp(x).data, e / e.sum(-1, keepdims=True), rtol=1e-12)
    assert MLP([2, 3]).layers[0].activation.__name__ == "linear"
    assert MLP([2, 3, 1]).layers[0].activation.__name__ == "tanh"
    with pytest.raises(ValueError, match="needs an input and an output width"):
        MLP([3])


def test_mlp_gradients_match_finite_differences(fd_check):
    mlp = MLP([3, 4, 2], seed=1, dtype=F64)
    x = _x((2, 3))
    y = np.array([0, 1])
    from nn.losses import sparse_categorical_crossentropy as scce

    fd_check(lambda: scce(y, mlp(x), from_logits=True), mlp.parameters())


# ---- Perceptron ----

X_BOOL = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


@pytest.mark.parametrize("name,y", [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1])])
def test_perceptron_learns_and_and_or(name, y):
    p = Perceptron(input_dim=2)
    errors = p.fit(X_BOOL, y, epochs=20, lr=0.1)
    assert p.converged and errors[-1] == 0, f"{name}: {errors}"
    np.testing.assert_array_equal(p.predict(X_BOOL), y)
    np.testing.assert_array_equal(p(X_BOOL).data[:, 0], y)


def test_perceptron_does_not_converge_on_xor():
    p = Perceptron()
    errors = p.fit(X_BOOL, [0, 1, 1, 0], epochs=100, lr=0.1)
    assert len(errors) == 100 and min(errors) > 0 and not p.converged
    assert np.mean(p.predict(X_BOOL) == [0, 1, 1, 0]) < 1


def test_perceptron_rule_by_hand():
    p = Perceptron(input_dim=2, dtype=F64)
    p.fit(np.array([[2.0, -1.0]]), [0], epochs=1, lr=0.5)
    # zero weights: w.x + b = 0, step(0) = 1, wrong: w += 0.5 * (0 - 1) * x, b += -0.5
    np.testing.assert_allclose(p.kernel.data[:, 0], [-1.0, 0.5])
    np.testing.assert_allclose(p.bias.data, [-0.5])


def test_perceptron_sign_labels_and_errors():
    p = Perceptron(activation="sign", seed=0)
    p.fit(X_BOOL, [-1, -1, -1, 1], epochs=30, lr=0.1, shuffle=True)
    assert p.converged
    np.testing.assert_array_equal(p.predict(X_BOOL), [-1, -1, -1, 1])
    with pytest.raises(ValueError, match=r"labels must be in \(0, 1\), found \[2\]"):
        Perceptron().fit(X_BOOL, [0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"y must have shape \(4,\)"):
        Perceptron().fit(X_BOOL, [0, 1])
    with pytest.raises(ValueError, match="activation must be 'step' or 'sign'"):
        Perceptron(activation="relu")
