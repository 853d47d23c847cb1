"""The course's MLP on the autograd engine: the same weights as a ``scratch`` network, no backward written.

    net = mlp((784, 128, 64, 10))           # the hand-written layers, forward/backward pairs
    engine = EngineMLP(net)                  # the same weights as engine Tensors (copies)
    history = fit(engine, X, y, epochs=2, lr=0.1, seed=0)   # same batches as scratch.fit(..., seed=0)

Only the forward pass is written here; ``loss.backward()`` finds every gradient. The update is
``scratch.SGD``, the very optimizer ``scratch.fit`` uses (it reads ``.data`` and ``.grad``, which a
``Tensor`` has), and the batches come from ``nnworkshop.batches``: so the engine's loss curve can be
compared with ``scratch.fit``'s number for number.
"""

from __future__ import annotations

import time

import numpy as np

from ..batches import batch_slices, epoch_orders
from ..history import History
from ..validate import check_batch_size, check_epochs, check_labels
from .autograd import Tensor, cross_entropy, no_grad
from .layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from .optim import SGD

ACTIVATIONS = {ReLU: "relu", Sigmoid: "sigmoid", Tanh: "tanh"}


class EngineMLP:
    """A copy of a ``scratch.Sequential`` of Linear and ReLU/Sigmoid/Tanh layers, as engine Tensors.

    ``weights``: one ``(W, b)`` pair per Linear, W of shape (out_features, in_features) and b (out_features,),
    leaves with ``requires_grad=True``; ``activations``: the op applied after each hidden layer.
    """

    def __init__(self, net: Sequential):
        self.weights, self.activations = [], []
        for i, layer in enumerate(net):
            if isinstance(layer, Linear):
                bias = layer.bias.data if layer.bias is not None else np.zeros(layer.out_features, layer.weight.dtype)
                self.weights.append((Tensor(layer.weight.data.copy(), requires_grad=True, name=f"W{len(self.weights) + 1}"),
                                     Tensor(bias.copy(), requires_grad=True, name=f"b{len(self.weights) + 1}")))
            elif type(layer) in ACTIVATIONS:
                self.activations.append(ACTIVATIONS[type(layer)])
            else:
                raise TypeError(f"EngineMLP copies Linear, ReLU, Sigmoid and Tanh layers; layer {i} is {layer!r}. "
                                "Build the net without it (e.g. mlp(sizes, dropout=0)).")
        if len(self.activations) != len(self.weights) - 1:
            raise ValueError("EngineMLP expects Linear layers with one activation between each two; got "
                             f"{len(self.weights)} Linear and {len(self.activations)} activations.")

    def __call__(self, x) -> Tensor:
        """The logits (N, out_features) of the (N, in_features) batch ``x``: x @ W.T + b, activation, ..."""
        h = x if isinstance(x, Tensor) else Tensor(x, name="x")
        for k, (W, b) in enumerate(self.weights):
            h = h @ W.T + b
            if k < len(self.activations):
                h = getattr(h, self.activations[k])()
        return h

    def parameters(self) -> list[Tensor]:
        """W1, b1, W2, b2, ...: the leaves an optimizer updates."""
        return [t for pair in self.weights for t in pair]

    def zero_grad(self) -> None:
        """``.grad = None`` on every weight."""
        for p in self.parameters():
            p.zero_grad()


def fit(model: EngineMLP, X, y, *, epochs: int, batch_size: int = 64, lr: float = 0.01, momentum: float = 0.0,
        seed=0, progress: bool = True) -> History:
    """Mini-batch SGD on the engine, as ``scratch.fit`` does it (same batch order for the same ``seed``,
    same optimizer, loss averaged over the epoch's batches): a ``History`` of train loss and accuracy (%).

    ``X``: (N, in_features) cast to the weights' dtype; ``y``: (N,) class labels.
    """
    from tqdm.auto import tqdm

    epochs = check_epochs(epochs)
    W1 = model.weights[0][0].data
    X = np.ascontiguousarray(X, dtype=W1.dtype)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != W1.shape[1] or y.shape != (len(X),):
        raise ValueError(f"X must be (N, {W1.shape[1]}) with y of shape (N,); got X {X.shape}, y {y.shape}. "
                         "Flatten each sample to one row, e.g. X.reshape(len(X), -1).")
    check_labels(y, model.weights[-1][0].data.shape[0])
    batch_size = check_batch_size(batch_size, len(X))
    opt = SGD(model.parameters(), lr, momentum=momentum)
    history = History(label=f"autograd engine sgd lr={lr:g}", device="cpu (numpy)",
                      config=dict(epochs=epochs, batch_size=batch_size, lr=lr, momentum=momentum, seed=seed))
    orders, slices = epoch_orders(len(X), seed), batch_slices(len(X), batch_size)
    for _ in tqdm(range(epochs), desc="engine fit", unit="epoch", disable=not progress):
        order, loss_sum, correct, start = next(orders), 0.0, 0, time.perf_counter()
        for s, e in slices:
            xb, yb = X[order[s:e]], y[order[s:e]]
            logits = model(xb)
            loss = cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * (e - s)
            correct += int(np.count_nonzero(logits.data.argmax(axis=1) == yb))
        history.append(loss_sum / len(X), 100.0 * correct / len(X), time.perf_counter() - start)
    return history


def predict(model: EngineMLP, X) -> np.ndarray:
    """The most probable class of each row of ``X``, computed under ``no_grad()`` (no graph is built)."""
    with no_grad():
        return model(np.asarray(X, dtype=model.weights[0][0].data.dtype)).data.argmax(axis=1)


__all__ = ["EngineMLP", "fit", "predict"]
