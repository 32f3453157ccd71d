"""The trainer's public seams: train_step/test_step/predict_step used by fit, evaluate, predict
and lr_find; compute_loss; an optimizer created without parameters bound by compile."""

import numpy as np
import pytest

import nn


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)).astype(np.float32)
    return X, (X @ np.array([[1.0], [-1.0], [2.0]], dtype=np.float32))


class Counting(nn.Sequential):
    """A model that overrides the three steps (Keras 3's names) and counts their calls."""

    def __init__(self, *layers, **kwargs):
        super().__init__(*layers, **kwargs)
        self.calls = {"train": [], "test": 0, "predict": 0}

    def train_step(self, batch):
        x, y, sample_weight = batch
        self.calls["train"].append((len(x), sample_weight is not None))
        return super().train_step(batch)

    def test_step(self, batch):
        self.calls["test"] += 1
        return super().test_step(batch)

    def predict_step(self, batch):
        self.calls["predict"] += 1
        return super().predict_step(batch) * 0 + 7  # visible in predict's result


def test_fit_evaluate_predict_and_lr_find_use_the_models_steps():
    X, y = data()
    model = Counting(nn.Dense(1, input_dim=3, seed=0))
    model.compile("sgd", "mse", lr=0.05)
    model.fit(X, y, epochs=2, batch_size=16, sample_weight=np.ones(48), validation_split=0.25,
              verbose=0)
    assert model.calls["train"] == [(16, True), (16, True), (4, True)] * 2
    assert model.calls["test"] == 2  # one validation batch per epoch
    model.evaluate(X, y, batch_size=10)
    assert model.calls["test"] == 2 + 5
    out = model.predict(X, batch_size=20)
    assert model.calls["predict"] == 3 and out.shape == (48, 1) and np.all(out == 7)
    nn.lr_find(model, X, y, num_steps=4, batch_size=8)
    assert len(model.calls["train"]) == 6 + 4


def test_a_custom_train_step_replaces_the_training():
    class Frozen(nn.Sequential):
        def train_step(self, batch):
            x, y, _ = batch
            y_pred = self(x)
            loss = self.compute_loss(x, y, y_pred)
            self.compute_metrics(x, y, y_pred, loss=float(loss.data))
            return {"loss": float(loss.data)}  # no backward, no step

    X, y = data()
    model = Frozen(nn.Dense(1, input_dim=3, seed=0))
    before = model.get_weights()
    model.compile("adam", "mse", metrics=["mae"])
    history = model.fit(X, y, epochs=2, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert history.history["loss"][0] == pytest.approx(history.history["loss"][1])
    assert history.history["mae"][0] > 0


def test_compute_loss_adds_the_models_losses():
    X, y = data()
    model = nn.Sequential(nn.Dense(1, input_dim=3, kernel_regularizer=nn.L2(0.5), seed=0))
    model.compile("sgd", "mse")
    y_pred = model(X)
    data_loss = float(nn.losses.mse(y, y_pred).data)
    penalty = 0.5 * float(np.sum(model.layers[0].kernel.data ** 2))
    assert float(model.compute_loss(X, y, y_pred).data) == pytest.approx(data_loss + penalty,
                                                                         rel=1e-5)


class LateSGD:
    """An optimizer created without parameters: compile gives it the model's."""

    def __init__(self, lr=0.1):
        self.lr, self.params, self.bound = lr, [], 0

    def set_parameters(self, params):
        self.params, self.bound = list(params), self.bound + 1

    def step(self):
        for p in self.params:
            if p.grad is not None:
                p.data -= self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad = None


def test_compile_binds_an_optimizer_created_without_parameters():
    X, y = data()
    model = nn.Sequential(nn.Dense(1, input_dim=3, seed=0))
    late = LateSGD(lr=0.05)
    model.compile(late, "mse")
    assert model.optimizer is late and late.bound == 1
    assert late.params == model.trainable_parameters()
    history = model.fit(X, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    with pytest.raises(TypeError, match="optimizer arguments"):
        model.compile(LateSGD(), "mse", lr=0.1)


def test_a_lazy_model_binds_the_optimizer_at_the_first_fit():
    X, y = data()
    model = nn.Sequential(nn.Dense(4, "relu"), nn.Dense(1))
    late = LateSGD(lr=0.01)
    model.compile(late, "mse")
    assert model.optimizer is None and late.bound == 0
    model.fit(X, y, epochs=1, verbose=0)
    assert model.optimizer is late and len(late.params) == 4


def test_the_old_train_functions_still_work():
    X, y = data()
    model = nn.Sequential(nn.Dense(1, input_dim=3, seed=0))
    nn.train.compile_model(model, "sgd", "mse", lr=0.05)
    history = nn.train.fit(model, X, y, epochs=2, verbose=0)
    assert isinstance(history, nn.train.History) and nn.train.History is nn.History
    assert set(nn.train.evaluate(model, X, y)) == {"loss"}
    assert nn.train.predict(model, X).shape == (48, 1)
    assert nn.train.Metric is nn.metrics.Metric and nn.train.get_metric is nn.get_metric
