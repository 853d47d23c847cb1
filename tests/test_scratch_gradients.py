"""nnworkshop.scratch backward passes vs torch autograd and centred finite differences (float64),
and SGD/Adam vs torch.optim. torch is used here only, as the reference."""

import numpy as np
import pytest

import nnworkshop.scratch as S

torch = pytest.importorskip("torch")
F = torch.nn.functional

TORCH_TOL = 1e-6   # backprop vs torch autograd, max elementwise relative error
FD_TOL = 1e-5      # backprop vs centred finite differences


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def rng():
    return np.random.default_rng(0)


ACTIVATIONS = [
    (S.ReLU, F.relu),
    (S.Sigmoid, torch.sigmoid),
    (S.Tanh, torch.tanh),
    (lambda: S.LeakyReLU(0.1), lambda x: F.leaky_relu(x, 0.1)),
]


def test_linear_matches_torch_autograd_and_finite_differences():
    layer = S.Linear(7, 5, rng=0, dtype=np.float64)
    layer.bias.data[:] = rng().standard_normal(5)
    x = rng().standard_normal((6, 7))
    g = np.random.default_rng(1).standard_normal((6, 5))
    out = layer(x)
    dx = layer.backward(g)

    xt, wt, bt = t(x, True), t(layer.weight.data, True), t(layer.bias.data, True)
    out_t = F.linear(xt, wt, bt)
    out_t.backward(t(g))
    assert S.rel_error(out, out_t.detach().numpy()) < TORCH_TOL
    assert S.rel_error(dx, xt.grad.numpy()) < TORCH_TOL
    assert S.rel_error(layer.weight.grad, wt.grad.numpy()) < TORCH_TOL
    assert S.rel_error(layer.bias.grad, bt.grad.numpy()) < TORCH_TOL

    errors = S.check_layer(layer, x)
    assert set(errors) == {"input", "weight", "bias"}
    assert max(errors.values()) < FD_TOL, errors


@pytest.mark.parametrize("make, torch_fn", ACTIVATIONS, ids=["relu", "sigmoid", "tanh", "leaky_relu"])
def test_activation_layers_match_torch_autograd_and_finite_differences(make, torch_fn):
    layer = make()
    x = rng().standard_normal((5, 8)) * 2
    g = np.random.default_rng(1).standard_normal((5, 8))
    out = layer(x)
    dx = layer.backward(g)
    xt = t(x, True)
    out_t = torch_fn(xt)
    out_t.backward(t(g))
    assert S.rel_error(out, out_t.detach().numpy()) < TORCH_TOL
    assert S.rel_error(dx, xt.grad.numpy()) < TORCH_TOL
    errors = S.check_layer(make(), x)
    assert errors["input"] < FD_TOL, errors


def test_dropout_with_torchs_mask_matches_torch_dropout():
    p = 0.3
    x = rng().standard_normal((6, 9))
    g = np.random.default_rng(1).standard_normal((6, 9))
    xt = t(x, True)
    torch.manual_seed(0)
    out_t = F.dropout(xt, p, training=True)
    out_t.backward(t(g))
    mask = (out_t != 0).detach().numpy()
    assert 0 < mask.mean() < 1

    drop = S.Dropout(p)
    out = drop(x, mask=mask)
    dx = drop.backward(g)
    assert S.rel_error(out, out_t.detach().numpy()) < TORCH_TOL
    assert S.rel_error(dx, xt.grad.numpy()) < TORCH_TOL
    errors = S.check_layer(S.Dropout(p), x, mask=mask)
    assert errors["input"] < FD_TOL, errors


def test_softmax_cross_entropy_matches_torch_and_finite_differences():
    z = rng().standard_normal((7, 10))
    y = np.random.default_rng(1).integers(0, 10, 7)
    loss = S.SoftmaxCrossEntropy()
    value = loss(z, y)
    dz = loss.backward()
    zt = t(z, True)
    value_t = F.cross_entropy(zt, torch.tensor(y))
    value_t.backward()
    assert value == pytest.approx(value_t.item(), rel=1e-12)
    assert S.rel_error(dz, zt.grad.numpy()) < TORCH_TOL

    def fn(logits, labels):
        return loss(logits, labels), loss.backward()

    assert S.gradient_check(fn, z, y)["input"] < FD_TOL
    # large logits: torch agreement still holds (log-sum-exp), no overflow
    big = z * 500
    zt = t(big, True)
    F.cross_entropy(zt, torch.tensor(y)).backward()
    assert loss(big, y) == pytest.approx(F.cross_entropy(t(big), torch.tensor(y)).item(), rel=1e-12)
    assert S.rel_error(loss.backward(), zt.grad.numpy()) < TORCH_TOL


def torch_copy(net):
    """A torch.nn.Sequential with the scratch net's weights, through .weight.data / .bias.data."""
    layers = []
    for layer in net.layers:
        if isinstance(layer, S.Linear):
            lin = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.weight.data))
                lin.bias.copy_(torch.from_numpy(layer.bias.data))
            layers.append(lin)
        else:
            assert isinstance(layer, S.ReLU)
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def small_batch():
    r = np.random.default_rng(3)
    return r.standard_normal((8, 784)), r.integers(0, 10, 8)


def test_whole_784_128_64_10_net_matches_torch_autograd():
    X, y = small_batch()
    net = S.mlp((784, 128, 64, 10), seed=0, dtype=np.float64)
    tnet = torch_copy(net)
    loss = S.SoftmaxCrossEntropy()
    value = loss(net(X), y)
    dX = net.backward(loss.backward())

    Xt = t(X, True)
    value_t = F.cross_entropy(tnet(Xt), torch.tensor(y))
    value_t.backward()
    assert value == pytest.approx(value_t.item(), rel=1e-12)
    assert S.rel_error(dX, Xt.grad.numpy()) < TORCH_TOL
    tparams = list(tnet.parameters())
    assert len(tparams) == len(net.parameters()) == 6
    for (name, p), pt in zip(net.named_parameters(), tparams):
        assert p.grad.shape == tuple(pt.grad.shape)
        assert S.rel_error(p.grad, pt.grad.numpy()) < TORCH_TOL, name


def test_whole_net_matches_finite_differences():
    X, y = small_batch()
    net = S.mlp((784, 128, 64, 10), seed=0)  # float32 net: checked on a float64 copy
    errors = S.gradient_check(net, X, y, n_checks=60, seed=0)
    assert list(errors) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert max(errors.values()) < FD_TOL, errors
    assert net[0].weight.data.dtype == np.float32 and net[0].weight.grad is None  # untouched


def test_gradient_check_catches_a_wrong_backward():
    class BadReLU(S.ReLU):
        def backward(self, grad_out, need_input_grad=True):
            return grad_out  # forgets the derivative of relu

    X, y = small_batch()
    net = S.mlp((784, 16, 10), seed=0, dtype=np.float64)
    net.layers[1] = BadReLU()
    errors = S.gradient_check(net, X, y, n_checks=30)
    assert errors["0.weight"] > 1e-2


def run_steps(make_ours, make_torch, steps=5):
    X, y = small_batch()
    net = S.mlp((784, 32, 16, 10), seed=0, dtype=np.float64)
    tnet = torch_copy(net)
    opt, topt = make_ours(net.parameters()), make_torch(tnet.parameters())
    loss = S.SoftmaxCrossEntropy()
    yt = torch.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        loss(net(X), y)
        net.backward(loss.backward())
        opt.step()
        topt.zero_grad()
        F.cross_entropy(tnet(t(X)), yt).backward()
        topt.step()
    moved = np.abs(net[0].weight.data - S.mlp((784, 32, 16, 10), seed=0, dtype=np.float64)[0].weight.data).max()
    assert moved > 1e-4  # the optimizer really changed the weights
    for p, pt in zip(net.parameters(), tnet.parameters()):
        np.testing.assert_allclose(p.data, pt.detach().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("momentum, weight_decay", [(0.0, 0.0), (0.9, 0.0), (0.9, 1e-2), (0.5, 1e-3)])
def test_sgd_matches_torch_optim(momentum, weight_decay):
    run_steps(lambda ps: S.SGD(ps, lr=0.1, momentum=momentum, weight_decay=weight_decay),
              lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=momentum, weight_decay=weight_decay))


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_adam_matches_torch_optim(weight_decay):
    run_steps(lambda ps: S.Adam(ps, lr=1e-2, betas=(0.8, 0.99), eps=1e-7, weight_decay=weight_decay),
              lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.8, 0.99), eps=1e-7, weight_decay=weight_decay))
