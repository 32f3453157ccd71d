"""The op table: every primitive with its forward, reverse (VJP) and forward (JVP) rules.

One module per family; ``core`` holds the ``Op`` type, the table ``OPS`` and the dispatch, and
documents the names every rule uses. A primitive object carries the suffix ``_p`` (as in JAX)
where a composite function of the same name wraps it to normalise arguments.
"""

from .core import OPS, Op, Rule, _raw, float64_if_python, primitive, register_handler, weak_scalar
from .elementwise import (
    abs,
    add,
    astype,
    clip,
    clip_p,
    cos,
    divide,
    elu,
    exp,
    leaky_relu,
    log,
    log1p,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    subtract,
    tanh,
    where,
    where_p,
)
from .linalg import linear, linear_p, matmul
from .methods import ArrayMethods, normalize_index  # noqa: I001 - after the families it calls
from .reductions import (
    log_softmax,
    logsumexp,
    max,
    mean,
    mean_p,
    min,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_p,
    std,
    sum,
    var,
)
from .shape import (
    broadcast_to,
    broadcast_to_p,
    concatenate,
    concatenate_p,
    expand_dims,
    getitem,
    reshape,
    reshape_p,
    scatter_add,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
    transpose_p,
)

__all__ = [
    "OPS", "ArrayMethods", "Op", "Rule", "abs", "add", "astype", "broadcast_to",
    "broadcast_to_p", "clip", "clip_p", "concatenate", "concatenate_p", "cos", "divide", "elu",
    "exp",
    "expand_dims", "float64_if_python", "getitem", "leaky_relu", "linear", "linear_p", "log",
    "log1p", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "mean_p", "min",
    "minimum", "multiply", "negative", "normalize_index", "power", "primitive",
    "register_handler", "relu", "reshape", "reshape_p", "scatter_add", "sigmoid", "sin",
    "softmax", "softmax_cross_entropy", "softmax_cross_entropy_p", "softplus", "split", "sqrt",
    "squeeze", "stack", "std", "subtract", "sum", "swapaxes", "tanh", "transpose",
    "transpose_p", "var", "weak_scalar", "where", "where_p", "_raw",
]
