"""No notebook chooses on the test set: notebooks 04, 05 and 07 train, compare and choose on validation digits, and
measure the test digits once, at the end; no notebook trains on, scores runs against, or picks by test digits.

Read from the notebooks' code (their py:percent twins), not from a promise: every place a test-set name is read
is listed, and the only ones allowed are where the test digits are loaded, counted for a print, and measured in
the one final cell, after the last training or sweep call.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_NAMES = {"test", "X_test", "y_test", "test_set", "test_loader"}
TRAINING_CALLS = {"fit", "run", "sweep", "train_one_epoch", "ExperimentDashboard"}


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def reads_of_test_set(source: str) -> dict:
    """``{"measured": [(line, call) that read a test name, "(in a loop)" added where it repeats], "trained": [(line, call) of training calls],
    "choices": [lines where a training or selection call reads a test name]}``."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    measured, choices, trained = [], [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in TRAINING_CALLS:
            trained.append((node.lineno, _call_name(node)))
        if not (isinstance(node, ast.Name) and node.id in TEST_NAMES and isinstance(node.ctx, ast.Load)):
            continue
        if isinstance(parents.get(node), ast.Call) and parents[node].func is node:  # 04's function test(...)
            continue
        call, up = None, parents.get(node)
        while up is not None and call is None:  # the innermost call that reads it, not inside len()/print()
            if isinstance(up, ast.Call) and _call_name(up) not in ("len", "print", "DataLoader", "tuple"):
                call = up
            up = parents.get(up)
        if call is None:
            continue
        name = _call_name(call)
        in_loop, up = False, parents.get(call)
        while up is not None:
            in_loop = in_loop or isinstance(up, (ast.For, ast.While, ast.comprehension, ast.ListComp, ast.DictComp))
            up = parents.get(up)
        if name in TRAINING_CALLS | {"max", "min", "sorted"}:
            choices.append(call.lineno)
        else:
            measured.append((call.lineno, name + (" (in a loop)" if in_loop else "")))
    return {"measured": sorted(set(measured)), "trained": sorted(trained), "choices": sorted(set(choices))}


def choices_by_test_scores(source: str) -> list[int]:
    """Lines of a ``max`` / ``min`` / ``sorted`` call that reads a run's ``test_acc`` / ``test_loss``: a choice by
    test scores (a choice reads ``val_acc``, which a run scored on the test set refuses to give)."""
    picks = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _call_name(node) in ("max", "min", "sorted"):
            if any(isinstance(n, ast.Attribute) and n.attr in ("test_acc", "test_loss") for n in ast.walk(node)):
                picks.append(node.lineno)
    return sorted(picks)


NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.py"))


def _source(stem: str) -> str:
    return (ROOT / "notebooks" / f"{stem}.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_no_notebook_trains_scores_or_chooses_on_test_digits(stem):
    source = _source(stem)
    assert reads_of_test_set(source)["choices"] == [], f"{stem} trains on or scores runs against test digits"
    assert choices_by_test_scores(source) == [], f"{stem} picks by test scores at lines {choices_by_test_scores(source)}"


@pytest.mark.parametrize("stem, measure", [("04_pytorch_mlp", "test"), ("05_experiments", "evaluate"),
                                           ("07_convolutions", "evaluate (in a loop)")])  # 07: each chosen model once
def test_the_test_set_is_measured_once_after_every_choice(stem, measure):
    reads = reads_of_test_set(_source(stem))
    assert reads["choices"] == [], f"{stem} trains or chooses on test digits at lines {reads['choices']}"
    finals = [line for line, name in reads["measured"] if name == measure]
    assert len(finals) == 1, f"{stem} measures the test set at {reads['measured']}: once, at the end"
    training = [line for line, name in reads["trained"] if name in ("fit", "run", "sweep", "train_one_epoch")]
    assert training and max(training) < finals[0], f"{stem} trains after its final test measurement: {reads}"


def test_the_check_catches_a_sweep_on_the_test_set():
    bad = ("train, val = split()\ntest = (X_test, y_test)\n"
           "h = fit(model, train, test, epochs=2)\nbest = max(runs, key=lambda r: r.test_acc[-1])\n"
           "evaluate(model, test)\n")
    reads = reads_of_test_set(bad)
    assert reads["choices"] == [3] and [name for _, name in reads["measured"]] == ["evaluate"]
    good = bad.replace("fit(model, train, test, epochs=2)", "fit(model, train, val=val, epochs=2)")
    assert reads_of_test_set(good)["choices"] == []
    assert choices_by_test_scores(bad) == [4]  # the max over test_acc
    assert choices_by_test_scores(good.replace("r.test_acc", "r.val_acc")) == []
