"""A reverse-mode automatic differentiation engine on NumPy arrays (micrograd's idea, for arrays).

    x = Tensor(X)                                  # data: requires_grad=False
    W = Tensor(w0, requires_grad=True, name="W")   # a leaf whose gradient we want
    loss = cross_entropy((x @ W.T).relu(), y)      # every op records its inputs and its backward
    loss.backward()                                # W.grad now holds d loss / d W, shape of W

Each operation computes its result (forward) and says, next to it, how to turn the gradient of
its output ``g`` into one gradient per input (backward), as a ``lambda g: (...)``. Shapes: the
gradient of a tensor always has that tensor's shape; where NumPy broadcast an input (a bias of
shape (H,) added to an (N, H) batch), ``backward`` sums the gradient back to the input's shape
(``unbroadcast``), so no op has to. ``backward()`` visits the graph in reverse topological
order (``topological_order``): a node's gradient is complete before it is passed on.

As in torch: only tensors with ``requires_grad=True`` and the results computed from them are
recorded; leaves (tensors made by you, not by an op) keep their gradient in ``.grad`` and *add*
to it on each ``backward()`` (so clear it with ``zero_grad()``); inside ``with no_grad():``
nothing is recorded. Unlike torch, the graph is kept after ``backward()`` (no ``retain_graph``).
NumPy only: this file never imports torch.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .activations import log_softmax, relu, sigmoid, tanh


class _GradMode:
    """Whether operations are recorded now (``no_grad()`` turns it off)."""

    enabled = True


@contextlib.contextmanager
def no_grad():
    """Inside ``with no_grad():`` no operation is recorded: results have ``requires_grad=False``
    and no parents, so evaluating or updating weights builds no graph (and costs no memory for one)."""
    previous, _GradMode.enabled = _GradMode.enabled, False
    try:
        yield
    finally:
        _GradMode.enabled = previous


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return _GradMode.enabled


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: undo NumPy broadcasting (a (H,) bias added to (N, H) rows
    gets the sum of the N rows' gradients). Leading axes are summed away, size-1 axes kept."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    """An array ``.data`` that remembers how it was computed, so ``backward()`` can differentiate it.

    ``requires_grad=True`` on a leaf asks for its gradient in ``.grad`` (same shape as ``.data``,
    ``None`` until a backward pass). Integer data is stored as float64; float data keeps its dtype and is
    not copied (like ``torch.from_numpy``): an optimizer updating ``.data`` in place changes that array.
    """

    def __init__(self, data, requires_grad: bool = False, name: str = ""):
        data = np.asarray(data)
        if not (np.issubdtype(data.dtype, np.number) or data.dtype == bool):
            raise TypeError(f"a Tensor holds numbers, got an array of dtype {data.dtype}; "
                            "pass numbers, e.g. np.asarray(x, dtype=float).")
        self.data = data if np.issubdtype(data.dtype, np.floating) else data.astype(np.float64)
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        self.name = name
        self._parents: tuple[Tensor, ...] = ()  # the inputs of the op that made this tensor
        self._op = ""                           # that op's name, for the graph drawing
        self._backward = None                   # g -> one gradient per parent

    # ------------------------------------------------------------------ the machinery

    def _result(self, data, parents: tuple, op: str, backward) -> Tensor:
        """The output of an op: recorded (parents and backward kept) only when some input
        requires grad and recording is on."""
        out = Tensor(data)
        if _GradMode.enabled and any(p.requires_grad for p in parents):
            out.requires_grad, out._parents, out._op, out._backward = True, parents, op, backward
        return out

    def _lift(self, other) -> Tensor:
        """Numbers and arrays become constant Tensors (a Python number takes this tensor's dtype)."""
        if isinstance(other, Tensor):
            return other
        return Tensor(np.asarray(other, dtype=self.data.dtype) if np.isscalar(other) else other)

    def backward(self, grad=None) -> None:
        """Fill ``.grad`` of every leaf this tensor was computed from (adding to what is there).

        ``grad``: d loss / d self, needed unless self holds one number (then it is 1).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: nothing it was computed from has "
                "requires_grad=True (or it was computed inside no_grad()). Create the weights with "
                "Tensor(w, requires_grad=True).")
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() without a gradient works only for one number, but this tensor has shape "
                    f"{self.data.shape}: reduce it first (e.g. .sum() or .mean()) or pass grad= of that shape.")
            grad = np.ones_like(self.data)
        grad = np.asarray(grad, dtype=self.data.dtype)
        if grad.shape != self.data.shape:
            raise ValueError(f"grad has shape {grad.shape} but the tensor has shape {self.data.shape}; "
                             "they must match.")
        grads = {id(self): grad}
        for node in reversed(topological_order(self)):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if not node._parents:  # a leaf: keep its gradient (in its own dtype), adding to an earlier one
                g = g.astype(node.data.dtype, copy=True)
                node.grad = g if node.grad is None else node.grad + g
                continue
            for parent, pg in zip(node._parents, node._backward(g)):
                if pg is None or not parent.requires_grad:
                    continue
                pg = unbroadcast(np.asarray(pg), parent.data.shape)
                if pg.shape != parent.data.shape:
                    raise ValueError(
                        f"the backward of '{node._op}' returned a gradient of shape {pg.shape} for an input of "
                        f"shape {parent.data.shape}: a gradient must have the shape of what it is the gradient of.")
                grads[id(parent)] = grads[id(parent)] + pg if id(parent) in grads else pg

    def zero_grad(self) -> None:
        """Forget the stored gradient (``.grad = None``), as ``optimizer.zero_grad()`` does for every weight."""
        self.grad = None

    # ------------------------------------------------------------------ ops: forward, and backward beside it

    def __add__(self, other) -> Tensor:
        """self + other (broadcasting). Backward: g goes unchanged to both."""
        other = self._lift(other)
        return self._result(self.data + other.data, (self, other), "+", lambda g: (g, g))

    def __mul__(self, other) -> Tensor:
        """self * other, elementwise. Backward: each input gets g times the *other* input."""
        other = self._lift(other)
        a, b = self.data, other.data
        return self._result(a * b, (self, other), "*", lambda g: (g * b, g * a))

    def __neg__(self) -> Tensor:
        """-self. Backward: -g."""
        return self._result(-self.data, (self,), "neg", lambda g: (-g,))

    def __sub__(self, other) -> Tensor:
        """self - other. Backward: g and -g."""
        other = self._lift(other)
        return self._result(self.data - other.data, (self, other), "-", lambda g: (g, -g))

    def __truediv__(self, other) -> Tensor:
        """self / other. Backward: g / b and -g a / b^2."""
        other = self._lift(other)
        a, b = self.data, other.data
        return self._result(a / b, (self, other), "/", lambda g: (g / b, -g * a / (b * b)))

    def __pow__(self, p: float) -> Tensor:
        """self ** p for a number p. Backward: g p a^(p-1)."""
        if isinstance(p, Tensor) or not np.isscalar(p):
            raise TypeError(f"Tensor ** p takes a number p, got {type(p).__name__}; for a tensor exponent "
                            "write (b * a.log()).exp().")
        a = self.data
        return self._result(a ** p, (self,), f"**{p:g}", lambda g: (g * p * a ** (p - 1),))

    def __matmul__(self, other) -> Tensor:
        """(N, K) @ (K, M) -> (N, M). Backward: g @ B.T (N, K) and A.T @ g (K, M): the shapes decide."""
        other = self._lift(other)
        a, b = self.data, other.data
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
            raise ValueError(f"matmul needs (N, K) @ (K, M), got {a.shape} @ {b.shape}. A weight stored "
                             "(out_features, in_features) multiplies as x @ W.T.")
        return self._result(a @ b, (self, other), "@", lambda g: (g @ b.T, a.T @ g))

    @property
    def T(self) -> Tensor:
        """The transpose of a 2-D tensor. Backward: g.T."""
        return self._result(self.data.T, (self,), "T", lambda g: (g.T,))

    def sum(self, axis=None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all by default). Backward: every summed entry gets g (broadcast back)."""
        shape = self.data.shape

        def backward(g):
            if axis is not None and not keepdims:
                g = np.expand_dims(g, axis)
            return (np.broadcast_to(g, shape),)

        return self._result(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum", backward)

    def mean(self, axis=None) -> Tensor:
        """Mean over ``axis`` (all by default): the sum divided by the count."""
        out = self.sum(axis)
        count = self.data.size // max(out.data.size, 1)
        return out * (1.0 / count)

    def relu(self) -> Tensor:
        """max(0, x). Backward: g where x > 0, else 0."""
        a = self.data
        return self._result(relu(a), (self,), "relu", lambda g: (g * (a > 0),))

    def sigmoid(self) -> Tensor:
        """1 / (1 + exp(-x)). Backward: g s (1 - s), from the output s."""
        s = sigmoid(self.data)
        return self._result(s, (self,), "sigmoid", lambda g: (g * s * (1 - s),))

    def tanh(self) -> Tensor:
        """tanh(x). Backward: g (1 - t^2), from the output t."""
        t = tanh(self.data)
        return self._result(t, (self,), "tanh", lambda g: (g * (1 - t * t),))

    def exp(self) -> Tensor:
        """e^x. Backward: g e^x (the output itself)."""
        e = np.exp(self.data)
        return self._result(e, (self,), "exp", lambda g: (g * e,))

    def log(self) -> Tensor:
        """Natural log. Backward: g / x."""
        a = self.data
        return self._result(np.log(a), (self,), "log", lambda g: (g / a,))

    def log_softmax(self, axis: int = -1) -> Tensor:
        """z - log sum exp(z) along ``axis``. Backward: g - softmax(z) * (sum of g along axis)."""
        out = log_softmax(self.data, axis=axis)
        return self._result(out, (self,), "log_softmax",
                            lambda g: (g - np.exp(out) * g.sum(axis=axis, keepdims=True),))

    def __getitem__(self, index) -> Tensor:
        """Indexing, e.g. ``t[rows, cols]``. Backward: g goes back to the picked places
        (``np.add.at``, so an entry picked twice gets both gradients); the rest get 0."""
        shape, dtype = self.data.shape, self.data.dtype

        def backward(g):
            full = np.zeros(shape, dtype=dtype)
            np.add.at(full, index, g)
            return (full,)

        return self._result(self.data[index], (self,), "index", backward)

    # the reflected forms: 2 * t, 1 - t, ...
    def __radd__(self, other) -> Tensor:
        return self._lift(other) + self

    def __rmul__(self, other) -> Tensor:
        return self._lift(other) * self

    def __rsub__(self, other) -> Tensor:
        return self._lift(other) - self

    def __rtruediv__(self, other) -> Tensor:
        return self._lift(other) / self

    # ------------------------------------------------------------------ looking at it

    @property
    def shape(self) -> tuple:
        """The shape of ``.data``."""
        return self.data.shape

    def item(self) -> float:
        """The one number this tensor holds, as a Python float."""
        return self.data.item()

    def __repr__(self) -> str:
        what = f", op={self._op!r}" if self._op else ""
        name = f", name={self.name!r}" if self.name else ""
        return f"Tensor(shape={self.data.shape}{name}{what}, requires_grad={self.requires_grad})"


def cross_entropy(logits: Tensor, y) -> Tensor:
    """Mean over the batch of -log softmax(logits)[i, y_i]: ``logits`` (N, K), ``y`` (N,) ints in [0, K)."""
    y = np.asarray(y)
    n, k = logits.data.shape
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer) or y.min(initial=0) < 0 or y.max(initial=0) >= k:
        raise ValueError(f"y must hold {n} integer class labels in [0, {k}) for logits of shape {(n, k)}; "
                         f"got shape {y.shape}, dtype {y.dtype}.")
    return -logits.log_softmax(axis=1)[np.arange(n), y].mean()


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` was computed from, each listed after all of its inputs (root last).

    Depth-first: a node is appended once all its parents are; an explicit stack instead of
    recursion, so a long chain of ops does not hit Python's recursion limit.
    """
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node._parents) if id(p) not in seen)
    return order


def trace(root: Tensor) -> tuple[list[dict], list[tuple[int, int]]]:
    """The graph behind ``root`` as data, for ``plots.computation_graph``: ``(nodes, edges)``.

    ``nodes[i]``: ``{"label", "op", "shape", "leaf", "requires_grad"}`` in topological order;
    ``edges``: ``(i, j)`` pairs, node i is an input of node j.
    """
    order = topological_order(root)
    index = {id(t): i for i, t in enumerate(order)}
    nodes = [{"label": t.name or t._op or "const", "op": t._op, "shape": tuple(t.data.shape),
              "leaf": not t._parents, "requires_grad": t.requires_grad} for t in order]
    edges = [(index[id(p)], index[id(t)]) for t in order for p in t._parents]
    return nodes, edges


__all__ = ["Tensor", "cross_entropy", "no_grad", "is_grad_enabled", "topological_order", "trace", "unbroadcast"]
