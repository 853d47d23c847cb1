# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · How autograd works: a reverse-mode engine, by hand
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/notebooks/02_autograd.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fnotebooks%2F02_autograd.ipynb)
# <!-- /launch -->
#
# In 01 you wrote every backward pass by hand; from notebook 04 on, PyTorch's `loss.backward()` does it for you.
# Between the two there is no magic, only bookkeeping: every operation **records** what it was computed from and
# how to pass a gradient back, and `backward()` walks that record from the loss to the weights, applying the
# chain rule once per operation. This notebook reads such an engine (`nnworkshop.scratch.autograd`, NumPy only),
# checks it against finite differences and against PyTorch, and trains notebook 01's network with it.
#
# **You will learn**
#
# - what a computation graph is, and how each operation's backward sits right next to its forward;
# - why the graph is walked in *topological order*, and what broadcasting does to a gradient;
# - how to check an engine: finite differences, and `torch.autograd` on the very same numbers;
# - what PyTorch's `requires_grad`, `backward()`, `zero_grad()` and `no_grad()` do, in terms of the engine.
#
# Time: the last code cell prints how long the code took on your machine; take your time reading.

# %%
# Set-up (the same in every notebook): installs the course where it is missing, e.g. on Colab.
import importlib.util, sys  # noqa: E401
COURSE = "git+https://github.com/nnworkshop/nnworkshop@main"
if importlib.util.find_spec("nnworkshop") is None:
    import subprocess
    print(f"nnworkshop is not installed here: pip install {COURSE} ...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], capture_output=True, text=True)
    if pip.returncode != 0:  # say what failed and what to do, then stop the notebook here
        class CourseNotInstalled(Exception):
            _render_traceback_ = lambda self: [str(self)]  # noqa: E731 - Jupyter shows this message alone
        why = (pip.stderr.strip().splitlines() or ["pip gave no reason"])[-1][:300]
        raise CourseNotInstalled(
            f"The course could not be installed: {why}\n"
            "Check the internet connection (pip fetches the course from GitHub with git), then run this cell again."
            f"\nOr install it by hand: pip install {COURSE}\nOr, on your own machine: clone the course and run `make lab`.")
    importlib.invalidate_caches()
    print("nnworkshop installed.")
if "google.colab" in sys.modules:
    print("Colab: Runtime > Change runtime type > GPU makes training use CUDA.")
    print("MNIST (12 MB) downloads on first use.")

# %%
# %matplotlib inline
import inspect
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from nnworkshop import data, plots, scratch
from nnworkshop.config import SIZES, pick, show_quick_mode_banner
from nnworkshop.scratch import autograd_mlp
from nnworkshop.scratch.autograd import Tensor, cross_entropy, no_grad, topological_order, trace, unbroadcast
from nnworkshop.splits import validation_split

np.set_printoptions(precision=4, suppress=True)
show_quick_mode_banner()
notebook_start = time.perf_counter()

# %% [markdown]
# ## 1. One gradient by hand, then by the engine
#
# Take $L = \operatorname{relu}(a b + c)$ with $a = 2$, $b = -3$, $c = 10$. Forward: $ab = -6$, $ab + c = 4$,
# $L = 4$. Backward, from the end: the relu passes the gradient 1 through (its input is positive), the sum
# passes it unchanged to both $ab$ and $c$, and the product sends each factor the *other* factor:
# $\partial L/\partial a = b = -3$, $\partial L/\partial b = a = 2$, $\partial L/\partial c = 1$.
#
# The engine does the same. A `Tensor` wraps a NumPy array; `requires_grad=True` asks for its gradient.

# %%
a = Tensor(2.0, requires_grad=True, name="a")
b = Tensor(-3.0, requires_grad=True, name="b")
c = Tensor(10.0, requires_grad=True, name="c")
L = (a * b + c).relu()
L.backward()
print(f"L = {L.item()}   dL/da = {a.grad}   dL/db = {b.grad}   dL/dc = {c.grad}")
assert [float(t.grad) for t in (a, b, c)] == [-3.0, 2.0, 1.0]

# %% [markdown]
# ## 2. What every operation records
#
# When an operation makes a tensor out of tensors that require a gradient, it keeps three things on the result:
# its inputs (`_parents`), its name (`_op`, for drawing), and a small function `_backward` that turns the gradient
# of the output, `g`, into one gradient per input. This is the one place where that happens:

# %%
print(inspect.getsource(Tensor._result))

# %% [markdown]
# Each operation is then its forward computation with its backward beside it. Multiplication sends each input
# `g` times the *other* input, exactly as in section 1:

# %%
print(inspect.getsource(Tensor.__mul__))

# %% [markdown]
# For the matrix product, shapes decide where the transposes go (the rule from 01: a gradient has the shape of
# what it is the gradient of). With $A$ of shape (N, K), $B$ (K, M) and $g$ (N, M), only $g B^\top$ is (N, K)
# and only $A^\top g$ is (K, M):

# %%
print(inspect.getsource(Tensor.__matmul__))

# %% [markdown]
# The activations call the same functions as the layers of `nnworkshop.scratch`, and take their derivatives
# from the output, as 01 did for the sigmoid. `log_softmax` is the loss's first half; its backward is 01's
# $P - Y$ in disguise (section 6 checks it).

# %%
for op in (Tensor.relu, Tensor.sigmoid, Tensor.log_softmax):
    print(inspect.getsource(op))

# %% [markdown]
# The other operations are as short. Their docstrings, read from the engine, give each forward and its backward:

# %%
for name, member in vars(Tensor).items():
    doc = inspect.getdoc(member) or ""
    if "Backward" in doc:
        print(f"{name:<14}{' '.join(doc.split())}")

# %% [markdown]
# ## 3. Broadcasting: a bias's gradient is summed over the batch
#
# `x @ W.T + b` adds a bias of shape (H,) to every row of an (N, H) batch: NumPy *broadcasts* it. Every row used
# the same `b`, so `b`'s gradient is the sum of the rows' gradients (01's `db = dZ.sum(axis=0)`). Rather than
# every operation handling this, `backward()` sums each gradient back to its input's shape, once, here:

# %%
print(inspect.getsource(unbroadcast))

x = Tensor(np.arange(6.0).reshape(3, 2), name="x")
bias = Tensor(np.zeros(2), requires_grad=True, name="b")
(x + bias).sum().backward()
print("b.grad =", bias.grad, "  (three rows, each sending back a gradient of 1)")
assert np.array_equal(bias.grad, [3.0, 3.0])

# %% [markdown]
# ## 4. `backward()`: the graph, walked in reverse topological order
#
# A tensor can feed several others: in `a * a + a.sigmoid() * a`, `a` is used four times. Its gradient is the
# **sum** of what each use sends back, so it must be complete before it is passed on to its own inputs.
# A **topological order** lists every tensor after all of its inputs. Walked backwards, it reaches a tensor only
# after everything that used it. Depth-first search gives one:

# %%
print(inspect.getsource(topological_order))

# %% [markdown]
# `backward()` starts from $\partial L / \partial L = 1$, walks that order backwards, calls each tensor's
# `_backward`, and adds the results into its inputs' gradients. A **leaf** (a tensor you made, not the result of
# an operation) keeps its total in `.grad`, *adding* to what is already there:

# %%
print(inspect.getsource(Tensor.backward))

# %% [markdown]
# On `a * a + a.sigmoid() * a`, the order and the gradient, against the product rule worked out by hand
# ($2a + s(1 - s)\,a + s$, with $s = \sigma(a)$):

# %%
a = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, name="a")
f = (a * a + a.sigmoid() * a).sum()
print(" -> ".join(t.name or t._op for t in topological_order(f)))
f.backward()
s = 1 / (1 + np.exp(-a.data))
by_hand = 2 * a.data + s * (1 - s) * a.data + s
print("engine: ", a.grad, "\nby hand:", by_hand)
assert np.allclose(a.grad, by_hand, rtol=1e-12, atol=0)

# %% [markdown]
# ## 5. The graph of notebook 01's network
#
# 01's 2-4-2 network on the four XOR points: `x @ W1.T + b1`, a sigmoid, `@ W2.T + b2`, then the cross-entropy
# (log-softmax, pick each row's true class, average, negate). `EngineMLP` copies a `scratch` network's weights
# into tensors; its forward pass is all we write:

# %%
print(inspect.getsource(autograd_mlp.EngineMLP.__call__))
print(inspect.getsource(cross_entropy))

# %% [markdown]
# `trace` lists the recorded graph as data (nodes and edges) and `plots.computation_graph` draws it, inputs at
# the top, the loss at the bottom. Orange: the weights (leaves with `requires_grad=True`); grey: data and
# constants (the 1/N of the mean); blue: operations.

# %%
X_xor, y_xor = scratch.xor_data(np.float64)
engine = autograd_mlp.EngineMLP(scratch.xor_net(seed=0, dtype=np.float64))
loss = cross_entropy(engine(X_xor), y_xor)
nodes, edges = trace(loss)
print(f"{len(nodes)} tensors, {len(edges)} edges, loss {loss.item():.4f}")
plots.computation_graph(nodes, edges, title="the XOR network's loss, as the engine recorded it")

# %% [markdown]
# ## 6. Is it right? Two independent checks
#
# **Finite differences**, as in 01: nudge one input entry by $\pm h$, watch the output move, compare. And
# **PyTorch's autograd** on the very same float64 numbers: the code below runs unchanged on torch tensors,
# because both define the same operators. Each operation is checked through the scalar `sum(op(inputs) * R)`
# with a fixed random `R`, so every output entry gets a different gradient.

# %%
rng = np.random.default_rng(0)
A, B, row = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(3)
POS = rng.uniform(0.5, 2.0, (4, 3))  # positive, for log and division
checks = {
    "a + row": (lambda a, r: a + r, (A, row)), "a * row": (lambda a, r: a * r, (A, row)),
    "a - b": (lambda a, b: a - b, (A, POS)), "a / b": (lambda a, b: a / b, (A, POS)),
    "a ** 3": (lambda a: a ** 3, (A,)), "a @ b": (lambda a, b: a @ b, (A, B)), "a.T": (lambda a: a.T, (A,)),
    "sum(axis=0)": (lambda a: a.sum(0), (A,)), "mean()": (lambda a: a.mean(), (A,)),
    "relu": (lambda a: a.relu(), (A,)), "sigmoid": (lambda a: a.sigmoid(), (A,)), "tanh": (lambda a: a.tanh(), (A,)),
    "exp": (lambda a: a.exp(), (A,)), "log": (lambda a: a.log(), (POS,)),
    "log_softmax": (lambda a: a.log_softmax(1), (A,)), "a[rows, cols]": (lambda a: a[[0, 2, 0], [1, 1, 1]], (A,)),
}


def engine_gradients(fn, arrays, R):
    inputs = [Tensor(x.copy(), requires_grad=True) for x in arrays]
    (fn(*inputs) * R).sum().backward()
    return [t.grad for t in inputs]


def torch_gradients(fn, arrays, R):
    inputs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in arrays]
    (fn(*inputs) * torch.tensor(R)).sum().backward()
    return [t.grad.numpy() for t in inputs]


def numeric_gradients(fn, arrays, R):
    arrays = [x.copy() for x in arrays]  # nudged in place, one entry at a time
    f = lambda: float((fn(*[Tensor(x) for x in arrays]).data * R).sum())  # noqa: E731
    return [scratch.numerical_gradient(f, x, eps=1e-6).reshape(x.shape) for x in arrays]


# %%
print(f"{'operation':<15}{'vs finite differences':>23}{'vs torch.autograd':>20}")
print(f"{'':<15}{'(relative error)':>23}{'(largest |diff|)':>20}")
worst_fd = worst_torch = 0.0
for name, (fn, arrays) in checks.items():
    with no_grad():
        R = np.random.default_rng(1).standard_normal(fn(*[Tensor(x) for x in arrays]).shape)
    ours = engine_gradients(fn, arrays, R)
    fd = max(scratch.rel_error(g, n) for g, n in zip(ours, numeric_gradients(fn, arrays, R)))
    vs_torch = max(np.abs(g - t).max() for g, t in zip(ours, torch_gradients(fn, arrays, R)))
    worst_fd, worst_torch = max(worst_fd, fd), max(worst_torch, vs_torch)
    print(f"{name:<15}{fd:>23.1e}{vs_torch:>20.1e}")
print(f"worst: {worst_fd:.1e} against finite differences, {worst_torch:.1e} against torch")
assert worst_fd < 1e-6 and worst_torch < 1e-6

# %% [markdown]
# Finite differences carry their own error (about $h^2$ from the formula, plus rounding divided by $h$), which is
# why their column shows larger numbers; torch and the engine do the same arithmetic, so they agree to the last
# digits or nearly. And the whole network: the XOR loss's gradients from the engine against torch's, weight by weight.

# %%
loss.backward()  # the XOR loss drawn in section 5
W = [torch.tensor(p.data, requires_grad=True) for p in engine.parameters()]
logits = torch.sigmoid(torch.tensor(X_xor) @ W[0].T + W[1]) @ W[2].T + W[3]
torch_loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y_xor))
torch_loss.backward()
print(f"loss: engine {loss.item():.12f}, torch {torch_loss.item():.12f}")
gaps = {p.name: np.abs(p.grad - w.grad.numpy()).max() for p, w in zip(engine.parameters(), W)}
for name, gap in gaps.items():
    print(f"{name}: largest |engine - torch| = {gap:.1e}")
assert max(gaps.values()) < 1e-6

# %% [markdown]
# Try it: in `nnworkshop/scratch/autograd.py`, make `__mul__`'s backward send each input `g` times *itself*
# (`lambda g: (g * a, g * b)`), restart the kernel and rerun this section: both checks fail at once.
#
# ## 7. Training notebook 01's network with the engine
#
# 01 trained the 2-4-2 network on XOR with `scratch.fit` (lr 2.0, the four points as one batch, 5000 epochs).
# With the engine, only the backward pass changes hands: we write the forward, call `loss.backward()`, and the
# update is the very `scratch.SGD` that `scratch.fit` uses (it reads `.data` and `.grad`, which a `Tensor` has).
# The loop, with the same batches as `scratch.fit` for the same seed:

# %%
print(inspect.getsource(autograd_mlp.fit).split('"""')[-1])

# %% [markdown]
# The same network as 01's last cell (float32, seed 0, Xavier), trained both ways from the same weights:

# %%
X_xor, y_xor = scratch.xor_data()
net = scratch.xor_net(seed=0)
engine = autograd_mlp.EngineMLP(net)  # copies of the same starting weights
h_engine = autograd_mlp.fit(engine, X_xor, y_xor, epochs=5000, batch_size=4, lr=2.0, seed=0, progress=False)
h_layers = scratch.fit(net, X_xor, y_xor, epochs=5000, batch_size=4, lr=2.0, seed=0, progress=False)
loss_gap = np.abs(np.array(h_engine.train_loss) - h_layers.train_loss) / np.array(h_layers.train_loss)
print(f"final loss: hand-written backward (01) {h_layers.train_loss[-1]:.6f}, engine {h_engine.train_loss[-1]:.6f}")
print(f"largest relative difference over the 5000 epochs: {loss_gap.max():.1e} (float32 rounding)")
print("predictions:", autograd_mlp.predict(engine, X_xor), " actual:", y_xor)
assert loss_gap.max() < 1e-3 and (autograd_mlp.predict(engine, X_xor) == y_xor).all()

# %%
fig, (ax, ax_gap) = plt.subplots(1, 2, figsize=(10, 3.5))
ax.plot(h_layers.train_loss, lw=4, alpha=0.4, label="hand-written backward (scratch.fit)")
ax.plot(h_engine.train_loss, "k--", lw=1, label="autograd engine")
ax.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="XOR: the same curve")
ax.legend()
ax_gap.plot(loss_gap, ".", ms=2)  # epochs where the two agree exactly (0) are off this log scale
ax_gap.set(xlabel="epoch", ylabel="|engine - hand-written| / hand-written", yscale="log",
           title="how far apart the two are (float32)")
plt.show()

# %% [markdown]
# The two differ only where float32 rounds differently (the engine adds and multiplies in another order).
# float64 rounds far more finely (`np.finfo` says how finely, below); the same comparison in float64:

# %%
X64, y64 = scratch.xor_data(np.float64)
net64 = scratch.xor_net(seed=0, dtype=np.float64)
engine64 = autograd_mlp.EngineMLP(net64)
curve_engine = autograd_mlp.fit(engine64, X64, y64, epochs=5000, batch_size=4, lr=2.0, seed=0, progress=False).train_loss
curve_layers = scratch.fit(net64, X64, y64, epochs=5000, batch_size=4, lr=2.0, seed=0, progress=False).train_loss
gap64 = (np.abs(np.array(curve_engine) - curve_layers) / np.array(curve_layers)).max()
print(f"rounding step near 1: float32 {np.finfo(np.float32).eps:.1e}, float64 {np.finfo(np.float64).eps:.1e}")
print(f"float64: largest relative difference over the 5000 epochs {gap64:.1e}")
assert gap64 < 1e-8

# %% [markdown]
#
# ## 8. The course's MLP on digits
#
# The engine works on arrays, so it also trains the network the rest of the course uses: 784 → 128 → 64 → 10 with
# ReLU, on MNIST digits (notebook 03 looks at them closely), mini-batches of 64, SGD with momentum 0.9. Same seed,
# same batches as `scratch.fit`; a tenth of the digits is set aside to compare predictions on digits neither saw.

# %%
n_digits, epochs = pick(6000, 1000), pick(3, 2)
X, y = data.mnist_arrays(train=True, limit=n_digits)
(X_fit, y_fit), (X_val, y_val) = validation_split(X, y, n_val=n_digits // 10)
net = scratch.mlp(SIZES, seed=0)
engine = autograd_mlp.EngineMLP(net)
settings = dict(epochs=epochs, batch_size=64, lr=0.05, momentum=0.9, seed=0, progress=False)
h_engine = autograd_mlp.fit(engine, X_fit, y_fit, **settings)
h_layers = scratch.fit(net, X_fit, y_fit, **settings)
print(f"{len(X_fit)} training digits, {len(X_val)} set aside")
print(f"{'epoch':<7}{'loss, hand-written':>20}{'loss, engine':>15}{'relative gap':>15}")
for epoch, (mine, theirs) in enumerate(zip(h_layers.train_loss, h_engine.train_loss), start=1):
    print(f"{epoch:<7}{mine:>20.6f}{theirs:>15.6f}{abs(mine - theirs) / mine:>15.1e}")

# %%
pred_engine, pred_layers = autograd_mlp.predict(engine, X_val), scratch.predict(net, X_val)
acc_engine, acc_layers = 100 * np.mean(pred_engine == y_val), 100 * np.mean(pred_layers == y_val)
agree = 100 * np.mean(pred_engine == pred_layers)
print(f"accuracy on the {len(X_val)} set-aside digits: hand-written {acc_layers:.1f} %, engine {acc_engine:.1f} %")
print(f"the two networks give the same answer on {agree:.2f} % of them")
gap = max(abs(m - t) / m for m, t in zip(h_layers.train_loss, h_engine.train_loss))
assert gap < 1e-3 and agree > 99

# %% [markdown]
# ## 9. PyTorch's autograd, in terms of this engine
#
# PyTorch's autograd works the same way, written in C++, with many more operations and GPUs. Its four words:
#
# **`requires_grad`**: whether to record. An operation records its inputs and its backward only when one of its
# inputs requires a gradient (`_result` in section 2): data does not, weights do (`nn.Linear`'s weights are
# `nn.Parameter`s, which require it). In torch the record is the result's `grad_fn` (our `_op` with `_backward`);
# its `next_functions` lead to the inputs (our `_parents`):

# %%
x_t, w_t = torch.ones(3, dtype=torch.float64), torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
x_e, w_e = Tensor(np.ones(3)), Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
print("torch: ", (x_t * 2).requires_grad, (x_t * w_t).requires_grad, (x_t * w_t).grad_fn)
print("engine:", (x_e * 2).requires_grad, (x_e * w_e).requires_grad, repr((x_e * w_e)._op))

# %% [markdown]
# **`backward()`**: walk the record in reverse topological order and *add* each leaf's gradient into its
# `.grad` (section 4). Only leaves keep one: torch's intermediate results have `.grad` `None` unless you ask with
# `.retain_grad()`, as in the engine. (Torch also frees the record after `backward()` to save memory, so a second
# `backward()` through the same graph needs `retain_graph=True`; the engine keeps it.)
#
# **`zero_grad()`**: because `backward()` adds, gradients of two batches would pile up. Two backward passes,
# both engines:

# %%
for step in (1, 2):
    (w_t * w_t).sum().backward()
    (w_e * w_e).sum().backward()
    print(f"after backward() number {step}: torch {w_t.grad.numpy()}, engine {w_e.grad}")
assert np.array_equal(w_t.grad.numpy(), w_e.grad)
w_t.grad = None  # what optimizer.zero_grad() does to every weight (set_to_none=True, the default)
w_e.zero_grad()
print("after zero_grad():", w_t.grad, w_e.grad)

# %% [markdown]
# That is why the training loop calls `optimizer.zero_grad()` before every `loss.backward()` (`autograd_mlp.fit`
# above does the same with `scratch.SGD`).
#
# **`no_grad()`**: record nothing. Evaluating a network needs no backward, so under `with torch.no_grad():` no
# graph is built (less memory, less time); `autograd_mlp.predict` does the same. The weight update must not be
# recorded either: torch's optimizers update inside `no_grad()`, and `scratch.SGD` writes `.data` directly,
# which the engine never records.

# %%
with torch.no_grad():
    quiet_t = x_t * w_t
with no_grad():
    quiet_e = x_e * w_e
print("torch: ", quiet_t.requires_grad, quiet_t.grad_fn)
print("engine:", quiet_e.requires_grad, quiet_e._parents)
assert not quiet_t.requires_grad and not quiet_e.requires_grad

# %%
print(f"this notebook's code ran in {time.perf_counter() - notebook_start:.0f} s on this machine")

# %% [markdown]
# ## What to try next
#
# - Add an operation to the engine, for example `abs` (backward: `g * sign(x)`), and check it as in section 6.
#   Exercise q7 asks you to write some of the engine's backward passes.
# - Break `unbroadcast` (return `grad` unchanged) and run section 3: which error do you get, and where?
# - Train the digits with `scratch.mlp(SIZES, activation="tanh")`: `EngineMLP` copies tanh layers too.
# - Draw the graph of the MLP's loss on a batch of digits: how many tensors does one step record?
#
# Next: **03_mnist**, the handwritten digits up close.
