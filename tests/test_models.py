"""nnworkshop.models: the MLP, the workshop's two models, weight exchange with the NumPy nets."""

import numpy as np
import pytest
import torch
from torch import nn

from nnworkshop.models import (
    ACTIVATIONS,
    MLP,
    WorkshopDropoutMLP,
    WorkshopMLP,
    copy_weights_from_scratch,
    copy_weights_to_scratch,
)


def _types(model):
    return [type(m) for m in model.layers]


def test_mlp_default_is_784_128_64_10_relu():
    model = MLP()
    assert _types(model) == [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(128, 784), (64, 128), (10, 64)]
    assert model.in_features == 784


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_builds_and_runs(name):
    model = MLP((784, 32, 10), activation=name)
    assert isinstance(model.layers[2], ACTIVATIONS[name])
    x = torch.randn(5, 784)
    out = model(x)
    assert out.shape == (5, 10)
    expected = model.layers[3](model.layers[2](model.layers[1](x)))
    torch.testing.assert_close(out, expected, rtol=0, atol=0)


def test_one_list_of_activation_names_for_torch_numpy_and_the_dashboard():
    from nnworkshop import choices
    from nnworkshop.scratch.build import ACTIVATIONS as SCRATCH
    from nnworkshop.widgets.controls import Controls

    assert tuple(ACTIVATIONS) == tuple(choices.ACTIVATIONS)  # torch builds every name the dashboard offers
    assert set(SCRATCH) <= set(ACTIVATIONS)  # the NumPy net's names mean the same in torch
    assert set(SCRATCH) == set(choices.ACTIVATIONS) - {"gelu"}  # every NumPy layer the course wrote is offered
    assert Controls(n_train=1000).activation.options == tuple(choices.ACTIVATIONS)
    for name, cls in SCRATCH.items():  # and from_scratch reads the activation back under its name
        model = MLP.from_scratch(__import__("nnworkshop.scratch", fromlist=["mlp"]).mlp((4, 3, 2), activation=name))
        assert model.activation == name and cls.__name__ == type(model.layers[2]).__name__


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'; valid names: relu, tanh, sigmoid, gelu, leaky_relu"):
        MLP(activation="swish")


@pytest.mark.parametrize("p", [-0.1, 1.0, "half"])
def test_bad_dropout_is_refused(p):
    with pytest.raises(ValueError, match=r"dropout p must be in \[0, 1\)"):
        MLP(dropout=p)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="at least an input and an output width"):
        MLP((784,))
    with pytest.raises(ValueError, match="all >= 1"):
        MLP((784, 0, 10))


def test_flat_and_image_shaped_inputs_give_the_same_logits():
    torch.manual_seed(0)
    model = MLP()
    images = torch.randn(4, 1, 28, 28)
    torch.testing.assert_close(model(images), model(images.reshape(4, 784)), rtol=0, atol=0)


def test_wrong_number_of_features_names_both_shapes():
    with pytest.raises(ValueError, match=r"input has 783 features but the first layer expects 784 \(input shape \(2, 783\)"):
        MLP()(torch.zeros(2, 783))
    with pytest.raises(ValueError, match=r"input has 784 features .*x\.unsqueeze\(0\)"):
        MLP()(torch.zeros(784))  # a single image without its batch axis


def test_workshop_models_match_the_original_definitions():
    torch.manual_seed(0)
    original = nn.Sequential(
        nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    ours = WorkshopMLP()
    assert _types(ours) == [type(m) for m in original]
    ours.layers.load_state_dict(original.state_dict())
    x = torch.randn(8, 1, 28, 28)
    torch.testing.assert_close(ours(x), original(x), rtol=0, atol=0)

    dropout = WorkshopDropoutMLP()
    assert _types(dropout) == [nn.Flatten, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]
    assert [m.p for m in dropout.modules() if isinstance(m, nn.Dropout)] == [0.2, 0.2]
    assert [m.p for m in WorkshopDropoutMLP(0.5).modules() if isinstance(m, nn.Dropout)] == [0.5, 0.5]


def test_dropout_only_in_training_mode():
    torch.manual_seed(0)
    model = WorkshopDropoutMLP(0.5)
    x = torch.randn(16, 784)
    model.eval()
    torch.testing.assert_close(model(x), model(x), rtol=0, atol=0)
    model.train()
    assert not torch.equal(model(x), model(x))


# ----------------------------------------------------------------------------- scratch <-> torch

scratch = pytest.importorskip("nnworkshop.scratch", reason="nnworkshop.scratch (the NumPy network) is not written yet")


def _scratch_weights(net):
    return [a.copy() for layer in net.layers if hasattr(layer, "weight") for a in (layer.weight.data, layer.bias.data)]


def test_scratch_to_torch_to_scratch_round_trip_is_exact():
    net = scratch.mlp((784, 128, 64, 10), seed=1)
    before = _scratch_weights(net)
    model = MLP.from_scratch(net)
    for p, a in zip(model.parameters(), before):
        assert p.dtype == torch.float32
        np.testing.assert_array_equal(p.detach().numpy(), a)
    other = scratch.mlp((784, 128, 64, 10), seed=2)
    assert not np.array_equal(_scratch_weights(other)[0], before[0])
    assert copy_weights_to_scratch(model, other) is other
    for a, b in zip(_scratch_weights(other), before):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_torch_and_scratch_compute_the_same_outputs_after_copying():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 784)).astype(np.float32)
    for activation in ("relu", "tanh", "sigmoid", "leaky_relu"):
        net = scratch.mlp((784, 64, 32, 10), activation=activation, seed=3)
        model = MLP.from_scratch(net)
        assert model.activation == activation  # read from the scratch net's layers
        with torch.no_grad():
            ours = model(torch.from_numpy(X)).numpy()
        np.testing.assert_allclose(ours, net(X), rtol=1e-5, atol=1e-5)

    torch.manual_seed(0)
    model = MLP((784, 64, 32, 10))
    net = copy_weights_to_scratch(model, scratch.mlp((784, 64, 32, 10), seed=4))
    with torch.no_grad():
        np.testing.assert_allclose(model(torch.from_numpy(X)).numpy(), net(X), rtol=1e-5, atol=1e-5)


def test_copy_keeps_the_destination_dtype():
    net64 = scratch.mlp((784, 16, 10), seed=0, dtype=np.float64)
    torch.manual_seed(0)
    model = MLP((784, 16, 10))
    copy_weights_to_scratch(model, net64)
    assert net64.layers[0].weight.data.dtype == np.float64
    np.testing.assert_array_equal(net64.layers[0].weight.data, model.layers[1].weight.detach().double().numpy())
    copy_weights_from_scratch(model, net64)
    assert model.layers[1].weight.dtype == torch.float32


def test_from_scratch_reads_dropout_and_sizes():
    net = scratch.mlp((784, 20, 10), activation="tanh", dropout=0.3, seed=0)
    model = MLP.from_scratch(net)
    assert model.sizes == (784, 20, 10) and model.activation == "tanh" and model.dropout == 0.3


def test_copy_refuses_mismatched_layers():
    torch.manual_seed(0)
    with pytest.raises(ValueError, match="the torch model has 3 Linear layers but the scratch net has 2"):
        copy_weights_from_scratch(MLP(), scratch.mlp((784, 64, 10), seed=0))
    with pytest.raises(
        ValueError,
        match=r"Linear layer 1: torch weight has shape \(64, 128\) but the scratch weight has \(32, 128\)",
    ):
        copy_weights_to_scratch(MLP(), scratch.mlp((784, 128, 32, 10), seed=0))
    with pytest.raises(TypeError, match=r"expected a nnworkshop.scratch.Sequential"):
        copy_weights_from_scratch(MLP(), object())
