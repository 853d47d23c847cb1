# %% [markdown]
# Threat: memory taken through a shared anonymous mmap, which RLIMIT_DATA does not count; the parent's
# RSS watchdog kills it. Expected: 5/10, status memory.

# %%
import numpy as np


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)

# %%
import mmap

m = mmap.mmap(-1, 8 << 30)
for i in range(0, len(m), 4096):
    m[i] = 1

# %%
def tanh(x):
    return np.tanh(np.asarray(x, dtype=float))


def tanh_grad(x):
    return 1.0 - np.tanh(np.asarray(x, dtype=float)) ** 2


def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def relu_grad(x):
    return (np.asarray(x) > 0).astype(float)
