"""nn: layers, losses and optimizers on autograd_core, with Keras's vocabulary.

Built only on the public names of ``autograd_core`` (a test checks it); no layer, loss or
activation defines a derivative of its own. Models train with a hand-written loop or with
Keras's ``compile``/``fit``/``evaluate``/``predict`` (``nn.trainer``, ``nn.callbacks``,
``nn.lr_find``). The layer protocol is in ``nn.Module``'s docstring.
"""

from . import (
    activations,
    callbacks,
    data,
    datasets,
    init,
    io,
    layers,
    losses,
    models,
    optim,
    optimizers,
    plot,
    registry,
    regularizers,
    saving,
    schedules,
    seeding,
    summary,
    train,
    trainer,
)
from . import init as initializers
from .activations import get_activation
from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TensorBoard,
    TerminateOnNaN,
)
from .layers import Activation, Dense, Dropout, Maxout, Neuron, Perceptron
from .layers.convolutional import Conv1D, Conv2D
from .layers.embedding import Embedding
from .layers.normalization import BatchNormalization, LayerNormalization
from .layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from .layers.recurrent import GRU, LSTM, SimpleRNN
from .layers.reshaping import Flatten, Reshape
from .losses import get_loss
from .lr_find import LRFinderResult, lr_find
from .metrics import Metric, get_metric
from .models import MLP, Sequential
from .module import Layer, LoadResult, Module, Parameter, clear_session
from .optim import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    Optimizer,
    RMSprop,
    clip_grad_norm,
    clip_grad_value,
    get_optimizer,
)
from .regularizers import L1, L1L2, L2
from .seeding import set_seed

__all__ = [
    "Module", "Layer", "Parameter", "LoadResult", "clear_session",
    "Dense", "Neuron", "Perceptron", "Maxout", "Dropout", "Activation", "Sequential", "MLP",
    "L1", "L2", "L1L2",
    "Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Nadam", "Adamax", "Adadelta",
    "clip_grad_norm", "clip_grad_value",
    "History", "Metric", "get_metric", "lr_find", "LRFinderResult",
    "Callback", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler",
    "ReduceLROnPlateau", "CSVLogger", "TerminateOnNaN", "LambdaCallback", "TensorBoard",
    "get_activation", "get_loss", "get_optimizer", "set_seed",
    "activations", "callbacks", "compile_utils", "data", "datasets", "files", "initializers",
    "init", "io", "layers", "losses", "metrics", "models", "optim", "optimizers", "registry",
    "saving", "summary", "trainer", "plot", "regularizers", "schedules", "seeding", "train",
]
__all__ += [
    "Conv1D", "Conv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "Flatten", "Reshape", "BatchNormalization", "LayerNormalization",
    "Embedding", "SimpleRNN", "LSTM", "GRU",
]
