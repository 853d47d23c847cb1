"""Device-aware training and evaluation loops for torch models.

The fast path: the whole dataset lives as one tensor on the device and each
mini-batch is gathered by index (no DataLoader, no per-sample transforms). The
loop never waits for the device inside an epoch except for one finiteness
check every ``CHECK_EVERY`` batches; losses and correct counts stay on the
device and are read once per epoch.

Batch order comes from ``nnworkshop.batches``, as in ``nnworkshop.scratch.fit``,
so one ``seed`` gives the same batches in the same order in both loops.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from contextlib import contextmanager

import torch
from torch import nn

from .batches import batch_slices, epoch_orders
from .choices import FIT_OPTIMIZERS
from .checkpoint import Checkpointing
from .convert import _as_tensor, to_tensors
from .device import pick_device
from .history import History
from .validate import (
    DivergenceError,
    check_batch_size,
    check_choice,
    check_epochs,
    check_labels,
    check_lr,
    check_momentum,
    check_weight_decay,
    input_mismatch,
)

__all__ = ["fit", "evaluate", "predict_proba", "to_tensors", "pick_device", "OPTIMIZERS", "CHECK_EVERY"]

OPTIMIZERS = FIT_OPTIMIZERS
CHECK_EVERY = 32  # batches between two NaN/inf checks (each check waits for the device once)


def _check_data(model: nn.Module, X: torch.Tensor, y: torch.Tensor, what: str) -> None:
    """Labels inside [0, classes) and inputs of the size the model expects, checked once."""
    expected = getattr(model, "in_features", None)
    if expected is None:
        first = next((m for m in model.modules() if isinstance(m, nn.Linear)), None)
        # Only a model that starts by flattening into a Linear layer tells us its input size.
        children = list(model.modules())
        if first is not None and any(isinstance(m, nn.Flatten) for m in children[: children.index(first)]):
            expected = first.in_features
    if expected is not None and (X.dim() < 2 or math.prod(X.shape[1:]) != expected):
        raise ValueError(f"{what} " + input_mismatch(tuple(X.shape), expected))
    last = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if last:
        try:
            check_labels(y.cpu().numpy(), last[-1].out_features)
        except ValueError as err:
            raise ValueError(f"{what} {err}") from None


def _model_dtype(model: nn.Module):
    return next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)


def _model_device(model: nn.Module):
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def _resolve_device(device):
    if isinstance(device, torch.device):
        return device
    return pick_device(device)


# ----------------------------------------------------------------------------- optimiser


def _make_optimizer(optimizer, model, lr, momentum, weight_decay, device):
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer, type(optimizer).__name__
    name = check_choice("optimizer", optimizer, OPTIMIZERS)
    cls, options = (torch.optim.SGD, {"momentum": momentum}) if name == "sgd" else (torch.optim.Adam, {})
    # A fused kernel updates every parameter in one pass (CUDA; CPU since torch 2.4); where this
    # torch or device has none, foreach (a few multi-tensor ops per step) is the next best.
    fast = {"fused": True} if _fused_works(cls, device, _model_dtype(model)) else {"foreach": True}
    return cls(model.parameters(), lr=lr, weight_decay=weight_decay, **options, **fast), name


_FUSED: dict = {}


def _fused_works(cls, device, dtype) -> bool:
    """Whether ``cls(..., fused=True)`` can step on ``device``/``dtype`` here (tried once, on a dummy)."""
    key = (cls, device.type, dtype)
    if key not in _FUSED:
        try:
            p = torch.zeros(1, device=device, dtype=dtype, requires_grad=True)
            p.grad = torch.zeros_like(p)
            cls([p], lr=0.1, fused=True).step()
            _FUSED[key] = True
        except (RuntimeError, TypeError, ValueError):
            _FUSED[key] = False
    return _FUSED[key]


# ----------------------------------------------------------------------------- interrupts


class _StopFlag:
    requested = False



@contextmanager
def _private_rng(seed, device):
    """Seed torch for this run only (dropout masks): the caller's global random state is restored afterwards."""
    if seed is None:
        yield
        return
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


@contextmanager
def _deferred_interrupt():
    """Turn Ctrl-C / Jupyter's stop button into a flag checked after each step, so an
    optimiser step is never cut in half. A second Ctrl-C interrupts at once."""
    flag = _StopFlag()
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield flag  # not ours to change: KeyboardInterrupt still ends the run cleanly
        return

    def handler(signum, frame):
        if flag.requested:
            raise KeyboardInterrupt
        flag.requested = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


# ----------------------------------------------------------------------------- fit


def fit(
    model: nn.Module,
    train,
    test=None,
    *,
    val=None,
    epochs: int,
    optimizer="sgd",
    lr: float = 0.01,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    batch_size: int = 64,
    loss_fn=None,
    device=None,
    seed: int | None = None,
    progress: bool = True,
    callbacks=(),
    shuffle: bool = True,
    checkpoint=None,
    resume=None,
) -> History:
    """Train ``model`` for ``epochs`` epochs; return a ``History`` of per-epoch loss and accuracy.

    ``train`` / ``test``: ``(X, y)`` tensors or arrays, a TensorDataset or a torchvision
    dataset (converted once to tensors on the device). ``val``: a validation split, scored after every
    epoch in place of ``test`` (``history.held_out == "validation"``): choose settings on it, and measure
    the chosen model on the test set once, at the end (``evaluate``). One of the two, not both. ``optimizer``: "sgd", "adam" or a
    ``torch.optim.Optimizer`` (then lr/momentum/weight_decay are its own). ``loss_fn``
    defaults to ``nn.CrossEntropyLoss()``. ``device``: None picks cuda > mps > cpu.
    ``seed`` fixes the batch order (shared with ``nnworkshop.scratch.fit``) and seeds torch
    (dropout). ``callbacks``: each ``cb(history, model)`` runs after every epoch; a truthy
    return stops training. Ctrl-C stops after the current step and returns the history so
    far (``history.interrupted``). A NaN/inf loss raises ``DivergenceError`` (its
    ``.history`` holds the finished epochs). ``history.seconds`` times training only.
    The model is left on ``device`` in the train/eval mode it had before.
    ``checkpoint=PATH`` saves model, optimizer, history and random state after every epoch
    (atomically); ``resume=PATH`` continues that run up to ``epochs`` in total, exactly as if
    it had never stopped (see ``nnworkshop.checkpoint``).
    """
    epochs = check_epochs(epochs)
    ckpt = Checkpointing(checkpoint, resume)
    seed = ckpt.seed(seed)
    custom_opt = isinstance(optimizer, torch.optim.Optimizer)
    if not custom_opt:
        lr, momentum, weight_decay = check_lr(lr), check_momentum(momentum), check_weight_decay(weight_decay)
    device = _resolve_device(device)
    model.to(device)
    dtype = _model_dtype(model)
    X, y = to_tensors(train, device, dtype, progress=progress)
    _check_data(model, X, y, "training data:")
    n = len(X)
    batch_size = check_batch_size(batch_size, n)
    if val is not None and test is not None:
        raise ValueError("fit takes one held-out set per run: val=(X, y) while you choose settings, or test=(X, y) "
                         "for the one final measurement, not both. Score the chosen model on the test set once, "
                         "afterwards, with nnworkshop.training.evaluate(model, test).")
    held_out = "validation" if val is not None else "test"
    test = val if val is not None else test
    if test is not None:
        Xt, yt = to_tensors(test, device, dtype, progress=progress)
        _check_data(model, Xt, yt, f"{held_out} data:")
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    opt, opt_name = _make_optimizer(optimizer, model, lr, momentum, weight_decay, device)
    if custom_opt:
        group = opt.param_groups[0]
        lr, momentum, weight_decay = group.get("lr"), group.get("momentum"), group.get("weight_decay")
    if callable(callbacks):
        callbacks = (callbacks,)

    history = History(label=f"torch {opt_name} lr={lr:g}" if isinstance(lr, float) else f"torch {opt_name}",
                      device=str(device), held_out=held_out)
    history.config = {
        "optimizer": opt_name, "lr": lr, "momentum": momentum if opt_name != "adam" else None,
        "weight_decay": weight_decay, "batch_size": batch_size, "epochs": epochs, "seed": seed,
        "shuffle": shuffle, "loss_fn": type(loss_fn).__name__, "n_train": n,
        f"n_{'val' if held_out == 'validation' else 'test'}": None if test is None else len(Xt),
        "model": type(model).__name__,
    }
    ckpt.restore(model, opt, history)
    slices = batch_slices(n, batch_size)
    sizes = torch.tensor([e - s for s, e in slices], dtype=dtype, device=device)
    preds = torch.empty(n, dtype=torch.long, device=device)
    orders = epoch_orders(n, seed, shuffle)
    for _ in range(ckpt.epochs_done):  # a resumed run draws the batch orders it already used
        next(orders)
    was_training = model.training

    from tqdm.auto import tqdm

    bar = tqdm(total=epochs, initial=ckpt.epochs_done, desc=f"training on {device.type}", unit="epoch",
               disable=not progress)
    try:
        with _private_rng(seed, device), _deferred_interrupt() as stop:
            ckpt.set_rng(device)
            for epoch in range(ckpt.epochs_done + 1, epochs + 1):
                start = time.perf_counter()
                model.train()
                order = torch.from_numpy(next(orders)).to(device) if shuffle else None
                y_epoch = y if order is None else y.index_select(0, order)
                losses = []
                checked = 0
                for b, (s, e) in enumerate(slices):
                    xb = X[s:e] if order is None else X.index_select(0, order[s:e])
                    out = model(xb)
                    loss = loss_fn(out, y_epoch[s:e])
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    losses.append(loss.detach())
                    torch.argmax(out.detach(), dim=1, out=preds[s:e])
                    if stop.requested:
                        raise KeyboardInterrupt
                    if b + 1 - checked == CHECK_EVERY:
                        _check_finite(losses, checked, epoch, lr)
                        checked = b + 1
                _check_finite(losses, checked, epoch, lr)
                totals = torch.stack([(torch.stack(losses) * sizes).sum(), (preds == y_epoch).sum().to(dtype)])
                loss_sum, correct = totals.tolist()  # the epoch's one read-back
                seconds = time.perf_counter() - start
                if test is not None:
                    test_loss, test_acc = _evaluate_tensors(model, Xt, yt, loss_fn, 1024)
                    history.append(loss_sum / n, 100.0 * correct / n, seconds, test_loss, test_acc)
                else:
                    history.append(loss_sum / n, 100.0 * correct / n, seconds)
                bar.set_postfix(_postfix(history), refresh=False)
                bar.update(1)
                ckpt.after_epoch(epoch, model, opt, history, seed, device)
                if any([bool(cb(history, model)) for cb in callbacks]):
                    history.interrupted = True
                    break
            history.interrupted = history.interrupted or stop.requested  # Ctrl-C during the last evaluation
    except KeyboardInterrupt:
        history.interrupted = True
    except DivergenceError as err:
        history.diverged = True
        err.history = history
        raise
    finally:
        bar.close()
        model.train(was_training)
    return history


def _check_finite(losses: list, first: int, epoch: int, lr) -> None:
    """Raise DivergenceError naming the first non-finite loss among ``losses[first:]`` (one sync)."""
    if first >= len(losses):
        return
    chunk = torch.stack(losses[first:])
    finite = torch.isfinite(chunk)
    if bool(finite.all()):
        return
    bad = int((~finite).nonzero()[0, 0])
    raise DivergenceError(epoch, first + bad + 1, float(chunk[bad]), lr if isinstance(lr, float) else None)


def _postfix(history: History) -> dict:
    post = {"loss": f"{history.train_loss[-1]:.4f}", "acc": f"{history.train_acc[-1]:.2f}%"}
    if history.test_acc:
        post[history.named("test_acc")] = f"{history.test_acc[-1]:.2f}%"
    return post


# ----------------------------------------------------------------------------- evaluate


def _evaluate_tensors(model, X, y, loss_fn, batch_size):
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            loss_sum = torch.zeros((), dtype=X.dtype, device=X.device)
            correct = torch.zeros((), dtype=torch.long, device=X.device)
            for s in range(0, len(X), batch_size):
                out = model(X[s : s + batch_size])
                yb = y[s : s + batch_size]
                loss_sum += loss_fn(out, yb) * len(yb)
                correct += (out.argmax(dim=1) == yb).sum()
            loss, hits = torch.stack([loss_sum, correct.to(loss_sum.dtype)]).tolist()
    finally:
        model.train(was_training)
    return loss / len(X), 100.0 * hits / len(X)


def evaluate(model: nn.Module, data, device=None, batch_size: int = 1024, loss_fn=None) -> tuple[float, float]:
    """``(mean loss, accuracy in %)`` of ``model`` on ``data`` (any form ``fit`` accepts).

    Runs in eval mode under ``torch.inference_mode()`` and restores the model's mode.
    ``device``: None keeps the model where it is; otherwise the model is moved there.
    ``loss_fn`` defaults to ``nn.CrossEntropyLoss()`` (mean over each batch).
    """
    batch_size = check_batch_size(batch_size)
    if device is None:
        device = _model_device(model)
    else:
        device = _resolve_device(device)
        model.to(device)
    X, y = to_tensors(data, device, _model_dtype(model))
    if len(X) == 0:
        raise ValueError("cannot evaluate on an empty dataset.")
    _check_data(model, X, y, "evaluation data:")
    return _evaluate_tensors(model, X, y, nn.CrossEntropyLoss() if loss_fn is None else loss_fn, batch_size)


def predict_proba(model: nn.Module, X, batch_size: int = 1024) -> torch.Tensor:
    """Class probabilities (softmax of the logits), shape (N, classes), as a CPU float tensor.

    ``X``: inputs as a tensor or NumPy array (float, e.g. from ``to_tensors``), on any device.
    """
    device = _model_device(model)
    X = _as_tensor(X).to(device=device, dtype=_model_dtype(model))
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            parts = [torch.softmax(model(X[s : s + batch_size]), dim=1) for s in range(0, len(X), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(parts).cpu() if parts else torch.empty(0)
