"""NumPy by hand vs PyTorch, head to head, and fairly: what notebook 06 shows.

``head_to_head`` trains the network written in NumPy (``nnworkshop.scratch``) and the same
network in torch (``nnworkshop.models.MLP``) from **identical initial weights**, with the same
optimizer and hyperparameters, the **same mini-batches in the same order** (``nnworkshop.batches``)
and both in float32, and times both with the benchmark's own clock (``nnworkshop.timing.timed``).
torch runs on the CPU by default, like NumPy: a GPU would compare two machines, not two libraries.

``careless_setup`` is the race as it is easily set up by accident, changing several things at
once (float64 NumPy, plain SGD against momentum 0.9, different initial weights), so that the
learner can see what each difference does (docs/original_workshop.md: the workshop this course
grew from ran exactly that race). Every sentence ``conclusion()`` writes is computed
from the numbers measured in that run; nothing is assumed about which library wins. Who was faster is
``speed.race``'s call on the per-epoch times, the rule notebook 08 and ``nnworkshop bench`` use too: "too close
to call" when the epochs' spread includes no difference.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .choices import FIT_OPTIMIZERS
from .config import SIZES
from .convert import to_arrays
from .history import History
from .table import Table
from .speed import Race, race
from .timing import sync_for, timed


@dataclass
class Comparison:
    """What one head-to-head run measured.

    ``numpy_seconds`` / ``torch_seconds``: wall time of each ``fit`` call (training and the per-epoch
    test evaluation), by ``nnworkshop.timing.timed``. ``speedup`` = numpy_seconds / torch_seconds (> 1:
    torch was faster). ``*_proba``: test-set class probabilities (N, 10); ``*_pred``: their argmax.
    ``gradients_at_step0``: max over parameters of max|g_numpy - g_torch| / max|g_torch| on the first
    batch, before any update (``None`` when the two nets did not start from the same weights).
    ``initial_weight_max_diff``: largest |w_numpy - w_torch| before training (0.0 when copied).
    """

    label: str
    numpy_history: History
    torch_history: History
    numpy_seconds: float
    torch_seconds: float
    numpy_test_acc: float
    torch_test_acc: float
    numpy_proba: np.ndarray
    torch_proba: np.ndarray
    gradients_at_step0: float | None
    initial_weight_max_diff: float
    device: str
    config: dict = field(default_factory=dict)
    setup: dict = field(default_factory=dict)  # what each side used: dtype, optimizer, init

    @property
    def speedup(self) -> float:
        """numpy_seconds / torch_seconds: how many times faster torch was (below 1: slower)."""
        return self.numpy_seconds / self.torch_seconds

    @property
    def race(self) -> Race:
        """NumPy's and PyTorch's seconds per epoch as a ``speed.Race``: the verdict with its noise."""
        return race("NumPy", self.numpy_history.seconds, "PyTorch", self.torch_history.seconds)

    @property
    def numpy_pred(self) -> np.ndarray:
        return self.numpy_proba.argmax(axis=1)

    @property
    def torch_pred(self) -> np.ndarray:
        return self.torch_proba.argmax(axis=1)

    @property
    def agreement(self) -> float:
        """Share of test digits (in %) on which both networks predict the same class."""
        return 100.0 * float(np.mean(self.numpy_pred == self.torch_pred))

    def conclusion(self) -> str:
        """A few sentences about this run, every number in them measured in it."""
        c = self.config
        verdict = self.race.sentence()
        text = [
            f"On this machine ({c.get('machine', self.device)}) the NumPy network took {self.numpy_seconds:.2f} s "
            f"and PyTorch {self.torch_seconds:.2f} s on {self.device} for {c.get('epochs')} epochs of "
            f"{c.get('n_train'):,} digits (batch {c.get('batch_size')}): {verdict}.",
            f"Test accuracy: NumPy {self.numpy_test_acc:.2f} %, PyTorch {self.torch_test_acc:.2f} % "
            f"(a gap of {abs(self.numpy_test_acc - self.torch_test_acc):.2f} points); the two predict the same "
            f"class for {self.agreement:.1f} % of the {len(self.numpy_proba):,} test digits.",
        ]
        if self.gradients_at_step0 is not None:
            text.append(
                f"Both started from the same weights (largest difference {self.initial_weight_max_diff:.1g}) and "
                f"saw the same batches; on the first batch their gradients differed by at most "
                f"{self.gradients_at_step0:.1e} (relative), float32 rounding, so any later difference is rounding "
                "carried through training, not a different algorithm."
            )
        else:
            np_side, t_side = self.setup.get("numpy", {}), self.setup.get("torch", {})
            diffs = [f"{k}: NumPy {np_side[k]} vs PyTorch {t_side[k]}" for k in np_side
                     if k in t_side and np_side[k] != t_side[k]]
            if diffs:
                text.append("This was not a like-for-like race; " + "; ".join(diffs) + ".")
        return " ".join(text)

    def row(self) -> dict:
        """This run as one table row (a dict)."""
        return {
            "setup": self.label,
            "numpy s": self.numpy_seconds,
            "torch s": self.torch_seconds,
            "torch speed-up": self.speedup,
            "numpy test %": self.numpy_test_acc,
            "torch test %": self.torch_test_acc,
            "same prediction %": self.agreement,
            "step-0 grad diff": self.gradients_at_step0,
        }

    def table(self) -> "Table":
        """This run as a one-row ``Table`` (print it); ``nnworkshop.compare.table(a, b)`` puts runs together."""
        return table(self)

    def __repr__(self) -> str:
        return f"Comparison({self.label!r}, speedup={self.speedup:.2f}, numpy={self.numpy_test_acc:.2f}%, " \
               f"torch={self.torch_test_acc:.2f}%)"


def table(*comparisons: Comparison) -> Table:
    """One row per ``Comparison``, printable: ``print(table(fair, careless))``."""
    return Table(c.row() for c in comparisons)


# ---------------------------------------------------------------- helpers


def _machine(device) -> str:
    import os

    import torch

    if str(device).startswith("cuda"):
        return torch.cuda.get_device_name(device)
    return f"{os.cpu_count()} CPU cores, torch using {torch.get_num_threads()} threads"


def step0_gradients(scratch_net, torch_model, X, y, batch_size: int, seed) -> float:
    """Max relative difference between the NumPy and torch gradients on the first mini-batch that
    ``fit(..., seed=seed)`` will train on; both nets are left unchanged with their grads cleared."""
    import torch

    from .batches import epoch_orders
    from .scratch import SoftmaxCrossEntropy

    idx = next(epoch_orders(len(X), seed))[:batch_size]
    xb, yb = X[idx], y[idx]
    loss = SoftmaxCrossEntropy()
    scratch_net.zero_grad()
    loss(scratch_net(xb), yb)
    scratch_net.backward(loss.backward(), need_input_grad=False)
    ours = [p.grad.copy() for p in scratch_net.parameters()]
    scratch_net.zero_grad()

    device = next(torch_model.parameters()).device
    torch_model.zero_grad(set_to_none=True)
    out = torch_model(torch.from_numpy(xb).to(device))
    torch.nn.functional.cross_entropy(out, torch.from_numpy(yb).to(device)).backward()
    theirs = [p.grad.detach().cpu().numpy().copy() for p in torch_model.parameters()]
    torch_model.zero_grad(set_to_none=True)
    if [g.shape for g in ours] != [g.shape for g in theirs]:
        raise ValueError("the NumPy and torch networks have different parameter shapes; build both with the same sizes.")
    return max(float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)) for a, b in zip(ours, theirs))


def _weight_diff(scratch_net, torch_model) -> float:
    pairs = zip(scratch_net.parameters(), torch_model.parameters())
    return max(float(np.abs(p.data - q.detach().cpu().numpy()).max()) for p, q in pairs)


def _race(label, net, model, data, *, epochs, batch_size, optimizer, np_opt, torch_opt, device, seed,
          progress, grads, setup) -> Comparison:
    """Warm both up on a copy, then time ``scratch.fit`` and ``training.fit`` with ``timing.timed``."""
    import torch

    from . import scratch, training

    X, y, Xt, yt = data
    step0 = step0_gradients(net, model, X, y, batch_size, seed) if grads else None
    weight_diff = _weight_diff(net, model)
    # Warm-up on throwaway copies (first-call costs: BLAS/oneDNN set-up, allocator), not timed.
    warm = slice(0, min(len(X), 4 * batch_size))
    scratch.fit(copy.deepcopy(net), X[warm], y[warm], epochs=1, batch_size=min(batch_size, len(X)),
                optimizer=optimizer, seed=seed, progress=False, **np_opt)
    training.fit(copy.deepcopy(model), (X[warm], y[warm]), epochs=1, batch_size=min(batch_size, len(X)),
                 optimizer=optimizer, device=device, seed=seed, progress=False, **torch_opt)
    test_t = (torch.from_numpy(Xt), torch.from_numpy(yt))
    np_hist, np_s = timed(scratch.fit, net, X, y, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                          X_test=Xt, y_test=yt, seed=seed, progress=progress, **np_opt)
    t_hist, t_s = timed(training.fit, model, (torch.from_numpy(X), torch.from_numpy(y)), test_t, epochs=epochs,
                        batch_size=batch_size, optimizer=optimizer, device=device, seed=seed, progress=progress,
                        sync=sync_for(device), **torch_opt)
    np_hist.label, t_hist.label = f"NumPy ({label})", f"PyTorch ({label})"
    return Comparison(
        label=label,
        numpy_history=np_hist,
        torch_history=t_hist,
        numpy_seconds=np_s,
        torch_seconds=t_s,
        numpy_test_acc=np_hist.test_acc[-1],
        torch_test_acc=t_hist.test_acc[-1],
        numpy_proba=np.asarray(scratch.predict_proba(net, Xt), dtype=np.float64),
        torch_proba=training.predict_proba(model, Xt).numpy().astype(np.float64),
        gradients_at_step0=step0,
        initial_weight_max_diff=weight_diff,
        device=str(device),
        config=dict(epochs=epochs, batch_size=batch_size, optimizer=optimizer, seed=seed, n_train=len(X),
                    n_test=len(Xt), machine=_machine(device)),
        setup=setup,
    )


# ---------------------------------------------------------------- the two comparisons


def head_to_head(X_train, y_train, X_test, y_test, *, epochs: int, batch_size: int = 64, lr: float = 0.01,
                 momentum: float = 0.9, optimizer: str = "sgd", seed: int = 0, device="cpu",
                 progress: bool = True, hidden=SIZES[1:-1]) -> Comparison:
    """Train a 784-128-64-10 ReLU network (``hidden``: other hidden widths) in NumPy and in torch, fairly.

    Fair means: identical initial weights (He-initialised by ``scratch.mlp(seed=seed)`` and copied into
    the torch model), the same ``optimizer`` ('sgd' or 'adam') with the same ``lr`` / ``momentum``, the
    same batches in the same order (``seed``), float32 on both sides, torch on ``device`` ('cpu' by
    default, the machine NumPy runs on). Both ``fit`` calls are timed by ``nnworkshop.timing.timed``.
    """
    import torch

    from . import scratch
    from .models import MLP, copy_weights_from_scratch
    from .validate import check_batch_size, check_choice, check_epochs

    X, y = to_arrays((X_train, y_train), flatten=True, what="training data")
    Xt, yt = to_arrays((X_test, y_test), flatten=True, what="test data")
    sizes = (X.shape[1],) + tuple(int(h) for h in hidden) + SIZES[-1:]
    epochs, batch_size = check_epochs(epochs), check_batch_size(batch_size, len(X))
    optimizer = check_choice("optimizer", optimizer, FIT_OPTIMIZERS)
    net = scratch.mlp(sizes, "relu", seed=seed, dtype=np.float32)
    model = copy_weights_from_scratch(MLP(sizes, "relu"), net).to(device)
    opt = dict(lr=lr, momentum=momentum) if optimizer == "sgd" else dict(lr=lr)
    side = {"dtype": "float32", "optimizer": optimizer, "lr": lr, "momentum": momentum if optimizer == "sgd" else "-",
            "initial weights": f"He normal, seed {seed} (copied)"}
    label = "fair: same weights, optimizer, batches, float32"
    if sizes[1:] != SIZES[1:]:
        label += f"; {'-'.join(map(str, sizes))}"
    if torch.device(device).type != "cpu":
        label += f"; torch on {torch.device(device).type}"
    return _race(label, net, model, (X, y, Xt, yt), epochs=epochs,
                 batch_size=batch_size, optimizer=optimizer, np_opt=opt, torch_opt=opt, device=torch.device(device),
                 seed=seed, progress=progress, grads=True, setup={"numpy": side, "torch": dict(side)})


def careless_setup(X_train, y_train, X_test, y_test, *, epochs: int, batch_size: int = 64, seed: int = 0,
                   device="cpu", progress: bool = True) -> Comparison:
    """The race set up carelessly, with what makes it unfair kept on purpose.

    NumPy: float64 weights (``np.random.randn`` makes float64, so every product ran in float64), its own
    init ``randn * sqrt(1 / fan_in)``, plain SGD (lr 0.01, no momentum). PyTorch: float32, torch's default
    init, SGD lr 0.01 **with momentum 0.9**. Batches and loops are the course's own on both sides, so
    only those three choices differ from ``head_to_head``.
    """
    import torch

    from . import scratch
    from .models import MLP
    from .validate import check_batch_size, check_epochs

    X, y = to_arrays((X_train, y_train), flatten=True, what="training data")
    Xt, yt = to_arrays((X_test, y_test), flatten=True, what="test data")
    sizes = (X.shape[1],) + SIZES[1:]
    epochs, batch_size = check_epochs(epochs), check_batch_size(batch_size, len(X))
    rng = np.random.default_rng(seed)
    net = scratch.mlp(sizes, "relu", seed=seed, dtype=np.float64)
    for layer in net.layers:
        if isinstance(layer, scratch.Linear):
            layer.weight.data[...] = rng.standard_normal(layer.weight.shape) * np.sqrt(1 / layer.in_features)
    torch.manual_seed(seed)
    model = MLP(sizes, "relu").to(device)
    setup = {
        "numpy": {"dtype": "float64", "optimizer": "sgd", "lr": 0.01, "momentum": 0.0,
                  "initial weights": "randn * sqrt(1/fan_in)"},
        "torch": {"dtype": "float32", "optimizer": "sgd", "lr": 0.01, "momentum": 0.9,
                  "initial weights": "torch default (Kaiming uniform)"},
    }
    return _race("careless: float64 NumPy, plain SGD vs momentum 0.9, different inits", net, model,
                 (X, y, Xt, yt), epochs=epochs, batch_size=batch_size, optimizer="sgd",
                 np_opt=dict(lr=0.01, momentum=0.0), torch_opt=dict(lr=0.01, momentum=0.9),
                 device=torch.device(device), seed=seed, progress=progress, grads=False, setup=setup)


def verdict(fair: Comparison, careless: Comparison) -> str:
    """What the two races measured, in three sentences: float64 vs float32 time, the accuracy gaps, the winner."""
    precision = race("float64", careless.numpy_history.seconds, "float32", fair.numpy_history.seconds).sentence()
    winner = fair.race.sentence()
    return "\n".join([
        f"NumPy: {careless.numpy_seconds:.2f} s in float64 (careless row), {fair.numpy_seconds:.2f} s in float32 "
        f"(fair row); per epoch, {precision}.",
        f"Accuracy: in the careless setup PyTorch (momentum) scored "
        f"{careless.torch_test_acc - careless.numpy_test_acc:+.2f} points over NumPy (plain SGD); in the fair setup "
        f"the gap is {fair.torch_test_acc - fair.numpy_test_acc:+.2f} points.",
        f"Verdict for this machine and this network, in the fair race: {winner}.",
    ])


__all__ = ["Comparison", "Table", "table", "head_to_head", "careless_setup", "step0_gradients", "verdict"]
