"""Keras's name for ``nn.optim``: ``nn.optimizers.Adam`` is ``nn.optim.Adam``, and
``nn.optimizers.schedules`` is ``nn.schedules``."""

from . import schedules
from .optim import *  # noqa: F403 (the alias re-exports nn.optim's public names)
from .optim import __all__ as _optim_all

__all__ = [*_optim_all, "schedules"]
