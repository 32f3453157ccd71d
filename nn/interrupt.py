"""Ctrl-C during ``fit``: the first press stops after the current batch, a second at once."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

__all__ = ["Abort", "InterruptGuard"]


class Abort(KeyboardInterrupt):
    """A second Ctrl-C: stop at once, without finishing the batch."""


class InterruptGuard:
    """While active, a first Ctrl-C asks fit to stop after the current batch; a second one
    raises at once. Only installed in the main thread over Python's default handler."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> InterruptGuard:
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise Abort()
        self.requested = True
        print("\nInterrupted: stopping after this batch (Ctrl-C again stops at once)",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
