"""NumPy vs PyTorch head to head: same start, same gradients, conclusions from measured numbers."""

import numpy as np
import pytest

from nnworkshop import compare
from nnworkshop.history import History


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    from nnworkshop.data import mnist_arrays, write_synthetic_mnist

    root = write_synthetic_mnist(tmp_path_factory.mktemp("cmp"), n_train=320, n_test=100, seed=1)
    X, y = mnist_arrays(True, root, download=False)
    Xt, yt = mnist_arrays(False, root, download=False)
    return X, y, Xt, yt


@pytest.fixture(scope="module")
def fair(digits):
    return compare.head_to_head(*digits, epochs=2, batch_size=32, progress=False)


@pytest.fixture(scope="module")
def original(digits):
    return compare.careless_setup(*digits, epochs=2, batch_size=32, progress=False)


def test_fair_race_starts_from_identical_weights_and_gradients(fair):
    assert fair.initial_weight_max_diff == 0.0
    assert fair.gradients_at_step0 is not None and fair.gradients_at_step0 < 1e-5


def test_fair_race_trains_the_same_network_both_ways(fair):
    # same weights, batches and update rule: the curves agree up to float32 rounding
    np.testing.assert_allclose(fair.numpy_history.train_loss, fair.torch_history.train_loss, rtol=1e-3)
    assert abs(fair.numpy_test_acc - fair.torch_test_acc) <= 2.0
    np.testing.assert_allclose(fair.numpy_proba, fair.torch_proba, atol=1e-3)
    assert fair.agreement >= 98.0
    assert fair.numpy_proba.shape == (100, 10)
    np.testing.assert_allclose(fair.numpy_proba.sum(axis=1), 1.0, atol=1e-5)
    assert fair.numpy_history.config["dtype"] == "float32"
    assert fair.numpy_history.config["momentum"] == 0.9 and fair.torch_history.config["momentum"] == 0.9


def test_step0_gradients_notice_a_different_weight(digits):
    import torch

    from nnworkshop import scratch
    from nnworkshop.models import MLP, copy_weights_from_scratch

    X, y, _, _ = digits
    net = scratch.mlp((784, 128, 64, 10), seed=3)
    model = copy_weights_from_scratch(MLP((784, 128, 64, 10)), net)
    assert compare.step0_gradients(net, model, X, y, 32, seed=0) < 1e-5
    with torch.no_grad():
        model.layers[-1].weight[0, 0] += 0.5
    assert compare.step0_gradients(net, model, X, y, 32, seed=0) > 1e-3
    assert all(p.grad is None for p in net.parameters()) and all(p.grad is None for p in model.parameters())


def test_conclusion_quotes_the_measured_numbers(fair):
    text = fair.conclusion()
    for number in (f"{fair.numpy_seconds:.2f} s", f"{fair.torch_seconds:.2f} s", f"{fair.numpy_test_acc:.2f} %",
                   f"{fair.torch_test_acc:.2f} %", f"{fair.gradients_at_step0:.1e}"):
        assert number in text
    assert fair.speedup == pytest.approx(fair.numpy_seconds / fair.torch_seconds)
    assert "320 digits" in text and "2 epochs" in text


def _history(seconds):
    h = History()
    h.seconds = list(seconds)
    return h


def _fake(numpy_epochs, torch_epochs):
    """A Comparison whose two sides took these seconds per epoch."""
    proba = np.eye(10)[:4]
    return compare.Comparison("fake", _history(numpy_epochs), _history(torch_epochs), sum(numpy_epochs),
                              sum(torch_epochs), 90.0, 91.0, proba, proba, 1e-7, 0.0, "cpu",
                              dict(epochs=len(numpy_epochs), n_train=10, batch_size=2))


@pytest.mark.parametrize("numpy_s, torch_s, verdict", [
    ((6.0, 6.2, 5.8), (2.0, 2.0, 2.0), "PyTorch was 3.00x faster than NumPy (median; over 3 rounds"),
    ((1.0, 1.0, 1.1), (4.0, 4.1, 3.9), "NumPy was 4.00x faster than PyTorch (median; over 3 rounds"),
    ((1.0, 1.3, 0.9), (1.0, 1.0, 1.0), "too close to call (over 3 rounds, NumPy's time over PyTorch's ranged 0.90x to 1.30x"),
    ((1.0, 1.02, 1.01), (1.0, 1.0, 1.0), "too close to call"),  # a steady 1-2 % is within the margin
    ((2.0,), (1.0,), "measured once each: too few to call"),
])
def test_the_verdict_follows_the_times_and_their_noise(numpy_s, torch_s, verdict):
    assert verdict in _fake(numpy_s, torch_s).conclusion()


def test_conclusion_and_verdict_make_the_same_call_from_the_same_numbers():
    """Both once used their own tolerances and said "about the same" and "1.05x faster" of one run."""
    for numpy_s, torch_s in [((1.05, 1.06, 1.04), (1.0, 1.0, 1.0)), ((2.0, 2.1, 1.9), (1.0, 1.1, 1.0)),
                             ((1.0, 1.2, 0.9), (1.0, 1.0, 1.0))]:
        fair = _fake(numpy_s, torch_s)
        assert fair.race.sentence() in fair.conclusion()
        assert fair.race.sentence() in compare.verdict(fair, _fake((3.0, 3.0, 3.0), (1.0, 1.0, 1.0)))


def test_careless_setup_keeps_its_differences_and_says_so(original):
    assert original.gradients_at_step0 is None and original.initial_weight_max_diff > 0
    assert original.numpy_history.config["dtype"] == "float64"
    assert original.numpy_history.config["momentum"] == 0.0 and original.torch_history.config["momentum"] == 0.9
    text = original.conclusion()
    assert "momentum: NumPy 0.0 vs PyTorch 0.9" in text and "dtype: NumPy float64 vs PyTorch float32" in text
    assert f"{original.numpy_seconds:.2f} s" in text


def test_table_puts_both_setups_side_by_side(fair, original):
    rows = compare.table(fair, original)
    assert [r["setup"] for r in rows] == [fair.label, original.label]
    assert rows[0]["torch speed-up"] == pytest.approx(fair.speedup)
    text = str(rows)
    assert fair.label in text and original.label in text and f"{fair.numpy_test_acc:.2f}" in text
    assert str(fair.table()).count("\n") == 2  # header, rule, one row


def test_adam_race_also_starts_equal(digits):
    cmp = compare.head_to_head(*digits, epochs=1, batch_size=64, optimizer="adam", lr=1e-3, progress=False)
    assert cmp.gradients_at_step0 < 1e-5
    np.testing.assert_allclose(cmp.numpy_history.train_loss, cmp.torch_history.train_loss, rtol=1e-3)


def test_bad_input_is_refused_with_the_fix(digits):
    X, y, Xt, yt = digits
    with pytest.raises(ValueError, match="training data: X has 320 samples but y has 319 labels"):
        compare.head_to_head(X, y[:-1], Xt, yt, epochs=1, progress=False)
    with pytest.raises(TypeError, match=r"test data: inputs X have dtype uint8.*X / 255"):
        compare.head_to_head(X, y, (Xt * 255).astype(np.uint8), yt, epochs=1, progress=False)  # unscaled pixels
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        compare.head_to_head(X, y, Xt, yt, epochs=1, optimizer="rmsprop", progress=False)


@pytest.mark.real_mnist
def test_on_real_digits_both_learn_and_agree(real_mnist_root):
    from nnworkshop.data import mnist_arrays

    X, y = mnist_arrays(True, real_mnist_root, limit=3000, download=False)
    Xt, yt = mnist_arrays(False, real_mnist_root, limit=1000, download=False)
    cmp = compare.head_to_head(X, y, Xt, yt, epochs=2, progress=False)
    assert cmp.numpy_test_acc > 85.0 and cmp.torch_test_acc > 85.0
    assert cmp.agreement >= 97.0


@pytest.mark.parametrize("fair_s, original_s, words", [
    (((2.0, 2.0), (1.0, 1.0)), (3.0, 3.1), ["4.00 s in float32", "float32 was 1.52x faster than float64",
                                          "PyTorch was 2.00x faster than NumPy"]),
    (((1.0, 1.0), (4.0, 4.0)), (0.5, 0.5), ["float64 was 2.00x faster than float32",
                                          "NumPy was 4.00x faster than PyTorch"]),
    (((1.0, 1.02), (1.0, 1.0)), (1.01, 1.0), ["per epoch, too close to call", "fair race: too close to call"]),
])
def test_verdict_is_built_from_the_two_races(fair_s, original_s, words):
    fair, original = _fake(*fair_s), _fake(original_s, (1.0, 1.0))
    text = compare.verdict(fair, original)
    assert f"{sum(original_s):.2f} s in float64 (careless row), {sum(fair_s[0]):.2f} s in float32" in text
    assert "in the fair setup the gap is +1.00 points" in text
    for w in words:
        assert w in text, text


def test_head_to_head_with_other_hidden_widths(digits):
    cmp = compare.head_to_head(*digits, epochs=2, batch_size=32, progress=False, hidden=(16,))
    assert "784-16-10" in cmp.label and cmp.gradients_at_step0 < 1e-4
    assert cmp.numpy_proba.shape == cmp.torch_proba.shape == (len(digits[3]), 10)
