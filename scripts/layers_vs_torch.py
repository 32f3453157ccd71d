"""Compare the convolutional, pooling, normalization, embedding and recurrent layers of nn with
PyTorch's, values and gradients, in float64 and float32 (a by-hand check).

Needs torch in the venv (never a dependency of the package or its tests):
    .venv/bin/pip install torch==2.13.0 && .venv/bin/python scripts/layers_vs_torch.py
PyTorch is channels-first and keeps weights transposed; its LSTM gates are i, f, g, o (Keras's
i, f, c, o: the same order) and its GRU gates r, z, n (Keras's z, r, h), so the script
transposes and reorders. Its BatchNorm running variance is the unbiased one, Keras's the
biased one: the script rescales by (n - 1) / n before comparing.
"""

import numpy as np
import torch

import autograd_core as ag
import nn

F = torch.nn.functional
NHWC, NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


def report(name, ours, theirs):
    diff = np.max(np.abs(np.asarray(ours, np.float64) - np.asarray(theirs, np.float64)))
    print(f"  {name:<38} max |diff| {diff:.2e}")


def squared_sum(out):
    return (out * out).sum()


def gru_blocks(w):
    """Keras's (z, r, h) column blocks reordered to PyTorch's (r, z, n)."""
    u = w.shape[-1] // 3
    return np.concatenate([w[..., u:2 * u], w[..., :u], w[..., 2 * u:]], axis=-1)


def conv_and_pooling(x, dt):
    for kw in (dict(padding="same"), dict(strides=2), dict(dilation_rate=2)):
        layer = nn.Conv2D(4, 3, bias_initializer="normal", dtype=dt, **kw)
        xt = ag.Tensor(x, requires_grad=True)
        out = layer(xt)
        squared_sum(out).backward()
        X = torch.tensor(x.transpose(NCHW), requires_grad=True)
        W = torch.tensor(layer.kernel.data.transpose(3, 2, 0, 1).copy(), requires_grad=True)
        Y = F.conv2d(X, W, torch.tensor(layer.bias.data), stride=kw.get("strides", 1),
                     padding="same" if "padding" in kw else 0,
                     dilation=kw.get("dilation_rate", 1))
        squared_sum(Y).backward()
        report(f"Conv2D {kw} output", out.data, Y.detach().numpy().transpose(NHWC))
        report(f"Conv2D {kw} d input", xt.grad, X.grad.numpy().transpose(NHWC))
        report(f"Conv2D {kw} d kernel", layer.kernel.grad, W.grad.numpy().transpose(2, 3, 1, 0))
    for cls, fn in ((nn.MaxPooling2D, F.max_pool2d), (nn.AveragePooling2D, F.avg_pool2d)):
        xt = ag.Tensor(x, requires_grad=True)
        out = cls(2)(xt)
        squared_sum(out).backward()
        X = torch.tensor(x.transpose(NCHW), requires_grad=True)
        Y = fn(X, 2)
        squared_sum(Y).backward()
        report(f"{cls.__name__} output", out.data, Y.detach().numpy().transpose(NHWC))
        report(f"{cls.__name__} d input", xt.grad, X.grad.numpy().transpose(NHWC))


def normalization(x, dt, tdt):
    bn = nn.BatchNormalization(momentum=0.9, dtype=dt)
    tbn = torch.nn.BatchNorm2d(x.shape[-1], eps=1e-3, momentum=0.1, dtype=tdt)
    xt = ag.Tensor(x, requires_grad=True)
    out = bn(xt)
    (out * out * out).sum().backward()
    X = torch.tensor(x.transpose(NCHW), requires_grad=True)
    Y = tbn(X)
    (Y * Y * Y).sum().backward()
    n = x.size // x.shape[-1]
    report("BatchNormalization training output", out.data, Y.detach().numpy().transpose(NHWC))
    report("BatchNormalization d input", xt.grad, X.grad.numpy().transpose(NHWC))
    report("BatchNormalization moving_mean", bn.moving_mean.data, tbn.running_mean.numpy())
    report("moving_variance vs torch's x (n-1)/n", bn.moving_variance.data,
           0.9 + (tbn.running_var.numpy() - 0.9) * (n - 1) / n)
    xs = x.reshape(x.shape[0], -1, x.shape[-1])
    report("LayerNormalization output", nn.LayerNormalization(dtype=dt)(xs).data,
           F.layer_norm(torch.tensor(xs), (x.shape[-1],), eps=1e-3).numpy())


def recurrent(xs, dt, tdt):
    features, units = xs.shape[-1], 5
    for cls, tcls, reorder in ((nn.SimpleRNN, torch.nn.RNN, lambda w: w),
                               (nn.LSTM, torch.nn.LSTM, lambda w: w),
                               (nn.GRU, torch.nn.GRU, gru_blocks)):
        layer = cls(units, return_sequences=True, bias_initializer="normal", dtype=dt)
        xt = ag.Tensor(xs, requires_grad=True)
        out = layer(xt)
        squared_sum(out).backward()
        t = tcls(features, units, batch_first=True, dtype=tdt)
        bias = layer.bias.data
        input_bias, recurrent_bias = (bias[0], bias[1]) if cls is nn.GRU else (bias, 0 * bias)
        with torch.no_grad():
            t.weight_ih_l0.copy_(torch.tensor(reorder(layer.kernel.data).T.copy()))
            t.weight_hh_l0.copy_(torch.tensor(reorder(layer.recurrent_kernel.data).T.copy()))
            t.bias_ih_l0.copy_(torch.tensor(reorder(input_bias).copy()))
            t.bias_hh_l0.copy_(torch.tensor(reorder(recurrent_bias).copy()))
        X = torch.tensor(xs, requires_grad=True)
        Y = t(X)[0]
        squared_sum(Y).backward()
        name = cls.__name__
        report(f"{name} output", out.data, Y.detach().numpy())
        report(f"{name} d input", xt.grad, X.grad.numpy())
        report(f"{name} d kernel", layer.kernel.grad, reorder(t.weight_ih_l0.grad.numpy().T))
        report(f"{name} d recurrent_kernel", layer.recurrent_kernel.grad,
               reorder(t.weight_hh_l0.grad.numpy().T))


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    for dt, tdt in ((np.float64, torch.float64), (np.float32, torch.float32)):
        print(np.dtype(dt).name)
        x = rng.standard_normal((3, 9, 8, 2)).astype(dt)
        conv_and_pooling(x, dt)
        normalization(x, dt, tdt)
        recurrent(rng.standard_normal((3, 7, 4)).astype(dt), dt, tdt)
        emb = nn.Embedding(10, 3, dtype=dt)
        ids = rng.integers(0, 10, (4, 6))
        report("Embedding output", emb(ids).data,
               F.embedding(torch.tensor(ids), torch.tensor(emb.embeddings.data)).numpy())


if __name__ == "__main__":
    main()
