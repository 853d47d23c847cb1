"""Choose on validation, test once: the split, fit's val=, and the labels that say which set a curve is."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnworkshop import plots
from nnworkshop.splits import validation_indices, validation_split
from nnworkshop.training import fit


def test_the_split_is_disjoint_complete_and_seeded():
    train, val = validation_indices(100, 20, seed=3)
    assert len(val) == 20 and len(train) == 80 and not set(train) & set(val)
    assert sorted(np.concatenate([train, val])) == list(range(100))
    assert np.array_equal(val, validation_indices(100, 20, seed=3)[1])
    assert not np.array_equal(val, validation_indices(100, 20, seed=4)[1])


def test_arrays_and_tensors_split_into_the_same_digits():
    X, y = np.arange(60).reshape(30, 2), np.arange(30)
    (xa, ya), (xv, yv) = validation_split(X, y, 5, seed=1)
    (ta, tya), (tv, tyv) = validation_split(torch.from_numpy(X), torch.from_numpy(y), 5, seed=1)
    assert np.array_equal(xv, tv.numpy()) and np.array_equal(ya, tya.numpy()) and len(ya) == 25


@pytest.mark.parametrize("n_val", [0, 30, -1, 2.5, True])
def test_a_split_that_leaves_nothing_is_refused_with_the_fix(n_val):
    with pytest.raises(ValueError, match="the validation split needs between 1 and 29"):
        validation_split(np.zeros((30, 2)), np.zeros(30), n_val)


def _blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.normal(size=(n, 8)).astype(np.float32) + 3 * np.eye(3, 8, dtype=np.float32)[y]
    return torch.from_numpy(X), torch.from_numpy(y)


def test_fit_scores_the_validation_split_and_says_so():
    X, y = _blobs()
    train, val = validation_split(X, y, 60)
    model = torch.nn.Sequential(torch.nn.Linear(8, 3))
    h = fit(model, train, val=val, epochs=2, lr=0.1, seed=0, progress=False, device="cpu")
    assert h.held_out == "validation" and len(h.test_acc) == 2 and h.config["n_val"] == 60
    assert h.val_acc == h.test_acc and h.val_loss == h.test_loss and "val_acc=" in repr(h)
    fig = plots.curves(h, labels=["run"])
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels == ["run train acc", "run validation acc"]
    plain = fit(torch.nn.Sequential(torch.nn.Linear(8, 3)), train, val, epochs=1, seed=0, progress=False, device="cpu")
    assert plain.held_out == "test" and plain.config["n_test"] == 60
    with pytest.raises(AttributeError, match=r"scored on the test set.*fit\(\.\.\., val=\(X_val, y_val\)\)"):
        plain.val_acc  # choosing code that reads val_acc cannot pick on test digits by mistake
    assert "test_acc=" in repr(plain)


def test_the_numpy_fit_takes_a_validation_split_the_same_way():
    from nnworkshop import scratch as S

    X, y = (t.numpy() for t in _blobs())
    (Xt, yt), (Xv, yv) = validation_split(X, y, 60)
    make = lambda: S.Sequential(S.Linear(8, 3, rng=0))  # noqa: E731
    h = S.fit(make(), Xt, yt, X_val=Xv, y_val=yv, epochs=2, lr=0.1, seed=0, progress=False)
    same = S.fit(make(), Xt, yt, X_test=Xv, y_test=yv, epochs=2, lr=0.1, seed=0, progress=False)
    assert h.held_out == "validation" and same.held_out == "test"
    assert h.val_acc == same.test_acc and len(h.val_acc) == 2  # the same numbers, named for their role
    with pytest.raises(ValueError, match="one held-out set per run"):
        S.fit(make(), Xt, yt, X_val=Xv, y_val=yv, X_test=Xv, y_test=yv, epochs=1, progress=False)


def test_val_and_test_together_are_refused_with_the_fix():
    X, y = _blobs()
    with pytest.raises(ValueError, match=r"one held-out set per run.*evaluate\(model, test\)"):
        fit(torch.nn.Sequential(torch.nn.Linear(8, 3)), (X, y), (X, y), val=(X, y), epochs=1, progress=False)
