"""Hidden checks and the point table. Each check asks the submission's process to compute on its inputs and
compares with ``reference`` here, in the parent. A check's inputs are its **fixed edge cases first** (overflow at
+-1000, ties at 0, shapes no transpose survives, an uneven last batch: the same whatever the seed) **and then**
inputs drawn from the grader's generator on top, so a solution wrong on an edge case loses the same points under
every seed and the random draws only add cases.

Feedback shows a check's id, title and what went wrong, as a public check does (a shape, an error, how
many values are wrong, the worst one as got / expected on inputs drawn for this run only, and the pattern
when one fits), never its inputs or its code.
"""

from __future__ import annotations

import numpy as np

from . import reference as ref
from .judging import Check, Fail, arr, close, describe_mismatch, num, seq  # noqa: F401 - re-exported

def _shape(rng):
    return (int(rng.integers(3, 9)), int(rng.integers(2, 7)))


# ---------------------------------------------------------------- q1 activations


# Fixed inputs for the elementwise functions: zero, small and moderate values of both signs, in a shape that
# is neither square nor 1-D (a transposed or flattened answer fails), then a 1-D vector.
EDGE_X = (np.array([[-6.0, -2.5, -1.0, -0.25, 0.0], [0.0, 0.25, 1.0, 2.5, 6.0], [-0.5, 3.0, -3.0, 0.75, -0.0]]),
          np.array([-20.0, -1e-3, 0.0, 1e-3, 20.0]))
EXTREME_X = np.array([-1000.0, -745.5, -710.0, -709.0, -200.0, -1.0, 0.0, 1.0, 200.0, 709.0, 710.0, 745.5, 1000.0])


def _elementwise(name, reference, scale, rtol=1e-6):
    def run(ctx):
        for x in (*EDGE_X, ctx.rng.normal(0, scale, size=_shape(ctx.rng))):
            close(arr(ctx.call(name, x), x.shape, name), reference(x), name, rtol=rtol, atol=1e-9)

    return run


def _sigmoid_extreme(ctx):
    drawn = np.concatenate([ctx.rng.uniform(200, 1000, 5), -ctx.rng.uniform(200, 1000, 5)])
    for x in (EXTREME_X, drawn):  # +-1000 every time: a sigmoid that overflows fails whatever the seed
        got = ctx.call("sigmoid", x, adapter="strict")  # numpy's overflow warning is an error, as in the public check
        close(arr(got, x.shape, "sigmoid"), ref.sigmoid(x), "sigmoid of large |x|", atol=1e-12)


def _relu_grad(ctx):
    fixed = np.array([[-2.0, 0.0, 3.0, -0.0], [0.0, 1e-12, -1e-12, 5.0], [7.0, -7.0, 0.0, 0.0]])  # ties at 0 each time
    x = ctx.rng.normal(0, 2, size=_shape(ctx.rng))
    x.flat[:: 3] = 0.0  # the derivative at 0 is taken to be 0
    for case in (fixed, x):
        close(arr(ctx.call("relu_grad", case), case.shape, "relu_grad"), ref.relu_grad(case), "relu_grad")


Q1 = [
    Check("sigmoid", 2, "sigmoid matches 1 / (1 + exp(-x)) elementwise, shape kept", _elementwise("sigmoid", ref.sigmoid, 3)),
    Check("sigmoid_extreme", 1, "sigmoid is finite and exact for |x| up to 1000", _sigmoid_extreme),
    Check("sigmoid_grad", 2, "sigmoid_grad(x) is the derivative of sigmoid at x", _elementwise("sigmoid_grad", ref.sigmoid_grad, 3)),
    Check("tanh", 1, "tanh matches the hyperbolic tangent", _elementwise("tanh", np.tanh, 2)),
    Check("tanh_grad", 1, "tanh_grad(x) is the derivative of tanh at x", _elementwise("tanh_grad", ref.tanh_grad, 2)),
    Check("relu", 1, "relu is max(0, x) elementwise", _elementwise("relu", ref.relu, 2)),
    Check("relu_grad", 2, "relu_grad is 1 where x > 0 and 0 elsewhere (0 at x = 0)", _relu_grad),
]

# ---------------------------------------------------------------- q2 softmax and cross-entropy


def _logits(ctx, scale=3.0):
    n, c = int(ctx.rng.integers(3, 9)), int(ctx.rng.integers(3, 11))
    return ctx.rng.normal(0, scale, size=(n, c)), ctx.rng.integers(0, c, size=n)


# Fixed logits: more rows than classes (a softmax over the wrong axis fails), a row of ties, a shifted row.
EDGE_Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 0.5, 4.0], [101.0, 102.0, 103.0], [2.0, -3.0, 0.0]])
EDGE_Y = np.array([0, 2, 1, 2, 0])
# Fixed large logits: every row overflows np.exp, and the labels sit on the smallest logits too (log(softmax)
# gives log(0) there), so an unstable softmax or cross-entropy fails whatever the seed.
BIG_Z = np.array([[1000.0, 1000.0, 0.0, -1000.0], [-1000.0, 0.0, 1000.0, 999.0], [1000.0, -1000.0, 999.5, 0.0]])
BIG_Y = np.array([3, 0, 1])


def _softmax(ctx):
    for z in (EDGE_Z, _logits(ctx)[0]):
        close(arr(ctx.call("softmax", z), z.shape, "softmax"), ref.softmax(z), "softmax")


def _softmax_stable(ctx):
    z, _ = _logits(ctx, 400.0)
    z[0] += 1000
    for case in (BIG_Z, z):
        close(arr(ctx.call("softmax", case), case.shape, "softmax"), ref.softmax(case), "softmax of large logits",
              atol=1e-9)


def _ce(ctx):
    for z, y in ((EDGE_Z, EDGE_Y), _logits(ctx)):
        close(num(ctx.call("cross_entropy", z, y), "cross_entropy"), ref.cross_entropy(z, y), "cross_entropy")


def _ce_stable(ctx):
    for z, y in ((BIG_Z, BIG_Y), _logits(ctx, 300.0)):
        close(num(ctx.call("cross_entropy", z, y), "cross_entropy"), ref.cross_entropy(z, y),
              "cross_entropy of large logits")


def _ce_grad(ctx):
    for z, y in ((EDGE_Z, EDGE_Y), _logits(ctx)):
        close(arr(ctx.call("cross_entropy_grad", z, y), z.shape, "cross_entropy_grad"), ref.cross_entropy_grad(z, y),
              "cross_entropy_grad")


Q2 = [
    Check("softmax", 2, "softmax of each row", _softmax),
    Check("softmax_stable", 2, "softmax does not overflow for logits in the thousands", _softmax_stable),
    Check("cross_entropy", 2, "cross_entropy is the mean negative log-probability of the labels", _ce),
    Check("cross_entropy_stable", 1, "cross_entropy is finite and exact for large logits", _ce_stable),
    Check("cross_entropy_grad", 3, "cross_entropy_grad is the gradient of the mean loss", _ce_grad),
]

# ---------------------------------------------------------------- q3 Linear layer, two-layer network


def _dims(ctx):
    return tuple(int(ctx.rng.integers(2, 7)) for _ in range(3))


# Fixed sizes (N, D, M): all different, so a transposed weight, a swapped argument or a sum over the wrong axis
# cannot have the right shape; random sizes (which may coincide) come on top.
EDGE_DIMS = ((5, 3, 4), (1, 4, 2))


def _linear_forward(ctx):
    for n, d, m in (*EDGE_DIMS, _dims(ctx)):
        x, w, b = ctx.rng.normal(size=(n, d)), ctx.rng.normal(size=(m, d)), ctx.rng.normal(size=m)
        close(arr(ctx.call("linear_forward", x, w, b), (n, m), "linear_forward"), ref.linear_forward(x, w, b),
              "linear_forward")


def _linear_backward(ctx):
    for n, d, m in (*EDGE_DIMS, _dims(ctx)):
        x, w, dout = ctx.rng.normal(size=(n, d)), ctx.rng.normal(size=(m, d)), ctx.rng.normal(size=(n, m))
        got = seq(ctx.call("linear_backward", dout, x, w), 3, "linear_backward")
        for name, g, want in zip(("dx", "dW", "db"), got, ref.linear_backward(dout, x, w)):
            close(arr(g, want.shape, f"linear_backward {name}"), want, f"linear_backward {name}")


def _numerical_gradient(ctx):
    for shape in ((3, 5), _shape(ctx.rng)):
        c, x = ctx.rng.normal(size=shape), ctx.rng.normal(size=shape)
        got, after = seq(ctx.call("numerical_gradient", c, x.copy(), adapter="numgrad"), 2, "numerical_gradient")
        if not np.array_equal(arr(after, shape, "x after numerical_gradient"), x):
            raise Fail("numerical_gradient changed x (largest change "
                       f"{np.max(np.abs(np.asarray(after, float) - x)):.3g}): put each entry back after perturbing it")
        close(arr(got, shape, "numerical_gradient"), c * np.cos(x) + x, "numerical_gradient", rtol=1e-4, atol=1e-6)


def _two_layer_cases(ctx):
    """(got, want) for fixed sizes (N, D, H, C all different; every class present) and then drawn ones."""
    n, d, h = _dims(ctx)
    for (n, d, h, c) in ((6, 4, 5, 3), (n, d, h, int(ctx.rng.integers(3, 6)))):
        x, y = ctx.rng.normal(size=(n, d)), ctx.rng.integers(0, c, size=n)
        if n >= c:
            y[:c] = np.arange(c)
        params = {"W1": ctx.rng.normal(0, 0.5, (h, d)), "b1": ctx.rng.normal(0, 0.5, h),
                  "W2": ctx.rng.normal(0, 0.5, (c, h)), "b2": ctx.rng.normal(0, 0.5, c)}
        yield seq(ctx.call("two_layer_loss", x, y, params), 2, "two_layer_loss"), ref.two_layer_loss(x, y, params)


def _two_layer_value(ctx):
    for got, (loss, _) in _two_layer_cases(ctx):
        close(num(got[0], "two_layer_loss loss"), loss, "two_layer_loss loss")


def _two_layer_grads(ctx):
    for got, (_, grads) in _two_layer_cases(ctx):
        if not isinstance(got[1], dict):
            raise Fail("two_layer_loss: the second value must be a dict of gradients with keys W1, b1, W2, b2")
        for key, want in grads.items():
            if key not in got[1]:
                raise Fail(f"two_layer_loss: no gradient for {key}")
            close(arr(got[1][key], want.shape, f"gradient of {key}"), want, f"gradient of {key}")


Q3 = [
    Check("linear_forward", 2, "linear_forward computes x @ W.T + b, W of shape (out, in)", _linear_forward),
    Check("linear_backward", 3, "linear_backward returns dx, dW, db", _linear_backward),
    Check("numerical_gradient", 2, "numerical_gradient estimates a gradient by central differences", _numerical_gradient),
    Check("two_layer_loss", 1, "two_layer_loss returns the softmax cross-entropy of the two-layer network", _two_layer_value),
    Check("two_layer_grads", 2, "two_layer_loss returns the gradient of every parameter", _two_layer_grads),
]

# ---------------------------------------------------------------- q4 PyTorch training step, evaluation


# Fixed sizes (D, H, C) all different, so a layer built the wrong way round cannot take the weights.
EDGE_TORCH = (7, 5, 3)


def _torch_case(ctx, n, dims=None):
    d, h, c = dims or (int(ctx.rng.integers(4, 9)), int(ctx.rng.integers(4, 9)), int(ctx.rng.integers(3, 6)))
    weights = [ctx.rng.normal(0, 0.5, (h, d)), ctx.rng.normal(0, 0.5, h), ctx.rng.normal(0, 0.5, (c, h)),
               ctx.rng.normal(0, 0.5, c)]
    weights = [w.astype(np.float32) for w in weights]
    return weights, ctx.rng.normal(size=(n, d)).astype(np.float32), ctx.rng.integers(0, c, size=n)


def _train_step_cases(ctx):
    for dims, n in ((EDGE_TORCH, 9), (None, int(ctx.rng.integers(6, 20)))):
        weights, x, y = _torch_case(ctx, n, dims)
        lr = 0.1 if dims else float(ctx.rng.uniform(0.05, 0.3))
        got = seq(ctx.call("train_step", weights, x, y, lr, 0.9, 3, adapter="torch_step"), 2, "train_step")
        yield got, ref.torch_steps(weights, x, y, lr, 0.9, 3)


def _train_step_loss(ctx):
    for got, (losses, _) in _train_step_cases(ctx):
        got_losses = seq(got[0], 3, "train_step")
        if not isinstance(got_losses[0], float):  # as the public check: a tensor keeps the graph alive, syncs later
            raise Fail("train_step must return the loss as a Python float (loss.item()), got "
                       f"{type(got_losses[0]).__name__}")
        close(num(got_losses[0], "train_step's returned loss"), losses[0], "train_step's returned loss", rtol=1e-4,
              atol=1e-6)


def _train_step_update(ctx):
    for got, (losses, params) in _train_step_cases(ctx):
        got_params = seq(got[1], 4, "model parameters")
        for g, want in zip(got_params, params):
            close(arr(g, want.shape, "parameters after 3 steps"), want,
                  "parameters after 3 steps (forgot zero_grad or step?)", rtol=1e-4, atol=1e-5)
        close(num(seq(got[0], 3, "train_step")[2], "third loss"), losses[2], "loss of the third step", rtol=1e-4,
              atol=1e-6)


def _eval_cases(ctx):
    """Fixed: 29 samples in batches of 8 (an uneven last batch of 5); then drawn sizes, never a whole number of
    batches."""
    n = int(ctx.rng.integers(23, 40))
    batch = int(ctx.rng.integers(5, 9))
    if n % batch == 0:
        n -= 1
    for dims, n, batch in ((EDGE_TORCH, 29, 8), (None, n, batch)):
        weights, x, y = _torch_case(ctx, n, dims)
        got = seq(ctx.call("evaluate", weights, x, y, batch, 0.5, adapter="torch_eval"), 2, "evaluate")
        yield got, ref.torch_evaluate([w.astype(float) for w in weights], x.astype(float), y)


def _evaluate_loss(ctx):
    for got, (loss, _) in _eval_cases(ctx):
        close(num(got[0], "evaluate's loss"), loss, "evaluate's mean loss per sample (eval mode? uneven last batch?)",
              rtol=1e-4, atol=1e-5)


def _evaluate_acc(ctx):
    for got, (_, acc) in _eval_cases(ctx):
        close(num(got[1], "evaluate's accuracy"), acc, "evaluate's accuracy (a fraction between 0 and 1, in eval mode)",
              rtol=0, atol=1e-6)


Q4 = [
    Check("train_step_loss", 2, "train_step returns the batch loss as a float", _train_step_loss),
    Check("train_step_update", 4, "three train_steps update the parameters exactly like SGD", _train_step_update),
    Check("evaluate_loss", 2, "evaluate returns the mean loss over every sample, in eval mode", _evaluate_loss),
    Check("evaluate_accuracy", 2, "evaluate returns the accuracy over every sample", _evaluate_acc),
]

# ---------------------------------------------------------------- q5 dropout and L2


def _dropout_train(ctx):
    for p in (0.5, float(ctx.rng.choice([0.2, 0.3, 0.6]))):  # p = 0.5 every time, another p drawn on top
        x = ctx.rng.normal(size=(100, 100)) + 3.0
        got = seq(ctx.call("dropout_forward", x, p, True, int(ctx.rng.integers(2**31)), adapter="dropout"), 2,
                  "dropout_forward")
        out, mask = arr(got[0], x.shape, "dropout output"), arr(got[1], x.shape, "dropout mask")
        kept = 1.0 / (1.0 - p)
        if not np.all(np.isclose(mask, 0) | np.isclose(mask, kept)):
            raise Fail("dropout mask: every entry must be 0 or 1 / (1 - p) (inverted dropout)")
        close(out, x * mask, "dropout output (must equal x * mask)")
        if abs(float(np.mean(mask == 0)) - p) > 0.03:
            raise Fail(f"dropout drops {np.mean(mask == 0):.0%} of the units, not a fraction p")


def _dropout_eval(ctx):
    for shape in ((3, 5), _shape(ctx.rng)):
        x = ctx.rng.normal(size=shape)
        got = seq(ctx.call("dropout_forward", x, 0.5, False, int(ctx.rng.integers(2**31)), adapter="dropout"), 2,
                  "dropout_forward")
        close(arr(got[0], x.shape, "dropout output in eval mode"), x, "dropout in eval mode must return x unchanged")


def _dropout_backward(ctx):
    for shape in ((3, 5), _shape(ctx.rng)):
        mask = (ctx.rng.random(shape) > 0.4) / 0.6
        dout = ctx.rng.normal(size=shape)
        close(arr(ctx.call("dropout_backward", dout, mask), shape, "dropout_backward"), dout * mask,
              "dropout_backward")


def _l2_penalty(ctx):
    fixed = [np.arange(-3.0, 3.0).reshape(2, 3), np.array([0.5, -1.5, 2.0]), np.ones((4, 1))]  # several, all counted
    drawn = [ctx.rng.normal(size=_shape(ctx.rng)) for _ in range(int(ctx.rng.integers(1, 4)))]
    for weights, lam in ((fixed, 0.1), (drawn, float(ctx.rng.uniform(1e-3, 0.5)))):
        want = 0.5 * lam * sum(float(np.sum(w * w)) for w in weights)
        close(num(ctx.call("l2_penalty", weights, lam), "l2_penalty"), want, "l2_penalty")


def _l2_grad(ctx):
    for w, lam in ((np.arange(-3.0, 3.0).reshape(2, 3), 0.1),
                   (ctx.rng.normal(size=_shape(ctx.rng)), float(ctx.rng.uniform(1e-3, 0.5)))):
        close(arr(ctx.call("l2_grad", w, lam), w.shape, "l2_grad"), lam * w, "l2_grad")


Q5 = [
    Check("dropout_train", 3, "training-mode dropout zeroes a fraction p and scales the rest by 1 / (1 - p)", _dropout_train),
    Check("dropout_eval", 1, "eval-mode dropout is the identity", _dropout_eval),
    Check("dropout_backward", 2, "dropout_backward passes gradients through the mask", _dropout_backward),
    Check("l2_penalty", 2, "l2_penalty is lam / 2 times the sum of squared weights", _l2_penalty),
    Check("l2_grad", 2, "l2_grad is the gradient of the penalty", _l2_grad),
]

# ---------------------------------------------------------------- q6 a model on unseen digits

TARGET = 0.90  # stated in the notebook


def _accuracy(ctx):
    if "q6_accuracy" not in ctx.memo:
        images, labels = ctx.hidden_digits()
        got = ctx.call("predict", images)
        pred = arr(got, labels.shape, "predict")
        if not np.all(pred == np.round(pred)):
            raise Fail("predict must return whole-number class labels 0-9")
        ctx.memo["q6_accuracy"] = float(np.mean(pred.astype(np.int64) == labels))
    return ctx.memo["q6_accuracy"]


def _threshold(level):
    def run(ctx):
        acc = _accuracy(ctx)
        ctx.notes.append(f"accuracy on {len(ctx.hidden_digits()[1])} unseen digits: {acc:.1%}")
        if acc < level:
            raise Fail(f"accuracy on unseen digits is {acc:.1%}, below {level:.0%}")

    return run


Q6 = [
    Check("accuracy_80", 4, "predict reaches 80% accuracy on digits the learner never saw", _threshold(0.80)),
    Check("accuracy_90", 6, "predict reaches the stated 90% accuracy on digits the learner never saw", _threshold(TARGET)),
]

from .conv import Q8  # noqa: E402 - q8 (notebook 07's convolution) lives in its own module

QUESTIONS: dict[str, list[Check]] = {"q1": Q1, "q2": Q2, "q3": Q3, "q4": Q4, "q5": Q5, "q6": Q6, "q8": Q8}
POINTS: dict[str, float] = {q: float(sum(c.points for c in checks)) for q, checks in QUESTIONS.items()}
