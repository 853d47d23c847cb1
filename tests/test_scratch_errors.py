"""nnworkshop.scratch refuses bad input with messages that name the fix."""

import math

import numpy as np
import pytest

import nnworkshop.scratch as S
from nnworkshop.validate import DivergenceError


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((100, 784)).astype(np.float32), rng.integers(0, 10, 100)


def fit(X, y, **kw):
    kw.setdefault("epochs", 1)
    kw.setdefault("progress", False)
    return S.fit(S.mlp(), X, y, **kw)


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "fast"])
def test_bad_learning_rate(data, lr):
    X, y = data
    with pytest.raises(ValueError, match="learning rate must be a finite number > 0"):
        fit(X, y, lr=lr)
    with pytest.raises(ValueError, match="learning rate must be a finite number > 0"):
        S.SGD(S.mlp().parameters(), lr=lr)
    with pytest.raises(ValueError, match="learning rate must be a finite number > 0"):
        S.Adam(S.mlp().parameters(), lr=lr)


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5])
def test_bad_momentum(data, momentum):
    X, y = data
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        fit(X, y, momentum=momentum)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        S.SGD(S.mlp().parameters(), lr=0.1, momentum=momentum)


def test_bad_weight_decay_and_adam_settings():
    params = S.mlp().parameters()
    with pytest.raises(ValueError, match=r"weight_decay \(L2\) must be a finite number >= 0"):
        S.SGD(params, lr=0.1, weight_decay=-1)
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0, 1\)"):
        S.Adam(params, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="eps must be > 0"):
        S.Adam(params, eps=0)
    with pytest.raises(ValueError, match="empty parameter list"):
        S.SGD([], lr=0.1)


@pytest.mark.parametrize("p", [-0.1, 1.0, 2])
def test_bad_dropout(p):
    with pytest.raises(ValueError, match=r"dropout p must be in \[0, 1\)"):
        S.Dropout(p)
    with pytest.raises(ValueError, match=r"dropout p must be in \[0, 1\)"):
        S.mlp(dropout=p)


@pytest.mark.parametrize("epochs", [0, -1, 2.5])
def test_bad_epochs(data, epochs):
    X, y = data
    with pytest.raises(ValueError, match="epochs must be a whole number >= 1"):
        fit(X, y, epochs=epochs)


def test_bad_batch_size(data):
    X, y = data
    with pytest.raises(ValueError, match="batch_size must be a whole number >= 1"):
        fit(X, y, batch_size=0)
    with pytest.raises(ValueError, match=r"batch_size=101 is larger than the training set \(100 samples\)"):
        fit(X, y, batch_size=101)
    fit(X, y, batch_size=100)  # the whole set as one batch is fine


def test_input_shape_mismatch_names_both_shapes(data):
    X, y = data
    msg = r"input has 783 features but Linear\(784, 128\) expects 784"
    with pytest.raises(ValueError, match=msg):
        fit(X[:, :783], y)
    with pytest.raises(ValueError, match=msg):
        S.mlp()(X[:, :783])
    with pytest.raises(ValueError, match=msg):
        S.predict(S.mlp(), X[:, :783])
    with pytest.raises(ValueError, match=r"got shape \(100, 28, 28\).*X.reshape\(len\(X\), -1\)"):
        S.mlp()(np.zeros((100, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"X has 100 rows, y has shape \(99,\)"):
        fit(X, y[:99])


def test_labels_outside_the_classes(data):
    X, y = data
    bad = y.copy()
    bad[5] = 10
    msg = r"labels must be in \[0, 10\) for a 10-class output, found values from 0 to 10"
    with pytest.raises(ValueError, match=msg):
        fit(X, bad)
    bad[5] = -1
    with pytest.raises(ValueError, match=r"found values from -1 to 9"):
        fit(X, bad)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        S.SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="labels must be whole numbers"):
        S.SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\)"):
        fit(X, y, X_test=X, y_test=y + 1)


def test_unknown_names_list_the_valid_ones(data):
    X, y = data
    with pytest.raises(ValueError, match="unknown activation 'gelu'; valid names: relu, tanh, sigmoid, leaky_relu"):
        S.mlp(activation="gelu")
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'; valid names: sgd, adam"):
        fit(X, y, optimizer="rmsprop")
    with pytest.raises(ValueError, match="unknown init 'glorot'; valid names: he, xavier"):
        S.Linear(3, 2, init="glorot")


def test_huge_learning_rate_raises_divergence_error_naming_epoch_and_batch(data):
    X, y = data
    with pytest.raises(DivergenceError, match=r"at epoch 1, batch \d+\. Lower the learning rate \(lr=1e\+30\)") as info:
        fit(X, y, epochs=3, batch_size=10, lr=1e30)
    err = info.value
    assert err.epoch == 1 and 2 <= err.batch <= 10
    assert not math.isfinite(err.loss)
    assert err.history.diverged and err.history.epochs == 0
