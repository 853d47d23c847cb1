"""One convention from notebook to exercise: the library's functions and the exercises' reference answers
(what q1 and q2 grade against) take the same arguments and agree on the same inputs.

``f_grad(x)`` takes the input, ``f_grad_from_output(y)`` the output; a loss named plainly takes logits. A learner
who follows ``nnworkshop.scratch`` or notebook 01 can no longer fail q1 by passing what the library expects.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest

from nnworkshop import scratch
from nnworkshop.grading import course

reference = course.module(course.resolve(), "reference")  # the course folder's answers

ROOT = Path(__file__).resolve().parents[1]
X = np.array([-1000.0, -20.0, -3.0, -0.5, 0.0, 0.5, 3.0, 20.0, 1000.0])
Z = np.array([[2.0, 1.0, 0.1], [1000.0, 1000.0, -1000.0], [-3.0, 0.0, 3.0], [0.0, 0.0, 0.0]])
Y = np.array([0, 2, 1, 1])
ELEMENTWISE = ["sigmoid", "sigmoid_grad", "tanh_grad", "relu", "relu_grad"]
LOSSES = ["cross_entropy", "cross_entropy_grad"]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_q1_functions_agree_with_the_library_on_the_same_input(name):
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(getattr(scratch, name)(X), getattr(reference, name)(X), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", LOSSES + ["softmax"])
def test_q2_functions_agree_with_the_library_on_logits(name):
    args = (Z,) if name == "softmax" else (Z, Y)
    np.testing.assert_allclose(getattr(scratch, name)(*args), getattr(reference, name)(*args), rtol=1e-12, atol=1e-12)


def test_the_output_forms_are_named_as_such_and_agree():
    s, t = scratch.sigmoid(X), np.tanh(X)
    np.testing.assert_allclose(scratch.sigmoid_grad_from_output(s), reference.sigmoid_grad(X), atol=1e-300)
    np.testing.assert_allclose(scratch.tanh_grad_from_output(t), reference.tanh_grad(X))
    # the old trap: the input form fed an output gives a different number (so the names must differ)
    assert not np.allclose(scratch.sigmoid_grad(s), reference.sigmoid_grad(X))


@pytest.mark.parametrize("name", ELEMENTWISE + LOSSES)
def test_the_exercises_ask_for_the_same_arguments(name):
    """The exercise notebooks' stubs take what the library's functions take (input x; logits z and labels y)."""
    source = "\n".join("".join(c["source"]) for q in ("q1_activations", "q2_softmax")
                       for c in json.loads((ROOT / "exercises" / f"{q}.ipynb").read_text(encoding="utf-8"))["cells"]
                       if c["cell_type"] == "code")
    params = list(inspect.signature(getattr(scratch, name)).parameters)
    library = "(x)" if name in ELEMENTWISE else "(logits, y)"
    exercise = "(x)" if name in ELEMENTWISE else "(z, y)"
    assert f"def {name}{exercise}:" in source, f"the exercise's {name} does not take {exercise}"
    assert f"({', '.join(params)})" == library, f"scratch.{name} takes {params}, not {library}"
