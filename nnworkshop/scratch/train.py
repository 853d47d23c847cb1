"""``fit``, ``evaluate``, ``predict``: the NumPy training loop.

The batch order comes from ``nnworkshop.batches`` (as in the torch loop), so the
same ``seed`` visits the same mini-batches in the same order in both.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..batches import batch_slices, epoch_orders
from ..choices import FIT_OPTIMIZERS
from ..history import History
from ..validate import (DivergenceError, check_batch_size, check_choice, check_epochs,
                        check_labels)
from .activations import softmax
from .layers import Linear, Module
from .loss import SoftmaxCrossEntropy
from .optim import SGD, Adam, Optimizer

OPTIMIZERS = FIT_OPTIMIZERS


def _linears(model) -> list[Linear]:
    layers = getattr(model, "layers", [model])
    return [layer for layer in layers if isinstance(layer, Linear)]


def _model_dtype(model):
    params = model.parameters()
    return params[0].data.dtype if params else np.dtype(np.float32)


def _checked_data(model, X, y=None):
    """X as an array of the model's dtype, (n, features) or (n, C, H, W) for a net that starts with Conv2d
    (one cast, not one per batch); y as int64."""
    X = np.asarray(X)
    linears = _linears(model)
    # the first layer that checks its input says what the net takes: (n, features), or images for a Conv2d
    first = next((layer for layer in getattr(model, "layers", [model]) if hasattr(layer, "check_input")), None)
    if first is not None:
        first.check_input(X)
    X = np.ascontiguousarray(X, dtype=_model_dtype(model))
    if y is None:
        return X, None
    y = np.asarray(y)
    if y.shape != (len(X),):
        raise ValueError(f"y must hold one label per row of X: X has {len(X)} rows, y has shape {y.shape}.")
    if linears:
        check_labels(y, linears[-1].out_features)
    return X, y.astype(np.int64, copy=False)


def _make_optimizer(model, optimizer, lr, momentum, weight_decay) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        return optimizer
    name = check_choice("optimizer", optimizer, OPTIMIZERS)
    if name == "sgd":
        return SGD(model.parameters(), lr, momentum=momentum, weight_decay=weight_decay)
    return Adam(model.parameters(), lr, weight_decay=weight_decay)


def fit(model: Module, X, y, *, epochs: int, batch_size: int = 64, optimizer="sgd", lr: float = 0.01,
        momentum: float = 0.0, weight_decay: float = 0.0, X_test=None, y_test=None, X_val=None, y_val=None,
        loss_fn=None, seed=0, shuffle: bool = True, progress: bool = True, callbacks=()) -> History:
    """Train ``model`` on (X, y) with mini-batches; return a ``History`` of per-epoch numbers.

    ``optimizer``: 'sgd', 'adam' or an optimizer instance (then ``lr``/``momentum``/``weight_decay``
    are its own). Train loss/accuracy are averaged over the epoch's batches as they were trained;
    held-out numbers are measured in eval mode after the epoch: on ``X_val``/``y_val`` while you choose settings
    (``history.held_out == "validation"``, read as ``history.val_acc``), or on ``X_test``/``y_test``, one of the
    two, as ``training.fit``'s ``val=`` and ``test``. ``seconds``
    times the training pass. Each ``callback(history, model)`` runs after every epoch; a truthy
    return stops training (``history.interrupted = True``), as does Ctrl-C. A NaN/inf loss raises
    ``DivergenceError`` (epoch and batch counted from 1) at once.
    """
    epochs = check_epochs(epochs)
    X, y = _checked_data(model, X, y)
    n = len(X)
    batch_size = check_batch_size(batch_size, n)
    opt = _make_optimizer(model, optimizer, lr, momentum, weight_decay)
    held_out = "validation" if X_val is not None or y_val is not None else "test"
    if held_out == "validation":
        if X_test is not None or y_test is not None:
            raise ValueError("fit takes one held-out set per run: X_val=, y_val= while you choose settings, or "
                             "X_test=, y_test= for the final measurement; not both.")
        X_test, y_test = X_val, y_val
    has_test = X_test is not None and y_test is not None
    if has_test:
        X_test, y_test = _checked_data(model, X_test, y_test)
    loss_fn = SoftmaxCrossEntropy() if loss_fn is None else loss_fn
    opt_name = type(opt).__name__.lower()
    history = History(
        label=f"numpy {opt_name} lr={opt.lr:g}",
        device="cpu (numpy)",
        config=dict(epochs=epochs, batch_size=batch_size, optimizer=opt_name, lr=opt.lr,
                    momentum=getattr(opt, "momentum", None), weight_decay=getattr(opt, "weight_decay", 0.0),
                    seed=seed, shuffle=shuffle, dtype=str(X.dtype), n_train=n),
        held_out=held_out,
    )

    from tqdm.auto import tqdm

    orders = epoch_orders(n, seed, shuffle)
    slices = batch_slices(n, batch_size)
    was_training = model.training
    bar = tqdm(range(1, epochs + 1), desc="numpy fit", unit="epoch", disable=not progress)
    try:
        for epoch in bar:
            model.train()
            start = time.perf_counter()
            try:
                loss_sum, correct = train_epoch(model, X, y, next(orders), slices, loss_fn, opt, epoch)
            except DivergenceError as err:
                history.diverged = True
                err.history = history
                raise
            seconds = time.perf_counter() - start
            test_loss = test_acc = None
            if has_test:
                test_loss, test_acc = evaluate(model, X_test, y_test)
            history.append(loss_sum / n, 100.0 * correct / n, seconds, test_loss, test_acc)
            post = {"loss": f"{loss_sum / n:.4f}", "acc": f"{100.0 * correct / n:.1f}%"}
            if has_test:
                post[history.named("test_acc")] = f"{test_acc:.1f}%"
            bar.set_postfix(post)
            stops = [cb(history, model) for cb in callbacks]
            if any(stops):
                history.interrupted = True
                break
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        bar.close()
        model.train(was_training)
    return history


def train_epoch(model, X, y, order, slices, loss_fn, opt, epoch: int = 1) -> tuple[float, int]:
    """One pass over the mini-batches ``X[order[s:e]]``: forward, loss, backward, step.

    Returns (sum of per-sample losses, number correct). Raises ``DivergenceError`` as soon as
    a batch's loss is NaN or infinite (overflow warnings are silenced: the error says more).
    """
    loss_sum, correct = 0.0, 0
    with np.errstate(over="ignore", invalid="ignore"):
        for batch, (s, e) in enumerate(slices, start=1):
            idx = order[s:e]
            xb, yb = X[idx], y[idx]
            logits = model(xb)
            loss = loss_fn(logits, yb)
            if not math.isfinite(loss):
                raise DivergenceError(epoch, batch, loss, opt.lr)
            opt.zero_grad()
            model.backward(loss_fn.backward(), need_input_grad=False)  # dL/dX is never used
            opt.step()
            loss_sum += loss * (e - s)
            correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
    return loss_sum, correct


def _logits(model, X, batch_size: int):
    """Forward X through the model in eval mode, in batches; restore the previous mode."""
    was_training = model.training
    model.eval()
    try:
        return np.concatenate([model(X[s:e]) for s, e in batch_slices(len(X), batch_size)])
    finally:
        model.train(was_training)


def evaluate(model: Module, X, y, batch_size: int = 1024) -> tuple[float, float]:
    """(mean cross-entropy, accuracy in %) of ``model`` on (X, y), in eval mode."""
    X, y = _checked_data(model, X, y)
    logits = _logits(model, X, check_batch_size(batch_size))
    loss = SoftmaxCrossEntropy()(logits, y)
    return loss, 100.0 * float(np.mean(logits.argmax(axis=1) == y))


def predict_proba(model: Module, X, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (softmax of the logits), one row per sample, in eval mode."""
    X, _ = _checked_data(model, X)
    return softmax(_logits(model, X, check_batch_size(batch_size)), axis=1)


def predict(model: Module, X, batch_size: int = 1024) -> np.ndarray:
    """The most probable class of each row of ``X`` (int64), in eval mode."""
    X, _ = _checked_data(model, X)
    return _logits(model, X, check_batch_size(batch_size)).argmax(axis=1)
