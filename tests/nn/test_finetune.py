"""Fine-tuning: trainable=False freezes layers and nested models, before and after compile."""

import numpy as np

import nn


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    return X, (X[:, :1] - X[:, 1:2]).astype(np.float32)


def _body():
    x = nn.Input(shape=(4,))
    return nn.Model(x, nn.Dense(8, activation="tanh", name="b2")(
        nn.Dense(8, activation="tanh", name="b1")(x)), name="body")


def test_a_frozen_nested_model_is_skipped_by_the_optimizer_and_counted_non_trainable():
    nn.set_seed(0)
    body = _body()
    x = nn.Input(shape=(4,))
    model = nn.Model(x, nn.Dense(1, name="head")(body(x)))
    model.compile("adam", "mse", lr=0.01)
    X, y = _data()
    model.fit(X, y, epochs=1, verbose=0)
    body.trainable = False  # after compile, as in a fine-tuning notebook
    frozen = body.get_weights()
    head = model.get_layer("head").get_weights()
    model.fit(X, y, epochs=2, verbose=0)
    for a, b in zip(frozen, body.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in
               zip(head, model.get_layer("head").get_weights()))
    text = model.summary(print_fn=None)
    assert "Trainable params: 9" in text and "Non-trainable params: 112" in text
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 4
    body.trainable = True  # unfreezing later trains the body again
    model.fit(X, y, epochs=1, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(frozen, body.get_weights()))


def test_replace_the_head_of_a_trained_model():
    nn.set_seed(1)
    x = nn.Input(shape=(4,))
    body = _body()
    first = nn.Model(x, nn.Dense(1, name="first_head")(body(x)))
    first.compile("adam", "mse", lr=0.01)
    X, y = _data()
    first.fit(X, y, epochs=3, verbose=0)
    body.trainable = False
    x2 = nn.Input(shape=(4,))
    second = nn.Model(x2, nn.Dense(3, name="second_head")(body(x2)))
    second.compile("adam", "sparse_categorical_crossentropy", from_logits=True, lr=0.05)
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)
    kept = body.get_weights()
    before = second.evaluate(X, labels)["loss"]
    second.fit(X, labels, epochs=20, verbose=0)
    assert second.evaluate(X, labels)["loss"] < before
    for a, b in zip(kept, body.get_weights()):
        np.testing.assert_array_equal(a, b)
    # both models share the body: the first still predicts as it did
    assert first.predict(X).shape == (64, 1)


def test_dense_takes_keras_input_shape():
    model = nn.Sequential()
    model.add(nn.Dense(32, activation="relu", input_shape=(784,)))
    model.add(nn.Dense(10, activation="softmax"))
    assert model.layers[0].kernel.shape == (784, 32) and model.layers[1].kernel.shape == (32, 10)
    assert model.predict(np.zeros((2, 784))).shape == (2, 10)
