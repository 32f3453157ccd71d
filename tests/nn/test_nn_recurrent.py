"""SimpleRNN, LSTM, GRU and Embedding against their step equations written out in NumPy with
the same weights; Keras's weight layout; gradients through time checked three ways."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn

RNG = np.random.default_rng(0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def simple_rnn_loop(x, W, U, b, h):
    hs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W + h @ U + b)
        hs.append(h)
    return np.stack(hs, 1), [h]


def lstm_loop(x, W, U, b, h, c):
    n = U.shape[0]
    hs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ W + h @ U + b
        i = sigmoid(z[:, :n])          # Keras's gate order: i, f, c, o
        f = sigmoid(z[:, n:2 * n])
        g = np.tanh(z[:, 2 * n:3 * n])
        o = sigmoid(z[:, 3 * n:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    return np.stack(hs, 1), [h, c]


def gru_loop(x, W, U, b, h, reset_after=True):
    n = U.shape[0]
    b_in, b_rec = (b[0], b[1]) if reset_after else (b, np.zeros(3 * n))
    hs = []
    for t in range(x.shape[1]):
        xz = x[:, t] @ W + b_in                 # gate order z, r, h
        if reset_after:
            rec = h @ U + b_rec
            z = sigmoid(xz[:, :n] + rec[:, :n])
            r = sigmoid(xz[:, n:2 * n] + rec[:, n:2 * n])
            hh = np.tanh(xz[:, 2 * n:] + r * rec[:, 2 * n:])
        else:
            z = sigmoid(xz[:, :n] + h @ U[:, :n])
            r = sigmoid(xz[:, n:2 * n] + h @ U[:, n:2 * n])
            hh = np.tanh(xz[:, 2 * n:] + (r * h) @ U[:, 2 * n:])
        h = z * h + (1 - z) * hh
        hs.append(h)
    return np.stack(hs, 1), [h]


LOOPS = {"SimpleRNN": simple_rnn_loop, "LSTM": lstm_loop, "GRU": gru_loop}
KINDS = [(nn.SimpleRNN, 1, 1), (nn.LSTM, 4, 2), (nn.GRU, 3, 1)]


def reference(layer, x, states=None):
    w = [p.data.astype(np.float64) for p in (layer.kernel, layer.recurrent_kernel, layer.bias)]
    if states is None:
        states = [np.zeros((x.shape[0], layer.units))] * layer.state_count
    loop = LOOPS[type(layer).__name__]
    if isinstance(layer, nn.GRU):
        return loop(x, *w, *states, reset_after=layer.reset_after)
    return loop(x, *w, *states)


@pytest.mark.parametrize("cls, k, n_states", KINDS, ids=lambda v: getattr(v, "__name__", ""))
def test_weight_layout_is_keras(cls, k, n_states):
    layer = cls(5, input_shape=(7, 3))
    assert layer.kernel.shape == (3, k * 5)
    assert layer.recurrent_kernel.shape == (5, k * 5)
    assert layer.bias.shape == ((2, 15) if cls is nn.GRU else (k * 5,))
    assert [p.name for p in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    config = layer.get_config()
    for key in ("units", "activation", "return_sequences", "return_state", "go_backwards",
                "use_bias", "recurrent_initializer"):
        assert key in config
    assert config["activation"] == "tanh"
    if cls is not nn.SimpleRNN:
        assert config["recurrent_activation"] == "sigmoid"
    assert layer.compute_output_shape((None, 7, 3)) == (None, 5)


def test_lstm_forget_bias_starts_at_one_and_recurrent_kernel_is_orthogonal():
    layer = nn.LSTM(4, input_shape=(2, 3))
    np.testing.assert_array_equal(layer.bias.data, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    assert not nn.LSTM(4, unit_forget_bias=False, input_shape=(2, 3)).bias.data.any()
    u = layer.recurrent_kernel.data.astype(np.float64)  # (4, 16): orthonormal rows
    np.testing.assert_allclose(u @ u.T, np.eye(4), atol=1e-6)
    q = nn.init.get_initializer("orthogonal")((6, 3), np.float64, np.random.default_rng(0))
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-12)  # orthonormal columns


@pytest.mark.parametrize("cls, k, n_states", KINDS, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("return_sequences", [False, True])
def test_forward_matches_the_step_equations(cls, k, n_states, return_sequences):
    x = RNG.standard_normal((3, 6, 4)).astype(np.float32)
    layer = cls(5, return_sequences=return_sequences, bias_initializer="normal", seed=0)
    out = layer(x)
    seq, _ = reference(layer, x.astype(np.float64))
    expected = seq if return_sequences else seq[:, -1]
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-5)
    assert out.dtype == np.float32
    assert layer.compute_output_shape((None, 6, 4)) == (None, *out.shape[1:])


def test_gru_reset_before():
    x = RNG.standard_normal((2, 5, 3))
    layer = nn.GRU(4, reset_after=False, bias_initializer="normal", dtype=np.float64, seed=1)
    out = layer(x)
    assert layer.bias.shape == (12,)
    np.testing.assert_allclose(out.data, reference(layer, x)[0][:, -1], atol=1e-12)


@pytest.mark.parametrize("cls, k, n_states", KINDS, ids=lambda v: getattr(v, "__name__", ""))
def test_return_state_initial_state_and_go_backwards(cls, k, n_states):
    x = RNG.standard_normal((2, 5, 3))
    states = [RNG.standard_normal((2, 4)) for _ in range(n_states)]
    layer = cls(4, return_sequences=True, return_state=True, dtype=np.float64, seed=0)
    out, *final = layer(x, initial_state=states)
    seq, ref_states = reference(layer, x, states)
    np.testing.assert_allclose(out.data, seq, atol=1e-12)
    assert len(final) == n_states
    for a, b in zip(final, ref_states):
        np.testing.assert_allclose(a.data, b, atol=1e-12)
    assert layer.compute_output_shape((None, 5, 3)) == [(None, 5, 4)] + [(None, 4)] * n_states

    back = cls(4, return_sequences=True, go_backwards=True, dtype=np.float64)
    back(x)
    back.set_weights(layer.get_weights())
    # as Keras: the reversed sequence is read, and its outputs come in that (reversed) order
    np.testing.assert_allclose(back(x).data, reference(layer, x[:, ::-1])[0], atol=1e-12)
    with pytest.raises(ValueError, match="initial_state needs"):
        layer(x, initial_state=states + states)


@pytest.mark.parametrize("cls, k, n_states", KINDS, ids=lambda v: getattr(v, "__name__", ""))
def test_gradients_through_time_three_ways(cls, k, n_states):
    layer = cls(3, return_sequences=True, bias_initializer="normal", dtype=np.float64, seed=0)
    x = RNG.standard_normal((2, 4, 2))
    layer(x)
    w = [p.data.copy() for p in (layer.kernel, layer.recurrent_kernel, layer.bias)]

    def f(x, kernel, recurrent, bias):
        layer.kernel, layer.recurrent_kernel, layer.bias = kernel, recurrent, bias
        return layer.forward(x)

    assert ag.gradcheck(f, x, *w)


def test_backpropagation_through_time_reaches_the_first_step():
    layer = nn.LSTM(4, dtype=np.float64, seed=0)
    x = ag.Tensor(RNG.standard_normal((2, 8, 3)), requires_grad=True)
    ag.sum(layer(x)).backward()
    assert np.abs(x.grad[:, 0]).sum() > 0  # the last output depends on the first input
    assert layer.recurrent_kernel.grad.shape == (4, 16)


def test_recurrent_errors():
    with pytest.raises(ValueError, match=r"LSTM.*\(batch, timesteps, features\)"):
        nn.LSTM(3)(np.zeros((2, 3)))
    layer = nn.GRU(3)
    layer(np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="expected 4 input features, got 2"):
        layer(np.zeros((1, 2, 2)))


# ---- Embedding ----


def test_embedding_looks_up_rows_and_scatters_the_gradient():
    emb = nn.Embedding(10, 3, seed=0)
    ids = np.array([[1, 2, 1], [9, 0, 0]])
    out = emb(ids)
    assert emb.embeddings.shape == (10, 3) and out.shape == (2, 3, 3)
    assert np.abs(emb.embeddings.data).max() <= 0.05  # Keras's "uniform": ±0.05
    np.testing.assert_array_equal(out.data, emb.embeddings.data[ids])
    ag.sum(out * out).backward()
    expected = np.zeros((10, 3))
    np.add.at(expected, ids, 2 * emb.embeddings.data[ids])
    np.testing.assert_allclose(emb.embeddings.grad, expected, rtol=1e-6)
    np.testing.assert_array_equal(emb(ids.astype(np.float32)).data, out.data)  # summary's zeros
    assert emb.compute_output_shape((None, 3)) == (None, 3, 3)
    assert emb.get_config()["input_dim"] == 10 and emb.get_config()["output_dim"] == 3


def test_embedding_gradient_three_ways_and_errors():
    emb = nn.Embedding(5, 2, dtype=np.float64)
    ids = np.array([[0, 4, 4]])
    emb(ids)

    def f(table):
        emb.embeddings = table
        return emb.forward(ids) ** 2

    assert ag.gradcheck(f, RNG.standard_normal((5, 2)))
    with pytest.raises(ValueError, match=r"ids must be in \[0, 5\)"):
        emb(np.array([[5]]))
    with pytest.raises(ValueError, match="whole numbers"):
        emb(np.array([[0.5]]))
