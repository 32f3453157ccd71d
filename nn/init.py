"""Weight initializers with Keras's formulas.

Seeding follows ``nn.seeding``'s one rule (``set_seed``, ``make_rng`` and ``child_seeds`` are
re-exported here, where they used to live): a layer's ``seed`` may be an int, a ``Generator``
or None (derived from ``nn.set_seed``'s global seed). An initializer given its own ``seed``
ignores the layer's generator and returns the same values on every call of the same shape, as
in Keras.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .registry import lookup
from .seeding import SeedLike, child_seeds, make_rng, set_seed  # noqa: F401 (re-exported)


def compute_fans(shape: Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape, as Keras computes them."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])  # convolution kernels: (..., in_channels, out_channels)
    return shape[-2] * receptive, shape[-1] * receptive


# ---- initializers ----


class Initializer:
    """Makes an array of a given shape; call as ``init(shape, dtype, rng)``."""

    seed: SeedLike = None

    def __call__(
        self, shape: Sequence[int], dtype: Any = np.float32, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """An array of ``shape`` and ``dtype`` drawn with ``rng`` (or the initializer's seed)."""
        if self.seed is not None:
            # Keras: a seeded initializer gives the same values on every call
            rng = np.random.default_rng(self.seed)
        elif rng is None:
            rng = make_rng(None, "initializer")
        return np.asarray(self.sample(tuple(int(n) for n in shape), rng), dtype=dtype)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this initializer (Keras's ``get_config``)."""
        return dict(vars(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros (Keras's default bias initializer)."""

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return np.zeros(shape)


class Ones(Initializer):
    """All ones."""

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return np.ones(shape)


class RandomUniform(Initializer):
    """Uniform on [minval, maxval) (Keras defaults: -0.05, 0.05)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: SeedLike = None) -> None:
        if not minval < maxval:
            raise ValueError(f"RandomUniform: minval ({minval}) must be below maxval ({maxval})")
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.minval, self.maxval, shape)


class RandomNormal(Initializer):
    """Normal with ``mean`` and ``stddev`` (Keras defaults: 0, 0.05)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: SeedLike = None) -> None:
        if stddev < 0:
            raise ValueError(f"RandomNormal: stddev must be >= 0, got {stddev}")
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.normal(self.mean, self.stddev, shape)


def truncated_normal(rng: np.random.Generator, shape: tuple[int, ...], stddev: float) -> np.ndarray:
    """Normal(0, stddev) samples redrawn until all lie within two standard deviations."""
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return z * stddev


# the standard deviation of a standard normal truncated to [-2, 2]
_TRUNCATED_STD = 0.87962566103423978


class VarianceScaling(Initializer):
    """Keras's VarianceScaling: variance ``scale / n`` with n = fan_in, fan_out or their mean.

    ``distribution="uniform"`` draws from [-limit, limit] with limit = sqrt(3 * scale / n);
    ``"truncated_normal"`` draws a normal cut at two standard deviations, rescaled by
    1 / 0.8796... so that the standard deviation *after* truncation is sqrt(scale / n);
    ``"untruncated_normal"`` draws Normal(0, sqrt(scale / n)).
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: SeedLike = None,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be > 0, got {scale}")
        if mode not in self._MODES:
            raise ValueError(f"VarianceScaling: unknown mode {mode!r}; known: {self._MODES}")
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"VarianceScaling: unknown distribution {distribution!r}; "
                f"known: {self._DISTRIBUTIONS}"
            )
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, shape)
        if self.distribution == "truncated_normal":
            return truncated_normal(rng, shape, math.sqrt(variance) / _TRUNCATED_STD)
        return rng.normal(0.0, math.sqrt(variance), shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed!r})"

    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this initializer (Keras's ``get_config``)."""
        if type(self) is VarianceScaling:
            return dict(vars(self))
        return {"seed": self.seed}


class GlorotUniform(VarianceScaling):
    """Uniform on [-limit, limit], limit = sqrt(6 / (fan_in + fan_out)) (Dense's default)."""

    def __init__(self, seed: SeedLike = None) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(VarianceScaling):
    """Truncated normal with standard deviation sqrt(2 / (fan_in + fan_out))."""

    def __init__(self, seed: SeedLike = None) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class HeUniform(VarianceScaling):
    """Uniform on [-limit, limit], limit = sqrt(6 / fan_in)."""

    def __init__(self, seed: SeedLike = None) -> None:
        super().__init__(2.0, "fan_in", "uniform", seed)


class HeNormal(VarianceScaling):
    """Truncated normal with standard deviation sqrt(2 / fan_in)."""

    def __init__(self, seed: SeedLike = None) -> None:
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``, as Keras's: the Q of the QR decomposition
    of a normal matrix, signs fixed by R's diagonal; shapes of more than two axes are
    flattened to (prod(shape[:-1]), shape[-1]). The recurrent layers' default."""

    def __init__(self, gain: float = 1.0, seed: SeedLike = None) -> None:
        self.gain, self.seed = gain, seed

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs a shape of at least 2 axes, got {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
        q *= np.sign(np.diag(r))  # makes Q uniformly distributed (Mezzadri, 2007)
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)


# Keras's lower-case aliases
zeros, ones, uniform, normal = Zeros, Ones, RandomUniform, RandomNormal
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal = HeUniform, HeNormal
orthogonal = Orthogonal

INITIALIZERS: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "ones": Ones,
    "uniform": RandomUniform,
    "random_uniform": RandomUniform,
    "normal": RandomNormal,
    "random_normal": RandomNormal,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "orthogonal": Orthogonal,
}

InitializerLike = str | Initializer | Callable[..., np.ndarray]


def get_initializer(identifier: InitializerLike) -> Callable[..., np.ndarray]:
    """An initializer from its name (``"he_normal"``), Keras's dict form, an Initializer (or
    its class), or a callable."""
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    found = lookup("initializer", INITIALIZERS, identifier,
                   accepts="a name, an Initializer or a callable", sort_names=True)
    return found() if isinstance(found, type) else found
