"""Module (alias Layer) and Parameter: what every layer and model is built from.

A Module finds its parameters and submodules by looking at its attributes: a Parameter, a
Module, or a list, tuple or dict holding Parameters or Modules. No registration call is needed.
Names are dotted attribute paths (``layers.0.kernel``); the outermost call of a model also
writes each path into its Parameter's ``.name``, so a rendered graph groups the tensors of one
layer together. The layer protocol is written in ``Module``'s docstring.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np

import autograd_core as ag

from . import saving
from .init import get_initializer
from .registry import (
    LAYER_CLASSES,
    clear_session,
    deserialize_layer,
    serialize_layer,
    snake_case,
    unique_name,
)
from .regularizers import get_regularizer
from .seeding import SeedLike, make_rng
from .shapes import as_shape, float_dtype, shape_of, symbolic_leaf
from .trainer import Trainer

__all__ = ["Layer", "LoadResult", "Module", "Parameter", "clear_session", "deserialize_layer",
           "serialize_layer"]

# Bumped whenever the module tree may have changed shape (a Module or Parameter attribute set,
# a layer added or built), so that naming parameters on every call costs one comparison.
_STRUCTURE = {"version": 0, "named": (None, -1)}
# whether add_loss / a regularized add_weight was ever called: until then, calls need not
# clear added losses and ``losses`` need not walk the model
_ADDED_LOSSES = {"any": False, "penalties": False}


def _structure_changed() -> None:
    _STRUCTURE["version"] += 1


def _is_container(value: Any) -> bool:
    return isinstance(value, (Module, ag.Tensor, list, tuple, dict))


class Parameter(ag.Tensor):
    """A Tensor that a Module trains: ``requires_grad=True`` unless told otherwise."""

    __slots__ = ()

    def __init__(
        self,
        data: Any,
        requires_grad: bool = True,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)
        _structure_changed()

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]


class LoadResult(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _items(value: Any) -> Iterator[tuple[str, Any]]:
    """(key, item) pairs of a list, tuple or dict attribute."""
    if isinstance(value, dict):
        return ((str(k), v) for k, v in value.items())
    return ((str(i), v) for i, v in enumerate(value))


class _LayerType(type):
    """Builds a layer given ``input_shape=``/``input_dim=`` once its whole ``__init__`` ran."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        layer = super().__call__(*args, **kwargs)
        shape = vars(layer).get("_build_input_shape")
        if shape is not None and not layer.built:
            layer._build_for(shape)
        return layer


class Module(Trainer, metaclass=_LayerType):
    """Base class of layers and models (``nn.Layer`` is the same class, Keras's name).

    ``forward(x)`` computes (Keras's ``call``); ``__call__`` runs it. The layer protocol:

    - ``__init__(*, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
      seed=None)``: pass what you get on to ``super().__init__(**kwargs)``. ``name`` defaults
      to Keras's automatic one (``dense``, ``dense_1``, ... unique in the process).
      ``input_shape`` (one sample's shape, without the batch axis) or ``input_dim`` (its
      width) builds the layer as soon as its ``__init__`` has run. ``dtype`` is the weights'
      float type (float32 by default); ``seed`` feeds ``self.rng``.
    - ``build(input_shape)`` creates the weights. ``__call__`` calls it once, before the first
      ``forward``, with the first input's shape with the batch axis as None (``(None, 4)``),
      then sets ``built = True``. Layers without weights need no ``build``: they are built
      from the start. ``add_weight(name, shape, initializer="glorot_uniform",
      regularizer=None, trainable=True, dtype=None) -> Parameter`` makes a weight; assign it
      to an attribute (``self.kernel = self.add_weight(...)``).
    - ``compute_output_shape(input_shape) -> tuple`` (batch axis None) says what ``forward``
      returns without computing it; the default runs one sample of zeros.
    - ``get_config() -> dict`` holds the ``__init__`` arguments (Keras's keys: ``name``,
      ``trainable``, ``dtype``, ``units``, ``activation``...); ``from_config(config)``
      (a classmethod) calls ``cls(**config)``.
    - ``weights``, ``trainable_weights``, ``non_trainable_weights``; ``get_weights()`` and
      ``set_weights(arrays)`` with NumPy arrays, in that order.
    - ``trainable``: False freezes every weight of the layer and its sublayers (no gradient,
      no optimizer step, counted as non-trainable); True unfreezes them.
    - ``training``: True in training mode (dropout on). ``with model.mode(training=False):``
      switches a whole model and restores every layer's mode on exit.
    - ``rng``: the layer's ``np.random.Generator`` for its randomness (see ``nn.seeding``).
    - ``losses``: the penalties of the weights' regularizers plus what ``add_loss`` added, of
      this layer and its sublayers, as 0-d Tensors; training adds them to the loss.
    """

    # declared here (and in Trainer), so that nothing sets an undeclared attribute on a model
    training: bool = True
    built: bool = True  # False for classes that define build(): see __init_subclass__
    dtype: np.dtype = np.dtype(np.float32)
    _trainable: bool = True
    _build_input_shape: Any = None
    _depth = 0  # how many module calls are running: 0 means this call is the outermost
    _recording = False  # set by summary(): calls store their output shapes
    _path: str = ""  # the module's dotted path in the model last named, for error messages

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "build" in vars(cls) and "built" not in vars(cls):
            cls.built = False
        LAYER_CLASSES[cls.__name__] = cls

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        dtype: Any = None,
        input_shape: Any = None,
        input_dim: int | None = None,
        seed: SeedLike = None,
    ) -> None:
        owner = type(self).__name__
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{owner}: name must be a str, got {name!r}")
        self._name = name
        self.training = True
        self.dtype = float_dtype(dtype, owner)
        self._rng = make_rng(seed)
        if not trainable:
            self.trainable = False
        if input_shape is not None and input_dim is not None:
            raise TypeError(f"{owner}: give input_shape or input_dim, not both")
        if input_dim is not None:
            if isinstance(input_dim, bool) or not isinstance(input_dim, (int, np.integer)) \
                    or input_dim < 1:
                raise ValueError(f"{owner}: input_dim must be a positive integer, got "
                                 f"{input_dim!r}")
            input_shape = (int(input_dim),)
        if input_shape is not None:
            # the metaclass builds the layer once the subclass's __init__ has finished
            self._build_input_shape = (None, *as_shape(tuple(input_shape)))

    def __setattr__(self, name: str, value: Any) -> None:
        if _is_container(value):
            _structure_changed()
        object.__setattr__(self, name, value)

    # ---- the protocol ----

    @property
    def name(self) -> str:
        """The layer's name (Keras's automatic ``dense``, ``dense_1``... unless given)."""
        if vars(self).get("_name") is None:
            object.__setattr__(self, "_name", unique_name(snake_case(type(self).__name__)))
        return self._name

    @property
    def rng(self) -> np.random.Generator:
        """The layer's generator for everything random it does (weights, dropout masks)."""
        if "_rng" not in vars(self):
            object.__setattr__(self, "_rng", make_rng(None))
        return self._rng

    @rng.setter
    def rng(self, value: np.random.Generator) -> None:
        object.__setattr__(self, "_rng", make_rng(value))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def build(self, input_shape: Any) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis None)."""
        self._build_input_shape = as_shape(input_shape)
        self.built = True

    def _build_for(self, input_shape: Any) -> None:
        shape = as_shape(input_shape)
        self.build(shape)
        self._build_input_shape = shape
        self.built = True
        _structure_changed()

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """The output's shape for inputs of ``input_shape`` (batch axis None), without
        computing it; this default runs one sample of zeros through the layer."""
        shape = as_shape(input_shape)
        if any(d is None for d in shape[1:]):
            raise ValueError(f"{self._label()}: cannot tell the output shape for input shape "
                             f"{shape} with unknown sizes")
        with ag.no_grad(), self.mode(training=False):
            out = self(np.zeros((1, *shape[1:]), dtype=self.dtype))
        return (None, *tuple(out.shape)[1:])

    def get_build_config(self) -> dict[str, Any]:
        """``{"input_shape": ...}``: what ``build`` was called with (empty before)."""
        shape = self._build_input_shape
        return {} if shape is None else {"input_shape": shape}

    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this layer with ``from_config`` (Keras's keys)."""
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Module:
        """A new, unbuilt layer from ``get_config()``'s dict."""
        return cls(**config)

    def add_weight(self, name: str, shape: Any, initializer: Any = "glorot_uniform",
                   regularizer: Any = None, trainable: bool = True, dtype: Any = None
                   ) -> Parameter:
        """A new Parameter of ``shape``, drawn with ``self.rng``; ``regularizer``'s penalty
        joins ``self.losses``. Assign it to an attribute to make it part of the layer."""
        shape = tuple(int(n) for n in ((shape,) if np.isscalar(shape) else shape))
        dtype = float_dtype(self.dtype if dtype is None else dtype, self._label())
        init = get_initializer(initializer)
        value = np.asarray(init(shape, dtype, self.rng), dtype=dtype)
        if value.shape != shape:
            raise ValueError(f"{self._label()}: the {name} initializer returned shape "
                             f"{value.shape}, expected {shape}")
        p = Parameter(value, requires_grad=bool(trainable) and self.trainable,
                      name=f"{self._path}.{name}" if self._path else name)
        self._own_trainable[id(p)] = (p, bool(trainable))
        penalty = get_regularizer(regularizer)
        if penalty is not None:
            _ADDED_LOSSES["penalties"] = True
            vars(self).setdefault("_penalties", []).append((penalty, p))
        return p

    @property
    def _own_trainable(self) -> dict[int, tuple[Parameter, bool]]:
        # id -> (parameter, whether it trains when the layer does); filled lazily
        if "_trainable_flags" not in vars(self):
            object.__setattr__(self, "_trainable_flags", {})
        return vars(self)["_trainable_flags"]

    def add_loss(self, loss: Any) -> None:
        """Add a 0-d Tensor to ``losses`` (cleared at the start of each outermost call)."""
        _ADDED_LOSSES["any"] = True
        if "_added_losses" not in vars(self):
            object.__setattr__(self, "_added_losses", [])
        self._added_losses.append(loss if isinstance(loss, ag.Tensor) else ag.Tensor(loss))

    @property
    def losses(self) -> list[ag.Tensor]:
        """The weight penalties and added losses of this layer and its sublayers."""
        if not (_ADDED_LOSSES["any"] or _ADDED_LOSSES["penalties"]):
            return []
        out = []
        for m in self.modules():
            # each penalty (a few ops on one weight) is drawn as one box named after it
            out += [ag.viz.mark_composite(reg(p), (p,), getattr(reg, "__name__",
                                                               type(reg).__name__))
                    for reg, p in vars(m).get("_penalties", ()) if _holds(m, p)]
            out += vars(m).get("_added_losses", [])
        return out

    @property
    def trainable(self) -> bool:
        """Whether the layer trains; setting False freezes it and every sublayer."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        for m in self.modules():
            object.__setattr__(m, "_trainable", value)
            flags = m._own_trainable
            for _, p in m._entries():
                if isinstance(p, Parameter):
                    # remember what each weight does when its layer trains, before freezing
                    intended = flags.setdefault(id(p), (p, p.requires_grad))[1]
                    p.requires_grad = value and intended

    @property
    def weights(self) -> list[Parameter]:
        """Every weight, each once, in definition order (Keras's ``weights``)."""
        return self.parameters()

    @property
    def trainable_weights(self) -> list[Parameter]:
        """The weights that training updates."""
        return [p for p in self.parameters() if p.requires_grad]

    @property
    def non_trainable_weights(self) -> list[Parameter]:
        """The weights that training leaves alone (frozen ones included)."""
        return [p for p in self.parameters() if not p.requires_grad]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of ``weights`` as NumPy arrays."""
        return [p.data.copy() for p in self.weights]

    def set_weights(self, weights: Any) -> None:
        """Copy arrays into ``weights`` (same order), after checking every shape."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(f"{self._label()}.set_weights: expected {len(own)} arrays "
                             f"(one per weight), got {len(weights)}")
        arrays = []
        for i, (p, w) in enumerate(zip(own, weights)):
            a = np.asarray(w.data if isinstance(w, ag.Tensor) else w, dtype=p.dtype)
            if a.shape != p.shape:
                raise ValueError(f"{self._label()}.set_weights: weight {i} ({p.name}) has shape "
                                 f"{p.shape}, got an array of shape {a.shape}")
            arrays.append(a)
        for p, a in zip(own, arrays):
            p.assign_(a)

    def _label(self) -> str:
        path = self._path
        return f"{type(self).__name__} {path!r}" if path else type(self).__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and (leaf := symbolic_leaf(args[0])) is not None:
            # on nn.Input and what came of it: record a node of a functional model, compute
            # nothing
            return leaf.record_call(self, args[0], args[1:], kwargs)
        if not self.built and args:
            self._build_for(shape_of(args[0]))
        outermost = Module._depth == 0
        if outermost:
            if self._build_input_shape is None and args and hasattr(args[0], "shape"):
                # for get_build_config: nn.load_model rebuilds lazy layers by a call
                object.__setattr__(self, "_build_input_shape", shape_of(args[0]))
            self._name_parameters()
            if _ADDED_LOSSES["any"]:
                for m in self.modules():
                    vars(m).get("_added_losses", []).clear()
        Module._depth += 1
        try:
            out = self.forward(*args, **kwargs)
        finally:
            Module._depth -= 1
        if outermost:
            self._name_parameters()  # layers built during this call get names too
        if Module._recording and hasattr(out, "shape"):  # summary(): note the output shape
            object.__setattr__(self, "_output_shape", tuple(out.shape))
        return out

    # ---- the module tree ----

    def _named_members(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(dotted path, Module or Parameter) below this module, depth first in attribute
        order; each object once (a shared one under the path where it is met first)."""
        seen: set[int] = set()
        stack: list[tuple[str, Any]] = [(prefix, self)]
        while stack:
            path, value = stack.pop()
            if id(value) in seen:
                continue
            seen.add(id(value))
            yield path, value
            if isinstance(value, Module):
                entries = list(value._entries())
                for name, item in reversed(entries):  # reversed: the stack pops them in order
                    stack.append((f"{path}.{name}" if path else name, item))

    def _entries(self) -> Iterator[tuple[str, Any]]:
        """(name, item) for the Modules and Parameters held directly by this module."""
        for name, value in vars(self).items():
            if isinstance(value, (Module, Parameter)):
                yield name, value
            elif isinstance(value, (list, tuple, dict)):
                for key, item in _items(value):
                    if isinstance(item, (Module, Parameter)):
                        yield f"{name}.{key}", item

    def _named_children(self) -> Iterator[tuple[str, Module]]:
        return ((n, m) for n, m in self._entries() if isinstance(m, Module))

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted path, module) for this module (path ``prefix``) and every submodule."""
        return ((n, m) for n, m in self._named_members(prefix) if isinstance(m, Module))

    def modules(self) -> list[Module]:
        """This module and every submodule, parents first."""
        return [m for _, m in self.named_modules()]

    def children(self) -> list[Module]:
        """The direct submodules."""
        return [m for _, m in self._named_children()]

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) for every parameter, each once, in definition order."""
        return ((n, p) for n, p in self._named_members(prefix) if isinstance(p, Parameter))

    def parameters(self) -> list[Parameter]:
        """Every parameter, each once (shared ones too)."""
        return [p for _, p in self.named_parameters()]

    def trainable_parameters(self) -> list[Parameter]:
        """The parameters that require grad: what an optimizer should update."""
        return [p for p in self.parameters() if p.requires_grad]

    def count_params(self) -> int:
        """The number of scalar parameters."""
        return sum(p.size for p in self.parameters())

    def _name_parameters(self) -> None:
        key = (id(self), _STRUCTURE["version"])
        if _STRUCTURE["named"] == key:
            return
        for path, module in self.named_modules():
            object.__setattr__(module, "_path", path)
        for name, p in self.named_parameters():
            p.name = name
        _STRUCTURE["named"] = key

    # ---- modes and gradients ----

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active) for this module and all submodules."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Inference mode (dropout is the identity)."""
        return self.train(False)

    @contextmanager
    def mode(self, training: bool) -> Iterator[Module]:
        """``with model.mode(training=False): ...``: every layer's mode is put back on exit."""
        saved = [(m, m.training) for m in self.modules()]
        self.train(training)
        try:
            yield self
        finally:
            for m, was in saved:
                m.training = was

    @contextmanager
    def _recording_shapes(self) -> Iterator[None]:
        Module._recording = True  # each call stores its output's shape (for summary)
        try:
            yield
        finally:
            Module._recording = False

    def zero_grad(self) -> None:
        """Reset every parameter's ``.grad`` to None."""
        for p in self.parameters():
            p.grad = None

    def astype(self, dtype: Any) -> Module:
        """Cast every parameter to ``dtype`` in place (the Parameter objects stay the same)."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"astype: parameters must be floating point, got {dtype}")
        for m in self.modules():
            if "dtype" in vars(m):
                m.dtype = dtype
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None
        return self

    def regularization_loss(self) -> ag.Tensor:
        """The sum of ``losses`` (a 0-d Tensor; 0 without regularizers or added losses)."""
        terms = self.losses
        if not terms:
            params = self.parameters()
            return ag.Tensor(0.0, dtype=params[0].dtype if params else None)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    # ---- state ----

    def _unbuilt(self) -> list[tuple[str, Module]]:
        # the layers themselves, not the models that are unbuilt because they hold them
        return [(path, m) for path, m in self.named_modules()
                if not m.built and all(c.built for c in m.children())]

    def state_dict(self) -> dict[str, np.ndarray]:
        """{dotted name: copy of the parameter's array}, in definition order."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Copy arrays into the parameters, after checking every name and shape first.

        ``strict`` (the default) requires exactly the model's names. Values are cast to each
        parameter's dtype. Nothing is changed unless everything fits.
        """
        return LoadResult(*saving.load_state_dict(self, state, strict))

    def save_weights(self, path: str | os.PathLike) -> None:
        """Write the weights (names, shapes, dtypes, values) and this model's ``summary()`` to
        a safetensors file, atomically (``nn.files``): a crash leaves the old file or the new
        one; an overwritten file keeps its mode, a symbolic link stays one."""
        saving.save_weights(self, path)

    def load_weights(self, path: str | os.PathLike, strict: bool = True) -> LoadResult:
        """Load a ``save_weights`` file. Every name and shape is checked before any weight
        changes; a mismatch raises ``nn.io.StateMismatchError`` naming the parameter and both
        shapes, and a foreign, truncated or pickled file ``nn.io.WeightsFileError``. Values are
        cast to each parameter's dtype; ``strict=False`` loads the names that match."""
        return saving.load_weights(self, path, strict=strict)

    def save(self, path: str | os.PathLike) -> None:
        """Write the whole model to one safetensors file (``nn.load_model``; ``nn.saving``)."""
        saving.save_model(self, path)

    # ---- description ----

    def input_width(self) -> int | None:
        """The last-axis width this module was built for (None: not known yet)."""
        shape = self._build_input_shape
        return shape[-1] if isinstance(shape, tuple) and shape else None

    def output_width(self, input_width: int | None) -> int | None:
        """The last-axis width of the output for inputs of ``input_width`` (None: unknown)."""
        try:
            return self.compute_output_shape((None, input_width))[-1]
        except (ValueError, TypeError, NotImplementedError):
            return None

    def summary(self, input_shape: tuple[int | None, ...] | None = None, print_fn: Any = print
                ) -> str | None:
        """Print a table of layers, output shapes and parameter counts, as Keras does, and
        return None (so a notebook shows it once); ``print_fn=None`` returns the text instead.

        Output shapes come from ``compute_output_shape`` (or from running one sample of zeros
        in eval mode); they are known when ``input_shape`` is given (``(None, 4)`` or
        ``(4,)``) or when the model knows its input shape. A functional model adds Keras's
        "Connected to" column: ``layer[node][tensor]`` for each input of each call.
        """
        from .summary import summary_text

        text = summary_text(self, input_shape)
        if print_fn is None:
            return text
        print_fn(text)
        return None

    def _repr_html_(self) -> str:  # Jupyter shows a model as its summary table
        from .summary import summary_html
        return summary_html(self, None)

    def extra_repr(self) -> str:
        """The arguments shown inside this module's repr."""
        return ""

    def __repr__(self) -> str:
        children = list(self._named_children())
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        body = "".join(
            "\n  (" + name + "): " + repr(child).replace("\n", "\n  ") for name, child in children
        )
        return head + body + "\n)"


Layer = Module


def _holds(m: Module, p: Parameter) -> bool:
    """Whether ``p`` is still one of ``m``'s weights (a rebuilt layer drops the old ones)."""
    return any(item is p for _, item in m._entries())
