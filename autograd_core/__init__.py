"""autograd-core: reverse-mode automatic differentiation on NumPy, checked by dual numbers."""

from . import viz  # draw / save_svg; the graphviz package itself is imported on first use
from .check import (
    GradcheckError,
    NotDifferentiableError,
    check_op_table,
    check_rules,
    format_op_table,
    gradcheck,
)
from .dual import Dual
from .engine import backward
from .functional import grad, hessian, jacobian, jvp, value_and_grad, vjp
from .modes import AnomalyError, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .ops import (
    OPS,
    abs,
    add,
    broadcast_to,
    clip,
    concatenate,
    cos,
    divide,
    elu,
    exp,
    expand_dims,
    leaky_relu,
    linear,
    log,
    log1p,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    multiply,
    negative,
    power,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    softmax_cross_entropy,
    softplus,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    subtract,
    sum,
    swapaxes,
    tanh,
    transpose,
    var,
    where,
)
from .tensor import (
    Tensor,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"

__all__ = [
    "OPS", "AnomalyError", "Dual", "Tensor",
    "abs", "add", "backward", "broadcast_to", "clip", "concatenate", "cos", "detect_anomaly",
    "divide", "elu", "enable_grad", "exp", "expand_dims", "is_grad_enabled", "leaky_relu",
    "linear",
    "log", "log1p", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min",
    "minimum", "multiply", "negative", "no_grad", "ones", "ones_like", "power", "rand",
    "randn", "relu", "reshape", "sigmoid", "sin", "softmax", "softmax_cross_entropy",
    "softplus", "split", "sqrt",
    "squeeze", "stack", "std", "subtract", "sum", "swapaxes", "tanh", "tensor", "transpose",
    "var", "where", "zeros", "zeros_like",
    # forward mode, functional transforms and the gradient checker
    "GradcheckError", "NotDifferentiableError", "check_op_table", "check_rules",
    "format_op_table", "grad", "gradcheck", "hessian", "jacobian", "jvp", "value_and_grad",
    "vjp",
    # graph rendering, as autograd_core.viz.draw / save_svg
    "viz",
]
