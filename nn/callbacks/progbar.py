"""ProgbarLogger: the progress display of ``fit``, an ordinary callback that fit adds itself.

``verbose=1`` on a terminal: a tqdm bar per epoch, short enough for the terminal's width
(80 columns when the width is unknown), with the running loss; when the epoch ends, its
summary (every metric, validation metrics included) goes on lines of its own, wrapped at
" - " to the width. ``verbose=1`` under a Jupyter kernel with ipywidgets: tqdm's notebook
bar (``tqdm.notebook``, as ``tqdm.auto`` picks), then the summary. ``verbose=2``, or
``verbose=1`` elsewhere: one line per epoch (wrapped on a terminal).
``verbose=0``: nothing (fit adds no ProgbarLogger then).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from typing import Any, TextIO

from .base import Callback, Logs

DEFAULT_WIDTH = 80  # Keras's and the VT100's: what a terminal of unknown size gets


def format_logs(logs: dict[str, float]) -> str:
    """``"loss: 0.1234 - accuracy: 0.9000 - lr: 0.001"``."""
    return " - ".join(_items(logs))


def _items(logs: dict[str, float]) -> list[str]:
    return [f"{k}: {v:.3g}" if k == "lr" else f"{k}: {v:.4f}" for k, v in logs.items()]


def _is_terminal() -> bool:
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def terminal_size(stream: TextIO | None = None) -> tuple[int, int]:
    """(columns, lines) of the terminal behind ``stream`` (``$COLUMNS`` and ``$LINES``
    first); 80 columns and 24 lines where the size is unknown (a terminal of size 0x0)."""
    size = os.terminal_size((0, 0))
    # a stream without a descriptor (captured, wrapped) asks the process's own stream
    for candidate in (stream or sys.stderr, sys.__stderr__):
        try:
            size = os.get_terminal_size(candidate.fileno())
            break
        except (AttributeError, ValueError, OSError):
            continue
    found = []
    for name, value, default in (("COLUMNS", size.columns, DEFAULT_WIDTH),
                                 ("LINES", size.lines, 24)):
        try:
            value = int(os.environ.get(name, "")) or value
        except ValueError:
            pass
        found.append(value if value > 0 else default)
    return found[0], found[1]


def terminal_width(stream: TextIO | None = None) -> int:
    """Columns of the terminal behind ``stream``; 80 when unknown."""
    return terminal_size(stream)[0]


def wrap_items(items: list[str], width: int | None, indent: str = "", sep: str = " - "
               ) -> list[str]:
    """Join ``items`` with ``sep`` into lines of at most ``width`` characters (None: one line),
    breaking only between items; continuation lines start with ``indent``."""
    lines: list[str] = []
    line = ""
    for item in items:
        if not line:
            line = (indent if lines else "") + item
        elif width is not None and len(line) + len(sep) + len(item) > width:
            lines.append(line)
            line = indent + item
        else:
            line += sep + item
    if line or not lines:
        lines.append(line)
    return lines


def in_jupyter_kernel() -> bool:
    """Whether this runs under a Jupyter (IPython) kernel, e.g. in a notebook."""
    if "IPython" not in sys.modules:  # never import IPython just to ask
        return False
    try:
        shell = sys.modules["IPython"].get_ipython()
    except AttributeError:
        return False
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _notebook_bar_available() -> bool:
    return in_jupyter_kernel() and importlib.util.find_spec("ipywidgets") is not None


class ProgbarLogger(Callback):
    """Shows training progress: a bar per epoch on a terminal or in a notebook, else one
    line per epoch."""

    _REFRESH = 0.2  # seconds between postfix updates: formatting every batch costs time

    def __init__(self, verbose: int = 1) -> None:
        super().__init__()
        self.verbose = verbose
        self._tqdm: Any = None
        self._bar: Any = None
        self._notebook = False
        self._stream: TextIO = sys.stderr

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        self._tqdm, self._notebook = None, False
        if self.verbose == 1:
            try:
                if _notebook_bar_available():
                    # what tqdm.auto picks under a kernel, chosen here at each fit rather than
                    # once at tqdm.auto's first import
                    from tqdm.notebook import tqdm as notebook_tqdm
                    self._tqdm, self._notebook = notebook_tqdm, True
                elif _is_terminal():
                    from tqdm import tqdm
                    self._tqdm = tqdm
            except ImportError:  # a dependency, but stay usable without it
                self._tqdm = None
        if self._tqdm is not None:
            # the batch hook exists only for the bar, so a line-per-epoch fit pays nothing
            self.on_batch_end = self._bar_batch_end  # type: ignore[method-assign]

    def _title(self, epoch: int) -> str:
        return f"Epoch {epoch + 1}/{self.params.get('epochs')}"

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._start = time.perf_counter()
        self._seen, self._loss, self._last = 0, 0.0, 0.0
        if self._tqdm is None:
            return
        if self._notebook:
            self._stream = sys.stdout
            self._bar = self._tqdm(total=self.params.get("steps"), desc=self._title(epoch),
                                   unit="batch", leave=True)
        else:
            # a fixed layout: title, count, bar, times and the running loss; the bar takes
            # what the width leaves, and the metrics go on their own lines at the epoch's end
            self._stream = sys.stderr
            # both sizes given: tqdm hides a bar in a terminal that reports 0 lines
            columns, lines = terminal_size(self._stream)
            self._bar = self._tqdm(
                total=self.params.get("steps"), desc=self._title(epoch), unit="batch",
                leave=True, file=self._stream, ncols=columns, nrows=lines,
                bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| {elapsed}<{remaining}{postfix}")

    def _bar_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._bar is None:
            return
        logs = logs or {}
        n = logs.get("size", 1)
        self._seen += n
        self._loss += logs.get("loss", 0.0) * n
        self._bar.update(1)
        now = time.perf_counter()
        if now - self._last > self._REFRESH:
            self._last = now
            self._bar.set_postfix_str(f"loss: {self._loss / self._seen:.4f}", refresh=False)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        seconds = time.perf_counter() - self._start
        steps = self.params.get("steps")
        if self._bar is not None:
            if "loss" in logs:
                self._bar.set_postfix_str(f"loss: {logs['loss']:.4f}", refresh=False)
            self._bar.close()
            self._bar = None
            width = None if self._notebook else terminal_width(self._stream) - 1
            items = [*_items(logs), f"{seconds:.2f}s"]
            print("\n".join(wrap_items(items, width, indent="  ")), file=self._stream,
                  flush=True)
            return
        head = [f"{self._title(epoch)}", f"{steps} steps", f"{seconds:.2f}s"]
        # a log file gets one line per epoch; a terminal gets it wrapped between items
        width = terminal_width(sys.stdout) - 1 if _is_terminal() else None
        print("\n".join(wrap_items([*head, *_items(logs)], width, indent="  ")), flush=True)

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
