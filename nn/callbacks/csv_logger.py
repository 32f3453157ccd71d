"""CSVLogger: one CSV row per epoch."""

from __future__ import annotations

import csv
import io
import os

from ..files import atomic_write
from .base import Callback, Logs


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` then the log keys in sorted order.

    ``append=True`` continues an existing file (no second header). The file is rewritten
    atomically after every row (``nn.files``), so it can be watched while training runs.
    """

    def __init__(
        self,
        filename: str | os.PathLike | None = None,
        separator: str = ",",
        append: bool = False,
        *,
        path: str | os.PathLike | None = None,
    ) -> None:
        super().__init__()
        if (filename is None) == (path is None):
            raise TypeError("CSVLogger: give the file path once (filename=... or path=...)")
        self.filename = os.fspath(filename if filename is not None else path)
        self.separator = separator
        self.append = bool(append)
        self._text = ""
        self._keys: list[str] | None = None
        self._header_needed = True

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._text = ""
        if self.append:
            try:
                with open(self.filename, newline="") as f:
                    self._text = f.read()
            except FileNotFoundError:
                pass
        self._header_needed = not self._text
        atomic_write(self.filename, self._text)  # a bad path fails now, not after an epoch
        self._keys = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        buffer = io.StringIO(newline="")
        if self._keys is None:
            self._keys = sorted(logs)
        writer = csv.DictWriter(buffer, fieldnames=["epoch", *self._keys],
                                delimiter=self.separator, extrasaction="ignore")
        if self._header_needed:
            writer.writeheader()
            self._header_needed = False
        writer.writerow({"epoch": epoch, **{k: logs.get(k, "") for k in self._keys}})
        # the whole file again, atomically: a reader never sees half a row
        self._text += buffer.getvalue()
        atomic_write(self.filename, self._text)
