"""Keras-style training: compile, fit, evaluate, predict, metrics, History, Ctrl-C, lr_find."""

import json
import math
import os
import signal
import sys
import types

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn import L2, MLP, SGD, Adam, Dense, Dropout, History, Sequential, losses
from nn.callbacks import Callback, LambdaCallback
from nn.train import R2Score, get_metric


def regression_data(n=40, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)).astype(dtype)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.standard_normal(n)).astype(dtype)
    return X, y


def binary_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X, y


def linear_model(seed=0, dtype=np.float64, **kw):
    return Sequential(Dense(1, input_dim=3, seed=seed, dtype=dtype, **kw))


def params_of(model):
    return [p.data.copy() for p in model.parameters()]


def assert_same_params(a, b):
    """Equal up to rounding: NumPy's SIMD sums may round differently for differently aligned
    copies of the same numbers, so two identical runs can differ in the last bit."""
    for pa, pb in zip(params_of(a), params_of(b)):
        np.testing.assert_allclose(pa, pb, rtol=1e-12, atol=1e-14)


def manual_sgd_epoch(model, X, y, batch_size, lr, order=None, loss=losses.mse, **loss_kw):
    """The loop fit() must reproduce: forward, loss (+ penalty), backward, SGD step."""
    opt = SGD(model.parameters(), lr=lr)
    order = np.arange(len(X)) if order is None else order
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        opt.zero_grad()
        value = loss(y[idx], model(X[idx]), **loss_kw) + model.regularization_loss()
        value.backward()
        opt.step()


# ---- compile ----


def test_compile_needs_a_loss_and_known_names():
    model = linear_model()
    with pytest.raises(ValueError, match="a loss is required"):
        model.compile("adam")
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'; known: sgd, rmsprop"):
        model.compile("adamm", "mse")
    with pytest.raises(ValueError, match="unknown loss 'msee'"):
        model.compile("adam", "msee")
    with pytest.raises(ValueError, match=r"unknown metric 'acuracy'; known: accuracy, acc, "
                                         r"binary_accuracy.*rmse.*r2"):
        model.compile("adam", "mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match="from_logits was given, but the loss mse"):
        model.compile("adam", "mse", from_logits=True)
    with pytest.raises(TypeError, match=r"optimizer arguments \['lr'\] were given with an "
                                        "optimizer object"):
        model.compile(SGD(model.parameters()), "mse", lr=0.1)
    with pytest.raises(ValueError, match="metric name 'mae' is used twice"):
        model.compile("adam", "mse", metrics=["mae", "mae"])


def test_fit_evaluate_before_compile_raise():
    model = linear_model()
    X, y = regression_data()
    for call in (lambda: model.fit(X, y, verbose=0), lambda: model.evaluate(X, y)):
        with pytest.raises(RuntimeError, match="not compiled; call model.compile"):
            call()


def test_optimizer_by_name_is_built_on_the_parameters_with_its_arguments():
    model = linear_model()
    model.compile("sgd", "mse", lr=0.05, momentum=0.9)
    assert isinstance(model.optimizer, SGD)
    assert model.optimizer.lr == 0.05 and model.optimizer.momentum == 0.9
    assert model.optimizer.params == model.trainable_parameters()


def test_optimizer_is_built_lazily_when_the_weights_do_not_exist_yet():
    model = Sequential(Dense(4, "relu"), Dense(1))  # no input_dim: built on the first batch
    model.compile("adam", "mse", lr=0.01)
    assert model.optimizer is None
    X, y = regression_data()
    model.fit(X, y, epochs=1, verbose=0)
    assert isinstance(model.optimizer, Adam) and model.optimizer.lr == 0.01
    assert [id(p) for p in model.optimizer.params] == [id(p) for p in model.parameters()]
    assert model.layers[0].kernel.shape == (3, 4)


def test_optimizer_instance_and_factory():
    model = linear_model()
    opt = SGD(model.parameters(), lr=0.1)
    model.compile(opt, "mse")
    assert model.optimizer is opt
    model.compile(nn.RMSprop, "mse", lr=0.002)
    assert isinstance(model.optimizer, nn.RMSprop) and model.optimizer.lr == 0.002


# ---- fit: the loop ----


@pytest.mark.parametrize("batch_size", [1, 7, 40, None, 1000])
def test_fit_is_the_hand_written_loop(batch_size):
    X, y = regression_data()
    a, b = linear_model(seed=1), linear_model(seed=1)
    a.compile(SGD(a.parameters(), lr=0.05), "mse")
    history = a.fit(X, y, epochs=2, batch_size=batch_size, shuffle=False, verbose=0)
    size = len(X) if batch_size is None else min(batch_size, len(X))
    for _ in range(2):
        manual_sgd_epoch(b, X, y, size, 0.05)
    assert_same_params(a, b)
    assert history.params["steps"] == math.ceil(len(X) / size)
    assert a.optimizer.iterations == 2 * math.ceil(len(X) / size)


def test_shuffling_draws_a_new_order_each_epoch_from_the_seed():
    X, y = regression_data()
    a, b = linear_model(seed=1), linear_model(seed=1)
    a.compile(SGD(a.parameters(), lr=0.05), "mse")
    a.fit(X, y, epochs=3, batch_size=8, seed=123, verbose=0)
    rng = np.random.default_rng(123)
    for _ in range(3):
        manual_sgd_epoch(b, X, y, 8, 0.05, order=rng.permutation(len(X)))
    assert_same_params(a, b)


def test_same_seed_same_weights_and_set_seed_covers_seed_none():
    X, y = regression_data()

    def run(seed, global_seed=None):
        if global_seed is not None:
            nn.set_seed(global_seed)
        model = linear_model(seed=0)
        model.compile("adam", "mse", lr=0.01)
        model.fit(X, y, epochs=3, batch_size=8, seed=seed, verbose=0)
        return params_of(model)[0]

    np.testing.assert_allclose(run(5), run(5), rtol=1e-12)
    assert np.max(np.abs(run(5) - run(6))) > 1e-4
    np.testing.assert_allclose(run(None, global_seed=3), run(None, global_seed=3), rtol=1e-12)


def test_accumulated_batches_make_the_step_of_one_big_batch():
    X, y = regression_data(n=32)
    a, b = linear_model(seed=2), linear_model(seed=2)
    a.compile(SGD(a.parameters(), lr=0.1), "mse")
    b.compile(SGD(b.parameters(), lr=0.1), "mse")
    a.fit(X, y, epochs=3, batch_size=8, accumulate_steps=4, shuffle=False, verbose=0)
    b.fit(X, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    assert a.optimizer.iterations == b.optimizer.iterations == 3
    assert_same_params(a, b)


def test_a_short_last_accumulation_group_steps_with_its_mean_gradient():
    X, y = regression_data(n=40)  # 5 batches of 8 with k=4: a group of 4, then one of 1
    a, b = linear_model(seed=2), linear_model(seed=2)
    a.compile(SGD(a.parameters(), lr=0.1), "mse")
    a.fit(X, y, epochs=1, batch_size=8, accumulate_steps=4, shuffle=False, verbose=0)
    assert a.optimizer.iterations == 2
    opt = SGD(b.parameters(), lr=0.1)
    for idx in (slice(0, 32), slice(32, 40)):
        opt.zero_grad()
        losses.mse(y[idx], b(X[idx])).backward()
        opt.step()
    assert_same_params(a, b)


def test_the_training_loss_includes_the_regularization_penalty():
    X, y = regression_data()
    a = linear_model(seed=3, kernel_regularizer=L2(0.1))
    b = linear_model(seed=3, kernel_regularizer=L2(0.1))
    a.compile(SGD(a.parameters(), lr=0.05), "mse")
    history = a.fit(X, y, epochs=1, batch_size=None, verbose=0)
    expected_loss = (losses.mse(y, b(X)) + b.regularization_loss()).item()
    manual_sgd_epoch(b, X, y, len(X), 0.05)
    assert_same_params(a, b)
    assert history.history["loss"][0] == pytest.approx(expected_loss, rel=1e-12)
    penalty = a.regularization_loss().item()
    assert penalty > 0
    assert a.evaluate(X, y)["loss"] == pytest.approx(losses.mse(y, a(X)).item() + penalty)


def test_class_weight_and_sample_weight_reach_the_loss():
    X, y = binary_data()
    w = np.linspace(0.5, 2.0, len(X))
    cw = {0: 0.2, 1: 3.0}
    a = Sequential(Dense(1, input_dim=2, seed=4, dtype=np.float64))
    b = Sequential(Dense(1, input_dim=2, seed=4, dtype=np.float64))
    a.compile(SGD(a.parameters(), lr=0.5), "binary_crossentropy", from_logits=True)
    a.fit(X, y, epochs=2, batch_size=16, shuffle=False, class_weight=cw, sample_weight=w,
          verbose=0)
    opt = SGD(b.parameters(), lr=0.5)
    for _ in range(2):
        for s in range(0, len(X), 16):
            opt.zero_grad()
            losses.binary_crossentropy(y[s:s + 16], b(X[s:s + 16]), sample_weight=w[s:s + 16],
                                       class_weight=cw, from_logits=True).backward()
            opt.step()
    assert_same_params(a, b)


def test_weights_given_to_a_loss_that_does_not_take_them():
    model = linear_model()
    model.compile("sgd", lambda y_true, y_pred: ag.mean((y_pred[:, 0] - y_true) ** 2))
    X, y = regression_data()
    with pytest.raises(TypeError, match="does not take sample_weight"):
        model.fit(X, y, sample_weight=np.ones(len(X)), verbose=0)
    history = model.fit(X, y, epochs=2, verbose=0)  # without weights it trains
    assert history.history["loss"][1] < history.history["loss"][0]


def test_a_loss_that_returns_an_array_is_refused():
    model = linear_model()
    model.compile("sgd", lambda y_true, y_pred, sample_weight=None, class_weight=None: 1.0)
    X, y = regression_data()
    with pytest.raises(TypeError, match="returned float, not a Tensor"):
        model.fit(X, y, verbose=0)


def test_fit_argument_errors():
    model = linear_model()
    model.compile("sgd", "mse")
    X, y = regression_data()
    cases = [
        (dict(y=y[:-1]), ValueError, "inconsistent numbers of samples: X has 40, y has 39"),
        (dict(batch_size=0), ValueError, "batch_size must be a positive int or None, got 0"),
        (dict(accumulate_steps=0), ValueError, "accumulate_steps must be a positive integer"),
        (dict(verbose=3), ValueError, "verbose must be 0, 1 or 2"),
        (dict(validation_split=1.0), ValueError, r"validation_split must be in \[0, 1\)"),
        (dict(validation_split=0.99), ValueError, "leaves 0 for training and 40 for validation"),
        (dict(validation_data=(X,)), ValueError, "validation_data must be a tuple"),
        (dict(epochs=-1), ValueError, "epochs must be an integer >= 0"),
        (dict(class_weight=[1, 2]), TypeError, "class_weight must be a dict"),
    ]
    for kwargs, error, message in cases:
        args = {"y": y, "verbose": 0, **kwargs}
        with pytest.raises(error, match=message):
            model.fit(X, **args)


# ---- fit: validation and History ----


def test_validation_split_holds_out_the_last_samples_before_shuffling():
    X, y = regression_data(n=40)
    model = linear_model()
    model.compile("adam", "mse", metrics=["mae"], lr=0.05)
    history = model.fit(X, y, epochs=3, batch_size=8, validation_split=0.25, seed=0, verbose=0)
    assert history.params["samples"] == 30 and history.params["validation_samples"] == 10
    last = model.evaluate(X[30:], y[30:])
    assert history.history["val_loss"][-1] == pytest.approx(last["loss"], rel=1e-12)
    assert history.history["val_mae"][-1] == pytest.approx(last["mae"], rel=1e-12)
    # the held-out samples never trained the model: the same run on X[:30] is identical
    other = linear_model()
    other.compile("adam", "mse", metrics=["mae"], lr=0.05)
    other.fit(X[:30], y[:30], epochs=3, batch_size=8, seed=0, verbose=0)
    assert_same_params(model, other)


def test_validation_data_takes_precedence_and_may_carry_weights():
    X, y = regression_data(n=40)
    Xv, yv = regression_data(n=10, seed=1)
    wv = np.arange(1.0, 11.0)
    model = linear_model()
    model.compile("adam", "mse", lr=0.05)
    history = model.fit(X, y, epochs=2, validation_data=(Xv, yv, wv), validation_split=0.5,
                        verbose=0)
    assert history.params["samples"] == 40 and history.params["validation_samples"] == 10
    expected = model.evaluate(Xv, yv, sample_weight=wv)["loss"]
    assert history.history["val_loss"][-1] == pytest.approx(expected, rel=1e-12)
    assert expected != pytest.approx(model.evaluate(Xv, yv)["loss"])


def test_history_keys_values_and_json(tmp_path):
    X, y = binary_data()
    model = MLP([2, 8, 1], activation="tanh", seed=0)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy", "mse"], from_logits=True,
                  lr=0.02)
    history = model.fit(X, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0)
    assert isinstance(history, History) and model.history is history
    assert list(history.history) == ["loss", "accuracy", "mse", "val_loss", "val_accuracy",
                                     "val_mse", "lr"]
    assert history.epoch == [0, 1, 2, 3]
    assert all(len(v) == 4 for v in history.history.values())
    assert history.history["lr"] == [0.02] * 4
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(0 <= a <= 1 for a in history.history["accuracy"])
    assert history.params["metrics"] == list(history.history)
    assert not history.interrupted and not history.stopped_early
    path = tmp_path / "history.json"
    history.to_json(path)
    data = json.loads(path.read_text())
    assert data["history"]["val_accuracy"] == history.history["val_accuracy"]
    again = History.from_json(path)
    assert again.history == history.history and again.epoch == history.epoch
    assert again.params == history.params
    assert history.best("val_loss")[1] == min(history.history["val_loss"])
    assert history.best("accuracy")[1] == max(history.history["accuracy"])


def test_history_json_writes_non_finite_values_as_null():
    history = History()
    history.on_epoch_end(0, {"loss": float("nan"), "lr": 0.1})
    history.on_epoch_end(1, {"loss": 1.0, "lr": 0.1, "late": 2.0})  # a key appearing late
    assert math.isnan(history.history["late"][0]) and history.history["late"][1] == 2.0
    data = json.loads(history.to_json())
    assert data["history"]["loss"] == [None, 1.0]
    back = History.from_dict(data)
    assert math.isnan(back.history["loss"][0])


def test_training_loss_is_the_sample_weighted_mean_of_batch_losses():
    X, y = regression_data(n=10)
    model = linear_model()
    model.compile(SGD(model.parameters(), lr=1e-12), "mse")  # the weights barely move
    history = model.fit(X, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    batch = [losses.mse(y[s:s + 4], model(X[s:s + 4])).item() for s in (0, 4, 8)]
    expected = (4 * batch[0] + 4 * batch[1] + 2 * batch[2]) / 10
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-9)


def test_initial_epoch_numbers_the_epochs():
    X, y = regression_data()
    model = linear_model()
    model.compile("sgd", "mse")
    history = model.fit(X, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]
    assert model.fit(X, y, epochs=0, verbose=0).epoch == []


def test_float64_data_train_a_float32_model_in_float32():
    X, y = regression_data()
    model = Sequential(Dense(4, "tanh", input_dim=3, seed=0), Dense(1, seed=1))
    model.compile("adam", "mse")
    seen = []
    original = model.forward
    model.forward = lambda x: (seen.append(x.dtype), original(x))[1]
    model.fit(X, y, epochs=1, batch_size=8, verbose=0)
    assert set(seen) == {np.dtype(np.float32)}
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_fit_restores_the_training_mode_and_clears_stale_gradients():
    X, y = regression_data()
    model = Sequential(Dense(4, input_dim=3, seed=0), Dropout(0.5, seed=0), Dense(1, seed=1))
    twin = Sequential(Dense(4, input_dim=3, seed=0), Dropout(0.5, seed=0), Dense(1, seed=1))
    for m in (model, twin):
        m.compile(SGD(m.parameters(), lr=1e-3), "mse")
    model.eval()
    for p in model.parameters():
        p.grad = np.full(p.shape, 1e6, dtype=p.dtype)  # left over from user code
    model.fit(X, y, epochs=1, verbose=0, seed=0)
    twin.fit(X, y, epochs=1, verbose=0, seed=0)
    assert not model.training and not model.layers[1].training and twin.training
    assert all(p.grad is None for p in model.parameters())
    for a, b in zip(params_of(model), params_of(twin)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


# ---- evaluate and predict ----


def test_evaluate_matches_the_losses_and_metrics_computed_by_hand():
    X, y = regression_data(n=50)
    model = linear_model(seed=5)
    model.compile("sgd", "mse", metrics=["mae", "mse", "rmse", "r2"])
    result = model.evaluate(X, y)
    pred = model(X).data[:, 0]
    assert set(result) == {"loss", "mae", "mse", "rmse", "r2"}
    assert result["loss"] == pytest.approx(np.mean((pred - y) ** 2), rel=1e-12)
    assert result["mse"] == pytest.approx(result["loss"], rel=1e-12)
    assert result["mae"] == pytest.approx(np.mean(np.abs(pred - y)), rel=1e-12)
    assert result["rmse"] == pytest.approx(math.sqrt(result["loss"]), rel=1e-12)
    r2 = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
    assert result["r2"] == pytest.approx(r2, rel=1e-12)
    in_batches = model.evaluate(X, y, batch_size=7)
    for key in result:
        assert in_batches[key] == pytest.approx(result[key], rel=1e-10), key
    weighted = model.evaluate(X, y, sample_weight=np.linspace(0, 1, 50))
    assert weighted["loss"] == pytest.approx(
        losses.mse(y, model(X), sample_weight=np.linspace(0, 1, 50)).item(), rel=1e-12)
    assert weighted["mae"] == result["mae"]  # metrics are not weighted (Keras's metrics=)


def test_evaluate_prints_with_verbose(capsys):
    X, y = regression_data()
    model = linear_model()
    model.compile("sgd", "mse", metrics=["mae"])
    model.evaluate(X, y)
    assert capsys.readouterr().out == ""
    result = model.evaluate(X, y, verbose=1)
    assert capsys.readouterr().out.strip() == (f"loss: {result['loss']:.4f} - "
                                               f"mae: {result['mae']:.4f}")


def test_predict_is_eval_mode_without_a_graph_and_batches_agree():
    X, y = regression_data(n=50)
    model = Sequential(Dense(16, "relu", input_dim=3, seed=0), Dropout(0.5, seed=1),
                       Dense(1, seed=2))
    out = model.predict(X)
    assert isinstance(out, np.ndarray) and out.shape == (50, 1) and out.dtype == np.float32
    np.testing.assert_array_equal(out, model.predict(X))  # no dropout
    np.testing.assert_array_equal(out, model.predict(X, batch_size=8))
    assert model.training  # the mode is restored
    assert all(p.grad is None for p in model.parameters())
    with ag.no_grad():
        model.eval()
        np.testing.assert_array_equal(out, model(X).data)


# ---- metrics ----


def test_accuracy_reads_the_shapes_like_keras():
    probs = np.array([[0.9], [0.2], [0.6], [0.4]])
    assert get_metric("accuracy").kind == "auto"

    def acc(y_true, y_pred, name="accuracy", threshold=0.5):
        m = get_metric(name, threshold)
        m.update(np.asarray(y_true), np.asarray(y_pred))
        return m.result()

    assert acc([1, 0, 0, 0], probs) == 0.75  # binary, (n,) labels against (n, 1)
    assert acc([[1], [0], [1], [0]], probs) == 1.0
    assert acc([1, 0, 1, 0], np.array([2.0, -1.0, 0.3, -0.2]), threshold=0.0) == 1.0  # logits
    assert acc([1, -1, 1, -1], np.array([2.0, -1.0, 0.3, 0.2]), threshold=0.0) == 0.75
    scores = np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.2, 0.2, 0.6]])
    assert acc([1, 0, 0], scores) == pytest.approx(2 / 3)  # sparse labels
    assert acc([[1], [0], [2]], scores) == 1.0  # sparse labels of shape (n, 1)
    assert acc(np.eye(3)[[1, 0, 0]], scores) == pytest.approx(2 / 3)  # one-hot
    assert acc(np.eye(3)[[1, 0, 2]], scores, "categorical_accuracy") == 1.0
    assert acc([1, 0, 2], scores, "sparse_categorical_accuracy") == 1.0
    assert acc([1, 0, 1, 0], probs, "binary_accuracy") == 1.0
    with pytest.raises(ValueError, match="categorical_accuracy: y_true has shape"):
        acc([1, 0, 2], scores, "categorical_accuracy")


def test_compiled_accuracy_thresholds_logits_at_zero():
    X, y = binary_data()
    model = Sequential(Dense(1, input_dim=2, seed=0, dtype=np.float64))
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"], from_logits=True)
    logits = model.predict(X)[:, 0]
    assert model.evaluate(X, y)["accuracy"] == np.mean((logits > 0) == (y == 1))
    probabilities = Sequential(Dense(1, "sigmoid", input_dim=2, seed=0, dtype=np.float64))
    probabilities.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    p = probabilities.predict(X)[:, 0]
    assert probabilities.evaluate(X, y)["accuracy"] == np.mean((p > 0.5) == (y == 1))
    model.compile("sgd", nn.get_loss("binary_crossentropy", from_logits=True),
                  metrics=["accuracy"])  # from_logits bound by get_loss counts too
    assert model.evaluate(X, y)["accuracy"] == np.mean((logits > 0) == (y == 1))
    model.compile("sgd", "hinge", metrics=["accuracy"])  # scores: threshold 0
    assert model.evaluate(X, 2 * y - 1)["accuracy"] == np.mean((logits > 0) == (y == 1))


def test_metrics_accumulate_exactly_over_batches():
    rng = np.random.default_rng(0)
    y = rng.standard_normal((100, 2))
    p = y + 0.5 * rng.standard_normal((100, 2))
    sk = pytest.importorskip("sklearn.metrics")
    mean_absolute_error, mean_squared_error, r2_score = (
        sk.mean_absolute_error, sk.mean_squared_error, sk.r2_score)

    expected = {"mae": mean_absolute_error(y, p), "mse": mean_squared_error(y, p),
                "rmse": math.sqrt(mean_squared_error(y, p)), "r2": r2_score(y, p)}
    for name, value in expected.items():
        m = get_metric(name)
        for s in range(0, 100, 13):
            m.update(y[s:s + 13], p[s:s + 13])
        assert m.result() == pytest.approx(value, rel=1e-10), name
        m.reset()
        assert math.isnan(m.result())


def test_r2_of_constant_targets_follows_scikit_learn():
    m = R2Score()
    m.update(np.ones(4), np.ones(4))
    assert m.result() == 1.0
    m.update(np.ones(2), np.zeros(2))
    assert m.result() == 0.0


def test_function_metrics_and_metric_objects():
    X, y = regression_data()

    def max_error(y_true, y_pred):
        return np.max(np.abs(y_true - y_pred[:, 0]))

    model = linear_model()
    model.compile("sgd", "mse", metrics=[max_error, nn.train.MeanMetric(
        "sq", lambda t, p: (p[:, 0] - t) ** 2)])
    result = model.evaluate(X, y)
    pred = model.predict(X)[:, 0]
    assert result["max_error"] == pytest.approx(np.max(np.abs(y - pred)))
    assert result["sq"] == pytest.approx(result["loss"])
    with pytest.raises(TypeError, match="a metric must be a name, a Metric or a callable"):
        get_metric(3)


# ---- progress output ----


def test_verbose_zero_prints_nothing(capsys):
    X, y = regression_data()
    model = linear_model()
    model.compile("sgd", "mse")
    model.fit(X, y, epochs=2, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("verbose", [1, 2])
def test_one_line_per_epoch_when_not_a_terminal(capsys, verbose):
    X, y = regression_data()
    model = linear_model()
    model.compile("sgd", "mse", metrics=["mae"])
    history = model.fit(X, y, epochs=3, batch_size=16, validation_split=0.25, verbose=verbose)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1/3 - 2 steps - ")
    h = history.history
    assert lines[2].endswith(f"loss: {h['loss'][2]:.4f} - mae: {h['mae'][2]:.4f} - "
                             f"val_loss: {h['val_loss'][2]:.4f} - val_mae: {h['val_mae'][2]:.4f}"
                             " - lr: 0.01")


def test_a_progress_bar_on_a_terminal(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(nn.callbacks.progbar, "_is_terminal", lambda: True)
    X, y = regression_data()
    model = linear_model()
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(X, y, epochs=2, batch_size=8, verbose=1)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Epoch 1/2" in captured.err and "Epoch 2/2" in captured.err
    assert "5/5" in captured.err and "mae: " in captured.err and "loss: " in captured.err


# ---- stopping: stop_training and Ctrl-C ----


def test_stop_training_ends_after_the_current_batch():
    X, y = regression_data()
    model = linear_model()
    model.compile("sgd", "mse")

    def stop(batch, logs):
        if batch == 2:
            model.stop_training = True

    history = model.fit(X, y, epochs=5, batch_size=8, verbose=0,
                        callbacks=[LambdaCallback(on_batch_end=stop)])
    assert history.epoch == [0] and history.stopped_early and history.stopped_epoch == 0
    assert model.optimizer.iterations == 3
    assert not history.interrupted


class InterruptAt(Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt


def test_keyboard_interrupt_from_a_callback_returns_the_history_so_far():
    X, y = regression_data()
    model = MLP([3, 8, 1], seed=0)
    model.compile("adam", "mse", metrics=["mae"])
    ended = []
    history = model.fit(X, y, epochs=10, batch_size=8, verbose=0,
                        callbacks=[InterruptAt(2, 3),
                                   LambdaCallback(on_train_end=lambda logs: ended.append(logs))])
    assert history.interrupted and not history.stopped_early
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2
    assert model.optimizer.iterations == 2 * 5 + 4  # the interrupted batch's step was taken
    assert len(ended) == 1  # callbacks still see the end of training
    assert all(p.grad is None for p in model.parameters())
    assert np.all(np.isfinite(model.predict(X)))
    again = model.fit(X, y, epochs=1, verbose=0)  # the model is usable
    assert again.epoch == [0] and not again.interrupted


def test_keyboard_interrupt_inside_a_batch_drops_the_unfinished_step(monkeypatch):
    X, y = regression_data()
    model = linear_model()
    model.compile("sgd", "mse")
    original = type(model).train_step
    calls = []

    def patched(self, batch):
        calls.append(1)
        if len(calls) == 8:
            self(batch[0]).sum().backward()  # a gradient is half-made...
            raise KeyboardInterrupt  # ...when Ctrl-C arrives
        return original(self, batch)

    monkeypatch.setattr(type(model), "train_step", patched)
    history = model.fit(X, y, epochs=3, batch_size=8, verbose=0)
    assert history.interrupted and history.epoch == [0]
    assert model.optimizer.iterations == 7
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_finishes_the_batch_then_stops():
    X, y = regression_data()
    model = linear_model()
    model.compile("sgd", "mse")
    sizes = []

    def press_ctrl_c(batch, logs):
        if model.optimizer.iterations == 6:
            os.kill(os.getpid(), signal.SIGINT)

    def record(batch, logs):
        sizes.append(logs["size"])

    history = model.fit(X, y, epochs=4, batch_size=8, verbose=0,
                        callbacks=[LambdaCallback(on_batch_begin=press_ctrl_c,
                                                  on_batch_end=record)])
    assert history.interrupted and history.epoch == [0]
    assert model.optimizer.iterations == 7  # the batch running at Ctrl-C finished its step
    assert len(sizes) == 7
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_nan_loss_keeps_running_without_terminate_on_nan():
    X, y = regression_data()
    X = X.copy()
    X[0, 0] = np.nan
    model = linear_model()
    model.compile("sgd", "mse")
    history = model.fit(X, y, epochs=2, shuffle=False, batch_size=8, verbose=0,
                        check_inputs=False)
    assert history.epoch == [0, 1] and math.isnan(history.history["loss"][0])


# ---- lr_find ----


def lr_find_setup(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((256, 4))
    y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
    model = Sequential(Dense(16, "relu", input_dim=4, seed=seed), Dropout(0.1, seed=seed),
                       Dense(2, seed=seed + 1))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  from_logits=True)
    return model, X, y


def test_lr_find_restores_weights_optimizer_state_and_randomness_bit_for_bit():
    model, X, y = lr_find_setup()
    model.fit(X, y, epochs=1, verbose=0, seed=0)  # Adam has moments and a step count now
    weights = params_of(model)
    opt_state = model.optimizer.state_dict()
    result = nn.lr_find(model, X, y, num_steps=60, seed=1)
    for a, b in zip(weights, params_of(model)):
        np.testing.assert_array_equal(a, b)
    after = model.optimizer.state_dict()
    assert after["config"] == opt_state["config"]
    assert after["iterations"] == opt_state["iterations"]
    assert opt_state["state"].keys() == after["state"].keys()
    for i, s0 in opt_state["state"].items():
        s1 = after["state"][i]
        assert s0.keys() == s1.keys()
        for k in s0:
            np.testing.assert_array_equal(s0[k], s1[k])
    assert model.training
    # training afterwards is exactly what it would have been without the search
    twin, _, _ = lr_find_setup()
    twin.fit(X, y, epochs=1, verbose=0, seed=0)
    model.fit(X, y, epochs=2, verbose=0, seed=3)
    twin.fit(X, y, epochs=2, verbose=0, seed=3)
    for a, b in zip(params_of(model), params_of(twin)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)  # float32 weights
    assert len(result.lrs) >= 2


def test_lr_find_curve_and_suggestion():
    model, X, y = lr_find_setup()
    result = nn.lr_find(model, X, y, start_lr=1e-6, end_lr=10.0, num_steps=100, smooth=0.9,
                        seed=0)
    assert result.diverged  # lr = 10 blows Adam up
    k = len(result.lrs)
    assert 10 < k < 100 and len(result.losses) == len(result.raw_losses) == k
    expected = 1e-6 * (10.0 / 1e-6) ** (np.arange(k) / 99)
    np.testing.assert_allclose(result.lrs, expected, rtol=1e-12)
    assert result.losses[-1] > 4.0 * result.losses.min() or not np.isfinite(result.raw_losses[-1])
    best = int(np.argmin(result.losses))
    assert result.lr_at_min == result.lrs[best]
    i = int(np.flatnonzero(result.lrs == result.suggestion)[0])
    assert 0 < i < best and result.losses[i] > result.losses[best]
    assert 1e-6 < result.suggestion <= result.lr_at_min
    # a sensible answer for Adam on this problem
    assert 1e-4 < result.suggestion < 1.0


def test_lr_find_suggestion_ignores_a_noisy_start():
    from nn.lr_find import _suggest

    lrs = np.logspace(-6, 1, 140)
    x = np.log10(lrs)
    smooth = 1.0 - 0.8 / (1.0 + np.exp(-3.0 * (x + 2.0)))  # falls fastest at lr = 1e-2
    smooth[:5] += [0.5, -0.4, 0.3, -0.3, 0.2]              # the running average settling
    smooth[-10:] += np.linspace(0, 2, 10)                  # divergence at the end
    suggestion, at_min = _suggest(lrs, smooth)
    assert 10**-2.5 < suggestion < 10**-1.5
    assert at_min > suggestion


def test_lr_find_with_its_own_loss_and_optimizer_and_without_divergence():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = X @ np.array([1.0, 2.0, 3.0])
    model = linear_model()
    before = params_of(model)
    result = nn.lr_find(model, X, y, loss="mse", optimizer="sgd", start_lr=1e-5, end_lr=1e-2,
                        num_steps=30, batch_size=None, seed=0)
    assert not result.diverged and len(result.lrs) == 30
    assert result.losses[-1] < result.losses[0]
    assert model.optimizer is None  # an uncompiled model stays uncompiled
    for a, b in zip(before, params_of(model)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(RuntimeError, match="not compiled; pass loss"):
        nn.lr_find(model, X, y)
    with pytest.raises(ValueError, match="need 0 < start_lr < end_lr"):
        nn.lr_find(model, X, y, loss="mse", start_lr=1.0, end_lr=0.1)


def test_lr_find_plot_delegates_to_nn_plot(monkeypatch):
    model, X, y = lr_find_setup()
    result = nn.lr_find(model, X, y, num_steps=10, seed=0)
    calls = []
    fake = types.ModuleType("nn.plot")
    fake.plot_lr_find = lambda res, path=None: calls.append((res, path)) or "figure"
    monkeypatch.setitem(sys.modules, "nn.plot", fake)
    assert result.plot("curve.png") == "figure"
    assert calls == [(result, "curve.png")]


def test_a_metric_object_given_to_compile_is_not_shared_with_validation():
    X, y = regression_data()
    shared = nn.train.MeanMetric("abs", lambda t, p: np.abs(p[:, 0] - t))
    model = linear_model()
    model.compile("sgd", "mse", metrics=[shared])
    history = model.fit(X, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    assert history.history["abs"] != history.history["val_abs"]
    pred = model.predict(X[30:])[:, 0]
    assert history.history["val_abs"][-1] == pytest.approx(np.mean(np.abs(pred - y[30:])))


def test_a_stop_inside_an_accumulation_group_leaves_no_gradients():
    X, y = regression_data()
    model = linear_model()
    model.compile("sgd", "mse")

    def stop(batch, logs):
        if batch == 1:
            model.stop_training = True

    model.fit(X, y, epochs=1, batch_size=8, accumulate_steps=4, verbose=0,
              callbacks=[LambdaCallback(on_batch_end=stop)])
    assert model.optimizer.iterations == 0
    assert all(p.grad is None for p in model.parameters())
