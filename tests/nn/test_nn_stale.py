"""Training never meets a read-only error: a kept graph (a notebook's predictions) becomes
stale when the weights change, and only a backward pass through it is refused."""

import numpy as np
import pytest

import autograd_core as ag
import nn

OPTIMIZERS = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Nadam", "Adamax", "Adadelta"]
STALE = r"backward: linear recorded kernel 'layers\.1\.kernel' before it was updated in place"


def moons_model():
    X, y = nn.datasets.moons(200)
    m = nn.Sequential(nn.Dense(16, activation="relu", input_shape=(2,)),
                      nn.Dense(1, activation="sigmoid"))
    return X, y.reshape(-1, 1), m


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_step_while_predictions_are_kept(name):
    X, y, m = moons_model()
    opt = getattr(nn.optim, name)(m.parameters(), lr=0.01)
    pred = m(X)  # a notebook user keeps predictions; never backpropagated
    before = [p.data.copy() for p in m.parameters()]
    loss = nn.losses.get_loss("binary_crossentropy")(y, m(X))
    loss.backward()
    opt.step()
    assert any(not np.array_equal(b, p.data) for b, p in zip(before, m.parameters()))
    assert np.all(np.isfinite(pred.data))  # the kept values are still readable
    with pytest.raises(RuntimeError, match=STALE + r".*recompute the forward pass"):
        pred.sum().backward()
    X[:] = X  # the input the stale graph held is writeable again


def test_weights_can_be_set_and_loaded_while_a_graph_holds_them():
    X, y, m = moons_model()
    pred = m(X)
    m.set_weights([np.zeros_like(w) for w in m.get_weights()])
    m.load_state_dict({k: np.ones_like(v) for k, v in m.state_dict().items()})
    assert all(np.all(w == 1) for w in m.get_weights())
    with pytest.raises(RuntimeError, match=r"before it was updated in place"):
        pred.sum().backward()


def test_fit_after_a_kept_forward_pass():
    X, y, m = moons_model()
    kept = m(X)
    m.compile(optimizer="adam", loss="binary_crossentropy")
    history = m.fit(X, y, epochs=2, batch_size=50, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    with pytest.raises(RuntimeError, match=r"before it was updated in place"):
        kept.mean().backward()


def test_a_hand_written_loop_with_an_in_place_update_under_no_grad():
    X, y, m = moons_model()
    bce = nn.losses.get_loss("binary_crossentropy")
    losses = []
    for _ in range(30):
        loss = bce(y, m(X))
        losses.append(loss)  # kept graphs, as when plotting the curve
        for p in m.parameters():
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in m.parameters():
                p -= 0.5 * p.grad
    values = [float(v.data) for v in losses]
    assert values[-1] < values[0]
