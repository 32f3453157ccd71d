"""The one seeding rule of ``nn``: every random choice draws from a ``np.random.Generator``.

Where a function or layer takes ``seed``:

- an int gives its own generator, ``np.random.default_rng(seed)``: the same numbers every time;
- a ``Generator`` is used as is (several consumers can share one stream);
- None derives a fresh generator from the global seed and a stable key naming the consumer,
  ``SeedSequence(global_seed, spawn_key=(crc32(key), n))``, where ``n`` counts how many
  generators that key has handed out since the last ``set_seed``.

``nn.set_seed(s)`` sets the global seed and resets the counts, so everything after it repeats
run after run: the weights of unseeded layers and their dropout masks (key ``"layer"``), the
order of ``fit``'s batches (``"fit"``), ``train_test_split`` (``"train_test_split"``),
``batches`` (``"batches"``), the generated data sets (``"datasets"``), ``lr_find``
(``"lr_find"``). Because each key counts on its own, one consumer drawing more or less (an
``lr_find`` before training, an extra split) does not change what the others draw. Without
``set_seed`` the global seed comes from the OS, so unseeded runs differ. As Keras's
``set_random_seed`` does, ``set_seed`` also seeds Python's ``random`` and NumPy's legacy global
generator (``np.random.seed``), for hand-written code that uses them.
"""

from __future__ import annotations

import random
import threading
import zlib

import numpy as np

__all__ = ["Seed", "SeedLike", "child_seeds", "make_rng", "set_seed"]

SeedLike = int | np.random.Generator | None
Seed = SeedLike

_LOCK = threading.Lock()
_STATE: dict = {"seed": np.random.SeedSequence().entropy, "counts": {}}


def set_seed(seed: int | None) -> None:
    """Make every later random choice in ``nn`` reproducible (None: fresh OS entropy)."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise TypeError(f"set_seed: seed must be a non-negative int or None, got {seed!r}")
    with _LOCK:
        _STATE["seed"] = np.random.SeedSequence().entropy if seed is None else int(seed)
        _STATE["counts"] = {}
    random.seed(seed)
    np.random.seed(None if seed is None else int(seed) % 2**32)


def make_rng(seed: SeedLike = None, key: str = "layer") -> np.random.Generator:
    """A generator from ``seed`` (int, Generator, or None: derived from the global seed and
    ``key``, the consumer's name; see the module docstring)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        with _LOCK:
            n = _STATE["counts"].get(key, 0)
            _STATE["counts"][key] = n + 1
            entropy = _STATE["seed"]
        sequence = np.random.SeedSequence(entropy, spawn_key=(zlib.crc32(key.encode()), n))
        return np.random.default_rng(sequence)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise TypeError(
        f"seed must be an int, a np.random.Generator or None, got {type(seed).__name__}"
    )


def child_seeds(seed: SeedLike, n: int) -> list[np.random.Generator | None]:
    """``n`` independent generators derived from ``seed`` (n Nones when ``seed`` is None)."""
    if seed is None:
        return [None] * n
    return list(make_rng(seed).spawn(n))
