"""nnworkshop.scratch's convolution and max-pooling: the loop and im2col versions agree, the backward passes match
finite differences and torch's autograd (float64), bad shapes fail with the fix, and the NumPy CNN learns digits."""

import numpy as np
import pytest

import nnworkshop.scratch as S

CONFIGS = [  # (N, C, H, W, F, kernel, stride, padding)
    (2, 1, 7, 7, 3, 3, 1, 0),
    (2, 3, 8, 6, 4, 3, 1, 1),
    (3, 2, 9, 9, 2, 3, 2, 1),
    (1, 2, 6, 7, 3, 2, 2, 0),
    (2, 1, 5, 5, 2, 5, 1, 2),
]


def random_case(n, c, h, w, f, k, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, k, k)), rng.standard_normal(f)


@pytest.mark.parametrize("n,c,h,w,f,k,stride,padding", CONFIGS)
def test_im2col_convolution_equals_the_loops(n, c, h, w, f, k, stride, padding):
    x, weight, b = random_case(n, c, h, w, f, k)
    fast, _ = S.conv2d_forward(x, weight, b, stride, padding)
    slow = S.conv2d_loop(x, weight, b, stride, padding)
    assert fast.shape == slow.shape == (n, f, S.output_size(h, k, stride, padding), S.output_size(w, k, stride, padding))
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)


def test_convolution_is_a_cross_correlation_on_a_hand_worked_example():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])  # top-left minus bottom-right
    out = S.conv2d_loop(x, w)
    np.testing.assert_array_equal(out, np.full((1, 1, 3, 3), -5.0))  # x[i, j] - x[i+1, j+1] = -5 everywhere
    np.testing.assert_array_equal(S.conv2d_forward(x, w)[0], out)


def test_col2im_is_the_adjoint_of_im2col():
    # <im2col(x), g> == <x, col2im(g)> for every x and g: col2im is exactly im2col's backward
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 6))
    cols = S.im2col(x, 3, 3, stride=2, padding=1)
    g = rng.standard_normal(cols.shape)
    assert np.sum(cols * g) == pytest.approx(np.sum(x * S.col2im(g, x.shape, 3, 3, stride=2, padding=1)), rel=1e-12)


@pytest.mark.parametrize("n,c,h,w,f,k,stride,padding", CONFIGS)
def test_conv2d_layer_gradients_match_finite_differences(n, c, h, w, f, k, stride, padding):
    layer = S.Conv2d(c, f, k, stride=stride, padding=padding, rng=0)
    layer.bias.data[...] = np.random.default_rng(2).standard_normal(f)
    x = np.random.default_rng(3).standard_normal((n, c, h, w))
    errors = S.check_layer(layer, x)
    assert set(errors) == {"input", "weight", "bias"}
    assert max(errors.values()) < 1e-6, errors


def test_maxpool_gradients_match_finite_differences():
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 8))  # continuous values: no ties
    for layer in (S.MaxPool2d(2), S.MaxPool2d(3, stride=1), S.MaxPool2d(3, stride=2)):
        errors = S.check_layer(layer, x)
        assert errors["input"] < 1e-6, (layer, errors)


def test_a_small_cnn_passes_the_whole_network_gradient_check():
    net = S.cnn((2, 3), n_classes=4, image_size=8, seed=0)
    X = np.random.default_rng(5).standard_normal((3, 1, 8, 8))
    errors = S.gradient_check(net, X, np.array([0, 3, 1]))
    assert set(errors) == {"0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"}
    assert max(errors.values()) < 1e-5, errors


@pytest.mark.parametrize("n,c,h,w,f,k,stride,padding", CONFIGS)
def test_conv2d_forward_and_backward_equal_torch_in_float64(n, c, h, w, f, k, stride, padding):
    torch = pytest.importorskip("torch")
    x, weight, b = random_case(n, c, h, w, f, k, seed=6)
    out, cache = S.conv2d_forward(x, weight, b, stride, padding)
    dout = np.random.default_rng(7).standard_normal(out.shape)
    dx, dw, db = S.conv2d_backward(dout, cache)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, weight, b))
    t_out = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=padding)
    t_out.backward(torch.tensor(dout))
    for ours, theirs in ((out, t_out), (dx, tx.grad), (dw, tw.grad), (db, tb.grad)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel,stride", [(2, 2), (3, 1), (3, 2)])
def test_maxpool_equals_torch_in_float64_ties_included(kernel, stride):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x = rng.integers(0, 3, (2, 2, 7, 8)).astype(np.float64)  # few values: many windows hold tied maxima
    out, cache = S.maxpool_forward(x, kernel, stride)
    dout = rng.standard_normal(out.shape)
    tx = torch.tensor(x, requires_grad=True)
    t_out = torch.nn.functional.max_pool2d(tx, kernel, stride)
    t_out.backward(torch.tensor(dout))
    np.testing.assert_array_equal(out, t_out.detach().numpy())
    np.testing.assert_allclose(S.maxpool_backward(dout, cache), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_flatten_round_trips_the_shape():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    layer = S.Flatten()
    assert layer(x).shape == (2, 12)
    np.testing.assert_array_equal(layer.backward(layer(x)), x)


def test_bad_input_names_the_fix():
    layer = S.Conv2d(1, 4, 3)
    with pytest.raises(ValueError, match=r"reshape\(-1, 1, 28, 28\)"):
        layer(np.zeros((5, 784), np.float32))
    with pytest.raises(ValueError, match="expects images of shape \\(N, 1, H, W\\)"):
        layer(np.zeros((5, 3, 28, 28), np.float32))
    with pytest.raises(ValueError, match="in_channels must match"):
        S.conv2d_forward(np.zeros((1, 2, 5, 5)), np.zeros((3, 1, 3, 3)))
    with pytest.raises(ValueError, match="more padding"):
        S.conv2d_loop(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="kernel_size and stride >= 1"):
        S.Conv2d(1, 4, 0)
    with pytest.raises(ValueError, match="does not fit"):
        S.maxpool_forward(np.zeros((1, 1, 2, 2)), 3)
    with pytest.raises(ValueError, match="halved at most"):
        S.cnn((4, 4, 4, 4, 4, 4), image_size=28)


def test_conv2d_weight_layout_and_init_follow_torch():
    layer = S.Conv2d(3, 5, 4, rng=0)
    assert layer.weight.shape == (5, 3, 4, 4) and layer.bias.shape == (5,)
    # He init: std sqrt(2 / fan_in), fan_in = in_channels * k * k (torch's fan-in for conv weights)
    big = S.Conv2d(16, 64, 3, rng=0)
    assert big.weight.data.std() == pytest.approx(np.sqrt(2 / (16 * 9)), rel=0.05)
    again = S.Conv2d(3, 5, 4, rng=0)
    np.testing.assert_array_equal(layer.weight.data, again.weight.data)


def test_the_numpy_cnn_learns_stand_in_digits(synthetic_mnist_root):
    from nnworkshop.data import mnist_arrays

    X, y = mnist_arrays(train=True, root=synthetic_mnist_root, flatten=False)
    X_test, y_test = mnist_arrays(train=False, root=synthetic_mnist_root, flatten=False)
    net = S.cnn(seed=0)
    history = S.fit(net, X, y, epochs=3, batch_size=32, lr=0.05, momentum=0.9, X_test=X_test, y_test=y_test,
                    seed=0, progress=False)
    assert history.test_acc[-1] >= 80.0, history.test_acc
    assert S.predict(net, X_test).shape == (len(X_test),)
    with pytest.raises(ValueError, match="expects images"):
        S.fit(S.cnn(seed=0), X.reshape(len(X), -1), y, epochs=1, progress=False)
