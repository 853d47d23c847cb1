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
# # 01 · A neural network from scratch, in NumPy
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/notebooks/01_numpy_from_scratch.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fnotebooks%2F01_numpy_from_scratch.ipynb)
# <!-- /launch -->
#
# Before any framework, we write a small neural network by hand: every multiplication of the forward
# pass and every line of backpropagation is in this notebook, in plain NumPy.
#
# **You will learn**
#
# - the pieces: the sigmoid and its derivative, softmax, the cross-entropy loss;
# - the forward pass, the backward pass (backpropagation) and the gradient-descent loop;
# - why a network can get *stuck* before it learns anything (a tiny random start never learns XOR, and we
#   measure why);
# - how to **check** gradients against finite differences, the one test every hand-written backward pass needs;
# - how the same maths is packaged as layers in `nnworkshop.scratch`, which later notebooks use.
#
# Time: the last cell prints how long the code took on your machine; take your time reading.

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
import math
import time

import matplotlib.pyplot as plt
import numpy as np

notebook_start = time.perf_counter()

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. The building blocks
#
# A neuron computes a weighted sum $z = w \cdot x + b$ and passes it through a non-linear **activation**.
# Our hidden layer uses the **sigmoid**
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}},$$
#
# which squashes any number into $(0, 1)$. Its derivative has a neat form, written in terms of its own
# *output* $a = \sigma(z)$:
#
# $$\sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr) = a\,(1 - a).$$
#
# A common trap is a function named `sigmoid_derivative(x)` that expects the *activation*, not `x`: correct
# arithmetic, misleading name (calling it on `z` gives a wrong gradient silently). Here the name says what it
# takes. That is the course's one convention, here, in `nnworkshop.scratch` and in the exercises:
# `sigmoid_grad(z)` takes the input (as exercise q1 asks), `sigmoid_grad_from_output(a)` the output; a loss
# named plainly takes logits (`cross_entropy(z, y)` in exercise q2, like PyTorch's), and one that takes
# probabilities says so (`cross_entropy_from_probs` below).

# %%
def sigmoid(z):
    """1 / (1 + exp(-z)), elementwise."""
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_grad_from_output(a):
    """d sigmoid / dz, given the sigmoid's OUTPUT a = sigmoid(z): a * (1 - a)."""
    return a * (1.0 - a)


# %% [markdown]
# Let's make sure the formula is right by comparing with a finite difference
# $\frac{\sigma(z + h) - \sigma(z - h)}{2h}$ at a few points:

# %%
z = np.linspace(-4, 4, 9)
h = 1e-5
numeric = (sigmoid(z + h) - sigmoid(z - h)) / (2 * h)
analytic = sigmoid_grad_from_output(sigmoid(z))
print("analytic:", analytic)
print("max |analytic - numeric| =", np.abs(analytic - numeric).max())
assert np.allclose(analytic, numeric, atol=1e-9)

# %% [markdown]
# The output layer produces one score (a **logit**) per class. **Softmax** turns the scores of one sample
# into probabilities that sum to 1:
#
# $$p_k = \frac{e^{z_k}}{\sum_j e^{z_j}}.$$
#
# Subtracting the largest score first changes nothing mathematically ($e^{z-c}/\sum e^{z_j-c}$ is the same
# fraction) but keeps `exp` from overflowing.
#
# The **cross-entropy loss** is the average of $-\log p_{y}$, the negative log-probability the network gives
# to the correct class $y$: 0 when it is certain and right, large when it is confident and wrong.

# %%
def softmax(z):
    """Row-wise softmax of an (N, K) array of logits."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy_from_probs(probs, y):
    """Mean over the batch of -log(probability of the true class), from probabilities (the softmax's output)."""
    n = len(y)
    return -np.mean(np.log(probs[np.arange(n), y]))


p = softmax(np.array([[2.0, 1.0, 0.1], [1000.0, 1000.0, 1000.0]]))
print(p)            # the second row would be nan without the max shift
print(p.sum(axis=1))
assert np.allclose(p.sum(axis=1), 1.0)

# %% [markdown]
# ## 2. The network: parameters, forward, backward
#
# A network with one hidden layer of `n_hidden` sigmoid units and a softmax output:
#
# $$\begin{aligned}
# Z_1 &= X W_1^\top + b_1, & A_1 &= \sigma(Z_1),\\
# Z_2 &= A_1 W_2^\top + b_2, & P &= \operatorname{softmax}(Z_2).
# \end{aligned}$$
#
# We store each weight matrix as `(out_features, in_features)`, exactly as `torch.nn.Linear` does, so the
# step to PyTorch later is a copy, not a transpose.
#
# **Initialisation matters.** `init` is either `"xavier"` (Glorot uniform: $U(-a, a)$ with
# $a = \sqrt{6 / (n_{in} + n_{out})}$, sized so signals neither vanish nor explode through a sigmoid) or a
# number `s` for plain `normal * s` (a common first choice is `s = 0.01`; section 3 shows what it does).

# %%
def init_params(n_in, n_hidden, n_out, init="xavier", seed=0):
    """Weights (out, in) and zero biases for a one-hidden-layer net."""
    rng = np.random.default_rng(seed)

    def weight(fan_in, fan_out):
        if init == "xavier":
            a = math.sqrt(6.0 / (fan_in + fan_out))
            return rng.uniform(-a, a, size=(fan_out, fan_in))
        return rng.standard_normal((fan_out, fan_in)) * init

    return {
        "W1": weight(n_in, n_hidden), "b1": np.zeros(n_hidden),
        "W2": weight(n_hidden, n_out), "b2": np.zeros(n_out),
    }


def forward(params, X):
    """Class probabilities for X, and the intermediate values backward() needs."""
    Z1 = X @ params["W1"].T + params["b1"]
    A1 = sigmoid(Z1)
    Z2 = A1 @ params["W2"].T + params["b2"]
    P = softmax(Z2)
    return P, {"X": X, "A1": A1, "P": P}


# %% [markdown]
# **Backward.** Backpropagation is the chain rule applied layer by layer, from the loss back to the inputs.
# For softmax followed by cross-entropy the gradient with respect to the logits is remarkably simple:
#
# $$\frac{\partial L}{\partial Z_2} = \frac{P - Y}{N},$$
#
# where $Y$ is the one-hot matrix of labels and $N$ the batch size. **Where it comes from**, for one sample
# with logits $z_1, \dots, z_K$ and true class $y$: the loss is
#
# $$\ell = -\log p_y = -z_y + \log \sum_j e^{z_j},$$
#
# and differentiating with respect to one logit $z_k$ gives
#
# $$\frac{\partial \ell}{\partial z_k} = -[k = y] + \frac{e^{z_k}}{\sum_j e^{z_j}} = p_k - [k = y],$$
#
# the probability minus 1 at the true class, minus 0 elsewhere: one row of $P - Y$. The batch loss is the mean
# of the $N$ samples' losses, so every row is divided by $N$. From there every step is a matrix product or an
# elementwise product:
#
# $$\begin{aligned}
# \frac{\partial L}{\partial W_2} &= \Bigl(\frac{\partial L}{\partial Z_2}\Bigr)^{\!\top} A_1, &
# \frac{\partial L}{\partial A_1} &= \frac{\partial L}{\partial Z_2} W_2,\\
# \frac{\partial L}{\partial Z_1} &= \frac{\partial L}{\partial A_1} \odot A_1 (1 - A_1), &
# \frac{\partial L}{\partial W_1} &= \Bigl(\frac{\partial L}{\partial Z_1}\Bigr)^{\!\top} X,
# \end{aligned}$$
#
# and each bias gradient is the column sum of the gradient of its layer's output (a bias is added to every
# row, so its gradient adds up every row's).
#
# **Shapes tell you where the transposes go.** A gradient always has the shape of what it is the gradient of.
# With $N$ samples, 2 inputs, $H$ hidden units and $K$ classes: $\partial L/\partial Z_2$ is $(N, K)$ and
# $A_1$ is $(N, H)$; the only product of the two that gives $W_2$'s shape $(K, H)$ is
# $(\partial L/\partial Z_2)^\top A_1$, i.e. $(K, N)(N, H)$. Likewise $\partial L/\partial A_1$ must be
# $(N, H)$: $(N, K)(K, H)$, so $\partial L/\partial Z_2\, W_2$ with no transpose. The cell after the code
# checks every shape on a small batch.

# %%
def backward(params, cache, y):
    """Gradients of the mean cross-entropy with respect to every parameter."""
    X, A1, P = cache["X"], cache["A1"], cache["P"]
    n = len(y)
    Y = np.eye(P.shape[1])[y]                     # one-hot labels, (N, K)
    dZ2 = (P - Y) / n                             # softmax + cross-entropy, averaged
    dW2 = dZ2.T @ A1
    db2 = dZ2.sum(axis=0)
    dA1 = dZ2 @ params["W2"]
    dZ1 = dA1 * sigmoid_grad_from_output(A1)      # chain rule through the sigmoid
    dW1 = dZ1.T @ X
    db1 = dZ1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def train(params, X, y, lr=1.0, epochs=5000):
    """Full-batch gradient descent; returns the loss at every epoch."""
    losses = []
    for epoch in range(epochs):
        P, cache = forward(params, X)
        losses.append(cross_entropy_from_probs(P, y))
        grads = backward(params, cache, y)
        for name in params:                       # the update: step against the gradient
            params[name] -= lr * grads[name]
    return losses


def predict(params, X):
    """The most probable class for each row of X."""
    return forward(params, X)[0].argmax(axis=1)


# %%
rng = np.random.default_rng(0)
X_batch, y_batch = rng.normal(size=(5, 2)), rng.integers(0, 2, size=5)  # N=5 samples, 2 inputs, K=2 classes
params = init_params(2, 3, 2)                                           # H=3 hidden units
P, cache = forward(params, X_batch)
grads = backward(params, cache, y_batch)
for name in ("W2", "b2", "W1", "b1"):
    print(f"{name}: shape {params[name].shape}, its gradient {grads[name].shape}")
    assert grads[name].shape == params[name].shape
row_sums = (P - np.eye(2)[y_batch]).sum(axis=1)  # probabilities sum to 1, one-hot rows too
print(f"dZ2 = (P - Y)/N has shape {P.shape}; each row of P - Y sums to 0 (largest |sum|: {abs(row_sums).max():.0e})")


# %% [markdown]
# ## 3. XOR: the smallest problem a straight line cannot solve
#
# XOR is 1 when exactly one input is 1. No single line separates the 1s from the 0s, so a network
# without a hidden layer cannot learn it; one hidden layer can.

# %%
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
y = np.array([0, 1, 1, 0])
print(X, y)

# %% [markdown]
# ### First, a tiny random start — and why it never learns
#
# Initialise every weight as `randn * 0.01` (small random numbers look harmless) and train for 5,000 epochs:

# %%
tiny = init_params(2, 4, 2, init=0.01, seed=0)
tiny_losses = train(tiny, X, y, lr=2.0, epochs=5000)
print(f"loss after 5000 epochs: {tiny_losses[-1]:.4f}   (ln 2 = {math.log(2):.4f})")
print("predictions:", predict(tiny, X), " actual:", y)
assert abs(tiny_losses[-1] - math.log(2)) < 1e-3, "expected the tiny-init net to stay stuck at ln 2"

# %% [markdown]
# The loss sits at $\ln 2 \approx 0.693$: the network says "50 / 50" for every input, and its accuracy is
# a coin flip. (We use `lr=2.0` with a gradient *averaged* over the 4 samples; `lr=0.5` with a *summed*
# gradient would be the very same step.)
#
# Bad luck with seed 0? Try twenty seeds (this takes a few seconds):

# %%
finals = np.array([train(init_params(2, 4, 2, init=0.01, seed=s), X, y, lr=2.0, epochs=5000)[-1]
                   for s in range(20)])
at_ln2 = np.abs(finals - math.log(2)) < 1e-3
print(f"{at_ln2.sum()} of {len(finals)} seeds end within 0.001 of ln 2 "
      f"(final losses from {finals.min():.4f} to {finals.max():.4f})")

# %% [markdown]
#
# Why? With weights near zero every hidden unit outputs almost exactly $\sigma(0) = 0.5$ for every input,
# so the output layer sees four nearly identical rows. XOR is perfectly symmetric: two samples of each class,
# each input equally often 0 and 1. The gradients from the four samples therefore almost cancel out. Measure
# it: the largest gradient entry of each weight matrix, for the tiny start and for the Xavier start used below.

# %%
xavier_start = init_params(2, 4, 2, init="xavier", seed=0)
tiny_start = init_params(2, 4, 2, init=0.01, seed=0)
print(f"{'largest |gradient|':<20}{'randn * 0.01':>14}{'Xavier':>10}")
largest = {}
for name in ("W1", "W2"):
    sizes = [np.abs(backward(p, forward(p, X)[1], y)[name]).max() for p in (tiny_start, xavier_start)]
    largest[name] = sizes[0]
    print(f"{name:<20}{sizes[0]:>14.1e}{sizes[1]:>10.1e}")
print(f"tiny start: dW1 is {largest['W2'] / largest['W1']:.0f} times smaller than dW2")
stuck = backward(tiny, forward(tiny, X)[1], y)
print(f"after 5000 epochs of the tiny start: largest |dW1| {np.abs(stuck['W1']).max():.1e}, "
      f"|dW2| {np.abs(stuck['W2']).max():.1e}")

# %% [markdown]
# The first layer's gradient is the smallest (the factor is printed above): it is the output layer's gradient
# passed back through weights of size 0.01 and the sigmoid's slope (at most 0.25), so it shrinks once more. With every step that small, the network
# sits on a **saddle point**: a flat spot that is not a minimum, where gradient descent barely moves.
#
# The fix is not a bigger learning rate but a sensible **initialisation**. Xavier initialisation makes the
# weights large enough that the hidden units differ from each other from the first step:

# %%
params = init_params(2, 4, 2, init="xavier", seed=0)
losses = train(params, X, y, lr=2.0, epochs=5000)
predictions = predict(params, X)
print(f"loss after 5000 epochs: {losses[-1]:.4f}")
print("predictions:", predictions, " actual:", y)
print(f"accuracy: {np.mean(predictions == y):.0%}")
assert (predictions == y).all(), "XOR should be learned to 100 %"

# %% [markdown]
# Same data, same network, same learning rate: only the starting point changed.

# %%
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(tiny_losses, label="randn * 0.01: stuck")
ax.plot(losses, label="Xavier init: learns")
ax.axhline(math.log(2), color="gray", ls=":", label="ln 2 = guessing")
ax.set_xlabel("epoch")
ax.set_ylabel("cross-entropy loss")
ax.set_yscale("log")
ax.set_title("XOR: the loss over training")
ax.legend()
plt.show()

# %% [markdown]
# ### What did the network learn? The decision boundary
#
# Colour every point of the plane by the probability the network gives to class 1. A straight line could
# never separate the corners; the hidden layer bends the boundary. (`nnworkshop.plots.decision_boundary`
# draws it from the arrays computed here.)

# %%
from nnworkshop import plots

grid = np.linspace(-0.5, 1.5, 201)
gx, gy = np.meshgrid(grid, grid)
plane = np.column_stack([gx.ravel(), gy.ravel()])
prob1 = forward(params, plane)[0][:, 1].reshape(gx.shape)

plots.decision_boundary(gx, gy, prob1, X, y)

# %% [markdown]
# ## 4. Are the gradients right? Check them against finite differences
#
# A backward pass with a bug often still *trains*, just worse, so "the loss goes down" proves little.
# The reliable test: nudge one parameter by $\pm h$, measure how the loss changes, and compare with the
# analytic gradient,
#
# $$\frac{\partial L}{\partial \theta_i} \approx \frac{L(\theta_i + h) - L(\theta_i - h)}{2h}.$$
#
# In float64 with $h = 10^{-6}$ the relative error of a correct backward pass stays far below $10^{-6}$
# (the check's threshold); the cell prints it.

# %%
def loss_of(params, X, y):
    return cross_entropy_from_probs(forward(params, X)[0], y)


def numeric_gradient(params, X, y, h=1e-6):
    """Central finite differences, one parameter entry at a time."""
    grads = {}
    for name, value in params.items():
        g = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            old = value[i]
            value[i] = old + h
            up = loss_of(params, X, y)
            value[i] = old - h
            down = loss_of(params, X, y)
            value[i] = old
            g[i] = (up - down) / (2 * h)
        grads[name] = g
    return grads


check = init_params(2, 4, 2, init="xavier", seed=1)
analytic = backward(check, forward(check, X)[1], y)
numeric = numeric_gradient(check, X, y)
for name in check:
    rel = np.abs(analytic[name] - numeric[name]).max() / max(np.abs(numeric[name]).max(), 1e-12)
    print(f"{name}: max relative error {rel:.1e}")
    assert rel < 1e-6, f"gradient of {name} is wrong"

# %% [markdown]
# Try it: in `backward`, pass `dA1` instead of `A1` to `sigmoid_grad_from_output`, or drop the `/ n`,
# and rerun this check: the relative error jumps from the tiny values printed above to order 1 (for these
# two bugs, between 3 and 8 in the first layer's gradients).
#
# ## 5. The same maths, as layers: `nnworkshop.scratch`
#
# Writing `forward` and `backward` for a whole network gets long as layers are added. The usual trick
# (it is how PyTorch is organised too) is to give **each layer** its own `forward` and `backward`:
# `forward` caches what it needs, `backward` receives $\partial L / \partial(\text{output})$ and returns
# $\partial L / \partial(\text{input})$, storing the gradients of its own parameters on the way. Chaining
# them in reverse *is* backpropagation.
#
# `nnworkshop.scratch` is that, in NumPy only (it never imports torch). Here is its sigmoid layer: the same
# two lines as above.

# %%
import inspect

from nnworkshop import scratch

print(inspect.getsource(scratch.Sigmoid))
print(inspect.getsource(scratch.activations.sigmoid_grad_from_output))

# %% [markdown]
# and its `Linear` layer's backward pass: $\partial L/\partial W = g^\top x$, $\partial L/\partial b = \sum g$,
# and $g W$ passed back to the previous layer.

# %%
print(inspect.getsource(scratch.Linear.backward))

# %% [markdown]
# The XOR network, built from layers. `SoftmaxCrossEntropy` fuses softmax with the loss (more stable, and its
# backward is the $(P - Y)/N$ from above); `SGD` performs the update.

# %%
net = scratch.Sequential(
    scratch.Linear(2, 4, init="xavier", rng=0, dtype=np.float64),
    scratch.Sigmoid(),
    scratch.Linear(4, 2, init="xavier", rng=1, dtype=np.float64),
)
loss_fn = scratch.SoftmaxCrossEntropy()
optimizer = scratch.SGD(net.parameters(), lr=2.0)
print(net)

layer_losses = []
for epoch in range(5000):
    optimizer.zero_grad()
    loss = loss_fn(net(X), y)            # forward
    net.backward(loss_fn.backward())     # backward: loss -> logits -> ... -> first layer
    optimizer.step()                     # update
    layer_losses.append(loss)

layer_predictions = net(X).argmax(axis=1)
print(f"final loss {layer_losses[-1]:.4f}; predictions {layer_predictions}, actual {y}")
assert (layer_predictions == y).all()

# %% [markdown]
# The library's `gradient_check` does for every layer what we did by hand in section 4 (on a float64 copy,
# one parameter entry at a time). Checked on a fresh, untrained net, where the gradients are large:

# %%
errors = scratch.gradient_check(scratch.xor_net(seed=1), X, y)
for name, err in errors.items():
    print(f"{name:<9} relative error {err:.1e}")
assert max(errors.values()) < 1e-6

# %% [markdown]
# Finally `scratch.fit` is the mini-batch training loop we use for MNIST in notebook 06: it shuffles, batches,
# calls the optimizer and records per-epoch loss and accuracy in a `History`. `scratch.xor_net` builds the
# 2-4-2 network of section 3; with `init=0.01` it gets stuck as above, with Xavier it learns.

# %%
X_xor, y_xor = scratch.xor_data()
for init in (0.01, "xavier"):
    xor_net = scratch.xor_net(seed=0, init=init)
    history = scratch.fit(xor_net, X_xor, y_xor, epochs=5000, batch_size=4, optimizer="sgd", lr=2.0,
                          seed=0, progress=False)
    print(f"init={init!s:<7} final loss {history.train_loss[-1]:.4f}, "
          f"predictions {scratch.predict(xor_net, X_xor)}")
assert (scratch.predict(xor_net, X_xor) == y_xor).all()

# %%
print(f"this notebook's code ran in {time.perf_counter() - notebook_start:.0f} s on this machine")

# %% [markdown]
# ## What to try next
#
# - Set `n_hidden` to 2, then 1, in `init_params(2, n_hidden, 2)`. How few hidden units can learn XOR? Does
#   it depend on the seed?
# - Replace the sigmoid by `np.tanh` (derivative $1 - a^2$). Does XOR train faster?
# - Try `init=0.5`, `init=0.1`, `init=0.01`: where does the saddle point start to trap the network?
# - Break `backward` on purpose (drop the `/ n`, or forget the sigmoid's derivative) and watch the gradient
#   check catch it.
#
# Next: **02_autograd**, the backward pass written once and for all: an engine that finds every gradient.
