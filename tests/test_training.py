"""nnworkshop.training: the fast fit/evaluate loops, their checks, and what they promise."""

import os
import signal

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import Subset, TensorDataset

from nnworkshop import data
from nnworkshop.batches import batch_slices, epoch_orders
from nnworkshop.models import MLP, WorkshopDropoutMLP, WorkshopMLP
from nnworkshop.training import CHECK_EVERY, evaluate, fit, pick_device, predict_proba, to_tensors
from nnworkshop.validate import DivergenceError


@pytest.fixture(scope="module")
def synth(synthetic_mnist_root):
    """Synthetic digits as (X, y) tensors: 600 train, 200 test, flattened and normalised."""
    train = data.mnist_tensors(train=True, root=synthetic_mnist_root)
    test = data.mnist_tensors(train=False, root=synthetic_mnist_root)
    return train, test


def _model(seed=0, cls=MLP, **kw):
    torch.manual_seed(seed)
    return cls(**kw)


def _numbers(h):
    return (h.train_loss, h.train_acc, h.test_loss, h.test_acc)


def _same_weights(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


# ----------------------------------------------------------------------------- accuracy on real digits


@pytest.mark.real_mnist
def test_original_recipe_reaches_90_percent_on_real_digits(real_mnist_root):
    train = data.mnist_tensors(train=True, root=real_mnist_root)
    test = data.mnist_tensors(train=False, root=real_mnist_root)
    assert len(train[0]) == 6000 and len(test[0]) == 8000
    model = _model(0)
    h = fit(model, train, test, epochs=5, optimizer="sgd", lr=0.01, momentum=0.9, batch_size=64,
            seed=0, progress=False)
    print(f"\nMLP, SGD lr=0.01 momentum=0.9, 5 epochs on 6,000 real digits: "
          f"test accuracy {h.test_acc[-1]:.2f}% on 8,000; train {h.train_acc[-1]:.2f}%")
    assert h.epochs == 5 and len(h.test_acc) == 5
    assert h.test_acc[-1] >= 90.0
    assert h.train_loss[-1] < h.train_loss[0]
    assert evaluate(model, test) == pytest.approx((h.test_loss[-1], h.test_acc[-1]), rel=1e-6)


def test_learns_the_synthetic_digits(synth):
    train, test = synth
    h = fit(_model(0), train, test, epochs=8, lr=0.05, momentum=0.9, seed=0, progress=False)
    assert h.test_acc[-1] >= 90.0, h
    assert h.train_loss[-1] < h.train_loss[0] / 4


# ----------------------------------------------------------------------------- reproducibility


def test_same_seed_gives_identical_history_and_weights(synth):
    train, test = synth
    runs = []
    for _ in range(2):
        model = _model(1, WorkshopDropoutMLP)  # dropout: torch's RNG must be seeded by fit too
        runs.append((fit(model, train, test, epochs=3, lr=0.05, momentum=0.9, seed=7, progress=False), model))
    (h1, m1), (h2, m2) = runs
    assert _numbers(h1) == _numbers(h2)
    assert _same_weights(m1, m2)
    h3 = fit(_model(1, WorkshopDropoutMLP), train, test, epochs=3, lr=0.05, momentum=0.9, seed=8, progress=False)
    assert h3.train_loss != h1.train_loss  # the seed matters


def test_batches_follow_nnworkshop_batches():
    n, batch_size, epochs, seed = 100, 16, 3, 5
    X = torch.zeros(n, 784)
    X[:, 0] = torch.arange(n, dtype=torch.float32)  # each sample carries its own index
    y = torch.arange(n) % 10
    model = _model(0)
    seen = []
    model.register_forward_pre_hook(lambda module, args: seen.append(args[0][:, 0].long().tolist()))
    fit(model, (X, y), epochs=epochs, batch_size=batch_size, seed=seed, progress=False)

    orders = epoch_orders(n, seed, shuffle=True)
    perms = [next(orders) for _ in range(epochs)]
    expected = [perm[s:e].tolist() for perm in perms for s, e in batch_slices(n, batch_size)]
    assert seen == expected

    seen.clear()
    fit(model, (X, y), epochs=1, batch_size=batch_size, shuffle=False, progress=False)
    assert seen == [list(range(s, e)) for s, e in batch_slices(n, batch_size)]


# ----------------------------------------------------------------------------- data forms


def test_to_tensors_matches_torchvisions_per_sample_transforms(synthetic_mnist_root):
    from torchvision import transforms as T

    for transform in (None, T.ToTensor(), data.default_transform(),
                      T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.25,))])):
        ds = data.mnist(train=False, root=synthetic_mnist_root, transform=transform)
        X, y = to_tensors(ds)
        if transform is None:
            ds.transform = data.default_transform()  # what fit assumes for PIL images
        per_sample = torch.stack([ds[i][0] for i in range(len(ds))])
        assert X.shape == (200, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.long
        assert torch.equal(X, per_sample)
        assert torch.equal(y, torch.tensor([ds[i][1] for i in range(len(ds))]))
    X, _ = to_tensors(data.mnist(train=False, root=synthetic_mnist_root))
    assert torch.equal(X.reshape(200, -1), data.mnist_tensors(train=False, root=synthetic_mnist_root)[0])


def test_every_data_form_gives_identical_training(synthetic_mnist_root):
    from torchvision import transforms as T

    root = synthetic_mnist_root
    X, y = data.mnist_tensors(train=True, root=root, flatten=False)
    forms = {
        "tensors": (X, y),
        "ndarrays": (X.numpy(), y.numpy()),
        "float64 ndarrays": (X.double().numpy(), y.numpy().astype(np.int32)),
        "TensorDataset": TensorDataset(X, y),
        "torchvision MNIST": data.mnist(train=True, root=root),
        "Subset": Subset(data.mnist(train=True, root=root), list(range(len(y)))),
        # an unrecognised transform: stacked item by item, once
        "generic dataset": data.mnist(train=True, root=root,
                                      transform=T.Compose([data.default_transform(), T.Lambda(lambda t: t)])),
    }
    test = data.mnist(train=False, root=root)
    results = {}
    for name, train in forms.items():
        model = _model(3)
        results[name] = (_numbers(fit(model, train, test, epochs=2, lr=0.05, seed=0, progress=False)), model)
    ref_numbers, ref_model = results.pop("tensors")
    for name, (numbers, model) in results.items():
        assert numbers == ref_numbers, name
        assert _same_weights(model, ref_model), name


# ----------------------------------------------------------------------------- stopping


def test_divergence_names_epoch_and_batch():
    torch.manual_seed(0)
    X, y = torch.randn(512, 784) * 10, torch.randint(0, 10, (512,))
    with pytest.raises(DivergenceError) as info:
        fit(_model(0), (X, y), epochs=3, lr=1e6, seed=0, progress=False)
    err = info.value
    assert err.epoch == 1 and err.batch >= 1
    assert f"at epoch 1, batch {err.batch}. Lower the learning rate (lr=1e+06)" in str(err)
    assert err.history.diverged and err.history.epochs == 0


@pytest.mark.parametrize("bad_epoch, bad_batch", [(1, 1), (1, CHECK_EVERY + 8), (2, 5), (2, 16)])
def test_divergence_reports_the_first_bad_batch_exactly(bad_epoch, bad_batch):
    X, y = torch.randn(1024, 784), torch.randint(0, 10, (1024,))  # 16 batches of 64 per epoch
    X = torch.cat([X, X, X])  # 48 batches: past the first finiteness check
    y = torch.cat([y, y, y])
    n_batches = len(batch_slices(len(X), 64))
    calls = []

    def loss_fn(out, target):  # NaN from the chosen batch on (later ones are NaN too, as in real divergence)
        calls.append(None)
        loss = F.cross_entropy(out, target)
        return loss * float("nan") if len(calls) >= (bad_epoch - 1) * n_batches + bad_batch else loss

    with pytest.raises(DivergenceError, match=f"at epoch {bad_epoch}, batch {bad_batch}\\.") as info:
        fit(_model(0), (X, y), epochs=3, loss_fn=loss_fn, seed=0, progress=False)
    assert (info.value.epoch, info.value.batch) == (bad_epoch, bad_batch)
    assert info.value.history.epochs == bad_epoch - 1


def test_callback_stop_after_first_epoch(synth):
    train, test = synth
    seen = []

    def stop(history, model):
        seen.append(history.epochs)
        return True

    h = fit(_model(0), train, test, epochs=5, seed=0, progress=False, callbacks=[stop, lambda h, m: None])
    assert seen == [1]
    assert h.epochs == 1 and len(h.test_acc) == 1 and h.interrupted


def test_keyboard_interrupt_in_a_callback_returns_the_history_so_far(synth):
    train, test = synth

    def interrupt(history, model):
        if history.epochs == 2:
            raise KeyboardInterrupt

    h = fit(_model(0), train, test, epochs=5, seed=0, progress=False, callbacks=interrupt)
    assert h.epochs == 2 and h.interrupted and not h.diverged


class _SGDThatInterrupts(torch.optim.SGD):
    """SGD that keeps a copy of the weights after each step and is interrupted at step ``at``."""

    def __init__(self, params, at, by_signal, **kw):
        super().__init__(params, **kw)
        self.at, self.by_signal, self.count, self.snapshots = at, by_signal, 0, []

    def step(self, closure=None):
        self.count += 1
        if self.count == self.at:
            if not self.by_signal:
                raise KeyboardInterrupt  # an interrupt before this step changes anything
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives in the middle of the step
        result = super().step(closure)
        self.snapshots.append([p.detach().clone() for group in self.param_groups for p in group["params"]])
        return result


@pytest.fixture
def python_ctrl_c():
    """Python's own Ctrl-C handler for the test, however pytest was started: a suite launched in the
    background (``nohup``, ``&`` in a non-interactive shell) inherits SIGINT *ignored*, and then a Ctrl-C
    never reaches ``fit``. The launcher's setting is put back afterwards."""
    launched_with = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, launched_with)


@pytest.mark.parametrize("by_signal", [False, True], ids=["KeyboardInterrupt", "SIGINT"])
def test_interrupt_keeps_the_weights_of_the_last_completed_step(synth, by_signal, python_ctrl_c):
    train, _ = synth  # 600 samples: 10 batches per epoch
    model = _model(0)
    opt = _SGDThatInterrupts(model.parameters(), at=15, by_signal=by_signal, lr=0.05, momentum=0.9)
    h = fit(model, train, epochs=4, optimizer=opt, seed=0, progress=False)
    assert h.interrupted and h.epochs == 1  # epoch 2 was cut short: not recorded
    # a raised KeyboardInterrupt stops before step 15; Ctrl-C lets step 15 finish first
    assert len(opt.snapshots) == (15 if by_signal else 14)
    for p, saved in zip(model.parameters(), opt.snapshots[-1]):
        assert torch.equal(p.detach(), saved)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


# ----------------------------------------------------------------------------- evaluate


def test_evaluate_matches_a_manual_computation(synth):
    _, (X, y) = synth
    model = _model(2, WorkshopDropoutMLP)
    model.train()
    loss, acc = evaluate(model, (X, y), batch_size=64)
    model.eval()
    with torch.no_grad():
        logits = model(X)
    assert loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert acc == pytest.approx(100.0 * (logits.argmax(1) == y).double().mean().item(), abs=1e-9)
    assert model.training is False  # left in the mode it had (eval here)
    model.train()
    evaluate(model, (X.numpy(), y.numpy()))
    assert model.training is True


def test_predict_proba_rows_are_softmax(synth):
    _, (X, _) = synth
    model = _model(0)
    probs = predict_proba(model, X[:10])
    with torch.no_grad():
        torch.testing.assert_close(probs, torch.softmax(model(X[:10]), 1))


def test_history_records_device_and_config(synth):
    train, _ = synth
    h = fit(_model(0), train, epochs=1, optimizer="adam", lr=1e-3, batch_size=32, seed=3, device="cpu",
            progress=True)
    assert h.device == "cpu" and h.epochs == 1 and h.seconds[0] > 0 and not h.test_acc
    assert {"optimizer": "adam", "lr": 1e-3, "batch_size": 32, "epochs": 1, "seed": 3}.items() <= h.config.items()
    assert pick_device("cpu") == torch.device("cpu")


def test_optimizer_instance_is_used_as_is(synth):
    train, _ = synth
    model = _model(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.07)
    h = fit(model, train, epochs=1, optimizer=opt, progress=False, seed=0)
    assert h.config["optimizer"] == "SGD" and h.config["lr"] == 0.07


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": 0}, r"learning rate must be a finite number > 0, got 0"),
        ({"lr": float("nan")}, r"learning rate must be a finite number > 0"),
        ({"momentum": 1.0}, r"momentum must be in \[0, 1\), got 1.0"),
        ({"weight_decay": -1}, r"weight_decay \(L2\) must be a finite number >= 0"),
        ({"epochs": 0}, r"epochs must be a whole number >= 1, got 0"),
        ({"epochs": 2.5}, r"epochs must be a whole number >= 1"),
        ({"batch_size": 101}, r"batch_size=101 is larger than the training set \(100 samples\)"),
        ({"batch_size": 0}, r"batch_size must be a whole number >= 1"),
        ({"optimizer": "rmsprop"}, r"unknown optimizer 'rmsprop'; valid names: sgd, adam"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    X, y = torch.randn(100, 784), torch.randint(0, 10, (100,))
    kwargs = {"epochs": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        fit(_model(0), (X, y), progress=False, **kwargs)


def test_bad_data_is_refused():
    model = _model(0)
    X, y = torch.randn(100, 784), torch.randint(0, 10, (100,))
    with pytest.raises(ValueError, match=r"training data: input has 783 features but the first layer expects 784"):
        fit(model, (X[:, :783], y), epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"test data: input has 783 features but the first layer expects 784"):
        fit(model, (X, y), (X[:, :783], y), epochs=1, progress=False)
    bad = y.clone()
    bad[3] = 10
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\) .* found values from 0 to 10"):
        fit(model, (X, bad), epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"evaluation data: labels must be in \[0, 10\)"):
        evaluate(model, (X, bad - 1))
    with pytest.raises(TypeError, match=r"inputs X have dtype torch.uint8.*X.float\(\) / 255"):
        fit(model, ((X * 255).to(torch.uint8), y), epochs=1, progress=False)
    with pytest.raises(TypeError, match=r"labels y have dtype torch.float32; they must be whole-number class indices"):
        fit(model, (X, y.float()), epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"X has 100 samples but y has 99 labels"):
        fit(model, (X, y[:99]), epochs=1, progress=False)
    with pytest.raises(TypeError, match=r"cannot use int as data"):
        fit(model, 5, epochs=1, progress=False)


def test_a_plain_sequential_is_checked_too():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with pytest.raises(ValueError, match=r"input has 783 features but the first layer expects 784"):
        fit(model, (torch.randn(64, 783), torch.randint(0, 10, (64,))), epochs=1, progress=False)
    h = fit(WorkshopMLP(), (torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))), epochs=1, progress=False)
    assert h.epochs == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_loop_does_not_sync_every_batch():
    import warnings

    X, y = torch.randn(64 * 200, 784), torch.randint(0, 10, (64 * 200,))
    model = _model(0)
    fit(model, (X[:640], y[:640]), epochs=1, device="cuda", progress=False)  # warm-up
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = fit(model, (X, y), epochs=2, device="cuda", seed=0, progress=False)
    finally:
        torch.cuda.set_sync_debug_mode(0)
    syncs = [w for w in caught if "synchroniz" in str(w.message).lower()]
    assert h.device.startswith("cuda") and h.epochs == 2
    # 200 batches per epoch: at most one check per CHECK_EVERY batches plus a few per epoch
    assert len(syncs) <= 2 * (200 // CHECK_EVERY + 4), len(syncs)


def test_seed_does_not_change_the_callers_global_torch_random_state():
    """fit(seed=...) seeds its own run (dropout masks) and leaves torch's global generator as it found it."""
    import copy

    from nnworkshop.models import MLP
    from nnworkshop.training import fit

    g = torch.Generator().manual_seed(3)
    X, y = torch.randn(64, 20, generator=g), torch.randint(0, 3, (64,), generator=g)
    model = MLP((20, 8, 3), dropout=0.5)
    twin = copy.deepcopy(model)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = fit(model, (X, y), epochs=2, batch_size=16, seed=5, progress=False)
    assert torch.equal(torch.rand(3), expected), "fit changed the global torch random state"
    torch.manual_seed(999)  # whatever the caller's state, the same seed gives the same dropout masks
    second = fit(twin, (X, y), epochs=2, batch_size=16, seed=5, progress=False)
    assert first.train_loss == second.train_loss
    for p, q in zip(model.parameters(), twin.parameters()):
        assert torch.equal(p, q)
