"""Convolution and pooling: values against pixel-by-pixel loops, gradients three ways, errors.

The primitives underneath (conv and its two transposes, max_pool, windows, window_sum) are
covered by the op-table tests; here the
composites are checked end to end, with Keras's padding rules written out independently.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Dual, Tensor
from autograd_core.testing import assert_gradients_correct


def keras_pads(n, k, s, d):
    """(before, after) of Keras's "same": output ceil(n / s), the odd pixel after."""
    total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def explicit_pads(padding, spatial, window, strides, dilation):
    if padding == "valid":
        return [(0, 0)] * len(spatial)
    if padding == "same":
        return [keras_pads(n, k, s, d) for n, k, s, d in zip(spatial, window, strides, dilation)]
    if isinstance(padding, int):
        return [(padding, padding)] * len(spatial)
    return [(p, p) if isinstance(p, int) else tuple(p) for p in padding]


def loop_conv(x, kernel, stride, padding, dilation):
    """Cross-correlation by four nested loops over output pixels and kernel taps."""
    nd = x.ndim - 2
    window = kernel.shape[:nd]
    pads = explicit_pads(padding, x.shape[1:-1], window, stride, dilation)
    xp = np.pad(x.astype(np.float64), [(0, 0), *pads, (0, 0)])
    out_sizes = [(n - (k - 1) * d - 1) // s + 1
                 for n, k, s, d in zip(xp.shape[1:-1], window, stride, dilation)]
    out = np.zeros((x.shape[0], *out_sizes, kernel.shape[-1]))
    for o in np.ndindex(*out_sizes):
        for t in np.ndindex(*window):
            at = tuple(oi * s + ti * d for oi, ti, s, d in zip(o, t, stride, dilation))
            out[(slice(None), *o)] += xp[(slice(None), *at)] @ kernel[t]
    return out


def loop_pool(x, pool, strides, padding, kind):
    nd = x.ndim - 2
    pads = explicit_pads(padding, x.shape[1:-1], pool, strides, (1,) * nd)
    xp = np.pad(x.astype(np.float64), [(0, 0), *pads, (0, 0)], constant_values=np.nan)
    out_sizes = [(n - k) // s + 1 for n, k, s in zip(xp.shape[1:-1], pool, strides)]
    out = np.zeros((x.shape[0], *out_sizes, x.shape[-1]))
    for o in np.ndindex(*out_sizes):
        block = xp[(slice(None), *[slice(oi * s, oi * s + k)
                                   for oi, s, k in zip(o, strides, pool)])]
        flat = block.reshape(x.shape[0], -1, x.shape[-1])
        out[(slice(None), *o)] = np.nanmax(flat, 1) if kind == "max" else np.nanmean(flat, 1)
    return out


@st.composite
def conv_cases(draw, nd):
    window = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    spatial = tuple((k - 1) * d + 1 + draw(st.integers(0, 4)) for k, d in zip(window, dilation))
    padding = draw(st.sampled_from(["valid", "same", "int", "pairs"]))
    if padding == "int":
        padding = draw(st.integers(0, 2))
    elif padding == "pairs":
        padding = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(nd))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), *spatial, draw(st.integers(1, 3))))
    kernel = rng.standard_normal((*window, x.shape[-1], draw(st.integers(1, 3))))
    return x, kernel, stride, padding, dilation


@pytest.mark.parametrize("nd", [1, 2])
@given(data=st.data())
def test_conv_matches_the_loop_definition(nd, data):
    x, kernel, stride, padding, dilation = data.draw(conv_cases(nd))
    conv = ag.conv1d if nd == 1 else ag.conv2d
    out = conv(x, kernel, stride=stride, padding=padding, dilation=dilation)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, loop_conv(x, kernel, stride, padding, dilation),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("nd", [1, 2])
@given(data=st.data())
def test_conv_gradients_three_ways(nd, data):
    x, kernel, stride, padding, dilation = data.draw(conv_cases(nd))
    conv = ag.conv1d if nd == 1 else ag.conv2d
    assert_gradients_correct(
        lambda a, k: conv(a, k, stride=stride, padding=padding, dilation=dilation), x, kernel)


@st.composite
def pool_cases(draw, nd):
    pool = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    strides = draw(st.sampled_from([None, tuple(draw(st.integers(1, 3)) for _ in range(nd))]))
    spatial = tuple(k + draw(st.integers(0, 4)) for k in pool)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), *spatial, draw(st.integers(1, 2))))
    return x, pool, strides, draw(st.sampled_from(["valid", "same"]))


POOLS = {(1, "max"): ag.max_pool1d, (2, "max"): ag.max_pool2d,
         (1, "avg"): ag.avg_pool1d, (2, "avg"): ag.avg_pool2d}


@pytest.mark.parametrize("nd, kind", sorted(POOLS))
@given(data=st.data())
def test_pool_matches_the_loop_definition_and_gradients(nd, kind, data):
    x, pool, strides, padding = data.draw(pool_cases(nd))
    fn = POOLS[nd, kind]
    out = fn(x, pool, strides, padding)
    np.testing.assert_allclose(out, loop_pool(x, pool, pool if strides is None else strides,
                                              padding, kind), rtol=1e-12, atol=1e-12)
    assert_gradients_correct(lambda a: fn(a, pool, strides, padding), x)


def test_same_padding_gives_ceil_output_and_averages_real_elements_only():
    x = np.arange(1.0, 6.0).reshape(1, 5, 1)
    np.testing.assert_array_equal(ag.avg_pool1d(x, 2, padding="same")[0, :, 0], [1.5, 3.5, 5])
    np.testing.assert_array_equal(ag.max_pool1d(-x, 2, padding="same")[0, :, 0], [-1, -3, -5])
    assert ag.conv2d(np.ones((1, 7, 5, 1)), np.ones((3, 3, 1, 2)), stride=2,
                     padding="same").shape == (1, 4, 3, 2)


def test_max_pool_ties_share_the_gradient():
    x = Tensor(np.array([[[1.0], [1.0], [0.0], [2.0]]]), requires_grad=True)
    ag.max_pool1d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, :, 0], [0.5, 0.5, 0.0, 1.0])


def test_second_derivative_through_conv_and_pool():
    """The Hessian-vector product of a conv net's loss: gradients of gradients work."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 5, 5, 2))

    w = rng.standard_normal((3, 3, 2, 2))

    def loss(a, k):
        h = ag.tanh(ag.conv2d(a, k, padding="same", stride=(1, 2)))
        return ag.sum(ag.avg_pool2d(h, 2, padding="same") ** 2) + ag.sum(
            ag.max_pool2d(h, 2, 1) ** 2)

    assert_gradients_correct(ag.grad(lambda k: loss(x, k)), w)  # through the kernel
    assert_gradients_correct(ag.grad(lambda a: loss(a, w)), x)  # through windows/window_sum


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_in_both_modes(dtype):
    x = np.ones((2, 6, 6, 3), dtype=dtype)
    k = np.ones((3, 3, 3, 4), dtype=dtype)
    for fn in (lambda a: ag.conv2d(a, k, padding="same"),
               lambda a: ag.max_pool2d(a, 2, padding="same"),
               lambda a: ag.avg_pool2d(a, 3, 2, padding="same"),
               lambda a: ag.conv1d(a[:, 0], k[0], dilation=2),
               lambda a: ag.avg_pool1d(a[:, 0], 2)):
        assert fn(x).dtype == dtype
        t = Tensor(x, requires_grad=True)
        fn(t).sum().backward()
        assert fn(t).dtype == dtype and t.grad.dtype == dtype
        d = fn(Dual(x, np.ones_like(x)))
        assert d.primal.dtype == dtype and d.tangent.dtype == dtype


ERRORS = [
    (lambda: ag.conv2d(np.ones((2, 8, 8, 3)), np.ones((3, 3, 4, 8))),
     r"conv2d: input has 3 channels but kernel expects 4 \(x \(2, 8, 8, 3\), kernel "
     r"\(3, 3, 4, 8\)\)"),
    (lambda: ag.conv2d(np.ones((8, 8, 3)), np.ones((3, 3, 3, 8))),
     r"conv2d: x must have 4 dimensions \(N, H, W, C_in\), got shape \(8, 8, 3\)"),
    (lambda: ag.conv1d(np.ones((2, 8, 3)), np.ones((3, 3))),
     r"conv1d: kernel must have 3 dimensions"),
    (lambda: ag.conv2d(np.ones((1, 4, 4, 1)), np.ones((5, 5, 1, 1))),
     r"conv2d: kernel \(5, 5\) \(dilation \(1, 1\)\) is larger than the padded input"),
    (lambda: ag.conv2d(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), padding="full"),
     r"conv2d: padding must be 'valid', 'same' or sizes, got 'full'"),
    (lambda: ag.conv2d(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), stride=0),
     r"conv2d: stride must be a positive int"),
    (lambda: ag.conv2d(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), padding=(1, 2, 3)),
     r"conv2d: padding \(1, 2, 3\) must be"),
    (lambda: ag.max_pool2d(np.ones((1, 4, 4, 1)), 2, padding=1),
     r"max_pool2d: padding must be 'valid' or 'same', got 1"),
    (lambda: ag.avg_pool1d(np.ones((1, 4, 4, 1)), 2),
     r"avg_pool1d: x must have 3 dimensions \(N, L, C\), got shape \(1, 4, 4, 1\)"),
    (lambda: ag.max_pool1d(np.ones((1, 2, 1)), 3),
     r"max_pool1d: pool_size \(3,\) .* larger than the padded input"),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_bad_arguments_name_the_op_and_the_shapes(index):
    call, message = ERRORS[index]
    with pytest.raises(ValueError, match=message):
        call()


def _op_names(root):
    names, stack = [], [root]
    while stack:
        n = stack.pop()
        if n._op is not None:
            names.append(n._op.name)
            stack.extend(n._parents)
    return sorted(names)


def test_conv_is_one_node_and_its_recorded_backward_is_its_two_transposes():
    x = Tensor(np.ones((1, 5, 5, 1)), requires_grad=True)
    k = Tensor(np.ones((3, 3, 1, 2)), requires_grad=True)
    out = ag.conv2d(x, k)
    assert _op_names(out) == ["conv"]
    (out * out).sum().backward(create_graph=True)
    assert "conv_input_grad" in _op_names(x.grad) and "conv_kernel_grad" in _op_names(k.grad)


@pytest.mark.parametrize("nd", [1, 2])
def test_conv_in_batch_chunks_matches_one_piece(nd, monkeypatch):
    """A batch larger than the im2col budget is convolved in chunks: same values, gradients."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, *(7,) * nd, 2))
    kernel = rng.standard_normal((*(3,) * nd, 2, 3))
    bias = rng.standard_normal(3)
    conv = ag.conv1d if nd == 1 else ag.conv2d
    whole = conv(x, kernel, stride=2, padding="same")
    fused = [Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    ag.sum(conv(*fused[:2], 2, "same", bias=fused[2], activation="relu") ** 2).backward()
    monkeypatch.setattr(ag.ops.convolution, "_CHUNK", 40)  # one or two images per chunk
    np.testing.assert_allclose(conv(x, kernel, stride=2, padding="same"), whole, rtol=1e-13)
    assert_gradients_correct(lambda a, k: conv(a, k, stride=2, padding="same"), x, kernel)
    chunked = [Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    ag.sum(conv(*chunked[:2], 2, "same", bias=chunked[2], activation="relu") ** 2).backward()
    for a, b in zip(fused, chunked):  # the relu gate applied chunk by chunk in reverse
        np.testing.assert_allclose(b.grad, a.grad, rtol=1e-12)


@pytest.mark.parametrize("nd", [1, 2])
@given(data=st.data())
def test_conv_with_bias_is_conv_plus_bias_in_one_node(nd, data):
    x, kernel, stride, padding, dilation = data.draw(conv_cases(nd))
    bias = np.random.default_rng(1).standard_normal(kernel.shape[-1])
    conv = ag.conv1d if nd == 1 else ag.conv2d
    out = conv(Tensor(x, requires_grad=True), kernel, stride, padding, dilation, bias=bias)
    assert out.op == "conv_bias"
    np.testing.assert_allclose(out.data, loop_conv(x, kernel, stride, padding, dilation) + bias,
                               rtol=1e-12, atol=1e-12)
    assert_gradients_correct(
        lambda a, k, b: conv(a, k, stride, padding, dilation, bias=b), x, kernel, bias)


def test_conv_bias_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(2,\), one value per "
                                         r"output channel, got shape \(3,\)"):
        ag.conv2d(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 2)), bias=np.ones(3))


@pytest.mark.parametrize("bias", [False, True])
@given(data=st.data())
def test_conv_with_fused_relu_is_relu_of_the_conv(bias, data):
    x, kernel, stride, padding, dilation = data.draw(conv_cases(2))
    b = np.random.default_rng(2).standard_normal(kernel.shape[-1]) if bias else None
    out = ag.conv2d(Tensor(x, requires_grad=True), kernel, stride, padding, dilation, bias=b,
                    activation="relu")
    assert out.op == ("conv_bias" if bias else "conv")
    plain = loop_conv(x, kernel, stride, padding, dilation) + (0 if b is None else b)
    np.testing.assert_allclose(out.data, np.maximum(plain, 0), rtol=1e-12, atol=1e-12)
    args = (x, kernel) if b is None else (x, kernel, b)
    assert_gradients_correct(lambda a, k, *bb: ag.conv2d(
        a, k, stride, padding, dilation, bias=bb[0] if bb else None, activation="relu"), *args)


def test_conv_refuses_an_activation_it_cannot_fuse():
    with pytest.raises(ValueError, match=r"conv2d: activation must be None or 'relu' .* got "
                                         r"'tanh'; apply others after it"):
        ag.conv2d(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 2)), activation="tanh")
