"""The ``autograd-core`` command (also ``python -m nn``).

    autograd-core train --dataset moons --hidden 16 16 --epochs 100   # train, save pictures
    autograd-core train --model cnn --dataset digits --epochs 5       # a small CNN on images
    autograd-core graph runs/moons                                    # redraw a saved model
    autograd-core check                                               # check every op's rules

``train`` fits a model (``--model``: an MLP on standardised features, a CNN on images, an
LSTM on sequences; ``nn.cli_models``) with ``model.fit`` (an 80/20 train/test split,
then 20% of the training part for validation) and writes into its output folder: the
learning curves, the decision boundary (2-D data), the graph of one training step, the
History and ``model.safetensors``: the whole model (``nn.load_model`` reads it) with the run's
configuration (dataset, scalers) in its header, from which ``graph`` redraws. Runs of older
versions (``model.json`` beside a weights-only ``model.safetensors``) still load.

User errors (an unknown dataset, a missing folder, a bad argument, a damaged model.json)
print one line to stderr and exit with status 2, before any training (``nn.cli_checks``);
``check`` exits with status 1 when an op's rules disagree, ``train`` when the loss becomes
NaN (keeping the last finite weights), and 130 after Ctrl-C (saving what it has).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autograd_core as ag

from . import cli_checks as checks
from . import io, saving
from .activations import ACTIVATIONS
from .callbacks import TensorBoard
from .callbacks.progbar import terminal_width, wrap_items
from .cli_checks import UsageError
from .cli_data import DATASETS, Data, _state, prepare_data
from .cli_models import MODELS, build_network, describe
from .files import atomic_write
from .losses import LOSSES, align_targets, get_loss
from .module import Module
from .optim import get_optimizer

__all__ = ["DATASETS", "UsageError", "build_model", "load_model", "main", "prepare_data",
           "run_config"]

PROG = "autograd-core"
MODEL_FORMAT = "autograd-core.mlp"
MODEL_FORMAT_VERSION = 1

# the files of a run folder
HISTORY_PNG, BOUNDARY_PNG, GRAPH_SVG = "history.png", "decision_boundary.png", "graph.svg"
WEIGHTS, HISTORY_JSON, MODEL_JSON, ARCHITECTURE = (
    "model.safetensors", "history.json", "model.json", "architecture.txt")
RUN_KEY = "autograd_core.run_config"  # the run's configuration, in the model file's header
# (MODEL_JSON is what runs of older versions wrote beside a weights-only file)

HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu", "softplus", "linear")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adagrad")


# ---- the model ----


def _head(data: Data) -> dict[str, Any]:
    """Output width, output activation, loss and metrics for the dataset's task."""
    if data.task == "regression":
        return {"output_dim": 1, "output_activation": None, "loss": "mse", "metrics": ["mae"]}
    if data.n_classes == 2:
        return {"output_dim": 1, "output_activation": "sigmoid", "loss": "binary_crossentropy",
                "metrics": ["accuracy"]}
    return {"output_dim": data.n_classes, "output_activation": "softmax",
            "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}


def build_model(config: dict[str, Any], seed: Any = None) -> Module:
    """The network a run configuration (or an older run's ``model.json``, always an MLP)
    describes, its weights freshly initialised."""
    return build_network(config.get("model", "mlp"),
                         config.get("input_shape", [config["input_dim"]]), config["hidden"],
                         config["activation"], config["output_dim"],
                         config["output_activation"], seed=seed,
                         dtype=config.get("dtype", "float32"))


def _checked(config: Any, source: Path) -> dict[str, Any]:
    if not isinstance(config, dict) or config.get("format") != MODEL_FORMAT:
        raise UsageError(f"{source} does not describe a model saved by `{PROG} train`")
    if config.get("version") != MODEL_FORMAT_VERSION:
        raise UsageError(f"{source} has model format version {config.get('version')!r}; "
                         f"this version reads {MODEL_FORMAT_VERSION}")
    checks.check_config(config, source, list(ACTIVATIONS), list(LOSSES))
    return config


def run_config(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The configuration ``train`` recorded in ``folder``'s model file (None: an older run,
    whose configuration is in ``model.json``, or no model file)."""
    path = Path(folder) / WEIGHTS
    if not path.is_file():
        return None
    try:
        _, metadata = io.load_state(path)
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot load {path}: {e}") from e
    if saving.CONFIG_KEY not in metadata:
        return None  # weights only: an older run
    if RUN_KEY not in metadata:
        raise UsageError(f"{path} holds a model saved by model.save, not by `{PROG} train`: it "
                         "records no dataset or scaler to redraw with")
    try:
        return _checked(json.loads(metadata[RUN_KEY]), path)
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: the run configuration is not readable JSON: {e}") from e


def load_model(folder: str | os.PathLike[str]) -> tuple[Module, dict[str, Any]]:
    """Rebuild the model saved by ``train`` in ``folder``: (model with its weights, config)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder (expected the output folder of `train`)")
    weights = folder / WEIGHTS
    config = run_config(folder)
    if config is not None:
        try:
            return saving.load_model(weights, compile=False), config
        except (OSError, ValueError, TypeError) as e:
            raise UsageError(f"cannot load {weights}: {e}") from e
    config_path = folder / MODEL_JSON  # a run of an older version
    if not config_path.is_file():
        raise UsageError(f"{folder} has no model ({WEIGHTS}); write one with `{PROG} train "
                         f"--out {folder}`")
    try:
        config = _checked(json.loads(config_path.read_text()), config_path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(f"{config_path} is not readable JSON: {e}") from e
    try:
        model = build_model(config)
    except (KeyError, TypeError, ValueError) as e:
        raise UsageError(f"{config_path} describes no valid MLP: {e}") from e
    try:
        model.load_weights(weights)
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot load {weights}: {e}") from e
    return model, config


# ---- writing files ----


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file beside it, then a rename)."""
    atomic_write(path, text)


def write_graph(model: Module, loss_name: str, X: np.ndarray, y: np.ndarray, path: Path,
                max_nodes: int | None = None, rankdir: str = "TB") -> Path:
    """Render one training step (forward, loss, backward) on the batch ``X, y`` as SVG.

    The batch and the targets are drawn as ``X`` and ``y``, the loss as one box (its ops are
    one marked composite); ``rankdir="TB"`` stacks the layers so the picture fits a page.
    Without Graphviz's ``dot`` program, the DOT text is written beside ``path`` instead.
    """
    loss_fn = get_loss(loss_name)
    model.zero_grad()
    with model.mode(training=True):
        try:
            inputs = ag.tensor(np.asarray(X, dtype=getattr(model, "dtype", None)))
            inputs.name = "X"
            y_pred = model(inputs)
            t = np.asarray(y)
            if "sparse" not in loss_name:  # y as the loss uses it, so the node drawn is y
                t = align_targets(loss_name, t, tuple(y_pred.shape)).astype(y_pred.dtype)
            targets = ag.tensor(t)
            targets.name = "y"
            loss = loss_fn(targets, y_pred)
            loss.name = "loss"
            loss.backward(retain_grads=True)  # every node keeps its gradient, for the picture
            kwargs: dict[str, Any] = {"color_by": "grad", "rankdir": rankdir}
            if max_nodes is not None:
                kwargs["max_nodes"] = max_nodes
            try:
                return ag.viz.save_svg(loss, path, **kwargs)
            except ag.viz.GraphvizNotFoundError as e:
                dot_path = path.with_suffix(".dot")
                _write_text(dot_path, ag.viz.draw(loss, **kwargs).source)
                print(f"note: {e}", file=sys.stderr)
                return dot_path
        finally:
            model.zero_grad()


def _progress(epochs: int) -> Any:
    """A callback printing about ten lines: every k-th epoch, and the last."""
    from .callbacks import LambdaCallback

    every = max(1, epochs // 10)

    def report(epoch: int, logs: dict[str, float] | None) -> None:
        if (epoch + 1) % every == 0 or epoch + 1 == epochs:
            items = [f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}",
                     *(f"{k} {v:.4g}" for k, v in (logs or {}).items() if k != "lr")]
            # on a terminal, lines break between values (never inside one); a log keeps one line
            width = terminal_width(sys.stdout) - 1 if sys.stdout.isatty() else None
            print("\n".join(wrap_items(items, width, indent="    ", sep="  ")), flush=True)

    return LambdaCallback(on_epoch_end=report)


def _wrapped(text: str) -> str:
    """``text`` broken between words at the terminal's width; one line for a log or a pipe."""
    if not sys.stdout.isatty():
        return text
    return textwrap.fill(text, terminal_width(sys.stdout) - 1, subsequent_indent="    ")


def _silent(*args: Any, **kwargs: Any) -> None:
    """print's stand-in under --verbose 0."""


def _plot(what: str, draw: Callable[[], Path]) -> Path | None:
    """Draw a picture if matplotlib is there; otherwise say so and go on."""
    try:
        return draw()
    except ImportError as e:
        print(f"note: no {what}: {e}", file=sys.stderr)
        return None


# ---- train ----


def _cmd_train(args: argparse.Namespace) -> int:
    out = Path(args.out if args.out is not None else Path("runs") / args.dataset)
    checks.check_output_folder(out, "--out")
    if args.tensorboard is not None:
        checks.check_output_folder(Path(args.tensorboard), "--tensorboard")
    checks.check_model_dataset(args.model, args.dataset)
    generated = args.dataset in ("moons", "circles", "spirals", "xor", "blobs", "adding")
    checks.check_sizes(args.hidden, "--hidden", samples=args.samples if generated else None,
                       features=40 if args.dataset == "adding" else 2)
    data = prepare_data(args.dataset, args.seed, args.samples, args.fashion_mnist_path,
                        model=args.model)
    if args.batch_size > len(data.X_train):
        raise UsageError(f"--batch-size {args.batch_size} is larger than the "
                         f"{len(data.X_train)} training samples")
    head = _head(data)
    say = print if args.verbose else _silent  # --verbose 0: nothing on stdout
    config: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "version": MODEL_FORMAT_VERSION,
        "model": args.model,
        "input_shape": [int(d) for d in data.X_train.shape[1:]],
        "input_dim": int(np.prod(data.X_train.shape[1:])),
        "hidden": list(args.hidden),
        "activation": args.activation,
        **head,
        "dtype": "float32",
        "task": data.task,
        # an absolute path, so that `graph` finds the files from any working folder
        "dataset": {"name": args.dataset, "seed": args.seed, "samples": args.samples,
                    "fashion_mnist_path": None if args.fashion_mnist_path is None
                    else str(Path(args.fashion_mnist_path).resolve())},
        "scaler": _state(data.scaler),
        "target_scaler": None if data.target_scaler is None else _state(data.target_scaler),
        "graph_batch": min(args.batch_size, len(data.X_train)),
        "training": {"optimizer": args.optimizer, "lr": args.lr, "epochs": args.epochs,
                     "batch_size": args.batch_size, "validation_split": 0.2},
    }
    sizes = [config["input_dim"], *args.hidden, config["output_dim"]]
    checks.check_sizes(sizes, "--hidden")
    model = build_model(config, seed=args.seed)
    n_val = len(data.X_train) - int(len(data.X_train) * 0.8)
    what = describe(args.model, config["input_shape"], args.hidden, head["output_dim"])
    say(_wrapped(f"{PROG} train: {what} ({args.activation}, output "
                 f"{head['output_activation'] or 'linear'}, loss {head['loss']}) on "
                 f"{args.dataset}: {len(data.X_train) - n_val} training, {n_val} validation, "
                 f"{len(data.X_test)} test samples; {args.optimizer} lr={args.lr}, "
                 f"{args.epochs} epochs of batch {args.batch_size}"))

    optimizer = get_optimizer(args.optimizer, model.parameters(), lr=args.lr)
    model.compile(optimizer=optimizer, loss=head["loss"], metrics=head["metrics"])
    start = time.perf_counter()
    # verbose 1: our ~10 lines; 2: fit's line per epoch
    callbacks = [_progress(args.epochs)] if args.verbose == 1 else []
    if args.tensorboard is not None:
        try:
            callbacks.append(TensorBoard(args.tensorboard))
        except ImportError as e:
            raise UsageError(f"--tensorboard: {e}") from e
    guard = checks.NonFiniteGuard()  # stops at a NaN loss; keeps the last finite weights
    callbacks.append(guard)
    history = model.fit(data.X_train, data.y_train, epochs=args.epochs,
                        batch_size=args.batch_size, validation_split=0.2, shuffle=True,
                        callbacks=callbacks, verbose=2 if args.verbose == 2 else 0,
                        seed=args.seed)
    seconds = time.perf_counter() - start
    failure = None
    if guard.failure is not None:
        if not guard.restore():
            print(f"{PROG} train: error: {guard.failure}; nothing was saved; try a lower --lr "
                  f"(now {args.lr:g})", file=sys.stderr)
            return 1
        failure = (f"{guard.failure}; saved the weights of epoch {guard.good_epoch + 1}, the "
                   f"last with a finite loss; try a lower --lr (now {args.lr:g})")
    scores = model.evaluate(data.X_test, data.y_test)

    out.mkdir(parents=True, exist_ok=True)
    files: list[tuple[Path, str]] = []
    saving.save_model(model, out / WEIGHTS, metadata={RUN_KEY: json.dumps(config)})
    files.append((out / WEIGHTS, f"the model (nn.load_model) and this run (`{PROG} graph`)"))
    _write_text(out / ARCHITECTURE, model.summary(print_fn=None) + "\n")
    files.append((out / ARCHITECTURE, "layer summary"))
    _write_text(out / HISTORY_JSON, history.to_json() + "\n")
    files.append((out / HISTORY_JSON, "per-epoch loss and metrics"))

    from . import plot

    if history.epoch and (p := _plot("learning curves",
                                     lambda: plot.plot_history(history, out / HISTORY_PNG))):
        files.append((p, "learning curves"))
    if data.X_train.ndim == 2 and data.X_train.shape[1] == 2:  # 2-D points only
        X_all = np.concatenate([data.X_train, data.X_test])
        y_all = np.concatenate([data.y_train, data.y_test])
        if data.task == "classification" and (p := _plot("decision boundary", lambda: (
                plot.plot_decision_boundary(model, X_all, y_all, out / BOUNDARY_PNG)))):
            files.append((p, "decision boundary (train and test points)"))
    n = config["graph_batch"]
    graph = write_graph(model, head["loss"], data.X_train[:n], data.y_train[:n],
                        out / GRAPH_SVG, args.max_nodes, args.rankdir)
    files.append((graph, f"graph of one training step (batch of {n})"))

    results = ", ".join(f"{k} {v:.4f}" for k, v in scores.items())
    say(f"trained in {seconds:.1f} s; test ({len(data.X_test)} samples): {results}")
    if data.target_scaler is not None:
        std = float(data.target_scaler.scale_[0])
        say(f"(targets standardised: one unit is {std:.4g} in the dataset's own units"
            + (f", so the test mae is {scores['mae'] * std:.4g} there)" if "mae" in scores
               else ")"))
    say(f"files in {out}:")
    for path, what in files:
        say(f"  {path.name:<22} {what}")
    if args.tensorboard is not None:
        say(f"TensorBoard logs in {args.tensorboard} (tensorboard --logdir {args.tensorboard})")
    if failure is not None:
        print(f"{PROG} train: error: {failure}", file=sys.stderr)
        return 1
    if history.interrupted:
        print(f"{PROG} train: interrupted after {len(history.epoch)} of {args.epochs} epochs; "
              f"the partial results are saved in {out}", file=sys.stderr)
        return 130
    return 0


# ---- graph ----


def _cmd_graph(args: argparse.Namespace) -> int:
    model, config = load_model(args.folder)
    ds = config.get("dataset", {})
    data = prepare_data(ds.get("name"), int(ds.get("seed", 0)), ds.get("samples"),
                        args.fashion_mnist_path or ds.get("fashion_mnist_path"),
                        config.get("scaler"), config.get("target_scaler"),
                        model=config.get("model", "mlp"))
    n = int(config.get("graph_batch", 32))
    out = Path(args.out) if args.out is not None else Path(args.folder) / GRAPH_SVG
    if out.suffix.lower() != ".svg":
        raise UsageError(f"--out {out}: the graph is written as SVG; give a .svg path")
    checks.check_output_folder(out.parent, "--out")
    path = write_graph(model, config["loss"], data.X_train[:n], data.y_train[:n], out,
                       args.max_nodes, args.rankdir)
    print(f"graph of one training step on {ds.get('name')} (batch of {n}) written to {path}")
    return 0


# ---- check ----

# statuses that mean a rule is wrong or untested; "not differentiable" (a kink was sampled)
# and "not checked" (finite differences left the op's domain) are not failures
_PASSING = ("ok", "not differentiable", "not checked")


def _cmd_check(args: argparse.Namespace) -> int:
    rows = ag.check_op_table(seed=args.seed, cases=args.cases)
    print(ag.format_op_table(rows))
    failed = [r.op for r in rows if r.status not in _PASSING]
    if failed:
        print(f"{len(failed)} of {len(rows)} ops FAILED: {', '.join(failed)}")
        return 1
    print(f"all {len(rows)} ops agree: reverse mode = forward mode = finite differences")
    return 0


# ---- arguments ----


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see {self.prog} --help)", where=self.prog)


def _positive(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Train small networks on autograd_core, draw their "
                "computation graphs, and check every op's derivative rules.")
    p.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = p.add_subparsers(dest="command", metavar="{train,graph,check}", required=True)

    t = sub.add_parser("train", help="train a model and save curves, boundary, graph, weights",
                       description="Train an MLP, a CNN or an LSTM with model.fit (80/20 "
                       "train/test split) and save its pictures, weights and history.")
    t.add_argument("--model", default="mlp", choices=MODELS,
                   help="mlp: dense layers on standardised features (every dataset); cnn: "
                   "two Conv2D+MaxPooling2D, then dense layers, on images (digits, "
                   "fashion_mnist); lstm: an LSTM, then dense layers, on sequences (adding) "
                   "(default: mlp)")
    t.add_argument("--dataset", default="moons", choices=list(DATASETS),
                   help="moons, circles, spirals, xor, blobs and adding (sequences, regression) "
                   "are generated (no download); iris, breast_cancer, digits and diabetes need "
                   "scikit-learn (default: moons)")
    t.add_argument("--hidden", type=_positive(int), nargs="+", default=[16, 16],
                   metavar="UNITS", help="hidden dense layer sizes (after the convolutions "
                   "of a cnn; an lstm's first is its units) (default: 16 16)")
    t.add_argument("--activation", default="tanh", choices=HIDDEN_ACTIVATIONS,
                   help="hidden activation (default: tanh)")
    t.add_argument("--optimizer", default="adam", choices=OPTIMIZERS,
                   help="default: adam")
    t.add_argument("--lr", type=checks.positive_number, default=0.01,
                   help="learning rate (default: 0.01)")
    t.add_argument("--epochs", type=_positive(int), default=100, help="default: 100")
    t.add_argument("--batch-size", type=_positive(int), default=32, help="default: 32")
    t.add_argument("--seed", type=checks.seed, default=0,
                   help="data, split and weights (default: 0)")
    t.add_argument("--samples", type=_positive(int), default=None,
                   help="dataset size (generated) or a random subset (loaded)")
    t.add_argument("--out", default=None, help="output folder (default: runs/<dataset>)")
    t.add_argument("--fashion-mnist-path", default=None, metavar="FOLDER",
                   help="folder with the four Fashion-MNIST IDX files (default: the cache, "
                   "downloaded once)")
    t.add_argument("--max-nodes", type=checks.max_nodes, default=None,
                   help="largest graph drawn in full; longer chains are collapsed")
    t.add_argument("--rankdir", choices=("TB", "LR"), default="TB",
                   help="graph.svg top to bottom (default, fits a page) or left to right")
    t.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                   help="0 prints nothing; 1 about ten progress lines (default); 2 every epoch")
    t.add_argument("--tensorboard", default=None, metavar="DIR",
                   help="also write TensorBoard event files to DIR (view them with "
                   "`tensorboard --logdir DIR`; needs the tensorboard extra)")
    t.set_defaults(run=_cmd_train)

    g = sub.add_parser("graph", help="render the graph of a saved model's training step",
                       description="Rebuild a model saved by `train`, run one batch of its "
                       "dataset through the loss and backward, and write the graph as SVG.")
    g.add_argument("folder", help="output folder of `train` (holds model.json)")
    g.add_argument("--out", default=None, help="SVG path (default: FOLDER/graph.svg)")
    g.add_argument("--max-nodes", type=checks.max_nodes, default=None,
                   help="largest graph drawn in full")
    g.add_argument("--rankdir", choices=("TB", "LR"), default="TB",
                   help="top to bottom (default) or left to right")
    g.add_argument("--fashion-mnist-path", default=None, metavar="FOLDER",
                   help="where the Fashion-MNIST files are now, if they moved")
    g.set_defaults(run=_cmd_graph)

    c = sub.add_parser("check", help="check every op: reverse vs forward vs finite differences",
                       description="Run the gradient checker over every primitive of the op "
                       "table; exit status 1 if any disagrees.")
    c.add_argument("--seed", type=checks.seed, default=0, help="default: 0")
    c.add_argument("--cases", type=_positive(int), default=3,
                   help="random inputs per op (default: 3)")
    c.set_defaults(run=_cmd_check)
    return p


def _version() -> str:
    return getattr(ag, "__version__", "unknown")


def _one_line(e: BaseException) -> str:
    return "; ".join(part.strip() for part in str(e).splitlines() if part.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status: 0 ok, 1 a check failed or training
    diverged, 2 a user error, 130 interrupted."""
    try:
        args = _parser().parse_args(argv)
        # overflow in a diverging run is reported once, by train's NaN guard, not as warnings
        with np.errstate(over="ignore", invalid="ignore"):
            return args.run(args)
    except UsageError as e:
        print(f"{e.where}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except SystemExit as e:  # --help and --version end argparse early; report, don't exit
        return e.code if isinstance(e.code, int) else 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"{PROG}: error: out of memory; use smaller --hidden, --samples or --batch-size",
              file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`autograd-core check | head`): point stdout at devnull so the
        # interpreter's final flush does not complain a second time
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except OSError as e:  # a file that cannot be written after all (a full disk)
        print(f"{PROG}: error: {_one_line(e)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
