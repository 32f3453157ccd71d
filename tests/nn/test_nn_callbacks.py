"""Callbacks: the hooks fit calls, and Keras's EarlyStopping, ModelCheckpoint,
LearningRateScheduler, ReduceLROnPlateau, CSVLogger and TerminateOnNaN."""

import csv
import math

import numpy as np
import pytest

import nn
from nn import Dense, Sequential
from nn.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from nn.schedules import StepDecay


def data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3


def model_(seed=0, lr=0.01):
    model = Sequential(Dense(4, "tanh", input_dim=3, seed=seed), Dense(1, seed=seed + 1))
    model.compile("sgd", "mse", metrics=["mae"], lr=lr)
    return model


def weights(model):
    return [p.data.copy() for p in model.parameters()]


class Scripted(Callback):
    """Writes a scripted value of ``key`` into each epoch's logs and snapshots the weights,
    standing in for a validation metric whose course the test decides."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, list(values)
        self.snapshots = []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.snapshots.append(weights(self.model))


def fit(model, callbacks, epochs=10, **kw):
    X, y = data()
    return model.fit(X, y, epochs=epochs, batch_size=8, verbose=0, callbacks=callbacks, **kw)


# ---- hooks ----


def test_hooks_are_called_in_order_with_model_params_and_logs():
    events = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            events.append(("train_begin", self.params["epochs"], self.params["steps"]))

        def on_epoch_begin(self, epoch, logs=None):
            events.append(("epoch_begin", epoch))

        def on_batch_begin(self, batch, logs=None):
            events.append(("batch_begin", batch, logs["size"]))

        def on_batch_end(self, batch, logs=None):
            events.append(("batch_end", batch, sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            events.append(("train_end", sorted(logs)))

    model = model_()
    recorder = Recorder()
    X, y = data(n=20)
    model.fit(X, y, epochs=2, batch_size=8, validation_split=0.2, verbose=0,
              callbacks=[recorder])
    assert recorder.model is model
    assert recorder.params["metrics"] == ["loss", "mae", "val_loss", "val_mae", "lr"]
    epoch_keys = ["loss", "lr", "mae", "val_loss", "val_mae"]
    batch = [("batch_begin", 0, 8), ("batch_end", 0, ["batch", "loss", "size"]),
             ("batch_begin", 1, 8), ("batch_end", 1, ["batch", "loss", "size"])]
    assert events == [
        ("train_begin", 2, 2),
        ("epoch_begin", 0), *batch, ("epoch_end", 0, epoch_keys),
        ("epoch_begin", 1), *batch, ("epoch_end", 1, epoch_keys),
        ("train_end", epoch_keys),
    ]


def test_batch_hooks_cost_nothing_for_epoch_level_callbacks():
    model = model_()
    listed = CallbackList([EarlyStopping(monitor="loss"), CSVLogger("unused.csv")], model, {})
    assert not listed.wants_batches
    assert CallbackList([TerminateOnNaN()], model, {}).wants_batches
    assert CallbackList([LambdaCallback(on_batch_begin=print)], model, {}).wants_batches


def test_callbacks_must_be_callback_objects():
    with pytest.raises(TypeError, match="callbacks must be nn.callbacks.Callback instances, "
                                        "got function"):
        fit(model_(), [lambda epoch, logs: None])
    with pytest.raises(TypeError, match="LambdaCallback: unknown hooks \\['on_step'\\]"):
        LambdaCallback(on_step=print)


def test_batch_logs_hold_the_batch_loss():
    model = model_()
    seen = []
    history = fit(model, [LambdaCallback(on_batch_end=lambda b, logs: seen.append(logs))],
                  epochs=1, shuffle=False)
    sizes = [logs["size"] for logs in seen]
    assert sizes == [8, 8, 8, 8]
    mean = sum(logs["loss"] * logs["size"] for logs in seen) / 32
    assert history.history["loss"][0] == pytest.approx(mean, rel=1e-12)


# ---- EarlyStopping ----


def test_early_stopping_waits_patience_epochs_without_improvement():
    model = model_()
    scores = [1.0, 0.8, 0.9, 0.85, 0.81, 0.7, 0.6, 0.5, 0.4, 0.3]
    stop = EarlyStopping(monitor="score", patience=3)
    history = fit(model, [Scripted("score", scores), stop])
    # best 0.8 at epoch 1; epochs 2, 3, 4 do not improve on it: stop at epoch 4
    assert history.epoch == [0, 1, 2, 3, 4]
    assert history.stopped_early and history.stopped_epoch == 4
    assert stop.stopped_epoch == 4 and stop.best == 0.8 and stop.best_epoch == 1


def test_early_stopping_min_delta_mode_and_auto_maximizes_accuracy():
    scores = [0.5, 0.52, 0.53, 0.6, 0.6, 0.6]
    stop = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    history = fit(model_(), [Scripted("val_accuracy", scores), stop])
    # 0.52 and 0.53 are not better than 0.5 by more than 0.05: stopped at epoch 2 (patience 1)
    assert history.epoch == [0, 1] and stop.best == 0.5
    stop = EarlyStopping(monitor="val_accuracy", patience=1, mode="min")
    history = fit(model_(), [Scripted("val_accuracy", scores), stop])
    assert history.epoch == [0, 1]
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
        EarlyStopping(mode="up")


def test_early_stopping_baseline_and_start_from_epoch():
    scores = [5.0, 4.0, 3.0, 2.5, 2.4, 2.3]
    stop = EarlyStopping(monitor="score", patience=2, baseline=2.0)
    history = fit(model_(), [Scripted("score", scores), stop])
    assert history.epoch == [0, 1]  # never beats the baseline: stops after patience epochs
    stop = EarlyStopping(monitor="score", patience=0, start_from_epoch=3)
    history = fit(model_(), [Scripted("score", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), stop],
                  epochs=6)
    assert history.epoch == [0, 1, 2, 3, 4]  # epochs 0-2 unwatched; 4 does not beat 3's 4.0


@pytest.mark.parametrize("triggered", [True, False])
def test_restore_best_weights_also_when_training_runs_to_the_end(triggered):
    scores = [3.0, 1.0, 2.0, 2.5, 2.6, 2.7] if triggered else [3.0, 1.0, 2.0, 2.5]
    script = Scripted("score", scores)
    stop = EarlyStopping(monitor="score", patience=3, restore_best_weights=True)
    model = model_()
    history = fit(model, [script, stop], epochs=len(scores) if not triggered else 10)
    assert history.stopped_early is triggered
    assert len(history.epoch) == (5 if triggered else 4)
    for got, best in zip(weights(model), script.snapshots[1]):
        np.testing.assert_array_equal(got, best)
    assert not np.array_equal(script.snapshots[1][0], script.snapshots[-1][0])


def test_a_missing_monitor_names_what_the_logs_hold():
    with pytest.raises(ValueError, match=r"EarlyStopping: monitor 'val_loss' is not in the epoch "
                                         r"logs; available: loss, mae, lr \(val_ values need "
                                         r"validation_split or validation_data\)"):
        fit(model_(), [EarlyStopping()])


def test_early_stopping_on_real_validation_loss():
    X, y = data(n=64)
    model = model_(lr=0.05)
    stop = EarlyStopping(patience=2, restore_best_weights=True)
    history = model.fit(X, y, epochs=200, validation_split=0.25, verbose=0, callbacks=[stop])
    best_epoch, best = history.best("val_loss")
    assert stop.best == best and stop.best_epoch == best_epoch
    assert model.evaluate(X[48:], y[48:])["loss"] == pytest.approx(best, rel=1e-5)


# ---- ModelCheckpoint ----


def test_checkpoint_every_epoch_with_a_formatted_name(tmp_path):
    model = model_()
    script = Scripted("score", [0.5, 0.25, 0.125])
    ckpt = ModelCheckpoint(str(tmp_path / "ckpt" / "w-{epoch:02d}-{score:.3f}.safetensors"),
                           monitor="score")
    fit(model, [script, ckpt], epochs=3)
    names = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert names == ["w-01-0.500.safetensors", "w-02-0.250.safetensors",
                     "w-03-0.125.safetensors"]
    fresh = model_(seed=9)
    fresh.load_weights(tmp_path / "ckpt" / "w-02-0.250.safetensors")
    for got, saved in zip(weights(fresh), script.snapshots[1]):
        np.testing.assert_array_equal(got, saved)


def test_checkpoint_save_best_only(tmp_path):
    model = model_()
    script = Scripted("val_loss", [3.0, 1.0, 2.0, 0.5, 0.7])
    path = tmp_path / "best.safetensors"
    ckpt = ModelCheckpoint(path=path, save_best_only=True)
    saves = []
    original = model.save_weights
    model.save_weights = lambda p: (saves.append(p), original(p))
    fit(model, [script, ckpt], epochs=5)
    assert len(saves) == 3 and ckpt.best == 0.5 and ckpt.best_epoch == 3
    fresh = model_(seed=9)
    fresh.load_weights(path)
    for got, saved in zip(weights(fresh), script.snapshots[3]):
        np.testing.assert_array_equal(got, saved)
    assert [p.name for p in tmp_path.iterdir()] == ["best.safetensors"]  # no temporary files


def test_checkpoint_argument_errors(tmp_path):
    with pytest.raises(TypeError, match="give the file path once"):
        ModelCheckpoint()
    ckpt = ModelCheckpoint(str(tmp_path / "{nope}.safetensors"))
    with pytest.raises(ValueError, match=r"uses \{nope\}, which is not in the logs"):
        fit(model_(), [ckpt], epochs=1)


# ---- learning rates ----


def test_scheduler_with_a_function_of_epoch_and_lr():
    model = model_(lr=0.1)
    history = fit(model, [LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)],
                  epochs=4)
    assert history.history["lr"] == [0.1, 0.05, 0.025, 0.0125]


def test_scheduler_with_a_schedule_object_or_a_function_of_the_epoch():
    history = fit(model_(), [LearningRateScheduler(StepDecay(0.2, step_size=2, gamma=0.5))],
                  epochs=5)
    assert history.history["lr"] == [0.2, 0.2, 0.1, 0.1, 0.05]
    history = fit(model_(), [LearningRateScheduler(lambda epoch: 1.0 / (epoch + 1))], epochs=3)
    assert history.history["lr"] == [1.0, 0.5, 1.0 / 3]
    with pytest.raises(ValueError, match="returned lr=-1.0 for epoch 0"):
        fit(model_(), [LearningRateScheduler(lambda epoch: -1.0)], epochs=1)
    with pytest.raises(TypeError, match="returned 'fast' for epoch 0, not a number"):
        fit(model_(), [LearningRateScheduler(lambda epoch: "fast")], epochs=1)


def test_reduce_lr_on_plateau_patience_cooldown_and_floor():
    scores = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    model = model_(lr=0.1)
    reduce = ReduceLROnPlateau(monitor="score", factor=0.5, patience=2, cooldown=1, min_lr=0.02)
    history = fit(model, [Scripted("score", scores), reduce], epochs=8)
    # the logged lr is the epoch's; it is reduced at the end of epochs 2, 4 and 6 (patience 2,
    # and the epoch after a reduction is a cooldown that does not count), the last time to the
    # floor min_lr instead of 0.0125
    assert history.history["lr"] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02]
    assert model.optimizer.lr == 0.02


def test_reduce_lr_on_plateau_resets_on_improvement():
    scores = [1.0, 0.9, 0.95, 0.8, 0.85, 0.86, 0.87]
    model = model_(lr=0.1)
    reduce = ReduceLROnPlateau(monitor="score", factor=0.1, patience=2)
    history = fit(model, [Scripted("score", scores), reduce], epochs=7)
    assert history.history["lr"][:6] == [0.1] * 6
    assert model.optimizer.lr == pytest.approx(0.01)
    with pytest.raises(ValueError, match=r"factor must be in \(0, 1\)"):
        ReduceLROnPlateau(factor=1.5)


# ---- CSVLogger and TerminateOnNaN ----


def test_csv_logger_writes_one_row_per_epoch_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    history = fit(model_(), [CSVLogger(path)], epochs=3, validation_split=0.25)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "loss", "lr", "mae", "val_loss", "val_mae"]
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    assert [float(r["val_mae"]) for r in rows] == history.history["val_mae"]
    fit(model_(), [CSVLogger(path=path, append=True)], epochs=2, validation_split=0.25)
    lines = path.read_text().splitlines()
    assert len(lines) == 1 + 3 + 2 and lines.count(lines[0]) == 1


def test_terminate_on_nan_stops_after_the_bad_batch(capsys):
    X, y = data()
    X[20, 0] = np.nan  # in the third batch of 8
    model = model_()
    seen = []
    history = model.fit(X, y, epochs=5, batch_size=8, shuffle=False, verbose=0,
                        check_inputs=False,
                        callbacks=[TerminateOnNaN(),
                                   LambdaCallback(on_batch_end=lambda b, logs: seen.append(b))])
    assert seen == [0, 1, 2]
    assert history.stopped_early and history.epoch == [0]
    assert math.isnan(history.history["loss"][0])
    assert "Batch 2: invalid loss nan, terminating training" in capsys.readouterr().out


def test_callbacks_are_exported_from_nn():
    for name in ("Callback", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler",
                 "ReduceLROnPlateau", "CSVLogger", "TerminateOnNaN", "LambdaCallback"):
        assert getattr(nn, name) is getattr(nn.callbacks, name)


def test_arguments_after_the_first_few_are_keyword_only():
    # Keras's order (monitor, min_delta, patience) is easy to mix up: a positional call fails
    for make in (lambda: EarlyStopping("val_loss", 5), lambda: ModelCheckpoint("w", "loss", 1),
                 lambda: ReduceLROnPlateau("loss", 0.5, 3, 1)):
        with pytest.raises(TypeError, match="positional argument"):
            make()
    assert EarlyStopping("loss", patience=5, min_delta=0.1).patience == 5
