"""Hidden checks of q6, a model on unseen digits: each asks the submission's process to compute on inputs drawn here and
compares with the reference answers (``course/reference.py``) here, in the grader. Points: ``exercise.toml``."""

from __future__ import annotations

import numpy as np

from nnworkshop.grading.checking import Check, Fail, arr


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


CHECKS = [
    Check("accuracy_80", "predict reaches 80% accuracy on digits the learner never saw", _threshold(0.80)),
    Check("accuracy_90", "predict reaches the stated 90% accuracy on digits the learner never saw", _threshold(TARGET)),
]
