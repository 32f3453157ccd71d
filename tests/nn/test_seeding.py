"""One seeding rule: after nn.set_seed(s) every random choice in nn repeats, and each consumer
draws from its own stream."""

import numpy as np
import pytest

import nn
from nn.data import batches, train_test_split
from nn.datasets import moons


def hand_written_loop():
    nn.set_seed(0)
    X, y = moons(200, noise=0.1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
    model = nn.Sequential(nn.Dense(16, "relu", input_dim=2), nn.Dropout(0.2), nn.Dense(2))
    opt = nn.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(3):
        for xb, yb in batches(X_train, y_train, batch_size=32):
            opt.zero_grad()
            loss = nn.losses.sparse_categorical_crossentropy(yb, model(xb), from_logits=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses, model.get_weights(), X_test


def test_a_hand_written_loop_repeats_after_set_seed():
    losses_a, weights_a, test_a = hand_written_loop()
    losses_b, weights_b, test_b = hand_written_loop()
    assert losses_a == losses_b and len(losses_a) == 15
    np.testing.assert_array_equal(test_a, test_b)
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("draw", [
    lambda: train_test_split(np.arange(20), test_size=5)[1],
    lambda: np.concatenate(list(batches(np.arange(20), batch_size=7))),
    lambda: moons(30, noise=0.2)[0],
    lambda: nn.Dropout(0.5)(np.ones((4, 5))).data,
    lambda: nn.Dense(3, input_dim=4).kernel.data,
    lambda: nn.init.get_initializer("he_normal")((3, 3)),
], ids=["train_test_split", "batches", "moons", "dropout", "weights", "initializer"])
def test_every_consumer_repeats_after_set_seed_and_differs_without(draw):
    nn.set_seed(3)
    first = draw()
    nn.set_seed(3)
    np.testing.assert_array_equal(draw(), first)
    nn.set_seed(None)
    assert not np.array_equal(draw(), first)


def test_each_consumer_has_its_own_stream():
    nn.set_seed(0)
    alone = nn.Dense(3, input_dim=2).kernel.data
    nn.set_seed(0)
    train_test_split(np.arange(10))  # a split drawn first does not move the weights
    list(batches(np.arange(10)))
    np.testing.assert_array_equal(nn.Dense(3, input_dim=2).kernel.data, alone)


def fit_weights(with_lr_find):
    nn.set_seed(0)
    X, y = moons(120, noise=0.1)
    model = nn.Sequential(nn.Dense(8, "relu", input_dim=2), nn.Dropout(0.3), nn.Dense(1))
    model.compile("adam", "binary_crossentropy", from_logits=True)
    if with_lr_find:
        nn.lr_find(model, X, y, num_steps=10)
    model.fit(X, y, epochs=2, batch_size=16, verbose=0)
    return model.get_weights()


def test_lr_find_does_not_change_the_training_after_it():
    for a, b in zip(fit_weights(False), fit_weights(True)):
        np.testing.assert_array_equal(a, b)


def test_set_seed_refuses_what_is_not_a_seed():
    with pytest.raises(TypeError, match="non-negative int or None"):
        nn.set_seed(1.5)
    with pytest.raises(TypeError, match="non-negative int or None"):
        nn.set_seed(-1)


def test_lr_find_without_a_seed_leaves_every_other_stream_alone():
    import random

    from nn.seeding import make_rng

    def draws(with_lr_find):
        nn.set_seed(0)
        X, y = moons(64, noise=0.1, seed=1)
        model = nn.Sequential(nn.Dense(4, "relu", input_dim=2, seed=0), nn.Dense(1, seed=1))
        model.compile("adam", "binary_crossentropy", from_logits=True)
        if with_lr_find:
            nn.lr_find(model, X, y, num_steps=5)  # seed=None: key "lr_find" only
        return ([make_rng(None, key).random(3).tolist()
                 for key in ("fit", "batches", "layer", "train_test_split", "datasets")],
                np.random.random(3).tolist(), random.random())

    assert draws(True) == draws(False)
