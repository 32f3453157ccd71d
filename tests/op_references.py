"""Independent NumPy references for each primitive's forward (textbook formulas, float64)."""

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[float])


def _scatter_add(g, shape, index):
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return out


def _lse(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(np.asarray(x, dtype=np.longdouble)), axis=axis,
                         keepdims=keepdims)).astype(np.float64)


def _cumsum(x, axis):
    x = np.moveaxis(x, axis, 0)
    out = np.stack([x[: i + 1].sum(axis=0) for i in range(x.shape[0])])
    return np.moveaxis(out, 0, axis)


def _einsum(*xs, subscripts):
    """Loop over every assignment of the letters: the definition, no einsum involved."""
    ins, out = subscripts.split("->")
    ins = ins.split(",")
    sizes = {c: n for t, x in zip(ins, xs) for c, n in zip(t, x.shape)}
    letters = sorted(sizes)
    result = np.zeros(tuple(sizes[c] for c in out))
    for values in np.ndindex(*[sizes[c] for c in letters]):
        at = dict(zip(letters, values))
        term = 1.0
        for t, x in zip(ins, xs):
            term = term * x[tuple(at[c] for c in t)]
        result[tuple(at[c] for c in out)] += term
    return result


def _pad(x, pad_width, constant_values):
    out = np.full(tuple(n + a + b for n, (a, b) in zip(x.shape, pad_width)), constant_values)
    out[tuple(slice(a, a + n) for n, (a, _) in zip(x.shape, pad_width))] = x
    return out


def _out_positions(shape, window, strides, dilation):
    out = [(n - (k - 1) * d - 1) // s + 1
           for n, k, s, d in zip(shape[1:-1], window, strides, dilation)]
    for o in np.ndindex(*out):
        for k in np.ndindex(*window):
            at = tuple(oi * s + ki * d for oi, ki, s, d in zip(o, k, strides, dilation))
            yield out, o, k, at


def _windows(x, window, strides, dilation):
    """Each window copied out pixel by pixel."""
    result = None
    for out, o, k, at in _out_positions(x.shape, window, strides, dilation):
        if result is None:
            result = np.zeros((x.shape[0], *out, *window, x.shape[-1]))
        result[(slice(None), *o, *k)] = x[(slice(None), *at)]
    return result


def _window_sum(g, shape, window, strides, dilation):
    result = np.zeros(shape)
    for _, o, k, at in _out_positions(shape, window, strides, dilation):
        result[(slice(None), *at)] += g[(slice(None), *o, *k)]
    return result


def _activations(name, alpha):
    """The activations linear can fuse, written independently of the op table."""
    return {
        None: lambda z: z,
        "relu": lambda z: z * (z > 0),
        "leaky_relu": lambda z: np.where(z > 0, z, alpha * z),
        "elu": lambda z: np.where(z > 0, z, alpha * (np.exp(z) - 1)),
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "tanh": lambda z: 1 - 2 / (np.exp(2 * z) + 1),
    }[name]
def _max_pool(x, window, strides):
    """The max of each window, window by window."""
    w = _windows(x, window, strides, (1,) * len(window))
    return w.max(axis=tuple(range(1 + len(window), 1 + 2 * len(window))))


def _conv(x, k, strides, dilation, activation=None, b=0.0):
    """Each window times the kernel: the definition of a (cross-correlation) convolution."""
    out = np.tensordot(_windows(x, k.shape[:-2], strides, dilation), k, axes=k.ndim - 1) + b
    return np.maximum(out, 0) if activation == "relu" else out


def _conv_input_grad(d, k, shape, strides, dilation):
    window = k.shape[:-2]
    return _window_sum(np.tensordot(d, k, axes=([-1], [-1])), shape, window, strides, dilation)


def _conv_kernel_grad(x, d, window, strides, dilation):
    lead = list(range(d.ndim - 1))
    return np.tensordot(_windows(x, window, strides, dilation), d, axes=(lead, lead))


REFERENCES = {
    "add": lambda x, y: x + y,
    "subtract": lambda x, y: x - y,
    "multiply": lambda x, y: x * y,
    "divide": lambda x, y: x / y,
    "negative": lambda x: -x,
    "power": lambda x, y: np.exp(y * np.log(x)),
    "maximum": lambda x, y: np.where(x >= y, x, y),
    "minimum": lambda x, y: np.where(x <= y, x, y),
    "exp": np.exp,
    "log": np.log,
    "log1p": lambda x: np.log(1 + x),
    "sqrt": lambda x: x ** 0.5,
    "abs": lambda x: np.where(x < 0, -x, x),
    "sin": np.sin,
    "cos": np.cos,
    "tanh": lambda x: 1 - 2 / (np.exp(2 * x) + 1),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "softplus": lambda x: np.log(1 + np.exp(x)),
    "relu": lambda x: x * (x > 0),
    "leaky_relu": lambda x, alpha: np.where(x > 0, x, alpha * x),
    "elu": lambda x, alpha: np.where(x > 0, x, alpha * (np.exp(x) - 1)),
    "clip": lambda x, a_min, a_max: np.minimum(np.maximum(x, a_min), a_max),
    "where": lambda x, y, condition: np.choose(np.broadcast_to(condition, np.broadcast_shapes(
        np.shape(condition), np.shape(x), np.shape(y))).astype(int), [y, x]),
    "astype": lambda x, dtype: np.array(x, dtype=dtype),
    "matmul": lambda x, y: np.einsum("...ij,...jk->...ik", np.atleast_2d(x), y[..., None]
                                     if y.ndim == 1 else y).reshape(np.matmul(x, y).shape),
    "linear": lambda x, w, b, activation=None, alpha=None: _activations(activation, alpha)(
        np.einsum("...i,ij->...j", x, w) + b),
    "sum": lambda x, axis, keepdims: np.add.reduce(x, axis=axis, keepdims=keepdims),
    "mean": lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
    "max": lambda x, axis, keepdims: np.amax(x, axis=axis, keepdims=keepdims),
    "min": lambda x, axis, keepdims: np.amin(x, axis=axis, keepdims=keepdims),
    "logsumexp": _lse,
    "softmax": lambda x, axis: np.exp(x) / np.sum(np.exp(x), axis=axis, keepdims=True),
    "log_softmax": lambda x, axis: x - _lse(x, axis=axis, keepdims=True),
    "softmax_cross_entropy": lambda x, y, axis: -np.sum(
        y * np.log(np.exp(x) / np.sum(np.exp(x), axis=axis, keepdims=True)), axis=axis),
    "reshape": lambda x, shape: x.reshape(shape),
    "transpose": lambda x, axes: x.transpose(axes),
    "broadcast_to": lambda x, shape: x + np.zeros(shape),
    "getitem": lambda x, index: x[index],
    "scatter_add": _scatter_add,
    "concatenate": lambda *xs, axis: np.concatenate(xs, axis=axis),
    # ---- issue 13: elementwise functions and activations ----
    "tan": lambda x: np.sin(x) / np.cos(x),
    "arcsin": lambda x: np.arctan2(x, np.sqrt(1 - x * x)),
    "arccos": lambda x: np.pi / 2 - np.arctan2(x, np.sqrt(1 - x * x)),
    "arctan": lambda x: np.arctan2(x, 1.0),
    "sinh": lambda x: (np.exp(x) - np.exp(-x)) / 2,
    "cosh": lambda x: (np.exp(x) + np.exp(-x)) / 2,
    "square": lambda x: x * x,
    "reciprocal": lambda x: 1.0 / x,
    "log2": lambda x: np.log(x) / np.log(2),
    "log10": lambda x: np.log(x) / np.log(10),
    "erf": _erf,
    "sign": lambda x: (x > 0).astype(float) - (x < 0),
    "floor": lambda x: x - np.mod(x, 1),
    "ceil": lambda x: -(-x - np.mod(-x, 1)),
    "round": lambda x, decimals: np.where(np.abs(x - np.trunc(x)) < 0.5, np.trunc(x),
                                          np.trunc(x) + np.sign(x)),
    "gelu": lambda x, approximate: 0.5 * x * (1 + (
        np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)) if approximate
        else _erf(x / np.sqrt(2)))),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "selu": lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "hard_sigmoid": lambda x: np.minimum(np.maximum(x + 3, 0), 6) / 6,
    # ---- issue 13: reductions, shape and linear algebra ----
    "prod": lambda x, axis, keepdims: np.exp(np.sum(np.log(np.abs(x) + (x == 0)), axis=axis,
                                                    keepdims=keepdims))
    * np.prod(np.sign(x), axis=axis, keepdims=keepdims),
    "cumsum": _cumsum,
    "argmax": lambda x, axis, keepdims: np.argsort(-x if axis is not None else -x.ravel(),
                                                   axis=0 if axis is None else axis)
    .take(0, axis=0 if axis is None else axis).reshape(
        np.argmax(x, axis=axis, keepdims=keepdims).shape),
    "argmin": lambda x, axis, keepdims: np.argsort(x if axis is not None else x.ravel(),
                                                   axis=0 if axis is None else axis)
    .take(0, axis=0 if axis is None else axis).reshape(
        np.argmin(x, axis=axis, keepdims=keepdims).shape),
    "flip": lambda x, axis: x[tuple(slice(None, None, -1) if axis is None or i in np.mod(
        np.atleast_1d(axis), x.ndim) else slice(None) for i in range(x.ndim))],
    "pad": _pad,
    "einsum": _einsum,
    # ---- issue 13: convolution ----
    "windows": _windows,
    "window_sum": _window_sum,
    "max_pool": _max_pool,
    "conv": _conv,
    "conv_bias": lambda x, k, b, strides, dilation, activation:
        _conv(x, k, strides, dilation, activation, b),
    "conv_input_grad": _conv_input_grad,
    "conv_kernel_grad": _conv_kernel_grad,
}
