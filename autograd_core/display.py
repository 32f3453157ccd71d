"""Rich displays for Jupyter: a Tensor or a Dual as a small HTML table.

IPython calls ``Tensor._repr_html_`` (and ``Dual._repr_html_``) when one is the last value
of a cell; they delegate here. Values are abbreviated as NumPy's repr abbreviates them
(``[0, 1, 2, ..., 97, 98, 99]``) and every piece of text is escaped, since a name may hold
any character.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

_STYLE = ("border-collapse:collapse;font-family:monospace;font-size:12px;text-align:left")
_CELL = "padding:2px 8px;vertical-align:top;text-align:left"
_THRESHOLD = 100  # elements shown in full; larger arrays show their corners, as NumPy's repr
_EDGEITEMS = 3


def _raw(value: Any) -> np.ndarray:
    """The array behind a value: a Tensor's data (a gradient may be a Tensor), or the value."""
    return np.asarray(getattr(value, "data", value))


def array_text(value: Any) -> str:
    """NumPy's text for ``value``, abbreviated past 100 elements (NumPy's print options
    otherwise: precision, suppress, ...)."""
    a = _raw(value)
    options = np.get_printoptions()
    return np.array2string(a, separator=", ",
                           threshold=min(options["threshold"], _THRESHOLD),
                           edgeitems=min(options["edgeitems"], _EDGEITEMS))


def _pre(text: str) -> str:
    return f'<pre style="margin:0;text-align:left">{html.escape(text)}</pre>'


def html_table(title: str, rows: list[tuple[str, str]]) -> str:
    """A two-column table under ``title``; the cells are already HTML."""
    body = "".join(f'<tr><th style="{_CELL}">{html.escape(k)}</th><td style="{_CELL}">{v}</td>'
                   f"</tr>" for k, v in rows)
    return (f'<table style="{_STYLE}"><thead><tr><th colspan="2" style="{_CELL}">'
            f"{html.escape(title)}</th></tr></thead><tbody>{body}</tbody></table>")


def tensor_html(t: Any) -> str:
    """The HTML table of a Tensor: value, shape, dtype, op (or leaf) and gradient."""
    title = "Tensor" if not t.name else f"Tensor {t.name!r}"
    if t.op is not None:
        origin = html.escape(t.op)
    elif t.requires_grad:
        origin = "leaf (requires grad)"
    else:
        origin = "constant (no gradient)"
    grad = t.grad
    rows = [
        ("value", _pre(array_text(t.data))),
        ("shape", html.escape(str(tuple(t.shape)))),
        ("dtype", html.escape(str(t.dtype))),
        ("op", origin),
        ("grad", "None" if grad is None else _pre(array_text(grad))),
    ]
    return html_table(title, rows)


def dual_html(d: Any) -> str:
    """The HTML table of a Dual: primal, tangent, shape and dtype."""
    rows = [
        ("primal", _pre(array_text(d.primal))),
        ("tangent", _pre(array_text(d.tangent))),
        ("shape", html.escape(str(tuple(d.shape)))),
        ("dtype", html.escape(str(d.dtype))),
    ]
    return html_table("Dual (primal + tangent·ε)", rows)
