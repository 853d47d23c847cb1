"""The course's CNN (notebook 07): the torch ``models.CNN`` is the NumPy ``scratch.cnn`` layer for layer, trains
through ``training.fit`` on images or flat rows, beats the MLP on real digits; its filters and maps are drawn."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import nnworkshop.scratch as S
from nnworkshop import data, plots
from nnworkshop.models import CNN, MLP
from nnworkshop.splits import validation_split
from nnworkshop.training import evaluate, fit


def test_cnn_from_scratch_computes_the_numpy_networks_logits():
    net = S.cnn((4, 6), seed=3)
    for layer in net.parameters():  # non-zero biases too, so a bias mix-up would show
        layer.data += np.random.default_rng(0).standard_normal(layer.shape).astype(np.float32) * 0.1
    model = CNN.from_scratch(net)
    assert model.channels == (4, 6)
    x = np.random.default_rng(1).standard_normal((5, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        ours = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, net(x), rtol=1e-4, atol=1e-4)


def test_cnn_gradients_equal_the_numpy_backward():
    net = S.cnn((3, 4), seed=0)
    model = CNN.from_scratch(net).double()
    x = np.random.default_rng(2).standard_normal((4, 1, 28, 28))
    y = np.array([1, 7, 3, 0])
    loss_fn = S.SoftmaxCrossEntropy()
    net64 = S.cnn((3, 4), seed=0, dtype=np.float64)
    for p, q in zip(net64.parameters(), net.parameters()):
        p.data[...] = q.data
    loss_fn(net64(x), y)
    net64.backward(loss_fn.backward())
    torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    for p, q in zip(model.parameters(), net64.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad, rtol=1e-6, atol=1e-9)


def test_cnn_takes_images_or_flat_rows_and_names_the_fix_otherwise():
    model = CNN()
    images = torch.randn(3, 1, 28, 28)
    assert model(images).shape == (3, 10)
    torch.testing.assert_close(model(images.reshape(3, 784)), model(images))
    with pytest.raises(ValueError, match="784"):
        model(torch.randn(3, 1, 20, 20))
    with pytest.raises(ValueError, match="halved at most"):
        CNN((4,) * 6)
    assert sum(p.numel() for p in CNN((8, 16)).parameters()) == (8 * 9 + 8) + (16 * 8 * 9 + 16) + (16 * 49 * 10 + 10)


def test_fit_trains_the_cnn_on_stand_in_digits(synthetic_mnist_root):
    train = data.mnist_tensors(train=True, root=synthetic_mnist_root, flatten=False)
    test = data.mnist_tensors(train=False, root=synthetic_mnist_root, flatten=False)
    torch.manual_seed(0)
    h = fit(CNN(), train, test, epochs=3, lr=0.05, momentum=0.9, seed=0, progress=False)
    assert h.test_acc[-1] >= 80.0, h.test_acc


def test_cnn_beats_the_mlp_on_real_digits(real_mnist_root):
    X, y = data.mnist_tensors(train=True, root=real_mnist_root, flatten=False)
    train, val = validation_split(X, y, n_val=len(X) // 10, seed=0)
    test = data.mnist_tensors(train=False, root=real_mnist_root, flatten=False)
    runs = {}
    for name, make in (("cnn", CNN), ("mlp", MLP)):
        torch.manual_seed(0)  # the initial weights
        model = make()
        h = fit(model, train, val=val, epochs=5, lr=0.05, momentum=0.9, seed=0, progress=False)
        runs[name] = (h.test_acc[-1], evaluate(model, test)[1])
    print(f"validation / test accuracy: {runs}")
    assert runs["cnn"][1] >= 95.0
    assert runs["cnn"][1] - runs["mlp"][1] >= 2.0  # on 8,000 test digits 2 points are 160 digits


def test_filters_and_feature_maps_draw_one_panel_each():
    w = np.random.default_rng(0).standard_normal((8, 1, 3, 3))
    fig = plots.filters(w)
    assert isinstance(fig, Figure)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 8 and drawn[0].get_title() == "filter 0"
    vmin, vmax = drawn[0].images[0].get_clim()
    assert vmin == -vmax == -np.abs(w).max()  # one scale centred at 0: red and blue mean the same in every panel
    maps = np.random.default_rng(1).random((6, 14, 14))
    fig = plots.feature_maps(maps, image=np.zeros(784))
    drawn = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in drawn] == ["input"] + [f"channel {i}" for i in range(6)]
    assert drawn[0].images[0].get_array().shape == (28, 28)
    with pytest.raises(ValueError, match="out\\[0\\]"):
        plots.feature_maps(maps[None])
    with pytest.raises(ValueError, match="in_channels"):
        plots.filters(w, channel=1)
    with pytest.raises(TypeError, match="never run a network"):
        plots.filters(CNN())
