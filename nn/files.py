"""The one atomic file writer, ``autograd_core.files``, under its ``nn`` name.

Every file ``nn`` writes goes through ``atomic_write`` (or ``atomic_writer`` for a stream):
a temporary file beside the target, flushed, then renamed over it, keeping the file's mode
and symbolic links, with errors that name the user's path. See ``autograd_core.files``.
"""

from __future__ import annotations

import autograd_core as ag

atomic_write = ag.files.atomic_write
atomic_writer = ag.files.atomic_writer
make_parents = ag.files.make_parents

__all__ = ["atomic_write", "atomic_writer", "make_parents"]
