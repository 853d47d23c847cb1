"""Hidden checks of q7, backward passes for the autograd engine (notebook 02). Points: ``exercise.toml``.

Fixed edge cases first (sizes that differ, so a missing transpose cannot have the right shape; a bias of shape
(H,) and (1, H); a number), then inputs drawn from the grader's generator. The reference is the course's engine,
``nnworkshop.scratch.autograd``, in the parent. The last check plugs the learner's backward passes into that
engine in place of its own and differentiates a small network with them. Typical mistakes get a hint of their own.
"""

from __future__ import annotations

import numpy as np

from nnworkshop.grading.checking import Check, Fail, arr, close, seq
from nnworkshop.scratch.activations import log_softmax
from nnworkshop.scratch.autograd import Tensor, cross_entropy, unbroadcast


def _sizes(ctx):
    """Fixed (N, K, M), all different, then drawn ones."""
    return ((5, 3, 4), (1, 4, 2), tuple(int(ctx.rng.integers(2, 7)) for _ in range(3)))


def _engine_grads(fn, arrays, g):
    """The course engine's gradients of sum(fn(inputs) * g) for every input."""
    inputs = [Tensor(np.array(x, dtype=float), requires_grad=True) for x in arrays]
    (fn(*inputs) * g).sum().backward()
    return [t.grad for t in inputs]


def _mul(ctx):
    for shape in ((3, 4), (int(ctx.rng.integers(2, 7)), int(ctx.rng.integers(2, 7)))):
        a, b, g = (ctx.rng.normal(size=shape) for _ in range(3))
        da, db = seq(ctx.call("mul_backward", g, a, b), 2, "mul_backward")
        da, db = arr(da, shape, "mul_backward da"), arr(db, shape, "mul_backward db")
        if np.allclose(da, g * a) and np.allclose(db, g * b):
            raise Fail("mul_backward gives each input g times itself: the gradient of a * b with respect to a is "
                       "g * b, g times the OTHER input")
        want = _engine_grads(lambda x, y: x * y, (a, b), g)
        close(da, want[0], "mul_backward da")
        close(db, want[1], "mul_backward db")


def _matmul(ctx):
    for n, k, m in _sizes(ctx):
        a, b, g = ctx.rng.normal(size=(n, k)), ctx.rng.normal(size=(k, m)), ctx.rng.normal(size=(n, m))
        da, db = seq(ctx.call("matmul_backward", g, a, b), 2, "matmul_backward")
        want = _engine_grads(lambda x, y: x @ y, (a, b), g)
        for name, got, w, rule in (("da", da, want[0], "g @ b.T, (N, M) times (M, K)"),
                                   ("db", db, want[1], "a.T @ g, (K, N) times (N, M)")):
            if np.shape(got) != w.shape:
                raise Fail(f"matmul_backward {name}: expected the shape of that input {w.shape}, got "
                           f"{np.shape(got)}; let the shapes decide where the transposes go: {name} = {rule}")
            close(arr(got, w.shape, f"matmul_backward {name}"), w, f"matmul_backward {name}")


def _sigmoid(ctx):
    for shape in ((4, 3), (int(ctx.rng.integers(2, 7)), int(ctx.rng.integers(2, 7)))):
        x, g = ctx.rng.normal(0, 2, size=shape), ctx.rng.normal(size=shape)
        s = 1 / (1 + np.exp(-x))
        got = arr(ctx.call("sigmoid_backward", g, s), shape, "sigmoid_backward")
        sx = 1 / (1 + np.exp(-s))
        if np.allclose(got, g * sx * (1 - sx)):
            raise Fail("sigmoid_backward took the sigmoid of s again: s is already the sigmoid's output, "
                       "so the derivative is s * (1 - s)")
        close(got, _engine_grads(lambda t: t.sigmoid(), (x,), g)[0], "sigmoid_backward")


def _unbroadcast(ctx):
    h = int(ctx.rng.integers(2, 7))
    cases = [((5, 3), (3,)), ((5, 3), (1, 3)), ((2, 3, 4), (3, 1)), ((4, 2), ()), ((4, 2), (4, 2)),
             ((int(ctx.rng.integers(2, 7)), h), (h,))]
    for big, shape in cases:
        grad = ctx.rng.normal(size=big)
        got = ctx.call("unbroadcast", grad, list(shape), adapter="shape")
        want = unbroadcast(grad, shape)
        if shape == () and np.size(got) == 1 and not isinstance(got, (dict, str)):
            got = np.asarray(got, dtype=float).reshape(())  # the wire carries a 0-d array as shape (1,)
        if np.shape(got) != shape:
            hint = (" (sum with keepdims=True where shape has a 1)" if len(np.shape(got)) != len(shape) and
                    len(shape) == len(big) else "")
            raise Fail(f"unbroadcast to {shape} from a gradient of shape {big}: got shape {np.shape(got)}{hint}")
        close(arr(got, shape, f"unbroadcast to {shape}"), want, f"unbroadcast to {shape}")


def _log_softmax(ctx):
    for n, _, c in _sizes(ctx):
        z, g = ctx.rng.normal(0, 2, size=(n, c + 1)), ctx.rng.normal(size=(n, c + 1))
        out = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        got = arr(ctx.call("log_softmax_backward", g, out), z.shape, "log_softmax_backward")
        if np.allclose(got, g - np.exp(out)):
            raise Fail("log_softmax_backward: every output depends on every input of its row, so softmax is "
                       "multiplied by the row's SUM of g (g.sum(axis=-1, keepdims=True)), not by 1")
        close(got, _engine_grads(lambda t: t.log_softmax(-1), (z,), g)[0], "log_softmax_backward")


def _learner_op(ctx, name, forward, inputs, backward_args, shapes):
    """A node of the engine's graph whose backward calls the learner's ``name(g, *backward_args)``."""
    def backward(g):
        got = ctx.call(name, g, *backward_args)
        got = seq(got, len(shapes), name) if len(shapes) > 1 else [got]
        return tuple(arr(v, s, f"{name} (in the engine)") for v, s in zip(got, shapes))

    return inputs[0]._result(forward, tuple(inputs), name, backward)


def _add(ctx, z, b):
    """z + b (b broadcast over z's rows); the backward sends g through the learner's unbroadcast."""
    def backward(g):
        return tuple(arr(ctx.call("unbroadcast", g, list(t.shape), adapter="shape"), t.shape,
                         "unbroadcast (in the engine)") for t in (z, b))

    return z._result(z.data + b.data, (z, b), "+", backward)


def _network_loss(ctx, x, y, leaves):
    """Mean cross-entropy of sigmoid(x @ W1.T + b1) @ W2.T + b2, every backward but the transpose's, the
    index's and the mean's the learner's."""
    def linear(v, W, b):
        WT = W.T  # the engine's own transpose
        z = _learner_op(ctx, "matmul_backward", v.data @ WT.data, (v, WT), (v.data, WT.data), (v.shape, WT.shape))
        return _add(ctx, z, b)

    W1, b1, W2, b2 = leaves
    z1 = linear(Tensor(x), W1, b1)
    s = 1 / (1 + np.exp(-z1.data))
    z2 = linear(_learner_op(ctx, "sigmoid_backward", s, (z1,), (s,), (s.shape,)), W2, b2)
    out = log_softmax(z2.data, axis=-1)
    return -_learner_op(ctx, "log_softmax_backward", out, (z2,), (out,), (out.shape,))[np.arange(len(y)), y].mean()


def _engine_network(ctx):
    """Their matmul, add (unbroadcast), sigmoid and log-softmax backward passes, run by the course's engine."""
    for n, d, h, c in ((6, 4, 5, 3), tuple(int(ctx.rng.integers(2, 7)) for _ in range(4))):
        x, y = ctx.rng.normal(size=(n, d)), ctx.rng.integers(0, c, size=n)
        weights = [ctx.rng.normal(0, 0.7, s) for s in ((h, d), (h,), (c, h), (c,))]
        mine = [Tensor(w.copy(), requires_grad=True) for w in weights]
        _network_loss(ctx, x, y, mine).backward()
        ours = [Tensor(w.copy(), requires_grad=True) for w in weights]
        W1, b1, W2, b2 = ours
        cross_entropy((Tensor(x) @ W1.T + b1).sigmoid() @ W2.T + b2, y).backward()
        for name, got, want in zip(("W1", "b1", "W2", "b2"), mine, ours):
            close(got.grad, want.grad, f"the network's d loss / d {name}, with your backward passes in the engine")


CHECKS = [
    Check("mul_backward", "mul_backward gives each input g times the other input", _mul),
    Check("matmul_backward", "matmul_backward gives g @ b.T and a.T @ g, each of its input's shape", _matmul),
    Check("sigmoid_backward", "sigmoid_backward computes the derivative from the sigmoid's output", _sigmoid),
    Check("unbroadcast", "unbroadcast sums a broadcast gradient back to the input's shape", _unbroadcast),
    Check("log_softmax_backward", "log_softmax_backward gives g - softmax * (row sums of g)", _log_softmax),
    Check("engine_network", "the engine, running your backward passes, differentiates a two-layer network",
          _engine_network),
]
