# %% [markdown]
# Threat: memory taken as anonymous files (memfd), which neither RLIMIT_DATA nor the process's RSS counts
# until mapped: 64 MB files (the file-size limit) until 2 GB. Expected: 5/10, status memory.

# %%
import numpy as np


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)

# %%
import os

chunk = b"x" * (1 << 20)
files = []
for i in range(32):
    fd = os.memfd_create(f"bomb{i}")
    files.append(fd)
    for _ in range(63):
        os.write(fd, chunk)
print("wrote 2 GB of anonymous files", flush=True)

# %%
def tanh(x):
    return np.tanh(np.asarray(x, dtype=float))


def tanh_grad(x):
    return 1.0 - np.tanh(np.asarray(x, dtype=float)) ** 2


def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def relu_grad(x):
    return (np.asarray(x) > 0).astype(float)
