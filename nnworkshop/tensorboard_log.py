"""TensorBoard logging for training runs: loss and accuracy curves, learning rate and hyperparameters.

``TensorBoardLogger(log_dir)`` is a ``training.fit`` callback that writes after every epoch;
``write_history(history, log_dir)`` writes any finished ``History`` (a dashboard run, a
NumPy run) the same way. Open the result with ``tensorboard --logdir runs`` and a browser
at http://localhost:6006. Writing goes through ``torch.utils.tensorboard``; the
``tensorboard`` package is an optional extra (``pip install "nnworkshop[tensorboard]"``).

Tags: ``loss/train``, ``accuracy/train`` (in %), and the held-out set's under its own name: ``loss/validation``,
``accuracy/validation`` for a run scored on a validation split (``fit(..., val=...)``), ``loss/test``,
``accuracy/test`` otherwise,
``learning_rate`` and ``seconds_per_epoch``, one point per epoch (step = epoch number);
the run's settings (``history.config``) appear in TensorBoard's HPARAMS tab with the final
``hparam/*`` metrics.
"""

from __future__ import annotations

from pathlib import Path

from .history import History

__all__ = ["TensorBoardLogger", "write_history", "hparams_of"]

METRICS = ("train_loss", "test_loss", "train_acc", "test_acc")
TAGS = {"train_loss": "loss/train", "test_loss": "loss/test", "train_acc": "accuracy/train",
        "test_acc": "accuracy/test"}


def _summary_writer(log_dir):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ImportError(
            "TensorBoard logging needs the tensorboard package: pip install tensorboard "
            '(or pip install "nnworkshop[tensorboard]").'
        ) from None
    return SummaryWriter(log_dir=str(log_dir))


def hparams_of(history: History, extra: dict | None = None) -> dict:
    """The run's settings as TensorBoard hparams: numbers, strings and bools (None and tuples as text)."""
    out = {}
    for key, value in {**history.config, **(extra or {})}.items():
        if isinstance(value, (bool, int, float, str)):
            out[key] = value
        else:
            out[key] = str(value)
    return out


class TensorBoardLogger:
    """A ``training.fit`` callback: ``fit(..., callbacks=[TensorBoardLogger("runs/sgd")])``.

    Writes each finished epoch's loss, accuracy, seconds and learning rate under ``log_dir``;
    after the last epoch it adds the hyperparameters and final metrics and closes the file.
    ``optimizer``: give it to log the optimizer's current learning rate (a scheduler changes
    it); otherwise the run's ``lr`` setting is logged. ``hparams``: extra settings to record
    (e.g. the layer sizes). Call ``close()`` after a run that stopped early.
    """

    def __init__(self, log_dir, hparams: dict | None = None, optimizer=None):
        self.log_dir = Path(log_dir)
        self.extra = dict(hparams or {})
        self.optimizer = optimizer
        self.writer = _summary_writer(self.log_dir)
        self.history: History | None = None
        self._closed = False

    def __call__(self, history: History, model=None) -> bool:
        """Log the newest epoch of ``history``; never asks training to stop (returns False)."""
        epoch = history.epochs
        lr = self.optimizer.param_groups[0]["lr"] if self.optimizer is not None else history.config.get("lr")
        _write_epoch(self.writer, history, epoch - 1, lr)
        self.writer.flush()
        self.history = history
        if epoch >= history.config.get("epochs", float("inf")):
            self.close()
        return False

    def close(self) -> None:
        """Write the hyperparameters with the final metrics (once) and close the event file."""
        if self._closed:
            return
        if self.history is not None:
            _write_hparams(self.writer, self.history, self.extra)
        self.writer.close()
        self._closed = True


def write_history(history: History, log_dir, hparams: dict | None = None) -> Path:
    """Write every epoch of a finished ``history`` to TensorBoard under ``log_dir``; return ``log_dir``."""
    log_dir = Path(log_dir)
    with _summary_writer(log_dir) as writer:
        for i in range(history.epochs):
            _write_epoch(writer, history, i, history.config.get("lr"))
        if history.epochs:
            _write_hparams(writer, history, hparams)
    return log_dir


def _tag(history: History, key: str) -> str:
    """The tag of ``key``, naming the held-out set the run was scored on ("accuracy/validation")."""
    return TAGS[key].replace("/test", f"/{history.held_out}")


def _write_epoch(writer, history: History, i: int, lr) -> None:
    step = i + 1
    for key in METRICS:
        values = getattr(history, key)
        if len(values) > i:
            writer.add_scalar(_tag(history, key), values[i], step)
    if len(history.seconds) > i:
        writer.add_scalar("seconds_per_epoch", history.seconds[i], step)
    if isinstance(lr, (int, float)):
        writer.add_scalar("learning_rate", lr, step)


def _write_hparams(writer, history: History, extra) -> None:
    """The HPARAMS tab's entry, written into this run's own event file (no extra sub-run)."""
    from torch.utils.tensorboard.summary import hparams

    metrics = {f"hparam/{history.named(key)}": float(getattr(history, key)[-1])
               for key in METRICS if getattr(history, key)}
    exp, ssi, sei = hparams(hparams_of(history, extra), metrics)
    for summary in (exp, ssi, sei):
        writer.file_writer.add_summary(summary)
    for tag, value in metrics.items():
        writer.add_scalar(tag, value, history.epochs)
    writer.flush()
