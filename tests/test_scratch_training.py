"""nnworkshop.scratch.fit: XOR (and the original failure), determinism, batch order, callbacks,
interrupts, prediction, and accuracy on the real MNIST digits."""

import gzip
import math
from pathlib import Path

import numpy as np
import pytest

import nnworkshop.scratch as S
from nnworkshop.batches import batch_slices, epoch_orders
from nnworkshop.history import History


def xor_fit(init, seed=0):
    X, y = S.xor_data()
    net = S.xor_net(seed=seed, init=init)
    # the original recipe: full-batch gradient descent, lr 0.5, 5000 epochs
    history = S.fit(net, X, y, epochs=5000, batch_size=4, lr=0.5, seed=seed, progress=False)
    return net, history


def test_xor_learned_to_100_percent_with_xavier_init():
    net, history = xor_fit("xavier")
    X, y = S.xor_data()
    np.testing.assert_array_equal(S.predict(net, X), y)
    assert history.train_loss[-1] < 0.05
    assert history.train_acc[-1] == 100.0


def test_xor_original_001_scale_init_stays_at_ln2():
    net, history = xor_fit(S.xor.ORIGINAL_INIT_STD)
    assert history.epochs == 5000
    assert all(abs(loss - math.log(2)) < 1e-3 for loss in history.train_loss)
    X, _ = S.xor_data()
    np.testing.assert_allclose(S.predict_proba(net, X), 0.5, atol=1e-3)  # still at the saddle


def test_xor_gradient_vanishes_at_zero_weights():
    # the saddle point the docstring explains: zero weights -> exactly zero gradient
    X, y = S.xor_data(np.float64)
    net = S.xor_net(init=0.0, dtype=np.float64)
    loss = S.SoftmaxCrossEntropy()
    assert loss(net(X), y) == pytest.approx(math.log(2))
    net.backward(loss.backward())
    for p in net.parameters():
        np.testing.assert_allclose(p.grad, 0.0, atol=1e-15)


def blobs(n=600, d=12, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, d)) * 2
    y = rng.integers(0, classes, n)
    X = (centres[y] + rng.standard_normal((n, d))).astype(np.float32)
    return X, y


def test_fit_learns_and_fills_history():
    X, y = blobs()
    X_train, y_train, X_test, y_test = X[:500], y[:500], X[500:], y[500:]
    net = S.mlp((12, 32, 3), seed=0)
    h = S.fit(net, X_train, y_train, epochs=5, batch_size=32, lr=0.1, momentum=0.9,
              X_test=X_test, y_test=y_test, progress=False)
    assert isinstance(h, History)
    assert h.epochs == 5 and len(h.test_loss) == len(h.test_acc) == len(h.seconds) == 5
    assert h.device == "cpu (numpy)" and not h.interrupted and not h.diverged
    assert h.train_loss[-1] < h.train_loss[0]
    assert h.test_acc[-1] > 90.0
    assert h.config["batch_size"] == 32 and h.config["optimizer"] == "sgd"
    loss, acc = S.evaluate(net, X_test, y_test)
    assert (loss, acc) == pytest.approx((h.test_loss[-1], h.test_acc[-1]))


def test_same_seed_gives_identical_histories_and_weights():
    X, y = blobs()
    runs = []
    for _ in range(2):
        net = S.mlp((12, 32, 16, 3), dropout=0.2, seed=3)
        h = S.fit(net, X, y, epochs=3, batch_size=50, optimizer="adam", lr=1e-2, seed=5, progress=False)
        runs.append((h, net))
    (h1, n1), (h2, n2) = runs
    assert h1.train_loss == h2.train_loss and h1.train_acc == h2.train_acc
    for p1, p2 in zip(n1.parameters(), n2.parameters()):
        np.testing.assert_array_equal(p1.data, p2.data)
    net = S.mlp((12, 32, 16, 3), dropout=0.2, seed=3)
    h3 = S.fit(net, X, y, epochs=3, batch_size=50, optimizer="adam", lr=1e-2, seed=6, progress=False)
    assert h3.train_loss != h1.train_loss  # a different batch order gives different numbers


@pytest.mark.parametrize("shuffle", [True, False])
def test_batch_order_comes_from_nnworkshop_batches(shuffle):
    X, y = blobs(130)
    net = S.mlp((12, 8, 3), seed=0)
    S.fit(net, X, y, epochs=2, batch_size=32, lr=0.1, seed=4, shuffle=shuffle, progress=False)

    ref = S.mlp((12, 8, 3), seed=0)
    opt, loss = S.SGD(ref.parameters(), 0.1), S.SoftmaxCrossEntropy()
    orders = epoch_orders(130, 4, shuffle)
    for _ in range(2):
        order = next(orders)
        for s, e in batch_slices(130, 32):
            loss(ref(X[order[s:e]]), y[order[s:e]])
            opt.zero_grad()
            ref.backward(loss.backward())
            opt.step()
    for p, q in zip(net.parameters(), ref.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_optimizer_instance_is_used_as_given():
    X, y = blobs()
    net = S.mlp((12, 16, 3), seed=0)
    opt = S.Adam(net.parameters(), lr=5e-3)
    h = S.fit(net, X, y, epochs=2, optimizer=opt, lr=123.0, progress=False)
    assert opt.steps[0] == 2 * len(batch_slices(len(X), 64))
    assert h.config["optimizer"] == "adam" and h.config["lr"] == 5e-3


def test_callback_stops_training_and_sees_history():
    X, y = blobs()
    seen = []

    def stop_after_three(history, model):
        seen.append((history.epochs, model))
        return history.epochs >= 3

    net = S.mlp((12, 16, 3), seed=0)
    h = S.fit(net, X, y, epochs=10, progress=False, callbacks=[stop_after_three])
    assert h.epochs == 3 and h.interrupted
    assert [e for e, _ in seen] == [1, 2, 3] and all(m is net for _, m in seen)


def test_keyboard_interrupt_returns_history_so_far_and_a_usable_model():
    X, y = blobs()

    def ctrl_c(history, model):
        if history.epochs == 2:
            raise KeyboardInterrupt

    net = S.mlp((12, 16, 3), seed=0)
    h = S.fit(net, X, y, epochs=10, lr=0.1, progress=False, callbacks=[ctrl_c])
    assert h.epochs == 2 and h.interrupted
    assert net.training  # mode restored
    assert all(np.isfinite(p.data).all() for p in net.parameters())
    assert (S.predict(net, X) == y).mean() > 0.8


def test_predict_and_predict_proba_use_eval_mode_and_restore_it():
    X, y = blobs()
    net = S.mlp((12, 64, 3), dropout=0.5, seed=0)
    S.fit(net, X, y, epochs=3, lr=0.1, progress=False)
    proba = S.predict_proba(net, X, batch_size=100)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    labels = S.predict(net, X, batch_size=7)
    np.testing.assert_array_equal(labels, proba.argmax(axis=1))
    np.testing.assert_array_equal(S.predict(net, X), labels)  # deterministic: dropout is off
    assert net.training
    net.eval()
    S.predict(net, X)
    assert not net.training


def test_progress_bar_shows_loss_and_accuracy(capsys):
    X, y = blobs(100)
    S.fit(S.mlp((12, 8, 3)), X, y, epochs=2, batch_size=20, progress=True)
    err = capsys.readouterr().err
    assert "numpy fit" in err and "loss=" in err and "acc=" in err
    S.fit(S.mlp((12, 8, 3)), X, y, epochs=2, batch_size=20, progress=False)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- real MNIST

def _read_idx(path: Path) -> np.ndarray:
    if not path.exists() and path.with_suffix(path.suffix + ".gz").exists():
        path = path.with_suffix(path.suffix + ".gz")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _mnist(root: Path, split: str):
    """Normalised (n, 784) float32 digits and int64 labels, read with NumPy from the IDX files."""
    raw = root / "MNIST" / "raw"
    prefix = "train" if split == "train" else "t10k"
    images = _read_idx(raw / f"{prefix}-images-idx3-ubyte")
    labels = _read_idx(raw / f"{prefix}-labels-idx1-ubyte")
    X = ((images.reshape(len(images), -1).astype(np.float32) / 255.0) - 0.1307) / 0.3081
    return X, labels.astype(np.int64)


@pytest.mark.real_mnist
@pytest.mark.slow
def test_784_128_64_10_relu_net_reaches_91_percent_on_real_digits(real_mnist_root):
    X, y = _mnist(real_mnist_root, "train")
    X_test, y_test = _mnist(real_mnist_root, "test")
    assert X.shape[1] == 784 and len(X) == len(y) and len(X_test) == len(y_test)
    net = S.mlp((784, 128, 64, 10), activation="relu", seed=0)
    h = S.fit(net, X, y, epochs=10, batch_size=64, optimizer="sgd", lr=0.05, momentum=0.9,
              X_test=X_test, y_test=y_test, seed=0, progress=False)
    print(f"scratch MNIST: train {len(X)}, test {len(X_test)}, test accuracy {h.test_acc[-1]:.2f} %")
    assert h.test_acc[-1] >= 91.0
    assert (S.predict(net, X_test) == y_test).mean() * 100 == pytest.approx(h.test_acc[-1])
