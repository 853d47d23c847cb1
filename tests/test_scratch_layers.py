"""nnworkshop.scratch layers: shapes, maths, initialisation, modes, dtypes, and no torch import."""

import subprocess
import sys

import numpy as np
import pytest

import nnworkshop.scratch as S


def test_import_scratch_does_not_import_torch():
    code = (
        "import sys, numpy as np\n"
        "import nnworkshop.scratch as S\n"
        "X, y = S.xor_data()\n"
        "S.fit(S.xor_net(), X, y, epochs=2, batch_size=4, progress=False)\n"
        "S.gradient_check(S.xor_net(), X, y)\n"
        "assert 'torch' not in sys.modules, 'nnworkshop.scratch imported torch'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_linear_mirrors_torch_shapes_and_computes_x_wT_plus_b():
    layer = S.Linear(5, 3, rng=0)
    assert layer.weight.data.shape == (3, 5) and layer.bias.data.shape == (3,)
    layer.bias.data[:] = [1.0, -2.0, 0.5]
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(layer(x), x @ layer.weight.data.T + layer.bias.data, rtol=1e-6)
    assert [p.name for p in layer.parameters()] == ["weight", "bias"]


def test_he_and_xavier_initialisation_statistics_and_zero_bias():
    he = S.Linear(1000, 400, init="he", rng=0, dtype=np.float64)
    assert he.weight.data.std() == pytest.approx(np.sqrt(2 / 1000), rel=0.02)
    assert abs(he.weight.data.mean()) < 0.002
    xa = S.Linear(300, 200, init="xavier", rng=0, dtype=np.float64)
    limit = np.sqrt(6 / 500)
    assert np.abs(xa.weight.data).max() <= limit
    assert np.abs(xa.weight.data).max() > 0.99 * limit
    assert xa.weight.data.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)
    small = S.Linear(300, 200, init=0.01, rng=0, dtype=np.float64)
    assert small.weight.data.std() == pytest.approx(0.01, rel=0.02)
    for layer in (he, xa, small):
        assert not layer.bias.data.any()


def test_initialisation_is_seeded_without_global_state():
    np.random.seed(123)
    a = S.mlp(seed=7)
    np.random.seed(456)
    b = S.mlp(seed=np.random.default_rng(7))
    c = S.mlp(seed=8)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert not np.array_equal(a[0].weight.data, c[0].weight.data)
    # float32 is the rounded float64 net with the same seed
    d = S.mlp(seed=7, dtype=np.float64)
    np.testing.assert_array_equal(a[0].weight.data, d[0].weight.data.astype(np.float32))


def test_mlp_structure_and_default_inits():
    net = S.mlp((784, 128, 64, 10), dropout=0.2)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert net[0] is net.layers[0] and len(net) == 7
    assert [p.shape for p in net.parameters()] == [(128, 784), (128,), (64, 128), (64,), (10, 64), (10,)]
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"]
    # sigmoid/tanh get Xavier (bounded), relu gets He (Gaussian tails beyond the Xavier bound)
    sig = S.mlp((784, 128, 10), activation="sigmoid", seed=0)
    assert np.abs(sig[0].weight.data).max() <= np.sqrt(6 / (784 + 128)) + 1e-7
    relu = S.mlp((784, 128, 10), activation="relu", seed=0)
    assert np.abs(relu[0].weight.data).max() > np.sqrt(6 / (784 + 128))
    assert type(S.mlp((2, 3, 2), activation="tanh")[1]).__name__ == "Tanh"


def test_activation_functions_and_derivatives():
    x = np.array([-3.0, -0.5, 0.5, 3.0])
    np.testing.assert_array_equal(S.relu(x), [0, 0, 0.5, 3])
    np.testing.assert_array_equal(S.relu_grad(x), [0, 0, 1, 1])
    s = S.sigmoid(x)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-x)))
    exact_sigmoid, exact_tanh = np.exp(-x) / (1 + np.exp(-x)) ** 2, 1 / np.cosh(x) ** 2
    np.testing.assert_allclose(S.sigmoid_grad(x), exact_sigmoid)  # f_grad takes the input
    np.testing.assert_allclose(S.sigmoid_grad_from_output(s), exact_sigmoid)  # f_grad_from_output the output
    np.testing.assert_allclose(S.tanh_grad(x), exact_tanh)
    np.testing.assert_allclose(S.tanh_grad_from_output(S.tanh(x)), exact_tanh)
    with np.errstate(over="raise", invalid="raise"):  # no overflow for extreme inputs
        big = S.sigmoid(np.array([-1000.0, 1000.0], dtype=np.float32))
    np.testing.assert_array_equal(big, [0.0, 1.0])


def test_softmax_is_stable_and_normalised():
    z = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise"):
        p = S.softmax(z)
        lp = S.log_softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], np.exp([-2, -1, 0]) / np.exp([-2, -1, 0]).sum())
    np.testing.assert_allclose(np.exp(lp), p)


def test_softmax_cross_entropy_value_is_mean_negative_log_probability():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 4)) * 50  # large logits: a naive exp would lose precision
    y = np.array([0, 1, 2, 3, 0, 1])
    loss = S.SoftmaxCrossEntropy()
    expected = -np.mean(S.log_softmax(z)[np.arange(6), y])
    assert loss(z, y) == pytest.approx(expected, rel=1e-12)
    uniform = loss(np.zeros((4, 10)), np.array([0, 3, 5, 9]))
    assert uniform == pytest.approx(np.log(10), rel=1e-12)


def test_dropout_inverted_scaling_and_eval_identity():
    drop = S.Dropout(0.25, rng=0)
    x = np.ones((400, 500), dtype=np.float32)
    y = drop(x)
    kept = y != 0
    assert kept.mean() == pytest.approx(0.75, abs=0.01)
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    np.testing.assert_array_equal(drop.backward(x), y)  # backward uses the same mask
    drop.eval()
    assert drop(x) is x
    np.testing.assert_array_equal(drop.backward(x), x)
    assert S.Dropout(0.0)(x) is x


def test_train_eval_modes_propagate_through_sequential():
    net = S.mlp(dropout=0.5)
    assert net.training and all(layer.training for layer in net)
    assert net.eval() is net
    assert not any(layer.training for layer in net)
    x = np.random.default_rng(0).standard_normal((3, 784)).astype(np.float32)
    np.testing.assert_array_equal(net(x), net(x))  # deterministic in eval mode
    net.train()
    assert all(layer.training for layer in net)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved_through_forward_backward_and_optimizer_steps(dtype):
    net = S.mlp((20, 16, 8, 3), dropout=0.1, seed=0, dtype=dtype)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 20))  # float64 input: must not upcast a float32 net
    y = rng.integers(0, 3, 10)
    loss = S.SoftmaxCrossEntropy()
    for opt in (S.SGD(net.parameters(), 0.1, momentum=0.9, weight_decay=1e-3),
                S.Adam(net.parameters(), weight_decay=1e-3)):
        for _ in range(2):
            logits = net(X)
            assert logits.dtype == dtype
            loss(logits, y)
            dlogits = loss.backward()
            assert dlogits.dtype == dtype
            opt.zero_grad()
            dx = net.backward(dlogits)
            assert dx.dtype == dtype
            opt.step()
            for p in net.parameters():
                assert p.data.dtype == dtype and p.grad.dtype == dtype
    assert all(v.dtype == dtype for v in opt.m + opt.v)
    S.fit(net, X, y, epochs=1, batch_size=5, progress=False)
    assert all(p.data.dtype == dtype for p in net.parameters())
    assert S.predict_proba(net, X).dtype == dtype


def test_default_dtype_is_float32():
    assert S.Linear(3, 2).weight.data.dtype == np.float32
    assert all(p.data.dtype == np.float32 for p in S.mlp().parameters())


def test_zero_grad_and_gradient_accumulation():
    layer = S.Linear(3, 2, rng=0, dtype=np.float64)
    x = np.ones((4, 3))
    g = np.ones((4, 2))
    layer(x)
    layer.backward(g)
    first = layer.weight.grad.copy()
    layer(x)
    layer.backward(g)  # backward passes add up, as in torch
    np.testing.assert_allclose(layer.weight.grad, 2 * first)
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None


def test_repr_mirrors_torch():
    text = repr(S.mlp((784, 128, 10), dropout=0.5))
    assert "(0): Linear(in_features=784, out_features=128, bias=True)" in text
    assert "(1): ReLU()" in text and "(2): Dropout(p=0.5)" in text
