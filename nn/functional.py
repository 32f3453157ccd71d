"""The functional API: ``nn.Input``, symbolic tensors, and ``nn.Model``, a DAG of layer calls.

    x = nn.Input(shape=(784,))
    h = nn.Dense(32, activation="relu")(x)
    model = nn.Model(inputs=x, outputs=nn.Dense(10)(h))

``Input`` returns a ``KerasTensor``: a shape (batch axis None), a dtype and the ``Node`` that
produced it, no data. Calling a layer on KerasTensors builds the layer from their shapes,
works out the output shape with ``compute_output_shape`` and records a ``Node`` (the layer and
the tensors it was called on); nothing is computed. ``Model(inputs, outputs)`` collects the
nodes between them; calling the model runs them in the order they were recorded, which is a
topological order because a node's inputs always exist before it does. A layer called twice
has two nodes and one set of weights (a shared layer). A Model is itself a layer, so it can be
called on KerasTensors inside another model.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np

import autograd_core as ag

from .data import Columns
from .module import Module
from .registry import LAYER_CLASSES, deserialize_layer, serialize_layer
from .shapes import as_shape, symbolic_leaf

__all__ = ["Input", "InputLayer", "KerasTensor", "Model", "Node"]

_NODE_IDS = itertools.count()


# ---- symbolic tensors and nodes ----


class KerasTensor:
    """A placeholder for a layer's input or output: shape (batch axis None), dtype, producer."""

    _symbolic = True  # what Module.__call__ looks for

    def __init__(self, shape: tuple, dtype: Any, name: str, node: Node | None = None,
                 index: int = 0) -> None:
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.name = name
        self.node = node  # the Node whose output this is
        self.index = index  # which output of that node

    @property
    def ndim(self) -> int:
        """The number of axes, the batch axis included."""
        return len(self.shape)

    @property
    def layer(self) -> Module:
        """The layer that produced this tensor."""
        return self.node.layer

    @staticmethod
    def record_call(layer: Module, args: Any, rest: tuple, kwargs: dict[str, Any]) -> Any:
        """What ``layer(args)`` does on KerasTensors (``Module.__call__`` asks the tensor)."""
        return call_symbolic(layer, args, rest, kwargs)

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{self!r} is symbolic (it holds no data): call the model on arrays, "
                        "not on the symbolic tensors it was built from")

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype.name}, name={self.name}>"


class Node:
    """One call of ``layer`` on symbolic tensors: ``args`` (a KerasTensor or a list of them),
    ``kwargs`` and the KerasTensors it returned."""

    def __init__(self, layer: Module, args: Any, kwargs: dict[str, Any]) -> None:
        self.id = next(_NODE_IDS)  # creation order: a node's inputs are always older
        self.layer = layer
        self.args = args
        self.kwargs = dict(kwargs)
        self.inputs: list[KerasTensor] = _flatten(args)
        self.outputs: list[KerasTensor] = []

    @property
    def parents(self) -> list[Node]:
        """The nodes that produced this node's inputs."""
        return [t.node for t in self.inputs]

    def __repr__(self) -> str:
        return f"<Node {self.layer.name} ({type(self.layer).__name__})>"


def _flatten(struct: Any) -> list[Any]:
    """The leaves of a tensor, a list/tuple of them, or a dict of them (in key order)."""
    if isinstance(struct, Mapping):
        return list(struct.values())
    if isinstance(struct, (list, tuple)):
        return list(struct)
    return [struct]


def _pack(struct: Any, leaves: list[Any]) -> Any:
    """``leaves`` in ``struct``'s form (the inverse of ``_flatten``)."""
    if isinstance(struct, Mapping):
        return dict(zip(struct.keys(), leaves))
    if isinstance(struct, (list, tuple)):
        return list(leaves)
    return leaves[0]


def _describe(t: KerasTensor) -> str:
    return f"{t.node.layer.name!r} (shape {t.shape})"


def _compatible(built: tuple, given: tuple) -> bool:
    return len(built) == len(given) and all(
        a is None or b is None or a == b for a, b in zip(built, given))


def call_symbolic(layer: Module, args: Any, rest: tuple, kwargs: dict[str, Any]) -> Any:
    """Record ``layer(args, **kwargs)`` on KerasTensors: build, infer the shape, add a Node."""
    label = f"{type(layer).__name__} {layer.name!r}"
    if rest:
        raise TypeError(f"{label}: called on symbolic tensors with extra positional arguments; "
                        "pass several inputs as one list: layer([a, b])")
    if isinstance(args, Mapping) and not isinstance(layer, Model):
        raise TypeError(f"{label}: pass several inputs as a list, not a dict")
    tensors = _flatten(args)
    shapes = [t.shape for t in tensors]
    shape = _pack(args, shapes) if isinstance(args, (list, tuple, Mapping)) else shapes[0]
    came_from = ", ".join(_describe(t) for t in tensors)
    came_from = f"called on the output of {came_from}"
    if layer.built and isinstance(shape, tuple) and isinstance(layer._build_input_shape, tuple):
        built = layer._build_input_shape
        if not _compatible(built, shape):
            raise ValueError(f"{label} was built for input shape {built}, but is {came_from}: "
                             "the shapes do not fit")
    try:
        if not layer.built:
            layer._build_for(shape)
        out_shape = layer.compute_output_shape(shape)
    except (ValueError, TypeError, IndexError) as e:
        why = str(e).removeprefix(f"{label}: ")
        raise ValueError(f"{label} {came_from}: {why}") from None
    node = Node(layer, args, kwargs)
    many = isinstance(out_shape, (list, Mapping))
    out_shapes = _flatten(out_shape) if many else [out_shape]
    dtype = getattr(layer, "dtype", np.float32)
    for i, s in enumerate(out_shapes):
        name = layer.name if len(out_shapes) == 1 else f"{layer.name}_{i}"
        node.outputs.append(KerasTensor(tuple(s), dtype, name, node, i))
    if "_inbound_nodes" not in vars(layer):
        object.__setattr__(layer, "_inbound_nodes", [])
    layer._inbound_nodes.append(node)
    return _pack(out_shape, node.outputs) if many else node.outputs[0]


# ---- inputs ----


class InputLayer(Module):
    """The layer behind ``nn.Input``: holds the input's shape and passes its input on."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 name: str | None = None, **kwargs: Any) -> None:
        if shape is None and "batch_shape" in kwargs:
            full = tuple(kwargs.pop("batch_shape"))
        else:
            if shape is None:
                raise TypeError("Input: give shape=(...), one sample's shape without the "
                                "batch axis, e.g. shape=(784,)")
            dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
            full = (batch_size, *dims)
        super().__init__(name=name, **kwargs)
        # any dtype, not only floats: integer inputs feed lookups such as embeddings
        object.__setattr__(self, "dtype", np.dtype(np.float32 if dtype is None else dtype))
        for d in full[1:]:
            if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer))
                                  or d < 1):
                raise ValueError(f"Input: shape entries must be positive ints or None, got "
                                 f"{full[1:]}")
        self.batch_shape = tuple(None if d is None else int(d) for d in full)
        self._build_input_shape = self.batch_shape
        self.output = KerasTensor(self.batch_shape, self.dtype, self.name)
        node = Node(self, [], {})
        node.outputs.append(self.output)
        self.output.node = node
        object.__setattr__(self, "_inbound_nodes", [node])

    def forward(self, x: Any) -> Any:
        return x

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype.name,
                "name": self.name}


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None,  # noqa: N802
          name: str | None = None, batch_shape: Any = None) -> KerasTensor:
    """A symbolic input of ``shape`` (one sample's, without the batch axis), Keras's Input."""
    extra = {} if batch_shape is None else {"batch_shape": batch_shape}
    return InputLayer(shape, batch_size=batch_size, dtype=dtype, name=name, **extra).output


# ---- the model ----


def _collect_nodes(outputs: list[KerasTensor], inputs: list[KerasTensor], owner: str
                   ) -> list[Node]:
    """The nodes between ``inputs`` and ``outputs``, in creation (topological) order."""
    wanted = {id(t) for t in inputs}
    found: dict[int, Node] = {}
    stack = list(outputs)
    while stack:
        t = stack.pop()
        if not isinstance(t, KerasTensor):
            raise TypeError(f"{owner}: outputs must be symbolic tensors (from nn.Input and "
                            f"layer calls), got {type(t).__name__}")
        node = t.node
        if id(node) in found:
            continue
        found[id(node)] = node
        if id(t) in wanted:
            continue
        if isinstance(node.layer, InputLayer):
            raise ValueError(
                f"{owner}: graph disconnected: the outputs need input {t.name!r} (shape "
                f"{t.shape}), which is not among the model's inputs "
                f"{[x.name for x in inputs]}")
        stack.extend(node.inputs)
    for t in inputs:
        found.setdefault(id(t.node), t.node)
    return sorted(found.values(), key=lambda n: n.id)


class Model(Module):
    """A model: ``Model(inputs=x, outputs=y)`` runs the layer calls between them (the
    functional API); ``Model(input=..., output=...)`` is Keras 1's spelling. Without inputs
    and outputs it is a base class for subclassed models, which define ``forward``.

    ``inputs``/``outputs``: a KerasTensor, a list of them, or a dict {name: KerasTensor}; the
    model takes and returns arrays in the same form (a dict of inputs may also be keyed by
    the Input names).
    """

    def __init__(self, inputs: Any = None, outputs: Any = None, *, input: Any = None,  # noqa: A002
                 output: Any = None, name: str | None = None, trainable: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if input is not None or output is not None:
            if inputs is not None or outputs is not None:
                raise TypeError("Model: give inputs=/outputs= or Keras 1's input=/output=, "
                                "not both")
            inputs, outputs = input, output
        self._graph = inputs is not None or outputs is not None
        if self._graph:
            self._init_graph(inputs, outputs)
        if not trainable:
            self.trainable = False

    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        owner = f"Model {self.name!r}"
        if inputs is None or outputs is None:
            raise TypeError(f"{owner}: give both inputs= and outputs=")
        for what, struct in (("inputs", inputs), ("outputs", outputs)):
            if symbolic_leaf(struct) is None:
                raise TypeError(f"{owner}: {what} must be symbolic tensors from nn.Input and "
                                f"layer calls (or lists or dicts of them), got {struct!r}")
        for t in _flatten(inputs):
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(f"{owner}: input {t.name!r} is not an nn.Input(...)")
        self._input_struct = inputs
        self._output_struct = outputs
        self.inputs: list[KerasTensor] = _flatten(inputs)
        self.outputs: list[KerasTensor] = _flatten(outputs)
        self._nodes = _collect_nodes(self.outputs, self.inputs, owner)
        layers: list[Module] = []
        seen: set[int] = set()
        for node in self._nodes:
            if id(node.layer) not in seen:
                seen.add(id(node.layer))
                layers.append(node.layer)
        names = [layer.name for layer in layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"{owner}: layer names must be unique in a model; used twice: "
                             f"{dup}")
        self._layers = layers
        self._build_input_shape = (self.inputs[0].shape if len(self.inputs) == 1
                                   else [t.shape for t in self.inputs])

    # ---- Keras's accessors ----

    @property
    def layers(self) -> list[Module]:
        """The layers in the order they are called (InputLayers included), each once."""
        if vars(self).get("_graph"):
            return list(self._layers)
        return [m for _, m in self._named_children()]

    @property
    def input(self) -> Any:
        """The input KerasTensor(s) in the form given to the constructor."""
        return self._input_struct

    @property
    def output(self) -> Any:
        """The output KerasTensor(s) in the form given to the constructor."""
        return self._output_struct

    @property
    def input_names(self) -> list[str]:
        """The names of the Inputs, in order."""
        return [t.name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        """The names of the outputs: the dict keys, or the producing layers' names."""
        if isinstance(self._output_struct, Mapping):
            return list(self._output_struct)
        return [t.node.layer.name for t in self.outputs]

    def get_layer(self, name: str | None = None, index: int | None = None) -> Module:
        """The layer called ``name``, or the one at ``index`` in ``layers``."""
        layers = self.layers
        if (name is None) == (index is None):
            raise ValueError("get_layer: give name= or index=, one of them")
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range: the model has "
                                 f"{len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"get_layer: no layer named {name!r}; layers: "
                         f"{[x.name for x in layers]}")

    def _entries(self) -> Any:
        seen: set[int] = set()
        if vars(self).get("_graph"):
            for layer in self._layers:
                seen.add(id(layer))
                yield layer.name, layer
        for name, item in super()._entries():
            if id(item) not in seen and not name.startswith("_layers."):
                seen.add(id(item))
                yield name, item

    # ---- running the graph ----

    def _feed(self, x: Any) -> dict[int, Any]:
        owner = f"Model {self.name!r}"
        n = len(self.inputs)
        if isinstance(x, Columns):  # fit's batches of several inputs, in the inputs' order
            x = x.arrays
        if isinstance(x, Mapping):
            keys = (list(self._input_struct) if isinstance(self._input_struct, Mapping)
                    else self.input_names)
            missing = [k for k in keys if k not in x]
            if missing:
                raise ValueError(f"{owner}: inputs {missing} are missing from the dict; it "
                                 f"has {list(x)}, the model takes {keys}")
            values = [x[k] for k in keys]
        elif n == 1:
            values = [x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x]
        else:
            if not isinstance(x, (list, tuple)) or len(x) != n:
                got = f"{len(x)} arrays" if isinstance(x, (list, tuple)) else "one array"
                raise ValueError(f"{owner}: expects {n} inputs {self.input_names} (a list or a "
                                 f"dict), got {got}")
            values = list(x)
        fed = {}
        for t, v in zip(self.inputs, values):
            if not isinstance(v, (ag.Tensor, ag.Dual)):
                v = np.asarray(v)
                if v.dtype.kind in "fiub":
                    v = v.astype(t.dtype, copy=False)
            shape = (None, *tuple(v.shape)[1:])
            if not _compatible(t.shape, shape):
                raise ValueError(f"{owner}: input {t.name!r} expects shape {t.shape}, got "
                                 f"shape {tuple(v.shape)}")
            fed[id(t)] = v
        return fed

    def forward(self, inputs: Any, **kwargs: Any) -> Any:
        if not vars(self).get("_graph"):
            return super().forward(inputs, **kwargs)
        values = self._feed(inputs)
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = [values[id(t)] for t in node.inputs]
            out = node.layer(_pack(node.args, args), **node.kwargs)
            outs = _flatten(out) if len(node.outputs) > 1 else [out]
            for t, v in zip(node.outputs, outs):
                values[id(t)] = v
        return _pack(self._output_struct, [values[id(t)] for t in self.outputs])

    def compute_output_shape(self, input_shape: Any) -> Any:
        if not vars(self).get("_graph"):
            return super().compute_output_shape(input_shape)
        given = _flatten(input_shape) if isinstance(input_shape, (list, Mapping)) \
            else [input_shape]
        shapes = {id(t): as_shape(s) for t, s in zip(self.inputs, given)}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            arg = _pack(node.args, [shapes[id(t)] for t in node.inputs])
            out = node.layer.compute_output_shape(arg)
            outs = _flatten(out) if len(node.outputs) > 1 else [out]
            for t, s in zip(node.outputs, outs):
                shapes[id(t)] = tuple(s)
        return _pack(self._output_struct, [shapes[id(t)] for t in self.outputs])

    # ---- configuration ----

    def _node_ids(self) -> dict[int, tuple[str, int]]:
        """{id(node): (layer name, index of the node among that layer's nodes here)}."""
        counts: dict[str, int] = {}
        ids = {}
        for node in self._nodes:
            k = counts.get(node.layer.name, 0)
            counts[node.layer.name] = k + 1
            ids[id(node)] = (node.layer.name, k)
        return ids

    def get_config(self) -> dict[str, Any]:
        if not vars(self).get("_graph"):
            return super().get_config()
        ids = self._node_ids()

        def ref(t: KerasTensor) -> list:
            name, k = ids[id(t.node)]
            return [name, k, t.index]

        def refs(struct: Any) -> Any:
            if isinstance(struct, Mapping):
                return {key: ref(t) for key, t in struct.items()}
            if isinstance(struct, (list, tuple)):
                return [ref(t) for t in struct]
            return ref(struct)

        layers = []
        for layer in self._layers:
            spec = serialize_layer(layer)
            spec["name"] = layer.name
            spec["inbound_nodes"] = [
                {"args": refs(n.args), "kwargs": n.kwargs}
                for n in self._nodes if n.layer is layer and not isinstance(layer, InputLayer)]
            layers.append(spec)
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": refs(self._input_struct),
                "output_layers": refs(self._output_struct)}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Model:
        if "layers" not in config or "input_layers" not in config:
            return cls(**config)
        made: dict[str, Module] = {}
        outputs: dict[tuple[str, int], list[KerasTensor]] = {}
        pending = []
        for spec in config["layers"]:
            layer = deserialize_layer(spec)
            made[spec["name"]] = layer
            if isinstance(layer, InputLayer):
                outputs[(spec["name"], 0)] = [layer.output]
            pending += [(spec["name"], k, n) for k, n in enumerate(spec.get("inbound_nodes", []))]

        def tensor(r: list) -> KerasTensor:
            return outputs[(r[0], r[1])][r[2]]

        def tensors(struct: Any) -> Any:
            if isinstance(struct, Mapping):
                return {key: tensor(r) for key, r in struct.items()}
            if struct and isinstance(struct[0], list):
                return [tensor(r) for r in struct]
            return tensor(struct)

        def refs_of(struct: Any) -> list:
            if isinstance(struct, Mapping):
                return list(struct.values())
            return struct if struct and isinstance(struct[0], list) else [struct]

        # call each layer once every tensor it needs exists (shared layers in node order);
        # the layers come in call order, so one pass usually suffices
        while pending:
            waiting = []
            for name, k, n in pending:
                if all((r[0], r[1]) in outputs for r in refs_of(n["args"])) and \
                        all((name, j) in outputs for j in range(k)):
                    out = made[name](tensors(n["args"]), **n.get("kwargs", {}))
                    outputs[(name, k)] = _flatten(out) if isinstance(out, (list, dict)) \
                        else [out]
                else:
                    waiting.append((name, k, n))
            if len(waiting) == len(pending):
                raise ValueError(f"Model.from_config: the nodes of {[p[0] for p in waiting]} "
                                 "refer to tensors no layer produces")
            pending = waiting
        model = cls(inputs=tensors(config["input_layers"]),
                    outputs=tensors(config["output_layers"]), name=config.get("name"))
        if not config.get("trainable", True):
            model.trainable = False
        return model


LAYER_CLASSES["Functional"] = Model  # Keras's class name for a functional model
