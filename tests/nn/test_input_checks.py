"""fit, evaluate, predict and lr_find refuse NaN, infinity and non-numbers in their data,
naming the argument and the first bad row; ``check_inputs=False`` opts out."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from nn import Dense, Sequential


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    y = (X[:, 0] > 0).astype(np.float64)
    return X, y


def model_(loss="mse"):
    model = Sequential(Dense(4, "tanh", input_dim=4, seed=0), Dense(1, seed=1))
    model.compile("sgd", loss, lr=0.1)
    return model


def test_the_issue_example_a_nan_in_X_names_row_and_column():
    X, y = data()
    X[17, 3] = np.nan
    with pytest.raises(ValueError, match=re.escape("fit: X has a nan at row 17 (column 3)")):
        model_().fit(X, y, verbose=0)


@pytest.mark.parametrize("bad, shown", [(np.nan, "a nan"), (np.inf, "an inf"),
                                        (-np.inf, "an -inf")])
def test_non_finite_targets_and_weights_are_named(bad, shown):
    X, y = data()
    y[4] = bad
    with pytest.raises(ValueError, match=re.escape(f"fit: y has {shown} at row 4;")):
        model_().fit(X, y, verbose=0)
    X, y = data()
    w = np.ones(len(X))
    w[9] = bad
    with pytest.raises(ValueError, match=re.escape(f"fit: sample_weight has {shown} at row 9")):
        model_().fit(X, y, sample_weight=w, verbose=0)


def test_object_arrays_holding_none_or_text_are_refused():
    X, y = data(6)
    X_obj = X.astype(object)
    X_obj[2, 1] = None
    with pytest.raises(ValueError, match=re.escape("fit: X has None at row 2 (column 1)")):
        model_().fit(X_obj, y, verbose=0)
    X_obj[2, 1] = "3.5"
    with pytest.raises(ValueError, match=re.escape("fit: X has a str '3.5' at row 2 (column 1)")):
        model_().fit(X_obj, y, verbose=0)
    with pytest.raises(ValueError, match="fit: y holds text .*encode it as numbers"):
        model_().fit(X, np.array(["cat", "dog"] * 3), verbose=0)


def test_an_object_array_of_numbers_is_accepted_as_numbers():
    X, y = data(8)
    model = model_()
    model.fit(X.astype(object), y.astype(object), epochs=2, verbose=0)
    assert np.isfinite(model.predict(X.astype(object))).all()


def test_ragged_rows_are_named():
    with pytest.raises(ValueError, match="fit: X is ragged"):
        model_().fit([[1.0, 2.0, 3.0, 4.0], [1.0]], [0.0, 1.0], verbose=0)


def test_evaluate_predict_validation_data_and_lr_find_check_too():
    X, y = data()
    bad = X.copy()
    bad[5, 0] = np.inf
    model = model_()
    with pytest.raises(ValueError, match=re.escape("evaluate: X has an inf at row 5 (column 0)")):
        model.evaluate(bad, y)
    with pytest.raises(ValueError, match=re.escape("predict: X has an inf at row 5 (column 0)")):
        model.predict(bad)
    with pytest.raises(ValueError, match=re.escape("fit: X_val has an inf at row 5")):
        model.fit(X, y, validation_data=(bad, y), verbose=0)
    with pytest.raises(ValueError, match=re.escape("lr_find: X has an inf at row 5")):
        nn.lr_find(model, bad, y, num_steps=3)


def test_check_inputs_false_opts_out():
    X, y = data()
    X[0, 0] = np.nan
    model = model_()
    history = model.fit(X, y, epochs=1, batch_size=8, shuffle=False, verbose=0,
                        check_inputs=False)
    assert np.isnan(history.history["loss"][0])
    assert np.isnan(model.predict(X, check_inputs=False)).all()
    assert np.isnan(model.evaluate(X, y, check_inputs=False)["loss"])


def test_a_refused_fit_takes_no_step():
    X, y = data()
    X[-1, 2] = np.nan
    model = model_()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError):
        model.fit(X, y, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@given(n=st.integers(1, 12), shape=st.lists(st.integers(1, 3), min_size=0, max_size=2),
       where=st.integers(0, 10_000), bad=st.sampled_from([np.nan, np.inf, -np.inf, None]),
       argument=st.sampled_from(["X", "y"]))
def test_every_bad_value_is_found_at_its_first_row(n, shape, where, bad, argument):
    X = np.zeros((n, *shape)) if argument == "X" else np.zeros((n, 4))
    y = np.zeros((n, *shape)) if argument == "y" else np.zeros(n)
    target = X if argument == "X" else y
    index = np.unravel_index(where % target.size, target.shape)
    if bad is None:
        target = target.astype(object)
    target[index] = bad
    if argument == "X":
        X = target
    else:
        y = target
    from nn.data import prepare_arrays

    with pytest.raises(ValueError) as info:
        prepare_arrays(X, y, caller="fit")
    message = str(info.value)
    assert message.startswith(f"fit: {argument} has ")
    assert f"at row {index[0]}" in message
    if len(index) == 2:
        assert f"(column {index[1]})" in message
    if len(index) == 3:
        assert f"(index {tuple(int(i) for i in index[1:])})" in message
