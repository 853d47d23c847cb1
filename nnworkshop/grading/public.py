"""Public checks: quick feedback in the learner's own notebook, with a hint for each failure.

These checks use known values and properties only (no reference implementation lives here). They are
*not* the grade: the batch grader runs hidden checks, on inputs drawn when it grades, in another
process. ``check`` never prints solution code or hidden checks.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import public_autograd
from .public_kit import PublicCheck, _near, near  # noqa: F401 - near: for a course's own public.py
from .public_q8 import Q8

HONESTY = ("Passing the public checks does not mean full marks: the grade comes from hidden checks, run by the "
           "grader on inputs you have not seen.")


@dataclass(frozen=True)
class Outcome:
    """The result of one public check."""

    title: str
    passed: bool
    message: str = ""
    hint: str = ""


def _slope(f, x, h=1e-6):
    """Elementwise central-difference slope of an elementwise function (NotImplementedError if f is not written)."""
    up, down = f(x + h), f(x - h)
    if any(v is Ellipsis or v is None for v in (up, down)):
        raise NotImplementedError
    return (np.asarray(up, dtype=float) - np.asarray(down, dtype=float)) / (2 * h)


# ---------------------------------------------------------------- q1

X1 = np.array([[-2.0, -0.5, 0.0], [0.3, 1.0, 2.5]])


def _q1_sigmoid(ns):
    _near(ns["sigmoid"](np.array([-2.0, 0.0, 2.0])), [0.11920292202211755, 0.5, 0.8807970779778823], "sigmoid")
    _near(ns["sigmoid"](X1), 1 / (1 + np.exp(-X1)), "sigmoid of a 2-D array")


def _q1_sigmoid_big(ns):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            got = ns["sigmoid"](np.array([-1000.0, 1000.0]))
        except FloatingPointError as err:
            raise AssertionError(f"numpy warned about {err}") from None
    _near(got, [0.0, 1.0], "sigmoid of -1000 and 1000")


def _q1_grad(name, fn):
    def run(ns):
        got = ns[name](X1)
        if got is Ellipsis or got is None:
            raise NotImplementedError
        _near(got, _slope(ns[fn], X1), f"{name} vs a finite difference of your {fn}", tol=1e-5)

    return run


def _q1_tanh(ns):
    _near(ns["tanh"](np.array([-1.0, 0.0, 1.0])), [-0.7615941559557649, 0.0, 0.7615941559557649], "tanh")


def _q1_relu(ns):
    _near(ns["relu"](np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0], "relu")
    _near(ns["relu_grad"](np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 1.0], "relu_grad")


Q1 = [
    PublicCheck("sigmoid gives known values, keeps the shape", "the formula in the table above, applied to every entry.", ("sigmoid",), _q1_sigmoid),
    PublicCheck("sigmoid is stable for x = +-1000", "np.exp overflows for large -x: use exp(x) / (1 + exp(x)) where x < 0.",
                ("sigmoid",), _q1_sigmoid_big),
    PublicCheck("sigmoid_grad agrees with a finite difference", "d/dx sigmoid(x) = s * (1 - s) with s = sigmoid(x).",
                ("sigmoid", "sigmoid_grad"), _q1_grad("sigmoid_grad", "sigmoid")),
    PublicCheck("tanh gives known values", "numpy has the hyperbolic tangent built in.", ("tanh",), _q1_tanh),
    PublicCheck("tanh_grad agrees with a finite difference", "d/dx tanh(x) = 1 - tanh(x)**2.",
                ("tanh", "tanh_grad"), _q1_grad("tanh_grad", "tanh")),
    PublicCheck("relu and relu_grad give known values", "the larger of x and 0; the slope is 1 where x > 0, else 0 (also at 0).",
                ("relu", "relu_grad"), _q1_relu),
]

# ---------------------------------------------------------------- q2

Z2 = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
Y2 = np.array([0, 2])


def _q2_softmax(ns):
    _near(ns["softmax"](Z2), [[0.09003057317038046, 0.24472847105479767, 0.6652409557748219], [1 / 3] * 3], "softmax")
    _near(ns["softmax"](Z2 + 100.0), ns["softmax"](Z2), "softmax(z + 100) vs softmax(z)")


def _q2_softmax_big(ns):
    with np.errstate(over="raise", invalid="raise"):
        try:
            got = ns["softmax"](np.array([[1000.0, 1000.0], [-1000.0, 0.0]]))
        except FloatingPointError as err:
            raise AssertionError(f"numpy warned about {err}") from None
    _near(got, [[0.5, 0.5], [0.0, 1.0]], "softmax of logits near 1000")


def _q2_ce(ns):
    _near(ns["cross_entropy"](np.zeros((4, 5)), np.array([0, 1, 2, 3])), math.log(5), "cross_entropy of equal logits")
    _near(ns["cross_entropy"](Z2, Y2), 1.7531091265562448, "cross_entropy")


def _q2_ce_big(ns):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            got = ns["cross_entropy"](np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]]), np.array([2, 0]))
        except FloatingPointError as err:
            raise AssertionError(f"numpy warned about {err}") from None
    _near(got, (2000.0 + math.log(3)) / 2, "cross_entropy with logits near 1000 (a label on the smallest one)")


def _q2_grad(ns):
    _near(ns["cross_entropy_grad"](Z2, Y2),
          [[-0.45498471, 0.12236424, 0.33262048], [0.16666667, 0.16666667, -0.33333333]], "cross_entropy_grad", tol=1e-7)


Q2 = [
    PublicCheck("softmax gives known values and ignores a shift", "exponentiate z minus its row maximum, divide by the row sum.",
                ("softmax",), _q2_softmax),
    PublicCheck("softmax is stable for logits near 1000", "subtract each row's max before np.exp.", ("softmax",), _q2_softmax_big),
    PublicCheck("cross_entropy gives known values", "the mean over rows of -log(softmax(z)[i, y[i]]); log-sum-exp keeps it stable.",
                ("cross_entropy",), _q2_ce),
    PublicCheck("cross_entropy is stable for logits near 1000",
                "log(softmax) is log(0) = -inf where a probability underflows: use z - logsumexp(z) (shift by the row max).",
                ("cross_entropy",), _q2_ce_big),
    PublicCheck("cross_entropy_grad gives known values", "the probabilities minus 1 at the true class, divided by N.", ("cross_entropy_grad",), _q2_grad),
]

# ---------------------------------------------------------------- q3


def _q3_forward(ns):
    x = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])
    w = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]])  # (out_features, in_features) = (3, 2)
    b = np.array([0.5, 0.0, -1.0])
    _near(ns["linear_forward"](x, w, b), [[1.5, 2.0, 3.0], [0.5, -1.0, -2.0], [3.5, 1.0, 6.0]], "linear_forward")


def _q3_backward(ns):
    dout = np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 1.0]])        # (N, M) = (3, 2)
    x = np.array([[1.0, 2.0, 0.0], [-1.0, 0.0, 1.0], [2.0, 1.0, 1.0]])  # (N, D) = (3, 3)
    w = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])               # (M, D) = (2, 3)
    got = ns["linear_backward"](dout, x, w)
    assert isinstance(got, tuple) and len(got) == 3, "linear_backward must return a tuple (dx, dW, db)"
    want = ([[1.0, 1.0, 1.0], [2.0, 4.5, -0.5], [0.0, 1.0, -1.0]], [[-1.0, 2.0, 2.0], [0.5, -1.0, 1.5]], [3.0, 0.5])
    for name, g, expected in zip(("dx", "dW", "db"), got, want):
        _near(g, expected, f"linear_backward {name}")


def _q3_numgrad(ns):
    x = np.array([1.0, -2.0, 3.0])
    _near(ns["numerical_gradient"](lambda v: float(np.sum(v**2)), x), [2.0, -4.0, 6.0], "numerical_gradient of sum(x**2)", tol=1e-4)
    _near(x, [1.0, -2.0, 3.0], "x after numerical_gradient (it must be left unchanged)")


def _q3_two_layer(ns):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 3)), np.array([0, 1, 2, 1])
    p = {"W1": rng.normal(size=(5, 3)), "b1": rng.normal(size=5), "W2": rng.normal(size=(3, 5)), "b2": rng.normal(size=3)}
    zero = {k: np.zeros_like(v) for k, v in p.items()}
    loss0, _ = ns["two_layer_loss"](x, y, zero)
    _near(loss0, math.log(3), "two_layer_loss with all-zero parameters")
    loss, grads = ns["two_layer_loss"](x, y, p)
    for key in p:
        def f(v, key=key):
            return float(ns["two_layer_loss"](x, y, {**p, key: v})[0])

        _near(grads[key], ns["numerical_gradient"](f, p[key].copy()), f"gradient of {key} vs your numerical_gradient", tol=1e-4)


Q3 = [
    PublicCheck("linear_forward gives a known value", "x @ W.T + b: W has shape (out_features, in_features), like torch.nn.Linear.", ("linear_forward",), _q3_forward),
    PublicCheck("linear_backward gives known gradients", "use the three formulas above; db sums dout over the batch (axis 0).",
                ("linear_backward",), _q3_backward),
    PublicCheck("numerical_gradient differentiates sum(x**2) and restores x",
                "central differences, one entry at a time; put each entry back afterwards.", ("numerical_gradient",), _q3_numgrad),
    PublicCheck("two_layer_loss: log(C) at zero, gradients match finite differences",
                "backpropagate: softmax-CE grad, Linear backward, ReLU mask, Linear backward.",
                ("two_layer_loss", "numerical_gradient"), _q3_two_layer),
]

# ---------------------------------------------------------------- q4


def _tiny_torch(dropout=False):
    import torch

    torch.manual_seed(0)
    layers = [torch.nn.Linear(4, 8), torch.nn.ReLU()] + ([torch.nn.Dropout(0.5)] if dropout else []) + [torch.nn.Linear(8, 3)]
    g = torch.Generator().manual_seed(1)
    x = torch.randn(30, 4, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    return torch.nn.Sequential(*layers), x, y


def _q4_step(ns):
    import torch

    model, x, y = _tiny_torch()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    with torch.no_grad():
        before = torch.nn.functional.cross_entropy(model(x), y).item()
    loss = ns["train_step"](model, opt, x, y)
    assert isinstance(loss, float), f"train_step must return a Python float (use loss.item()), got {type(loss).__name__}"
    _near(loss, before, "the loss train_step returns (before its update)", tol=1e-5)
    losses = [ns["train_step"](model, opt, x, y) for _ in range(30)]
    assert losses[-1] < 0.8 * before, f"30 steps did not lower the loss ({before:.3f} -> {losses[-1]:.3f})"


def _q4_eval(ns):
    import torch

    model, x, y = _tiny_torch(dropout=True)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=7)
    first = ns["evaluate"](model, loader)
    assert isinstance(first, tuple) and len(first) == 2, "evaluate must return (loss, accuracy)"
    second = ns["evaluate"](model, loader)
    _near(second, first, "evaluate twice (dropout must be off: model.eval())")
    assert 0.0 <= float(first[1]) <= 1.0, f"accuracy must be a fraction in [0, 1], got {first[1]}"


Q4 = [
    PublicCheck("train_step returns the batch loss and lowers it over 30 steps",
                "zero the old gradients, compute the cross-entropy of the model's output, backpropagate, step, return the loss as a float.",
                ("train_step",), _q4_step),
    PublicCheck("evaluate returns (loss, accuracy) and is repeatable",
                "model.eval() and torch.no_grad(); weight each batch's loss by its size; accuracy as a fraction.",
                ("evaluate",), _q4_eval),
]

# ---------------------------------------------------------------- q5


def _q5_train(ns):
    x = np.full((200, 50), 2.0)
    out, mask = ns["dropout_forward"](x, 0.3, train=True, rng=np.random.default_rng(0))
    out, mask = np.asarray(out, float), np.asarray(mask, float)
    assert out.shape == x.shape and mask.shape == x.shape, "out and mask must have x's shape"
    assert abs(np.mean(mask == 0) - 0.3) < 0.03, f"{np.mean(mask == 0):.0%} of units dropped, expected about 30%"
    assert np.allclose(mask[mask != 0], 1 / 0.7), "kept units must be scaled by 1 / (1 - p) (inverted dropout)"
    _near(out, x * mask, "out vs x * mask")


def _q5_eval(ns):
    x = np.arange(6.0).reshape(2, 3)
    out, _ = ns["dropout_forward"](x, 0.5, train=False, rng=np.random.default_rng(0))
    _near(out, x, "dropout in eval mode")
    _near(ns["dropout_backward"](np.ones((2, 3)), np.array([[0.0, 2.0, 2.0], [2.0, 0.0, 2.0]])),
          [[0.0, 2.0, 2.0], [2.0, 0.0, 2.0]], "dropout_backward")


def _q5_l2(ns):
    _near(ns["l2_penalty"]([np.ones((2, 2)), np.full(3, 2.0)], 0.1), 0.5 * 0.1 * (4 + 12), "l2_penalty")
    _near(ns["l2_grad"](np.full((2, 2), 3.0), 0.1), np.full((2, 2), 0.3), "l2_grad")


Q5 = [
    PublicCheck("dropout_forward drops about p and scales by 1 / (1 - p)",
                "keep each unit with probability 1 - p (draw from rng) and divide the kept ones by 1 - p.", ("dropout_forward",), _q5_train),
    PublicCheck("eval-mode dropout is the identity; dropout_backward uses the mask", "in eval mode nothing is dropped: x comes back unchanged, with a mask of ones.",
                ("dropout_forward", "dropout_backward"), _q5_eval),
    PublicCheck("l2_penalty and l2_grad give known values", "half of lambda times the sum of squares; its gradient is lambda times W.",
                ("l2_penalty", "l2_grad"), _q5_l2),
]

# ---------------------------------------------------------------- q6


def _q6_predict(ns):
    from nnworkshop.data import mnist_arrays

    x, y = mnist_arrays(train=True, limit=500)
    pred = np.asarray(ns["predict"](x))
    assert pred.shape == (500,), f"predict must return one label per image, shape (500,), got {pred.shape}"
    assert np.all((pred >= 0) & (pred <= 9) & (pred == np.round(pred))), "labels must be whole numbers 0-9"
    acc = float(np.mean(pred == y))
    assert acc >= 0.9, f"accuracy on 500 training digits is {acc:.1%}; unseen digits are harder, aim well above 90% here"


Q6 = [
    PublicCheck("predict labels training digits, above 90% on them", "train longer or wider; predict returns the class with the highest score.",
                ("predict",), _q6_predict),
]

# ---------------------------------------------------------------- q7 (its checks: public_autograd.py)

Q7 = [PublicCheck(*fields) for fields in public_autograd.CHECKS]

QUESTIONS: dict[str, list[PublicCheck]] = {"q1": Q1, "q2": Q2, "q3": Q3, "q4": Q4, "q5": Q5, "q6": Q6, "q7": Q7, "q8": Q8}


def public_file(question: str, folder=None) -> Path:
    """Where a course's own exercise keeps its public checks: ``<question>_public.py`` beside its notebook (the
    folder Jupyter runs it in), written there by ``nnworkshop exercises build --course``."""
    return Path(folder or Path.cwd()) / f"{question}_public.py"


def checks_for(question: str) -> list[PublicCheck] | None:
    """``question``'s public checks: a built-in exercise's from this module, a course's own from its
    ``<question>_public.py`` (``CHECKS = [PublicCheck(...), ...]``); None when there are none here."""
    if question in QUESTIONS:
        return QUESTIONS[question]
    path = public_file(question) if re.fullmatch(r"[A-Za-z_]\w*", str(question)) else None
    if path is None or not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"_nnw_public_{question}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    checks = getattr(module, "CHECKS", None)
    if not isinstance(checks, (list, tuple)) or not all(isinstance(c, PublicCheck) for c in checks):
        raise ValueError(f"{path.name} must define CHECKS, a list of nnworkshop.grading.public.PublicCheck")
    return list(checks)


def _unknown(question: str) -> ValueError:
    return ValueError(f"unknown question {question!r}; the questions are {', '.join(QUESTIONS)} (e.g. check('q3')). "
                      f"An exercise of your instructor's own course finds its public checks in {question}_public.py "
                      "beside its notebook: put that file (it comes with the exercise) in the notebook's folder.")


def run_public(question: str, namespace: dict) -> list[Outcome]:
    """Run ``question``'s public checks against the functions in ``namespace``; never raises for learner errors."""
    checks = checks_for(question)
    if checks is None:
        raise _unknown(question)
    outcomes = []
    for pc in checks:
        missing = [n for n in pc.names if not callable(namespace.get(n))]
        if missing:
            outcomes.append(Outcome(pc.title, False, f"{', '.join(missing)} is not defined yet (run its cell first)", pc.hint))
            continue
        try:
            pc.run(namespace)
            outcomes.append(Outcome(pc.title, True))
        except NotImplementedError:
            outcomes.append(Outcome(pc.title, False, "not written yet (it raises NotImplementedError or returns ... / None)", pc.hint))
        except AssertionError as err:
            outcomes.append(Outcome(pc.title, False, str(err), pc.hint))
        except Exception as err:  # noqa: BLE001 - the learner's code may raise anything
            outcomes.append(Outcome(pc.title, False, f"raised {type(err).__name__}: {err}", pc.hint))
    return outcomes


def check(question: str, *functions, **named) -> None:
    """Run ``question``'s public checks and print each as PASS/FAIL with a hint.

    ``check("q3", linear_forward)`` uses the function(s) given (matched by name); names not given are read
    from the notebook that called it, so ``check("q3")`` checks every function of the question.
    """
    caller = inspect.currentframe().f_back
    namespace = dict(caller.f_globals) if caller is not None else {}
    for fn in functions:
        if not callable(fn):
            raise TypeError(f"check({question!r}, ...) takes your functions, got {type(fn).__name__}; e.g. check('q1', sigmoid)")
        namespace[getattr(fn, "__name__", "")] = fn
    namespace.update(named)
    if checks_for(question) is None and getattr(sys.modules.get("nnworkshop.grading.child"), "GRADING", False):
        print(f"{question}: the public checks are not run while grading (the grader runs its own)")
        return  # a course's own exercise: its <question>_public.py stays beside the learner's notebook
    outcomes = run_public(question, namespace)
    wanted = {getattr(f, "__name__", "") for f in functions} | set(named)
    if wanted:
        keep = [o for o, pc in zip(outcomes, checks_for(question))
                if wanted & set(pc.names) and all(callable(namespace.get(n)) for n in pc.names)]
        outcomes = keep or outcomes
    print(f"{question}: public checks")
    for o in outcomes:
        if o.passed:
            print(f"  PASS  {o.title}")
        else:
            print(f"  FAIL  {o.title}\n        {o.message}\n        hint: {o.hint}")
    n = sum(o.passed for o in outcomes)
    print(f"{question}: {n}/{len(outcomes)} public checks passed. {HONESTY}")
