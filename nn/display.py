"""Rich displays of nn objects in Jupyter: a History shows its learning curves.

``History._repr_mimebundle_`` delegates here: a PNG of ``nn.plot.plot_history`` when
matplotlib (the plot extra) is there, else an HTML table of the last epoch's values. A model's
display (its summary as an HTML table) is ``nn.summary.summary_html``.
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

_CELL = "padding:2px 10px;text-align:left"
_NUM = "padding:2px 10px;text-align:right"


def _value(v: float | None) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.4g}"


def last_values_html(history: Any) -> str:
    """The last epoch's values of a History as an HTML table: metric, train, validation."""
    curves = history.history
    names = [k for k in curves if not k.startswith("val_")]
    names += [k[4:] for k in curves if k.startswith("val_") and k[4:] not in curves]
    esc = html.escape
    rows = "".join(
        f'<tr><td style="{_CELL}">{esc(name)}</td>'
        f'<td style="{_NUM}">{_value(curves.get(name, [None])[-1])}</td>'
        f'<td style="{_NUM}">{_value(curves.get("val_" + name, [None])[-1])}</td></tr>'
        for name in names)
    epochs = len(history.epoch)
    return (f'<table style="border-collapse:collapse;font-family:monospace;font-size:12px">'
            f'<caption style="text-align:left">History: {epochs} epoch{"s" * (epochs != 1)}, '
            f"last values</caption><thead><tr><th style=\"{_CELL}\">metric</th>"
            f'<th style="{_NUM}">train</th><th style="{_NUM}">validation</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def history_png(history: Any, dpi: int = 80) -> bytes:
    """The learning curves of ``history`` as PNG bytes (needs matplotlib)."""
    from . import plot

    fig = plot.plot_history(history)
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        return buf.getvalue()
    finally:
        plot._pyplot().close(fig)  # drawn for this display only: pyplot must not show it again


def history_mimebundle(history: Any) -> dict[str, Any]:
    """What Jupyter shows for a History: its curves (PNG) or, without matplotlib, a table."""
    bundle: dict[str, Any] = {"text/plain": repr(history)}
    if not history.epoch or not history.history:
        return bundle
    try:
        png = history_png(history)
    except ImportError:
        bundle["text/html"] = last_values_html(history)
    except ValueError:  # nothing to plot (only the learning rate, say)
        bundle["text/html"] = last_values_html(history)
    else:
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
    return bundle
