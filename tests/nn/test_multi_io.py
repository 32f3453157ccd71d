"""fit/evaluate/predict with several inputs and outputs (lists or dicts), per-output losses."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autograd_core as ag
import nn


def _model():
    nn.set_seed(0)
    a, b = nn.Input(shape=(2,), name="a"), nn.Input(shape=(3,), name="b")
    joined = nn.Concatenate(name="join")([nn.Dense(8, "tanh", name="hid")(a), b])
    return nn.Model([a, b], {"score": nn.Dense(1, name="score")(joined),
                             "label": nn.Dense(3, name="label")(joined)})


def _data(n=80):
    rng = np.random.default_rng(0)
    Xa, Xb = rng.normal(size=(n, 2)), rng.normal(size=(n, 3))
    return Xa, Xb, 2 * Xa[:, :1], (Xb[:, 0] > 0).astype(int) + (Xb[:, 1] > 0)


def _compile(model, **kwargs):
    model.compile("adam", loss={"score": "mse", "label": "sparse_categorical_crossentropy"},
                  metrics={"score": ["mae"], "label": ["accuracy"]}, from_logits=True,
                  lr=0.02, **kwargs)


def test_fit_with_dicts_trains_both_outputs_and_logs_each():
    model = _model()
    _compile(model, loss_weights={"score": 1.0, "label": 0.5})
    Xa, Xb, ys, yc = _data()
    before = model.evaluate({"a": Xa, "b": Xb}, {"score": ys, "label": yc})
    history = model.fit({"a": Xa, "b": Xb}, {"score": ys, "label": yc}, epochs=20, verbose=0,
                        validation_split=0.25)
    assert set(history.history) == {
        "loss", "score_loss", "score_mae", "label_loss", "label_accuracy", "lr",
        "val_loss", "val_score_loss", "val_score_mae", "val_label_loss", "val_label_accuracy"}
    after = model.evaluate([Xa, Xb], {"score": ys, "label": yc})
    assert after["score_loss"] < before["score_loss"] / 2
    assert after["label_loss"] < before["label_loss"]
    assert after["loss"] == pytest.approx(after["score_loss"] + 0.5 * after["label_loss"])


def test_the_total_loss_is_the_weighted_sum_computed_by_hand():
    model = _model()
    _compile(model, loss_weights=[2.0, 3.0])  # a list follows model.outputs' order
    Xa, Xb, ys, yc = _data(10)
    logs = model.evaluate([Xa, Xb], [ys, yc])
    out = model.predict({"a": Xa, "b": Xb})
    logits = out["label"].astype(np.float64)
    log_p = logits - logits.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    ce = -log_p[np.arange(10), yc].mean()
    mse = np.mean((out["score"] - ys) ** 2)
    assert logs["score_loss"] == pytest.approx(mse, rel=1e-5)
    assert logs["label_loss"] == pytest.approx(ce, rel=1e-5)
    assert logs["loss"] == pytest.approx(2 * mse + 3 * ce, rel=1e-5)


def test_predict_returns_the_models_structure_in_batches():
    model = _model()
    Xa, Xb, _, _ = _data(50)
    whole = model.predict([Xa, Xb])
    batched = model.predict([Xa, Xb], batch_size=16)
    assert set(batched) == {"score", "label"} and batched["label"].shape == (50, 3)
    for k in whole:
        np.testing.assert_allclose(batched[k], whole[k], rtol=1e-6)
    x = nn.Input(shape=(2,))
    listed = nn.Model(x, [nn.Dense(1)(x), nn.Dense(2)(x)])
    assert [o.shape for o in listed.predict(np.ones((4, 2)))] == [(4, 1), (4, 2)]


def test_gradients_of_the_summed_loss_reach_the_shared_trunk():
    model = _model()
    Xa, Xb, ys, yc = _data(6)
    out = model([Xa, Xb])
    loss = ag.mean((out["score"] - ys.astype(np.float32)) ** 2) + ag.mean(out["label"] ** 2)
    loss.backward()
    assert np.abs(model.get_layer("hid").kernel.grad).sum() > 0


def test_mistakes_are_named():
    model = _model()
    _compile(model)
    Xa, Xb, ys, yc = _data(10)
    with pytest.raises(ValueError, match=r"outputs has no entry for 'label'"):
        model.fit([Xa, Xb], {"score": ys}, verbose=0)
    with pytest.raises(ValueError, match=r"the model has 2 inputs \['a', 'b'\]"):
        model.fit(Xa, {"score": ys, "label": yc}, verbose=0)
    with pytest.raises(ValueError, match=r"entries \['c'\] the model does not have"):
        model.predict({"a": Xa, "b": Xb, "c": Xb})
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.predict([Xa, Xb[:5]])
    with pytest.raises(ValueError, match="class_weight works for a model with one output"):
        model.fit([Xa, Xb], [ys, yc], class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match=r"loss names outputs \['nope'\]"):
        model.compile("adam", loss={"nope": "mse"})
    single = nn.Sequential([nn.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match="loss_weights weight the losses of several outputs"):
        single.compile("adam", "mse", loss_weights=[1.0])


def test_an_output_without_a_loss_is_left_untrained():
    model = _model()
    model.compile("adam", loss={"score": "mse"}, lr=0.05)
    Xa, Xb, ys, yc = _data(40)
    label = model.get_layer("label").get_weights()
    model.fit([Xa, Xb], {"score": ys, "label": yc}, epochs=3, verbose=0)
    for w0, w1 in zip(label, model.get_layer("label").get_weights()):
        np.testing.assert_array_equal(w0, w1)


def test_a_multi_output_model_saves_its_compile_config_and_resumes(tmp_path):
    model = _model()
    _compile(model, loss_weights={"score": 1.0, "label": 0.5})
    Xa, Xb, ys, yc = _data()
    model.fit([Xa, Xb], [ys, yc], epochs=2, verbose=0, shuffle=False)
    model.save(tmp_path / "two.safetensors")
    script = textwrap.dedent('''
        import sys
        import numpy as np
        import nn
        model = nn.load_model(sys.argv[1])
        rng = np.random.default_rng(0)
        Xa, Xb = rng.normal(size=(80, 2)), rng.normal(size=(80, 3))
        ys, yc = 2 * Xa[:, :1], (Xb[:, 0] > 0).astype(int) + (Xb[:, 1] > 0)
        model.fit([Xa, Xb], [ys, yc], epochs=2, verbose=0, shuffle=False)
        np.savez(sys.argv[2], *model.get_weights())
    ''')
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "two.safetensors"),
                    str(tmp_path / "w.npz")], check=True, capture_output=True)
    model.fit([Xa, Xb], [ys, yc], epochs=2, verbose=0, shuffle=False)
    resumed = np.load(tmp_path / "w.npz")
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_array_equal(resumed[f"arr_{i}"], w)
    again = nn.load_model(tmp_path / "two.safetensors")
    assert again.compiled_loss.weights == [1.0, 0.5]
    assert set(again.evaluate([Xa, Xb], [ys, yc])) == {
        "loss", "score_loss", "score_mae", "label_loss", "label_accuracy"}
