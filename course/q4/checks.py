"""Hidden checks of q4, a PyTorch training step and evaluation: each asks the submission's process to compute on inputs drawn here and
compares with the reference answers (``course/reference.py``) here, in the grader. Points: ``exercise.toml``."""

from __future__ import annotations

import numpy as np

from nnworkshop.grading.checking import Check, Fail, arr, close, num, seq

from .. import reference as ref


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


CHECKS = [
    Check("train_step_loss", "train_step returns the batch loss as a float", _train_step_loss),
    Check("train_step_update", "three train_steps update the parameters exactly like SGD", _train_step_update),
    Check("evaluate_loss", "evaluate returns the mean loss over every sample, in eval mode", _evaluate_loss),
    Check("evaluate_accuracy", "evaluate returns the accuracy over every sample", _evaluate_acc),
]
