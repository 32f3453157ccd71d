"""A loss that does not fit the model's outputs or the targets is refused (certain) or
warned about once (likely), with the fix in the message."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn import MLP, Activation, Dense, Dropout, Sequential
from nn.checks import LossMismatchWarning, final_activation

CROSS_ENTROPIES = ["binary_crossentropy", "categorical_crossentropy",
                   "sparse_categorical_crossentropy"]
NOT_PROBABILITIES = [None, "linear", "relu", "tanh", "elu", "softplus", "leaky_relu", "gelu",
                     "silu", "selu", "softsign"]


def classes(n=60, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    y = np.arange(n) % k
    return X, y


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", LossMismatchWarning)
        yield


def test_the_issue_example_logits_with_a_probability_loss_is_refused_at_compile():
    model = MLP([64, 64, 10], activation="relu", seed=0)
    with pytest.raises(ValueError, match="expects probabilities.*pass from_logits=True to "
                                         "compile"):
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.compile("adam", "sparse_categorical_crossentropy", from_logits=True)  # the fix


@pytest.mark.parametrize("loss", CROSS_ENTROPIES)
@pytest.mark.parametrize("activation", NOT_PROBABILITIES)
def test_every_unbounded_last_activation_with_every_cross_entropy(loss, activation):
    model = Sequential(Dense(8, "relu", input_dim=4), Dense(3, activation))
    with pytest.raises(ValueError, match=f"last layer .*activation '{activation or 'linear'}'"):
        model.compile("adam", loss)


@pytest.mark.parametrize("loss, activation", [("binary_crossentropy", "sigmoid"),
                                              ("categorical_crossentropy", "softmax"),
                                              ("sparse_categorical_crossentropy", "softmax")])
def test_probabilities_with_from_logits_is_refused(loss, activation):
    model = Sequential(Dense(3, activation, input_dim=4))
    with pytest.raises(ValueError, match=f"from_logits=True.*applies {activation}.*remove"):
        model.compile("adam", loss, from_logits=True)
    with pytest.raises(ValueError, match="from_logits=True"):
        model.compile("adam", nn.get_loss(loss, from_logits=True))
    model.compile("adam", loss)  # the matching pair is fine


def test_the_last_activation_is_found_through_activation_dropout_and_nesting():
    assert final_activation(Sequential(Dense(3, input_dim=4), Activation("softmax"),
                                       Dropout(0.2))) == "softmax"
    assert final_activation(Sequential(Sequential(Dense(3, "sigmoid", input_dim=4)))) == \
        "sigmoid"
    assert final_activation(MLP([4, 3])) == "linear"
    model = Sequential(Dense(3, input_dim=4), Activation("softmax"), Dropout(0.2))
    model.compile("adam", "sparse_categorical_crossentropy")


def test_a_structure_that_does_not_tell_is_judged_by_the_first_batch():
    class Softmaxed(Sequential):
        def forward(self, x):
            return ag.softmax(super().forward(x), axis=-1)

    X, y = classes()
    custom = Softmaxed(Dense(3, input_dim=4, seed=0))
    assert final_activation(custom) is None
    custom.compile("adam", "sparse_categorical_crossentropy")  # outputs are probabilities
    custom.fit(X, y, epochs=1, verbose=0)

    def my_activation(x):
        return 3 * x

    scaled = Sequential(Dense(3, my_activation, input_dim=4, seed=0))
    assert final_activation(scaled) is None
    scaled.compile("adam", "sparse_categorical_crossentropy")  # unknown: not refused yet
    with pytest.raises(ValueError, match="outputs on the first batch range from .* "
                                         "pass from_logits=True"):
        scaled.fit(X, y, epochs=1, verbose=0)

    doubled = Softmaxed(Dense(3, input_dim=4, seed=0))
    doubled.compile("adam", "sparse_categorical_crossentropy", from_logits=True)
    with pytest.raises(LossMismatchWarning, match="every row .* sums to 1"):
        doubled.fit(X, y, epochs=1, verbose=0)


def test_softmax_over_one_unit_is_refused_and_sigmoid_over_classes_warns():
    with pytest.raises(ValueError, match="softmax to one unit, which always outputs 1"):
        Sequential(Dense(1, "softmax", input_dim=4)).compile("adam", "binary_crossentropy")
    with pytest.raises(LossMismatchWarning, match="applies sigmoid"):
        Sequential(Dense(3, "sigmoid", input_dim=4)).compile(
            "adam", "sparse_categorical_crossentropy")


def test_binary_crossentropy_on_three_classes_is_refused_with_the_fix():
    X, y = classes(k=3)
    model = Sequential(Dense(1, "sigmoid", input_dim=4, seed=0))
    model.compile("adam", "binary_crossentropy")
    with pytest.raises(ValueError, match=r"needs targets in \[0, 1\], but y has 2 at row 2 "
                       r"\(values \{0, 1, 2\}\); for 3 classes labelled 0..2 use "
                       "sparse_categorical_crossentropy with 3 output units"):
        model.fit(X, y, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: .*map -1/1 labels to 0/1"):
        model.evaluate(X, np.where(y > 0, 1, -1))
    with pytest.raises(ValueError, match="fit: .* but y_val has 2"):
        model.fit(X, y % 2, validation_data=(X, y), verbose=0)
    model.fit(X, y % 2, epochs=1, verbose=0)
    model.fit(X, y, epochs=1, verbose=0, check_inputs=False)  # the opt-out skips it


def test_sparse_labels_beyond_the_output_width_are_refused_before_training():
    X, y = classes(k=4)
    model = Sequential(Dense(3, input_dim=4, seed=0))
    model.compile("adam", "sparse_categorical_crossentropy", from_logits=True)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="integer labels in 0..2, but y has 3 at row 3.*"
                                         "give the model's last layer 4 units"):
        model.fit(X, y, verbose=0, shuffle=False)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # refused before the first step
    one = Sequential(Dense(1, input_dim=4, seed=0))
    one.compile("adam", "sparse_categorical_crossentropy", from_logits=True)
    with pytest.raises(ValueError, match="one output unit; for two classes use "
                                         "binary_crossentropy"):
        one.fit(X, y % 2, verbose=0)
    with pytest.raises(ValueError, match=r"y has -1 at row 0"):
        model.fit(X, y - 1, verbose=0)


def test_multi_hot_targets_with_categorical_crossentropy_and_odd_hinge_labels_warn():
    X, y = classes(k=3)
    multi_hot = nn.data.one_hot(y, 3)
    multi_hot[0, 1] = 1
    model = Sequential(Dense(3, "softmax", input_dim=4, seed=0))
    model.compile("adam", "categorical_crossentropy")
    with pytest.raises(LossMismatchWarning, match="row 0 sum to 2; for multi-label"):
        model.fit(X, multi_hot, verbose=0)
    hinge = Sequential(Dense(1, input_dim=4, seed=0))
    hinge.compile("sgd", "hinge")
    with pytest.raises(LossMismatchWarning, match=r"labels -1/1 \(or 0/1\), but y holds "
                                                  r"\{0, 1, 2\}"):
        hinge.fit(X, y, verbose=0)
    hinge.fit(X, 2 * (y % 2) - 1, epochs=1, verbose=0)


@pytest.mark.parametrize("build, loss, kwargs, y", [
    (lambda: MLP([4, 8, 3], seed=0), "sparse_categorical_crossentropy",
     {"from_logits": True}, lambda y: y),
    (lambda: MLP([4, 8, 3], output_activation="softmax", seed=0),
     "sparse_categorical_crossentropy", {}, lambda y: y),
    (lambda: MLP([4, 8, 3], output_activation="softmax", seed=0),
     "categorical_crossentropy", {}, lambda y: nn.data.one_hot(y, 3)),
    (lambda: MLP([4, 8, 1], output_activation="sigmoid", seed=0), "binary_crossentropy", {},
     lambda y: y % 2),
    (lambda: MLP([4, 8, 1], seed=0), "binary_crossentropy", {"from_logits": True},
     lambda y: y % 2),
    (lambda: MLP([4, 8, 1], output_activation="hard_sigmoid", seed=0), "binary_crossentropy",
     {}, lambda y: y % 2),
    (lambda: Sequential(Dense(3, input_dim=4, seed=0), Activation("softmax"), nn.Flatten(),
                        Dropout(0.1, seed=0)), "sparse_categorical_crossentropy", {},
     lambda y: y),
    (lambda: MLP([4, 8, 1], seed=0), "mse", {}, lambda y: y * 10.0),
])
def test_matching_pairs_train_without_a_word(build, loss, kwargs, y):
    X, labels = classes()
    model = build()
    model.compile("adam", loss, **kwargs)
    model.fit(X, y(labels), epochs=2, verbose=0)
    model.evaluate(X, y(labels))


def test_digits_with_the_fix_trains_well():
    from nn.data import StandardScaler
    from nn.datasets import load_digits

    X, y = load_digits()
    X = StandardScaler().fit_transform(X)
    model = MLP([64, 64, 10], activation="relu", seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  from_logits=True, lr=1e-3)
    model.fit(X, y, epochs=3, verbose=0, seed=0)
    assert model.evaluate(X, y)["accuracy"] > 0.9


def test_lr_find_with_its_own_loss_is_checked_the_same_way():
    X, y = classes()
    with pytest.raises(ValueError, match="lr_find: the loss sparse_categorical_crossentropy "
                                         "expects probabilities"):
        nn.lr_find(MLP([4, 8, 3], seed=0), X, y, loss="sparse_categorical_crossentropy")
    result = nn.lr_find(MLP([4, 8, 3], seed=0), X, y, num_steps=5,
                        loss=nn.get_loss("sparse_categorical_crossentropy", from_logits=True))
    assert len(result.lrs) == 5
