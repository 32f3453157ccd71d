"""Callbacks for ``model.fit``, with Keras's names, arguments and semantics, one per file.

Arguments that Keras lists after the first few are keyword-only here
(``EarlyStopping(monitor, *, min_delta, patience, ...)``), so that no call can silently
give one argument's value to another.

A callback is an object with hooks that ``fit`` calls: ``on_train_begin(logs)``,
``on_epoch_begin(epoch, logs)``, ``on_batch_begin(batch, logs)``, ``on_batch_end(batch, logs)``,
``on_epoch_end(epoch, logs)`` and ``on_train_end(logs)``. Epochs and batches count from 0.
Before training, ``fit`` sets ``callback.model`` and ``callback.params`` (epochs, steps,
batch_size, samples, metrics: the keys the epoch logs will hold).

Epoch logs hold ``loss``, every metric, ``val_loss`` and ``val_<metric>`` when there is
validation data, and ``lr`` (the learning rate used in the epoch). Batch logs hold
``loss`` (that batch's, regularization included) and ``size``. Setting
``model.stop_training = True`` ends training after the current batch.

The batch hooks are called only for callbacks that override them, so a fit with epoch-level
callbacks pays nothing per batch.

``fit`` itself uses two ordinary callbacks: ``ProgbarLogger`` (the progress display, added
when ``verbose`` is not 0, first) and ``History`` (added last, returned by ``fit``). A new
callback is one subclass of ``Callback`` in one file and needs nothing private.
"""

from .base import Callback, CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .history import History
from .lambda_callback import LambdaCallback
from .learning_rate_scheduler import LearningRateScheduler
from .model_checkpoint import ModelCheckpoint
from .monitor import Monitor
from .progbar import ProgbarLogger
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .tensorboard import TensorBoard
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "Monitor",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]
